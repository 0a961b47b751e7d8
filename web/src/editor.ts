import { EditorState } from 'prosemirror-state';
import { EditorView } from 'prosemirror-view';
import { ySyncPlugin, yCursorPlugin, yUndoPlugin } from 'y-prosemirror';
import { removeAwarenessStates } from 'y-protocols/awareness';
import type { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { exportPath } from '../../shared/api.js';
import { BODY_FRAGMENT, schema, TITLE_TEXT } from '../../shared/schema.js';
import { openCollab } from './connection.js';
import { buildCursor, buildSelection } from './cursors.js';
import { askIdentity, loadIdentity, suggestIdentity, type Identity } from './identity.js';
import { editorInputRules, editorKeymaps } from './keymap.js';
import { openOfflineCopy, type OfflineCopy } from './offline.js';
import { bindPresence } from './presence.js';
import type { ReconnectHandle } from './reconnect.js';
import { SavedTracker } from './savedTracker.js';
import { bindShare } from './share.js';
import { bindStatus } from './status.js';
import { bindTitle } from './title.js';
import { toolbarPlugin } from './toolbar.js';
import { announceTyping } from './typing.js';

/** What the editor page exposes as `window.tandem` for browser tests and debugging. */
export interface TandemHandle {
  doc: Y.Doc;
  provider: WebsocketProvider;
  view: EditorView;
  tracker: SavedTracker;
  /** The jittered reconnect schedule (attempt, scheduledDelayMs, history; cancel, connectNow). */
  reconnect: ReconnectHandle;
  /** This browser's IndexedDB copy of the document (available, loaded). */
  offline: OfflineCopy;
}

declare global {
  interface Window {
    tandem?: TandemHandle;
  }
}

const TEMPLATE = `
  <header class="topbar">
    <a class="brand" href="/" title="All documents">Tandem</a>
    <label class="visually-hidden" for="title">Document title</label>
    <input id="title" class="title-input" type="text" placeholder="Untitled" autocomplete="off" spellcheck="true">
    <div class="status-line">
      <div class="status-text" role="status" aria-live="polite">
        <span id="status" data-state="connecting">Connecting…</span>
        <span id="status-detail" class="muted"></span>
      </div>
      <button type="button" id="retry" hidden>Retry</button>
    </div>
    <div class="doc-actions" role="group" aria-label="Share and download">
      <button type="button" id="share" aria-describedby="share-status">Share</button>
      <a id="export-md" class="button-link" download>Download Markdown</a>
      <a id="export-html" class="button-link" download>Download HTML</a>
      <span id="share-status" class="share-status" role="status" aria-live="polite"></span>
      <input id="share-url" class="share-url" type="text" readonly hidden aria-label="Link to this document">
    </div>
  </header>
  <div class="editor-layout">
    <div class="editor-column">
      <div id="toolbar" class="toolbar" role="toolbar" aria-label="Formatting" aria-controls="editor"></div>
      <div id="editor" class="editor"></div>
    </div>
    <aside class="people" aria-labelledby="people-heading">
      <h2 id="people-heading">People here</h2>
      <ul id="presence" class="presence"></ul>
    </aside>
  </div>`;

function byId<T extends HTMLElement>(root: ParentNode, id: string): T {
  const element = root.querySelector(`#${id}`);
  if (element === null) throw new Error(`editor page template has no #${id}`);
  return element as T;
}

/**
 * The editor page for document `docId` (already validated): one Y.Doc synced through y-websocket,
 * a ProseMirror editor on its body fragment, the title input on its title text, presence, and the
 * status line. Lives until the page is left.
 */
export function renderEditor(root: HTMLElement, docId: string): void {
  root.innerHTML = TEMPLATE;
  const titleInput = byId<HTMLInputElement>(root, 'title');
  const mount = byId<HTMLElement>(root, 'editor');

  const doc = new Y.Doc();
  const tracker = new SavedTracker();
  // The offline copy exists before the provider connects; its load is not counted as new changes.
  const offline = openOfflineCopy(docId, doc);
  offline.track(tracker);
  const { provider, reconnect } = openCollab(docId, doc, tracker, { offline });
  const status = bindStatus(
    provider,
    tracker,
    {
      status: byId(root, 'status'),
      detail: byId(root, 'status-detail'),
      retry: byId<HTMLButtonElement>(root, 'retry'),
    },
    () => offline.available,
    () => reconnect.connectNow(),
  );
  void offline.loaded.then(status.refresh);
  announceTyping(doc, provider.awareness, (origin) => origin !== provider && origin !== offline.origin);

  byId<HTMLAnchorElement>(root, 'export-md').href = exportPath(docId, 'md');
  byId<HTMLAnchorElement>(root, 'export-html').href = exportPath(docId, 'html');
  bindShare(
    {
      button: byId<HTMLButtonElement>(root, 'share'),
      status: byId(root, 'share-status'),
      urlInput: byId<HTMLInputElement>(root, 'share-url'),
    },
    `${location.origin}/d/${encodeURIComponent(docId)}`,
  );
  bindTitle(titleInput, doc.getText(TITLE_TEXT), (title) => {
    document.title = `${title.trim() === '' ? 'Untitled' : title.trim()} — Tandem`;
  });

  const view = new EditorView(mount, {
    state: EditorState.create({
      schema,
      plugins: [
        ySyncPlugin(doc.getXmlFragment(BODY_FRAGMENT)),
        yCursorPlugin(provider.awareness, { cursorBuilder: buildCursor, selectionBuilder: buildSelection }),
        yUndoPlugin(),
        editorInputRules(),
        ...editorKeymaps(),
        toolbarPlugin(byId(root, 'toolbar')),
      ],
    }),
    attributes: {
      'aria-label': 'Document body',
      role: 'textbox',
      'aria-multiline': 'true',
      spellcheck: 'true',
    },
  });

  let identity: Identity | null = loadIdentity();
  let asking = false;
  const useIdentity = (chosen: Identity): void => {
    identity = chosen;
    provider.awareness.setLocalStateField('user', { name: chosen.name, color: chosen.color });
  };
  const ask = (): void => {
    if (asking) return;
    asking = true;
    void askIdentity(identity ?? suggestIdentity()).then((chosen) => {
      asking = false;
      useIdentity(chosen);
      view.focus();
    });
  };
  if (identity === null) ask();
  else useIdentity(identity);
  bindPresence(provider.awareness, byId(root, 'presence'), ask);

  // Tell others at once that we left, rather than after the 30 s awareness timeout; restore our
  // presence if the page comes back from the back/forward cache.
  window.addEventListener('pagehide', () => {
    removeAwarenessStates(provider.awareness, [doc.clientID], 'page hidden');
  });
  window.addEventListener('pageshow', (event) => {
    if (event.persisted && identity !== null) useIdentity(identity);
  });
  // Without an offline copy, changes not yet acknowledged live only in this tab: ask before it is
  // closed. With one, they are in IndexedDB and sync on the next visit.
  window.addEventListener('beforeunload', (event) => {
    if (tracker.pendingChanges > 0 && !offline.available) event.preventDefault();
  });

  window.tandem = { doc, provider, view, tracker, reconnect, offline };
}
