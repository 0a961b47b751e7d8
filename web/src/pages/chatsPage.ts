import { MAX_GROUP_TITLE_CHARS } from '../../../shared/accounts.js';
import type { Conversation, Person, PublicUser } from '../../../shared/api.js';
import { ChatView } from '../chat/chatPanel.js';
import { addConversationMember, createConversation, getConversation, joinGroup, leaveGroup, listConversations, listGroups } from '../api/chatApi.js';
import { button, el, setBadge } from '../ui/dom.js';
import type { LiveClient } from '../live/liveClient.js';
import { listPeople, type Session } from '../api/accountApi.js';
import { renderTopbar } from '../ui/topbar.js';

type SignedIn = Session & { user: PublicUser };

/**
 * The chats page: `/chats` lists my conversations (`#conversation-list`, `li[data-conversation-id]`
 * with an unread badge, newest activity first, kept live), with "New group" and "Browse groups";
 * `/chats/<id>` also shows that conversation (the same message view as a document's chat panel),
 * with "Add person" and "Leave group" for groups.
 */
export function renderConversations(root: HTMLElement, session: SignedIn, live: LiveClient | null, openId: string | null): void {
  document.title = 'Chats — Tandem';
  root.replaceChildren(renderTopbar(session, live));
  const main = el('main', { className: 'page chats-page' });
  const list = el('ul', { id: 'conversation-list', className: 'conversation-list', attrs: { 'aria-label': 'Conversations' } });
  const listState = el('p', { id: 'conversation-state', className: 'muted', text: 'Loading conversations…', attrs: { role: 'status' } });
  const tools = el('div', { className: 'chats-tools' });
  const toolArea = el('div', { className: 'chats-tool-area' });
  const side = el('nav', { className: 'chats-side', attrs: { 'aria-labelledby': 'chats-heading' } }, el('h1', { id: 'chats-heading', text: 'Chats' }), tools, toolArea, listState, list);
  const pane = el('section', { id: 'conversation', className: 'conversation-pane', attrs: { 'aria-label': 'Conversation' } });
  main.append(side, pane);
  root.append(main);

  const conversations = new Map<string, Conversation>();
  const renderList = (): void => {
    const sorted = [...conversations.values()].sort((a, b) => (b.lastMessageAt ?? 0) - (a.lastMessageAt ?? 0) || a.title.localeCompare(b.title));
    list.replaceChildren(...sorted.map((c) => renderConversationItem(c, c.id === openId)));
    listState.hidden = sorted.length > 0;
    if (sorted.length === 0) listState.textContent = 'No conversations yet. Message someone from People, or start a group.';
  };
  const loadList = async (): Promise<void> => {
    try {
      const all = await listConversations();
      conversations.clear();
      for (const c of all) conversations.set(c.id, c);
      if (openId !== null && conversations.has(openId)) conversations.set(openId, { ...conversations.get(openId)!, unread: 0 });
      renderList();
    } catch (err) {
      listState.classList.add('error');
      listState.textContent = `Could not load conversations: ${(err as Error).message}`;
    }
  };
  void loadList();

  tools.append(
    button('New group', () => void showNewGroup(toolArea, session.user), { id: 'new-group' }),
    button('Browse groups', () => void showGroups(toolArea, session.user), { id: 'browse-groups' }),
  );

  if (live !== null) {
    live.on('message', (message) => {
      const known = conversations.get(message.conversationId);
      if (known === undefined) {
        void loadList();
        return;
      }
      const counts = message.conversationId !== openId && message.author.id !== session.user.id;
      conversations.set(known.id, { ...known, lastMessageAt: message.createdAt, unread: known.unread + (counts ? 1 : 0) });
      renderList();
    });
    live.on('conversation', (conversation) => {
      conversations.set(conversation.id, conversation.id === openId ? { ...conversation, unread: 0 } : conversation);
      renderList();
    });
    live.on('conversationGone', (id) => {
      conversations.delete(id);
      renderList();
    });
    live.on('hello', () => void loadList());
  }

  if (openId === null) {
    pane.append(el('p', { className: 'muted empty-pane', text: 'Choose a conversation, or start one.' }));
    return;
  }
  void openConversation(pane, openId, session.user, live);
}

function renderConversationItem(c: Conversation, open: boolean): HTMLLIElement {
  const item = el('li', { dataset: { conversationId: c.id, kind: c.kind } });
  const link = el('a', { attrs: { href: `/chats/${encodeURIComponent(c.id)}` } }, el('span', { className: 'conversation-kind', text: kindLabel(c.kind) }), ' ', el('span', { className: 'conversation-title', text: titleOf(c) }));
  if (open) link.setAttribute('aria-current', 'page');
  const badge = el('span', { className: 'badge unread-badge' });
  setBadge(badge, c.unread);
  item.append(link, badge);
  return item;
}

function kindLabel(kind: Conversation['kind']): string {
  return kind === 'doc' ? 'Document' : kind === 'group' ? 'Group' : 'Direct';
}

function titleOf(c: Conversation): string {
  return c.title.trim() === '' ? (c.kind === 'doc' ? 'Untitled document' : 'Conversation') : c.title.trim();
}

async function openConversation(pane: HTMLElement, id: string, me: PublicUser, live: LiveClient | null): Promise<void> {
  const state = el('p', { className: 'muted', text: 'Loading…', attrs: { role: 'status' } });
  pane.replaceChildren(state);
  let conversation: Conversation;
  try {
    conversation = await getConversation(id);
  } catch (err) {
    state.className = 'error';
    state.textContent = `Could not open this conversation: ${(err as Error).message}`;
    return;
  }
  document.title = `${titleOf(conversation)} — Chats — Tandem`;
  const heading = el('h2', { id: 'conversation-title', text: titleOf(conversation) });
  const members = el('p', { id: 'conversation-members', className: 'muted' });
  const actions = el('div', { className: 'conversation-actions' });
  const area = el('div', { className: 'conversation-tool-area' });
  const error = el('p', { className: 'error', attrs: { role: 'alert' }, hidden: true });
  const renderMembers = (c: Conversation): void => {
    members.textContent = c.members.length === 0 ? '' : `Members: ${c.members.map((m) => (m.id === me.id ? `${m.name} (you)` : m.name)).join(', ')}`;
  };
  renderMembers(conversation);
  if (conversation.kind === 'doc' && conversation.docId !== undefined) {
    actions.append(el('a', { className: 'button-link', text: 'Open document', attrs: { href: `/d/${encodeURIComponent(conversation.docId)}` } }));
  }
  if (conversation.kind === 'group') {
    const add = button('Add person', () => void showAddPerson(area, conversation, error), { id: 'add-person' });
    const leave = button('Leave group', async () => {
      if (!window.confirm(`Leave “${titleOf(conversation)}”? You can join again from Browse groups.`)) return;
      leave.disabled = true;
      error.hidden = true;
      try {
        await leaveGroup(conversation.id);
        location.assign('/chats');
      } catch (err) {
        error.textContent = `Could not leave: ${(err as Error).message}`;
        error.hidden = false;
        leave.disabled = false;
      }
    }, { id: 'leave-group' });
    actions.append(add, leave);
  }
  const view = new ChatView({ conversationId: conversation.id, me, live, isShown: () => document.visibilityState === 'visible' });
  pane.replaceChildren(el('header', { className: 'conversation-head' }, heading, members, actions), area, error, view.element);
  live?.on('conversation', (changed) => {
    if (changed.id !== conversation.id) return;
    conversation = changed;
    heading.textContent = titleOf(changed);
    renderMembers(changed);
  });
  view.shownChanged();
  view.focusInput();
}

async function showAddPerson(area: HTMLElement, conversation: Conversation, error: HTMLElement): Promise<void> {
  if (area.childElementCount > 0) {
    area.replaceChildren();
    return;
  }
  let people: Person[];
  try {
    people = await listPeople();
  } catch (err) {
    error.textContent = `Could not load people: ${(err as Error).message}`;
    error.hidden = false;
    return;
  }
  const candidates = people.filter((p) => !conversation.members.some((m) => m.id === p.id));
  if (candidates.length === 0) {
    area.replaceChildren(el('p', { className: 'muted', text: 'Everyone is already in this group.' }));
    return;
  }
  const select = el('select', { id: 'add-person-select' });
  for (const person of candidates) select.append(el('option', { text: person.name, attrs: { value: person.id } }));
  const submit = el('button', { className: 'primary', text: 'Add', attrs: { type: 'submit' } });
  const form = el('form', { id: 'add-person-form', className: 'inline-form' }, el('label', { text: 'Person', attrs: { for: 'add-person-select' } }), select, submit, button('Cancel', () => area.replaceChildren()));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    submit.disabled = true;
    error.hidden = true;
    try {
      await addConversationMember(conversation.id, select.value);
      area.replaceChildren(el('p', { className: 'ok', text: `Added ${select.selectedOptions[0]?.textContent ?? ''}.`, attrs: { role: 'status' } }));
    } catch (err) {
      error.textContent = `Could not add: ${(err as Error).message}`;
      error.hidden = false;
      submit.disabled = false;
    }
  });
  area.replaceChildren(form);
  select.focus();
}

async function showNewGroup(area: HTMLElement, me: PublicUser): Promise<void> {
  if (area.querySelector('#new-group-form') !== null) {
    area.replaceChildren();
    return;
  }
  const error = el('p', { className: 'error', attrs: { role: 'alert' }, hidden: true });
  const title = el('input', { id: 'group-title', attrs: { type: 'text', required: '', maxlength: String(MAX_GROUP_TITLE_CHARS), autocomplete: 'off' } });
  const members = el('fieldset', { className: 'member-picks' }, el('legend', { text: 'Members' }), el('p', { className: 'muted', text: 'Loading people…' }));
  const submit = el('button', { className: 'primary', text: 'Create group', attrs: { type: 'submit' } });
  const form = el('form', { id: 'new-group-form', className: 'stack-form' }, el('label', { text: 'Group name', attrs: { for: 'group-title' } }), title, members, error, el('div', { className: 'form-actions' }, submit, button('Cancel', () => area.replaceChildren())));
  area.replaceChildren(form);
  title.focus();
  try {
    const people = (await listPeople()).filter((p) => p.id !== me.id);
    members.replaceChildren(el('legend', { text: 'Members' }));
    if (people.length === 0) members.append(el('p', { className: 'muted', text: 'Nobody else yet; others can join from Browse groups.' }));
    for (const person of people) {
      const box = el('input', { id: `pick-${person.id}`, attrs: { type: 'checkbox', value: person.id } });
      members.append(el('label', { className: 'check' }, box, ` ${person.name}`));
    }
  } catch (err) {
    members.replaceChildren(el('legend', { text: 'Members' }), el('p', { className: 'error', text: `Could not load people: ${(err as Error).message}` }));
  }
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.hidden = true;
    const name = title.value.trim();
    if (name === '') {
      error.textContent = 'Give the group a name.';
      error.hidden = false;
      title.focus();
      return;
    }
    const memberIds = [...members.querySelectorAll<HTMLInputElement>('input[type=checkbox]:checked')].map((box) => box.value);
    submit.disabled = true;
    try {
      const group = await createConversation({ kind: 'group', title: name, memberIds });
      location.assign(`/chats/${encodeURIComponent(group.id)}`);
    } catch (err) {
      error.textContent = `Could not create the group: ${(err as Error).message}`;
      error.hidden = false;
      submit.disabled = false;
    }
  });
}

async function showGroups(area: HTMLElement, me: PublicUser): Promise<void> {
  if (area.querySelector('#group-list') !== null) {
    area.replaceChildren();
    return;
  }
  const list = el('ul', { id: 'group-list', className: 'group-list', attrs: { 'aria-label': 'All groups' } });
  const state = el('p', { className: 'muted', text: 'Loading groups…', attrs: { role: 'status' } });
  area.replaceChildren(el('h2', { text: 'All groups' }), state, list, button('Close', () => area.replaceChildren()));
  let groups: Conversation[];
  try {
    groups = await listGroups();
  } catch (err) {
    state.className = 'error';
    state.textContent = `Could not load groups: ${(err as Error).message}`;
    return;
  }
  state.hidden = groups.length > 0;
  state.textContent = 'No groups yet. Start one with “New group”.';
  for (const group of groups) {
    const member = group.members.some((m) => m.id === me.id);
    const item = el('li', { dataset: { conversationId: group.id } }, el('span', { className: 'conversation-title', text: titleOf(group) }), el('span', { className: 'muted', text: ` · ${group.members.length} member${group.members.length === 1 ? '' : 's'}` }));
    const error = el('span', { className: 'error', attrs: { role: 'alert' }, hidden: true });
    if (member) {
      item.append(' ', el('a', { text: 'Open', attrs: { href: `/chats/${encodeURIComponent(group.id)}` } }));
    } else {
      const join = button('Join', async () => {
        join.disabled = true;
        error.hidden = true;
        try {
          await joinGroup(group.id);
          location.assign(`/chats/${encodeURIComponent(group.id)}`);
        } catch (err) {
          error.textContent = ` Could not join: ${(err as Error).message}`;
          error.hidden = false;
          join.disabled = false;
        }
      }, { className: 'join-group' });
      item.append(' ', join, error);
    }
    list.append(item);
  }
}
