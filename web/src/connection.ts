import type * as Y from 'yjs';
import { WebsocketProvider } from 'y-websocket';
import { CloseCode, isPermanentRefusal } from '../../shared/closeCodes.js';
import { ACK_QUERY_PARAM, COLLAB_PATH } from '../../shared/protocol.js';
import type { SavedTracker } from './savedTracker.js';
import {
  countLocalChanges,
  createTrackingWebSocket,
  handleSavedAcks,
  type WebSocketClass,
} from './savedWiring.js';

/** Longest wait between reconnect attempts. */
const MAX_BACKOFF_MS = 5000;

/** Overrides for tests; the page uses the defaults. */
export interface CollabOptions {
  /** Default: `${ws|wss}://<this page's host>/collab`. */
  serverUrl?: string;
  /** The socket class to extend with frame tracking. Default: the browser's WebSocket. */
  WebSocketBase?: WebSocketClass;
  /** Default false: tabs of the same document also sync through a BroadcastChannel. */
  disableBc?: boolean;
}

/**
 * Opens the collaboration connection for `docId`: a stock y-websocket WebsocketProvider on
 * `<serverUrl>/<docId>?ack=1`, wired to `tracker` so "Saved" can be told (see savedWiring.ts).
 * The provider is connecting when this returns, and reconnects by itself after transient closes.
 */
export function openCollab(
  docId: string,
  doc: Y.Doc,
  tracker: SavedTracker,
  options: CollabOptions = {},
): WebsocketProvider {
  let provider: WebsocketProvider | null = null;
  // Registered before the provider exists, so it runs before the provider's own update listener.
  countLocalChanges(doc, tracker, () => provider);
  provider = new WebsocketProvider(options.serverUrl ?? defaultServerUrl(), docId, doc, {
    connect: false,
    params: { [ACK_QUERY_PARAM]: '1' },
    WebSocketPolyfill: createTrackingWebSocket(tracker, options.WebSocketBase),
    maxBackoffTime: MAX_BACKOFF_MS,
    disableBc: options.disableBc ?? false,
    shouldReconnect: (event) => !isTerminalClose(event.code),
  });
  handleSavedAcks(provider, tracker);
  provider.connect();
  return provider;
}

function defaultServerUrl(): string {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${location.host}${COLLAB_PATH}`;
}

/**
 * Whether a close code means reconnecting cannot help, so the provider should stop and the user
 * see why (with a Retry button). Beyond the 44xx refusals, this includes 1008 (the server refuses
 * this document address) and 1009 (a change too large: every reconnect would resend it in the
 * step2 and be closed again) and 1003 (we sent something the server never accepts).
 */
export function isTerminalClose(code: number): boolean {
  return (
    isPermanentRefusal(code) ||
    code === CloseCode.policy ||
    code === CloseCode.tooBig ||
    code === CloseCode.unsupportedData
  );
}
