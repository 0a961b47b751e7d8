import { MAX_VERSION_NAME_CHARS, type Version, type VersionKind } from '../../../shared/history.js';
import { listVersions, nameCurrentVersion, renameVersion, restoreVersion, versionChanges } from '../api/historyApi.js';
import type { LiveClient } from '../live/liveClient.js';
import { button, el } from '../ui/dom.js';
import type { DocRole } from './docRole.js';
import { showVersion } from './historyView.js';

export interface HistoryElements {
  /** `#history-toggle`. */
  toggle: HTMLButtonElement;
  /** `#history-panel` (the list), in the side column. */
  panel: HTMLElement;
  /** `#history-view`, above the editor: one version, read only, in a view of its own. */
  view: HTMLElement;
  onToggle?: (open: boolean) => void;
}

const KIND_LABELS: Record<VersionKind, string> = { auto: 'Saved automatically', named: 'Named', restore: 'Before a restore' };

/**
 * The History panel: the document's versions newest first (time, who changed it, name), "Name this
 * version" and, per version, Open. An opened version shows in its own read-only view above the
 * editor — what changed in it, or "Compare with current" — with Rename and Restore for owners and
 * editors. The live editor is never touched: a restore reaches it like anyone's change.
 */
export function bindHistory(els: HistoryElements, docId: string, role: DocRole, live: LiveClient | null): void {
  let open = false;
  let closeView: (() => void) | null = null;
  const status = el('p', { id: 'history-status', className: 'muted', attrs: { role: 'status' } });
  const list = el('ol', { id: 'history-list', className: 'history-list' });
  const nameInput = el('input', { id: 'history-name-input', attrs: { type: 'text', maxlength: String(MAX_VERSION_NAME_CHARS), placeholder: 'Name for the current version', 'aria-label': 'Version name' } });
  const nameForm = el('form', { className: 'history-name' }, nameInput, el('button', { id: 'history-name-current', text: 'Name this version', attrs: { type: 'submit' } }));
  nameForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const name = nameInput.value.trim();
    if (name === '') return;
    void act(async () => {
      await nameCurrentVersion(docId, name);
      nameInput.value = '';
    }, 'Named the current version.');
  });
  els.panel.replaceChildren(el('h2', { id: 'history-heading', text: 'History' }), nameForm, status, list);

  const mayChange = () => role.editable;
  const showRoleUi = () => {
    nameForm.hidden = !mayChange();
  };
  role.onChange(showRoleUi);
  showRoleUi();

  async function act(work: () => Promise<void>, done: string): Promise<void> {
    status.textContent = 'Working…';
    try {
      await work();
      status.textContent = done;
      await refresh();
    } catch (error) {
      status.textContent = (error as Error).message;
    }
  }

  async function refresh(): Promise<void> {
    try {
      const versions = await listVersions(docId);
      list.replaceChildren(...versions.map(renderVersion));
      if (versions.length === 0) list.append(el('li', { className: 'muted', text: 'No versions yet: one is kept when editing pauses.' }));
    } catch (error) {
      status.textContent = (error as Error).message;
    }
  }

  function renderVersion(version: Version): HTMLElement {
    const authors = el('span', { className: 'history-authors' });
    for (const author of version.authors) {
      const who = el('span', { className: 'history-author', text: author.guest ? 'Guest' : author.name, dataset: { guest: String(author.guest) } });
      who.style.setProperty('--author-colour', author.colour);
      authors.append(who);
    }
    const when = new Date(version.createdAt);
    return el(
      'li',
      { className: 'history-item', dataset: { versionId: String(version.id), kind: version.kind } },
      el('time', { className: 'history-time', text: when.toLocaleString(), attrs: { datetime: when.toISOString() } }),
      version.name !== null ? el('strong', { className: 'history-name-label', text: version.name }) : el('span', { className: 'muted', text: KIND_LABELS[version.kind] }),
      authors,
      button('Open', () => void openVersion(version, 'own'), { className: 'history-open' }),
    );
  }

  async function openVersion(version: Version, mode: 'own' | 'current'): Promise<void> {
    closeView?.();
    closeView = null;
    const mount = el('div', { id: 'history-doc', className: 'history-doc-mount' });
    const caption = version.name ?? new Date(version.createdAt).toLocaleString();
    const heading = el('h2', { id: 'history-view-heading', text: mode === 'own' ? `Version: ${caption}` : `Changes since ${caption}` });
    const viewStatus = el('p', { id: 'history-view-status', className: 'muted', attrs: { role: 'status' }, text: 'Loading…' });
    const actions = el('div', { className: 'history-actions' });
    actions.append(
      mode === 'own'
        ? button('Compare with current', () => void openVersion(version, 'current'), { id: 'history-compare' })
        : button('Changes in this version', () => void openVersion(version, 'own'), { id: 'history-own' }),
    );
    if (mayChange()) {
      const rename = el('input', { id: 'history-rename-input', attrs: { type: 'text', maxlength: String(MAX_VERSION_NAME_CHARS), 'aria-label': 'Name of this version' } });
      rename.value = version.name ?? '';
      actions.append(
        rename,
        button('Save name', () => void act(async () => {
          const name = rename.value.trim();
          version = await renameVersion(docId, version.id, name === '' ? null : name);
        }, 'Saved the name.'), { id: 'history-rename' }),
      );
      const confirm = button('Yes, restore it', () => void act(async () => {
        viewStatus.textContent = 'Restoring…';
        await restoreVersion(docId, version.id);
        viewStatus.textContent = 'Restored: the document now has this version\u2019s content (the state before is kept as a version).';
      }, 'Restored.'), { id: 'history-restore-confirm', hidden: true, className: 'danger' });
      actions.append(button('Restore this version', () => {
        confirm.hidden = false;
        confirm.focus();
      }, { id: 'history-restore' }), confirm);
    }
    actions.append(button('Close', () => {
      closeView?.();
      closeView = null;
    }, { id: 'history-close' }));
    els.view.replaceChildren(heading, actions, viewStatus, mount);
    els.view.hidden = false;
    const destroy = { view: null as (() => void) | null };
    closeView = () => {
      destroy.view?.();
      els.view.hidden = true;
      els.view.replaceChildren();
    };
    try {
      const changes = await versionChanges(docId, mode === 'own' ? version.id : 'current', mode === 'own' ? undefined : version.id);
      destroy.view = showVersion(mount, changes.doc, changes.authors);
      const inserted = changes.changes.filter((c) => c.kind === 'insert').length;
      const deleted = changes.changes.length - inserted;
      viewStatus.textContent = `${inserted} insertion${inserted === 1 ? '' : 's'}, ${deleted} deletion${deleted === 1 ? '' : 's'}. Read only.`;
    } catch (error) {
      viewStatus.textContent = (error as Error).message;
    }
  }

  els.toggle.addEventListener('click', () => {
    open = !open;
    els.panel.hidden = !open;
    els.toggle.setAttribute('aria-expanded', String(open));
    els.onToggle?.(open);
    if (open) void refresh();
  });
  // Another window (of anyone) named a version or restored one: the open list is read again.
  live?.on('versions', (change) => {
    if (open && change.docId === docId) void refresh();
  });
  // Once /live is (re)connected, changes made meanwhile were not pushed: an open list is read again.
  live?.on('hello', () => {
    if (open) void refresh();
  });
}
