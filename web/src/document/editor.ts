import { EditorState } from 'prosemirror-state';
import { EditorView } from 'prosemirror-view';
import { ySyncPlugin, yCursorPlugin, yUndoPlugin } from 'y-prosemirror';
import { removeAwarenessStates } from 'y-protocols/awareness';
import type { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { canEdit, type Role } from '../../../shared/accounts.js';
import { exportPath, type DocDetails } from '../../../shared/api.js';
import { BODY_FRAGMENT, schema, TITLE_TEXT } from '../../../shared/schema.js';
import { MAX_TITLE_CHARS } from '../../../shared/text.js';
import { openCollab } from '../sync/collabConnection.js';
import { buildCursor, buildSelection } from './cursors.js';
import { bindDocChat } from './docChat.js';
import { commentHighlights } from './comments/commentHighlights.js';
import { bindComments, type CommentsPanel } from './comments/commentsPanel.js';
import { bindHistory } from './historyPanel.js';
import { bindRoleUi, DocRole, isAccessLoss, rememberRole } from './docRole.js';
import { caretAfterTyping } from './caretAfterTyping.js';
import { byId } from '../ui/dom.js';
import { askIdentity, colorFor, loadIdentity, suggestIdentity, type Identity } from './identity.js';
import { editorInputRules, editorKeymaps } from './keymap.js';
import { followMoves } from './followMoves.js';
import type { LiveClient } from '../live/liveClient.js';
import { startGuestLive } from '../live/pageLive.js';
import { openOfflineCopy, type OfflineCopy } from '../sync/offlineCopy.js';
import { bindPresence } from './presence.js';
import type { ReconnectHandle } from '../sync/reconnect.js';
import { SavedTracker } from '../sync/savedTracker.js';
import type { Session } from '../api/accountApi.js';
import { bindShareDialog } from './shareDialog.js';
import { bindStatus } from '../sync/statusLine.js';
import { bindTitle } from './title.js';
import { compositionHold } from './compositionHold.js';
import { composeOverSelection } from './composeOverSelection.js';
import { readInputFirst, readPendingInput } from './pendingInput.js';
import { createUndoManager } from './undoManager.js';
import { unsafeUrlCleanup } from './unsafeLinks.js';
import { toolbarPlugin } from './toolbar.js';
import { renderTopbar } from '../ui/topbar.js';
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
  /** My role as the server last said, and whether access was lost. */
  role: DocRole;
  /** The comments sidebar. */
  comments: CommentsPanel;
}

declare global {
  interface Window {
    tandem?: TandemHandle;
  }
}

/** What the page knows before the editor opens. */
export interface EditorContext {
  session: Session;
  live: LiveClient | null;
  /** GET /api/docs/:id, or null when the server could not be asked (offline). */
  details: DocDetails | null;
  /** The role to start with: details.myRole, or the last one seen here when offline. */
  role: Role;
}

const TEMPLATE = `
  <div class="doc-bar">
    <label class="visually-hidden" for="title">Document title</label>
    <input id="title" class="title-input" type="text" placeholder="Untitled" autocomplete="off" spellcheck="true" maxlength="${MAX_TITLE_CHARS}">
    <span id="role-badge" class="role-badge" title="Your role in this document"></span>
    <div class="status-line">
      <div class="status-text" role="status" aria-live="polite">
        <span id="status" data-state="connecting">Connecting…</span>
        <span id="status-detail" class="muted"></span>
      </div>
      <button type="button" id="retry" hidden>Retry</button>
    </div>
    <div class="doc-actions" role="group" aria-label="Document actions">
      <button type="button" id="share">Share</button>
      <button type="button" id="comment-button" title="Comment on the selected text (Ctrl+Alt+M)" aria-keyshortcuts="Control+Alt+M" disabled>Comment</button>
      <button type="button" id="chat-toggle" aria-expanded="false" aria-controls="chat-panel">Chat <span id="chat-unread" class="badge" hidden></span></button>
      <button type="button" id="history-toggle" aria-expanded="false" aria-controls="history-panel">History</button>
      <span id="chat-announce" class="visually-hidden" role="status" aria-live="polite"></span>
      <a id="export-md" class="button-link" download>Download Markdown</a>
      <a id="export-html" class="button-link" download>Download HTML</a>
    </div>
  </div>
  <p id="size-banner" class="banner" role="status" hidden></p>
  <p id="read-only-banner" class="banner" role="status" hidden>You can view this document; only editors can change it</p>
  <p id="access-banner" class="banner danger" role="alert" hidden></p>
  <div class="editor-layout">
    <div class="editor-column">
      <section id="history-view" class="history-view" aria-labelledby="history-view-heading" hidden></section>
      <div id="toolbar" class="toolbar" role="toolbar" aria-label="Formatting" aria-controls="editor"></div>
      <div id="editor" class="editor"></div>
    </div>
    <aside class="side">
      <section class="people" aria-labelledby="people-heading">
        <h2 id="people-heading">People here</h2>
        <ul id="presence" class="presence"></ul>
      </section>
      <section id="comments-panel" class="comments-panel" aria-labelledby="comments-heading"></section>
      <section id="history-panel" class="history-panel" aria-labelledby="history-heading" hidden></section>
      <section id="chat-panel" class="chat-panel" aria-labelledby="chat-heading" hidden>
        <h2 id="chat-heading">Chat</h2>
        <div id="chat-body"></div>
      </section>
    </aside>
  </div>`;

/**
 * The editor page for document `docId` (already validated and opened by docPage.ts): one Y.Doc
 * synced through y-websocket, a ProseMirror editor on its body fragment, the title input on its
 * title text, presence, the status line, the Share dialog and the chat panel. Editable only while
 * my role allows it: the role comes from the server and can change live. Lives until the page is left.
 */
export function renderEditor(root: HTMLElement, docId: string, context: EditorContext): void {
  const { session, live } = context;
  const me = session.user;
  root.replaceChildren(renderTopbar(session, live));
  const page = document.createElement('div');
  page.className = 'doc-page';
  page.innerHTML = TEMPLATE;
  root.append(page);
  const titleInput = byId<HTMLInputElement>(root, 'title');
  const mount = byId<HTMLElement>(root, 'editor');
  const role = new DocRole(context.role);
  showSizeWarning(byId<HTMLElement>(root, 'size-banner'), context.details);

  const doc = new Y.Doc();
  const tracker = new SavedTracker();
  // The offline copy exists before the provider connects; its load is not counted as new changes.
  const offline = openOfflineCopy(docId, doc);
  offline.track(tracker);
  // Set once the editor exists (below); frames can arrive before.
  let editorView: EditorView | null = null;
  const { provider, reconnect, progress } = openCollab(docId, doc, tracker, {
    offline,
    // A caret the browser moved (or text it typed) is read before someone else's change is drawn.
    beforeRemote: () => {
      if (editorView !== null) readPendingInput(editorView);
    },
    onRole: (next) => {
      rememberRole(docId, next);
      role.set(next);
    },
    // I can only view: the server refused a change of mine.
    onChangeRefused: () => {
      if (canEdit(role.role)) role.set('viewer');
      status.setChangesRefused(true);
    },
  });
  // Allowed to edit again: the server asks for what this window holds, refused changes included.
  role.onChange(() => {
    if (role.editable) status.setChangesRefused(false);
  });
  provider.on('closed', ({ code }) => {
    if (isAccessLoss(code)) role.lose(code);
  });
  live?.on('access', (change) => {
    if (change.docId !== docId) return;
    if (change.role === null) role.lose(4404);
    else role.set(change.role);
  });

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
    progress,
  );
  void offline.loaded.then(status.refresh);
  announceTyping(doc, provider.awareness, (origin) => origin !== provider && origin !== offline.origin);

  byId<HTMLAnchorElement>(root, 'export-md').href = exportPath(docId, 'md');
  byId<HTMLAnchorElement>(root, 'export-html').href = exportPath(docId, 'html');
  bindTitle(titleInput, doc.getText(TITLE_TEXT), (title) => {
    document.title = `${title.trim() === '' ? 'Untitled' : title.trim()} — Tandem`;
  });

  const body = doc.getXmlFragment(BODY_FRAGMENT);
  // The comments sidebar needs the view, and the view's highlights talk to the sidebar: bound late.
  let comments: CommentsPanel | null = null;
  // A caret move the browser made and ProseMirror has not read yet is read before a key or a redraw acts on the old one.
  const inputFirst = readInputFirst();
  const view: EditorView = new EditorView(mount, {
    state: EditorState.create({
      schema,
      plugins: [
        inputFirst.plugin,
        ySyncPlugin(body),
        // After ySyncPlugin: its view takes over the binding's observer.
        compositionHold((held) => tracker.setHeldLocally(held)),
        composeOverSelection(),
        yCursorPlugin(provider.awareness, { cursorBuilder: buildCursor, selectionBuilder: buildSelection }),
        yUndoPlugin({ undoManager: createUndoManager(body) }),
        unsafeUrlCleanup(() => role.editable),
        editorInputRules(),
        caretAfterTyping(),
        ...editorKeymaps(),
        toolbarPlugin(byId(root, 'toolbar'), () => !role.editable),
        commentHighlights(
          (threadId) => comments?.select(threadId),
          (ranges) => comments?.rangesChanged(ranges),
          () => comments?.selectionChanged(),
        ),
      ],
    }),
    dispatchTransaction: inputFirst.dispatchTransaction,
    editable: () => role.editable,
    attributes: {
      'aria-label': 'Document body',
      role: 'textbox',
      'aria-multiline': 'true',
      spellcheck: 'true',
    },
  });
  editorView = view;
  // My keystrokes and caret follow text someone else moves (a split, join or multi-paragraph paste).
  followMoves(view, body);
  bindRoleUi(
    role,
    {
      readOnlyBanner: byId(root, 'read-only-banner'),
      accessBanner: byId(root, 'access-banner'),
      titleInput,
      badge: byId(root, 'role-badge'),
    },
    () => {
      // setProps re-reads `editable` and updates the plugin views (the toolbar).
      view.setProps({});
      view.dom.setAttribute('aria-readonly', String(!role.editable));
    },
  );

  const identity = bindIdentity(provider, doc, view, me);
  bindPresence(provider.awareness, byId(root, 'presence'), identity.ask, me === null);

  // A visitor follows this document's comments on a guest /live of its own (they comment as a guest).
  comments = bindComments(
    { panel: byId(root, 'comments-panel'), commentButton: byId<HTMLButtonElement>(root, 'comment-button') },
    { docId, me, guestName: identity.guestName, role, live: live ?? startGuestLive(docId), synced: () => provider.synced },
    () => view,
  );

  const layout = root.querySelector('.editor-layout') as HTMLElement;
  bindShareDialog(byId<HTMLButtonElement>(root, 'share'), docId, me, role);
  bindDocChat(
    {
      toggle: byId<HTMLButtonElement>(root, 'chat-toggle'),
      unread: byId(root, 'chat-unread'),
      announce: byId(root, 'chat-announce'),
      panel: byId(root, 'chat-panel'),
      body: byId(root, 'chat-body'),
      onToggle: (open) => layout.classList.toggle('chat-open', open),
    },
    docId,
    me,
    live,
    role,
  );

  bindHistory(
    {
      toggle: byId<HTMLButtonElement>(root, 'history-toggle'),
      panel: byId(root, 'history-panel'),
      view: byId(root, 'history-view'),
      onToggle: (open) => layout.classList.toggle('history-open', open),
    },
    docId,
    role,
    live,
  );

  // Without an offline copy, changes not yet acknowledged live only in this tab: ask before it is
  // closed. With one, they are in IndexedDB and sync on the next visit.
  window.addEventListener('beforeunload', (event) => {
    if (tracker.pendingChanges > 0 && !offline.available) event.preventDefault();
  });

  window.tandem = { doc, provider, view, tracker, reconnect, offline, role, comments };
}

/**
 * How I appear to others (awareness `user`): a signed-in person under their account name (the
 * server enforces it) in a colour of their choosing (by default one derived from their id);
 * a visitor under a display name asked once and kept in this browser (the server marks them a guest).
 */
function bindIdentity(
  provider: WebsocketProvider,
  doc: Y.Doc,
  view: EditorView,
  me: Session['user'],
): { ask: () => void; guestName: () => string | null } {
  let identity: Identity | null = null;
  let asking = false;
  const use = (chosen: Identity): void => {
    identity = chosen;
    // Exactly what the server stamps (account id, or the guest mark), so it relays every cursor move
    // as sent instead of re-encoding it.
    const who = me === null ? { guest: true } : { userId: me.id };
    provider.awareness.setLocalStateField('user', { name: chosen.name, color: chosen.color, ...who });
  };
  const ask = (): void => {
    if (asking) return;
    asking = true;
    const initial = identity ?? (me === null ? suggestIdentity() : { name: me.name, color: colorFor(me.id) });
    void askIdentity(initial, { fixedName: me !== null }).then((chosen) => {
      asking = false;
      use(me === null ? chosen : { name: me.name, color: chosen.color });
      view.focus();
    });
  };
  const stored = loadIdentity();
  if (me !== null) {
    use({ name: me.name, color: stored?.color ?? colorFor(me.id) });
  } else if (stored === null) {
    ask();
  } else {
    use(stored);
  }
  // Tell others at once that we left, rather than after the 30 s awareness timeout; restore our
  // presence if the page comes back from the back/forward cache.
  window.addEventListener('pagehide', () => {
    removeAwarenessStates(provider.awareness, [doc.clientID], 'page hidden');
  });
  window.addEventListener('pageshow', (event) => {
    if (event.persisted && identity !== null) use(identity);
  });
  // A visitor's comments carry the name they chose here (null when signed in: the account's name is used).
  return { ask, guestName: () => (me === null ? (identity?.name ?? null) : null) };
}

/** Tells the owner of a document close to the size limit how large it is (the server says when: sizeLimitBytes). */
function showSizeWarning(banner: HTMLElement, details: DocDetails | null): void {
  if (!details || details.sizeLimitBytes === null) return;
  const mb = (bytes: number) => `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
  banner.textContent = `This document is large: ${mb(details.storedBytes)} of the ${mb(details.sizeLimitBytes)} a document may hold. Changes past that are refused; consider splitting it.`;
  banner.hidden = false;
}
