/**
 * The wire protocol of /collab/<docId>, defined once for server and web.
 *
 * Frames are binary. The first varUint of a frame is its message type. Types 0–3 are the standard
 * y-websocket protocol, so any stock Yjs client can connect; types of our own start at 100 and are
 * only ever sent to a client that asked for them (see ACK_QUERY_PARAM). Encoders and decoders of the
 * frames are in codec.ts.
 */

/** Message types: the first varUint of every frame. */
export const MessageType = {
  /** y-protocols sync: step1, step2 or update (see SyncStep). */
  sync: 0,
  /** y-protocols awareness update (cursors, names, presence). */
  awareness: 1,
  /** permission denied + reason (server → client only): sent when a viewer's change is refused. */
  auth: 2,
  /** "send me every awareness state you have". */
  queryAwareness: 3,
  /** Our own: "the first N update-bearing frames you sent on this connection are committed". */
  saved: 100,
  /** Our own: "storage is refusing writes; yours are kept and retried" (1) or "storing again" (0). */
  storageStatus: 101,
  /** Our own: "your role on this document is now R" (0 viewer, 1 editor, 2 owner); sent on join and on every change. */
  access: 102,
  /**
   * Our own: "the document follows in segments, N bytes of sync frames in all, then a sync step 2"
   * (a big document's join; the web app shows how far it is).
   */
  loadProgress: 103,
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

/** Sync sub-types: the second varUint of a sync frame (as y-protocols/sync numbers them). */
export const SyncStep = {
  /** carries the sender's state vector; the answer is a step2. */
  step1: 0,
  /** carries the update the receiver lacks, relative to the state vector it sent. */
  step2: 1,
  /** carries one incremental update. */
  update: 2,
} as const;
export type SyncStep = (typeof SyncStep)[keyof typeof SyncStep];

/**
 * Query parameter a client sets (`?ack=1`) to receive our own messages (saved, storageStatus).
 * Stock clients never set it, so they never see a message type they do not know.
 */
export const ACK_QUERY_PARAM = 'ack';

/**
 * A big document's state reaches a joining client as sync updates of at most this many bytes each
 * (each a valid Yjs update, applied as it arrives), then a small sync step 2: the socket is never
 * silent long enough for y-websocket's 30 s message timeout (y-websocket#203).
 */
export const MAX_SEGMENT_BYTES = 1024 * 1024;

/** URL path prefix of the collaboration WebSocket: `${COLLAB_PATH}/<docId>`. */
export const COLLAB_PATH = '/collab';
