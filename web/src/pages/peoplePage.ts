import { canEdit, GIVEN_ROLES, ROLE_LABELS, type Role } from '../../../shared/accounts.js';
import type { Person, PublicUser } from '../../../shared/api.js';
import { listDocuments, shareDocument } from '../api/docsApi.js';
import { createConversation } from '../api/chatApi.js';
import { button, el } from '../ui/dom.js';
import type { LiveClient, LiveState } from '../live/liveClient.js';
import { listPeople, type Session } from '../api/accountApi.js';
import { relativeTime } from '../ui/time.js';
import { renderTopbar } from '../ui/topbar.js';

/**
 * The people page (`/people`, signed in): `#people-list` of every user, `li[data-user-id]` with
 * `data-online`, the name, and "online" or "last seen <when>", kept live by /live's presence
 * messages (a reconnect's hello replaces the whole list). For everyone but me: "Message" opens
 * (or finds) our direct conversation; "Share a document…" shares one of the documents I own or
 * edit, with a role. `#live-state` says when live updates are paused.
 */
export function renderPeople(root: HTMLElement, session: Session & { user: PublicUser }, live: LiveClient | null): void {
  document.title = 'People — Tandem';
  root.replaceChildren(renderTopbar(session, live));
  const main = el('main', { className: 'page people-page' });
  const liveState = el('p', { id: 'live-state', className: 'banner warn', attrs: { role: 'status', 'aria-live': 'polite' }, hidden: true });
  const state = el('p', { id: 'people-state', className: 'muted', text: 'Loading people…', attrs: { role: 'status' } });
  const list = el('ul', { id: 'people-list', className: 'people-list', attrs: { 'aria-labelledby': 'people-heading' } });
  main.append(el('h1', { id: 'people-heading', text: 'People' }), liveState, state, list);
  root.append(main);

  const me = session.user;
  const people = new Map<string, Person>();
  const rows = new Map<string, HTMLLIElement>();

  const render = (): void => {
    const sorted = [...people.values()].sort((a, b) => Number(b.id === me.id) - Number(a.id === me.id) || a.name.localeCompare(b.name));
    const items = sorted.map((person) => {
      let row = rows.get(person.id);
      if (row === undefined) {
        row = renderRow(person, me);
        rows.set(person.id, row);
      }
      updateRow(row, person);
      return row;
    });
    // Keep existing rows (an open share form survives a presence change).
    list.replaceChildren(...items);
    state.hidden = sorted.length > 0;
    if (sorted.length === 0) state.textContent = 'Nobody here yet.';
  };
  const replaceAll = (all: Person[]): void => {
    people.clear();
    for (const person of all) people.set(person.id, person);
    render();
  };

  void listPeople().then(replaceAll, (err: unknown) => {
    state.classList.add('error');
    state.textContent = `Could not load people: ${(err as Error).message}`;
  });
  if (live !== null) {
    live.on('presence', (person) => {
      people.set(person.id, person);
      render();
    });
    live.on('hello', (hello) => {
      if (Array.isArray(hello.people)) replaceAll(hello.people);
    });
    const showLive = (s: LiveState): void => {
      liveState.hidden = s === 'open' || s === 'connecting';
      liveState.textContent = s === 'stopped'
        ? 'Live updates stopped — sign in again to see who is online.'
        : 'Live updates paused — reconnecting… Who is online may be out of date.';
      list.dataset['live'] = s;
    };
    live.on('state', showLive);
    showLive(live.state);
  }
  // "last seen 5 minutes ago" ages.
  setInterval(() => {
    for (const [id, row] of rows) {
      const person = people.get(id);
      if (person !== undefined) updateRow(row, person);
    }
  }, 30_000);
}

function renderRow(person: Person, me: PublicUser): HTMLLIElement {
  const row = el('li', { dataset: { userId: person.id } });
  const dot = el('span', { className: 'online-dot', attrs: { 'aria-hidden': 'true' } });
  const name = el('span', { className: 'person-name', text: person.name });
  const seen = el('span', { className: 'person-seen muted' });
  const head = el('div', { className: 'person-head' }, dot, name);
  if (person.id === me.id) head.append(el('span', { className: 'muted person-you', text: '(you)' }));
  head.append(seen);
  row.append(head);
  if (person.id === me.id) return row;

  const error = el('p', { className: 'error', attrs: { role: 'alert' }, hidden: true });
  const result = el('p', { className: 'ok', attrs: { role: 'status' }, hidden: true });
  const shareArea = el('div', { className: 'share-area' });
  const message = button('Message', async () => {
    message.disabled = true;
    error.hidden = true;
    try {
      const conversation = await createConversation({ kind: 'direct', userId: person.id });
      location.assign(`/chats/${encodeURIComponent(conversation.id)}`);
    } catch (err) {
      error.textContent = `Could not open a conversation: ${(err as Error).message}`;
      error.hidden = false;
      message.disabled = false;
    }
  }, { className: 'message-person' });
  const share = button('Share a document…', () => {
    if (shareArea.childElementCount > 0) {
      shareArea.replaceChildren();
      share.setAttribute('aria-expanded', 'false');
      return;
    }
    share.setAttribute('aria-expanded', 'true');
    void openShareForm(shareArea, person, result, () => {
      shareArea.replaceChildren();
      share.setAttribute('aria-expanded', 'false');
    });
  }, { className: 'share-with-person', attrs: { 'aria-expanded': 'false' } });
  row.append(el('div', { className: 'person-actions' }, message, share), shareArea, result, error);
  return row;
}

function updateRow(row: HTMLLIElement, person: Person): void {
  row.dataset['online'] = String(person.online);
  const seen = row.querySelector('.person-seen') as HTMLElement;
  const text = person.online ? 'online' : person.lastSeenAt === null ? 'never signed in here' : `last seen ${relativeTime(person.lastSeenAt)}`;
  if (seen.textContent !== ` — ${text}`) seen.textContent = ` — ${text}`;
  (row.querySelector('.person-name') as HTMLElement).textContent = person.name;
}

/** The inline "share a document with this person" form: my documents where I can share, a role, Share. */
async function openShareForm(area: HTMLElement, person: Person, result: HTMLElement, done: () => void): Promise<void> {
  const note = el('p', { className: 'muted', text: 'Loading your documents…' });
  area.replaceChildren(note);
  let docs;
  try {
    docs = (await listDocuments()).filter((doc) => canEdit(doc.role));
  } catch (err) {
    note.className = 'error';
    note.textContent = `Could not load your documents: ${(err as Error).message}`;
    return;
  }
  if (docs.length === 0) {
    note.textContent = 'You have no documents you can share. Create one first.';
    return;
  }
  const prefix = `share-${person.id}`;
  const docSelect = el('select', { id: `${prefix}-doc`, className: 'share-doc' });
  for (const doc of docs) docSelect.append(el('option', { text: doc.title.trim() === '' ? 'Untitled' : doc.title.trim(), attrs: { value: doc.id } }));
  const roleSelect = el('select', { id: `${prefix}-role`, className: 'share-role' });
  for (const role of GIVEN_ROLES) roleSelect.append(el('option', { text: ROLE_LABELS[role], attrs: { value: role } }));
  const error = el('p', { className: 'error', attrs: { role: 'alert' }, hidden: true });
  const submit = el('button', { className: 'primary', text: 'Share', attrs: { type: 'submit' } });
  const form = el(
    'form',
    { className: 'share-form', attrs: { 'aria-label': `Share a document with ${person.name}` } },
    el('label', { text: 'Document', attrs: { for: docSelect.id } }),
    docSelect,
    el('label', { text: 'Role', attrs: { for: roleSelect.id } }),
    roleSelect,
    submit,
    button('Cancel', done),
    error,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    submit.disabled = true;
    error.hidden = true;
    const role = roleSelect.value as Exclude<Role, 'owner'>;
    try {
      await shareDocument(docSelect.value, { userId: person.id, role });
      const title = docSelect.selectedOptions[0]?.textContent ?? 'the document';
      result.textContent = `Shared “${title}” with ${person.name} (${ROLE_LABELS[role]}).`;
      result.hidden = false;
      done();
    } catch (err) {
      error.textContent = `Could not share: ${(err as Error).message}`;
      error.hidden = false;
      submit.disabled = false;
    }
  });
  area.replaceChildren(form);
  docSelect.focus();
}
