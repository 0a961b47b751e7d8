import type * as Y from 'yjs';
import type { Role } from '../../../shared/accounts.js';
import { WebsocketProvider } from 'y-websocket';
import { ACK_QUERY_PARAM, COLLAB_PATH } from '../../../shared/protocol.js';
import { reconnectDelayMs, reconnectPolitely, type ReconnectHandle } from './reconnect.js';
import type { SavedTracker } from './savedTracker.js';
import { countLocalChanges, createTrackingWebSocket, type OfflineRestore, type WebSocketClass } from './savedWiring.js';
import { handleServerMessages } from './serverMessages.js';
import { LoadProgress } from './loadProgress.js';
import { pageTransport } from './pageTransport.js';

export { isTerminalClose } from './reconnect.js';

/** What the page listens to, and overrides for tests (the page uses the defaults). */
export interface CollabOptions {
  /** `[102, role]`: my role, on join and on every change. Default: ignored. */
  onRole?: (role: Role) => void;
  /** `[2, 0, reason]`: the server refused a change of mine. Default: ignored. */
  onChangeRefused?: (reason: string) => void;
  /** Default: `${ws|wss}://<this page's host>/collab`. */
  serverUrl?: string;
  /** The socket class to extend with frame tracking. Default: the page's fallback socket (a WebSocket, else HTTP). */
  WebSocketBase?: WebSocketClass;
  /** The doc's offline copy (IndexedDB), whose loads are not new local changes. Default: none. */
  offline?: OfflineRestore | null;
  /** Delay before reconnect attempt n after a server close. Default: reconnectDelayMs (jittered). */
  reconnectDelay?: (attempt: number) => number;
  /** Before a sync or awareness frame is applied (the editor reads pending input). Default: nothing. */
  beforeRemote?: () => void;
}

/** The collaboration connection of one document. */
export interface Collab {
  provider: WebsocketProvider;
  reconnect: ReconnectHandle;
  /** How far a big document's first sync is ("Loading document… 43 %"). */
  progress: LoadProgress;
}

/**
 * Opens the collaboration connection for `docId`: a stock y-websocket WebsocketProvider on
 * `<serverUrl>/<docId>?ack=1`, wired to `tracker` so "Saved" can be told (see savedWiring.ts), with
 * the server's own messages handled by serverMessages.ts.
 * The provider is connecting when this returns. After a server close it does not reconnect on its
 * own: reconnect.ts does, after a jittered delay, unless the close was a refusal (isTerminalClose).
 */
export function openCollab(docId: string, doc: Y.Doc, tracker: SavedTracker, options: CollabOptions = {}): Collab {
  let provider: WebsocketProvider | null = null;
  // Registered before the provider exists, so it runs before the provider's own update listener.
  countLocalChanges(doc, tracker, () => provider, options.offline ?? null);
  provider = new WebsocketProvider(options.serverUrl ?? defaultServerUrl(), docId, doc, {
    connect: false,
    params: { [ACK_QUERY_PARAM]: '1' },
    WebSocketPolyfill: createTrackingWebSocket(tracker, options.WebSocketBase ?? pageTransport().socketClass()),
    // Windows of one browser profile sync through the server only, never y-websocket's
    // BroadcastChannel: over it a window receives another window's presence before the server does
    // and echoes it to the server as its own (y-websocket resends every awareness change), which the
    // server refuses (4403, "another connection's presence"); and its changes reach the other window
    // first, whose next change then depends on updates the server never received (4422).
    disableBc: true,
    // Every server close stops the provider ('closed'); reconnectPolitely decides what comes next.
    shouldReconnect: () => false,
  });
  const progress = new LoadProgress();
  provider.on('sync', (synced) => {
    if (synced) progress.reset();
  });
  provider.on('connection-close', () => progress.reset());
  handleServerMessages(provider, {
    loading: (bytes) => progress.start(bytes),
    syncFrame: (bytes) => progress.add(bytes),
    saved: (socket, committedFrames) => tracker.onAck(socket, committedFrames),
    storageFailing: (failing) => tracker.setServerStorageFailing(failing),
    role: options.onRole ?? (() => {}),
    changeRefused: options.onChangeRefused ?? (() => {}),
    beforeRemote: options.beforeRemote ?? (() => {}),
  });
  const reconnect = reconnectPolitely(provider, options.reconnectDelay ?? reconnectDelayMs);
  provider.connect();
  return { provider, reconnect, progress };
}

function defaultServerUrl(): string {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${location.host}${COLLAB_PATH}`;
}
