import { canEdit, GIVEN_ROLES, LINK_ACCESS, LINK_ACCESS_LABELS, ROLE_LABELS, type LinkAccess, type Role } from '../../../shared/accounts.js';
import type { DocAccess, Member, PublicUser } from '../../../shared/api.js';
import { changeRole, deleteDocument, getDocAccess, removeMember, setLinkAccess, shareDocument } from '../api/docsApi.js';
import { button, el } from '../ui/dom.js';
import type { DocRole } from './docRole.js';
import { listPeople } from '../api/accountApi.js';
import { bindCopyLink } from './copyLink.js';

/**
 * The Share dialog (`#share-dialog`, opened by `#share`): the document's link with a Copy button;
 * link access (`#link-access`: a select for the owner, text for others); the members
 * (`#member-list`, `li[data-user-id]`, the owner can change roles and remove people); an invite
 * form (`#invite-form`: `#invite-name` with the people as suggestions, `#invite-role`) for the
 * owner and editors; "Leave document" (`#leave-doc`) for members other than the owner and
 * "Delete document" (`#delete-doc`) for the owner. Everything is read fresh from the server each
 * time it opens, and every refusal shows the server's reason in `#share-error`.
 */
export function bindShareDialog(opener: HTMLButtonElement, docId: string, me: PublicUser | null, role: DocRole): void {
  const url = `${location.origin}/d/${encodeURIComponent(docId)}`;
  const dialog = el('dialog', { id: 'share-dialog', className: 'share-dialog', attrs: { 'aria-labelledby': 'share-heading' } });
  const body = el('div', { className: 'share-body' });
  const error = el('p', { id: 'share-error', className: 'error', attrs: { role: 'alert' }, hidden: true });
  const close = button('Close', () => dialog.close(), { id: 'share-close' });
  dialog.append(el('h2', { id: 'share-heading', text: 'Share this document' }), error, body, el('div', { className: 'dialog-actions' }, close));
  document.body.append(dialog);

  const fail = (what: string, err: unknown): void => {
    error.textContent = `${what}: ${(err as Error).message}`;
    error.hidden = false;
  };

  const render = (access: DocAccess): void => {
    const isOwner = access.myRole === 'owner';
    const isMember = me !== null && access.members.some((m) => m.user.id === me.id);
    body.replaceChildren(
      renderLink(url),
      renderLinkAccess(access, isOwner, async (next) => {
        error.hidden = true;
        try {
          render(await setLinkAccess(docId, next));
        } catch (err) {
          fail('Could not change link access', err);
          await reload();
        }
      }),
      renderMembers(access, me, isOwner, {
        change: async (member, next) => {
          error.hidden = true;
          try {
            await changeRole(docId, member.user.id, next);
          } catch (err) {
            fail(`Could not change ${member.user.name}'s role`, err);
          }
          await reload();
        },
        remove: async (member) => {
          if (!window.confirm(`Remove ${member.user.name} from this document?`)) return;
          error.hidden = true;
          try {
            await removeMember(docId, member.user.id);
          } catch (err) {
            fail(`Could not remove ${member.user.name}`, err);
          }
          await reload();
        },
      }),
    );
    if (me !== null && canEdit(access.myRole)) body.append(renderInvite(access, docId, fail, reload, error));
    const danger = el('div', { className: 'share-danger' });
    if (me !== null && isMember && !isOwner) {
      danger.append(button('Leave document', async () => {
        if (!window.confirm('Leave this document? It leaves your list; you need a new invitation (or the link) to come back.')) return;
        try {
          await removeMember(docId, me.id);
          location.assign('/');
        } catch (err) {
          fail('Could not leave', err);
        }
      }, { id: 'leave-doc' }));
    }
    if (isOwner) {
      danger.append(button('Delete document', async () => {
        if (!window.confirm('Delete this document for everyone? This cannot be undone.')) return;
        try {
          await deleteDocument(docId);
          location.assign('/');
        } catch (err) {
          fail('Could not delete', err);
        }
      }, { id: 'delete-doc', className: 'danger' }));
    }
    if (danger.childElementCount > 0) body.append(danger);
  };

  const reload = async (): Promise<void> => {
    try {
      const access = await getDocAccess(docId);
      role.set(access.myRole);
      render(access);
    } catch (err) {
      body.replaceChildren(renderLink(url));
      fail('Could not load who has access', err);
    }
  };

  opener.setAttribute('aria-haspopup', 'dialog');
  opener.setAttribute('aria-controls', 'share-dialog');
  opener.addEventListener('click', () => {
    error.hidden = true;
    body.replaceChildren(renderLink(url), el('p', { className: 'muted', text: 'Loading who has access…' }));
    dialog.showModal();
    void reload();
  });
}

function renderLink(url: string): HTMLElement {
  const input = el('input', { id: 'share-url', className: 'share-url', attrs: { type: 'text', readonly: '', 'aria-label': 'Link to this document' } });
  const status = el('span', { id: 'share-status', className: 'share-status', attrs: { role: 'status', 'aria-live': 'polite' } });
  const copy = el('button', { id: 'copy-link', text: 'Copy link', attrs: { type: 'button' } });
  bindCopyLink({ button: copy, status, urlInput: input }, url);
  input.hidden = false;
  return el('div', { className: 'share-link' }, input, copy, status);
}

function renderLinkAccess(access: DocAccess, isOwner: boolean, onChange: (next: LinkAccess) => void): HTMLElement {
  const row = el('div', { className: 'share-row' }, el('label', { text: 'Link access', attrs: { for: 'link-access' } }));
  if (!isOwner) {
    row.append(el('p', { id: 'link-access', className: 'link-access-text', text: LINK_ACCESS_LABELS[access.linkAccess], dataset: { value: access.linkAccess } }));
    return row;
  }
  const select = el('select', { id: 'link-access' });
  for (const value of LINK_ACCESS) select.append(el('option', { text: LINK_ACCESS_LABELS[value], attrs: { value } }));
  select.value = access.linkAccess;
  select.addEventListener('change', () => onChange(select.value as LinkAccess));
  row.append(select);
  return row;
}

interface MemberActions {
  change(member: Member, role: Exclude<Role, 'owner'>): void;
  remove(member: Member): void;
}

function renderMembers(access: DocAccess, me: PublicUser | null, isOwner: boolean, actions: MemberActions): HTMLElement {
  const list = el('ul', { id: 'member-list', className: 'member-list', attrs: { 'aria-labelledby': 'members-heading' } });
  const members = [...access.members].sort((a, b) => Number(b.role === 'owner') - Number(a.role === 'owner') || a.user.name.localeCompare(b.user.name));
  for (const member of members) {
    const item = el('li', { dataset: { userId: member.user.id, role: member.role } });
    const mine = me !== null && member.user.id === me.id;
    item.append(el('span', { className: 'member-name', text: mine ? `${member.user.name} (you)` : member.user.name }));
    if (isOwner && member.role !== 'owner') {
      const select = el('select', { className: 'member-role', attrs: { 'aria-label': `Role of ${member.user.name}` } });
      for (const value of GIVEN_ROLES) select.append(el('option', { text: ROLE_LABELS[value], attrs: { value } }));
      select.value = member.role;
      select.addEventListener('change', () => actions.change(member, select.value as Exclude<Role, 'owner'>));
      item.append(select, button('Remove', () => actions.remove(member), { className: 'remove-member', attrs: { 'aria-label': `Remove ${member.user.name}` } }));
    } else {
      item.append(el('span', { className: `role-badge role-${member.role}`, text: ROLE_LABELS[member.role] }));
    }
    list.append(item);
  }
  return el('section', { className: 'share-members' }, el('h3', { id: 'members-heading', text: 'People with access' }), list);
}

function renderInvite(access: DocAccess, docId: string, fail: (what: string, err: unknown) => void, reload: () => Promise<void>, error: HTMLElement): HTMLElement {
  const name = el('input', { id: 'invite-name', attrs: { type: 'text', list: 'invite-people', autocomplete: 'off', required: '', placeholder: 'Their user name' } });
  const people = el('datalist', { id: 'invite-people' });
  const role = el('select', { id: 'invite-role', attrs: { 'aria-label': 'Role' } });
  for (const value of GIVEN_ROLES) role.append(el('option', { text: ROLE_LABELS[value], attrs: { value } }));
  const submit = el('button', { id: 'invite-submit', className: 'primary', text: 'Share', attrs: { type: 'submit' } });
  const done = el('p', { id: 'invite-result', className: 'ok', attrs: { role: 'status' }, hidden: true });
  const form = el('form', { id: 'invite-form', className: 'invite-form' }, el('label', { text: 'Add a person', attrs: { for: 'invite-name' } }), el('div', { className: 'invite-row' }, name, people, role, submit), done);
  void listPeople().then((all) => {
    const members = new Set(access.members.map((m) => m.user.id));
    people.replaceChildren(...all.filter((p) => !members.has(p.id)).map((p) => el('option', { attrs: { value: p.name } })));
  }, () => {
    // Suggestions only: typing a name still works.
  });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const who = name.value.trim();
    if (who === '') return;
    submit.disabled = true;
    error.hidden = true;
    done.hidden = true;
    try {
      const member = await shareDocument(docId, { name: who, role: role.value as Exclude<Role, 'owner'> });
      await reload();
      const result = document.getElementById('invite-result');
      if (result !== null) {
        result.textContent = `Shared with ${member.user.name} (${ROLE_LABELS[member.role]}).`;
        result.hidden = false;
      }
    } catch (err) {
      fail(`Could not share with ${who}`, err);
      submit.disabled = false;
    }
  });
  return form;
}
