import type * as Y from 'yjs';
import type { WebsocketProvider } from 'y-websocket';
import type { SavedTracker } from './savedTracker.js';

/**
 * Connects a SavedTracker to a Y.Doc and a y-websocket WebsocketProvider without modifying the
 * provider: a doc listener counts local changes and a WebSocket subclass reports what is sent. The
 * server's acknowledgements reach the tracker through serverMessages.ts (openCollab wires both).
 *
 * Order matters, and openCollab() in collabConnection.ts keeps it: the doc listener must be registered
 * before the provider is constructed, so that when the provider's own update listener sends a
 * sync update, the tracker has already counted the change that frame carries.
 */

/** The constructor shape WebsocketProvider accepts as `WebSocketPolyfill`. */
export type WebSocketClass = typeof WebSocket;

/**
 * Returns a WebSocket subclass that reports every frame it sends to `tracker`, keyed by the
 * socket instance. `Base` defaults to the browser's WebSocket; tests pass a fake one.
 */
export function createTrackingWebSocket(
  tracker: SavedTracker,
  Base: WebSocketClass = WebSocket,
): WebSocketClass {
  return class TrackingWebSocket extends Base {
    override send(data: string | ArrayBufferLike | Blob | ArrayBufferView): void {
      super.send(data);
      // Recorded after a successful send: a send that throws (socket not open) carried nothing.
      const frame = asBytes(data);
      if (frame !== null) tracker.onFrameSent(this, frame);
    }
  };
}

/**
 * Where the doc's offline copy comes from, for countLocalChanges: the transaction origin of updates
 * loaded from it (the IndexeddbPersistence), and how many unsynced local changes it held.
 */
export interface OfflineRestore {
  readonly origin: unknown;
  /** The unsynced change count of the earlier visit, the first time; 0 after that. */
  takePending(): number;
}

/**
 * Counts local changes of `doc`: every update whose origin is not the provider returned by
 * `getProvider()` (the provider applies remote updates with itself as origin) nor the offline copy
 * (`restore.origin`). An update loaded from the offline copy is not a new change: the first one
 * restores the earlier visit's unsynced count into the tracker (restorePending), later ones count
 * nothing. Call this BEFORE constructing the provider; `getProvider` may return null until then.
 * Returns an unsubscribe.
 */
export function countLocalChanges(
  doc: Y.Doc,
  tracker: SavedTracker,
  getProvider: () => WebsocketProvider | null,
  restore: OfflineRestore | null = null,
): () => void {
  const onUpdate = (_update: Uint8Array, origin: unknown): void => {
    const provider = getProvider();
    if (provider !== null && origin === provider) return;
    if (restore !== null && origin === restore.origin) tracker.restorePending(restore.takePending());
    else tracker.onLocalChange();
  };
  doc.on('update', onUpdate);
  return () => doc.off('update', onUpdate);
}

/** A view of `data` as bytes, or null for strings and Blobs (never update-bearing here). */
function asBytes(data: string | ArrayBufferLike | Blob | ArrayBufferView): Uint8Array | null {
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return null;
}
