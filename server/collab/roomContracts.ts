import type { FastifyBaseLogger } from 'fastify';
import type { Metrics } from '../metrics.js';
import type { DocStore } from '../store/docStore.js';
import type { CommitQueue } from './commitQueue.js';
import type { Room } from './room.js';
import type { PresenceOwner } from './roomPresence.js';
import type { SharedFrame } from './sharedFrame.js';

// What a room is given and what it asks of its connections: the contracts between a Room
// (room.ts), its Connections (connection.ts) and the RoomRegistry that builds rooms.

/** A connection as a room sees it. */
export interface Peer extends PresenceOwner {
  /** Sends a frame if the connection is still open; a no-op otherwise. */
  send(frame: Uint8Array): void;
  /** Sends frames that other peers get too, in one write (same rules as send). */
  sendShared(frames: readonly SharedFrame[]): void;
  /** Closes the connection with a code and reason; safe to call twice. */
  close(code: number, reason: string): void;
  /** Numbers the peer's next update-bearing frame (1, 2, 3… per connection). */
  takeFrameNumber(): number;
  /** Records that the peer's update-bearing frame `frameNo` is committed (frames may finish out of order). */
  frameCommitted(frameNo: number): void;
  /** Sends the saved acknowledgement if the committed count moved and the peer asked for acks. */
  flushAck(): void;
  /** Tells the peer (if it asked for our messages) that storage is failing, or working again. */
  notifyStorage(failing: boolean): void;
  /** Whether the peer may change the document (its role is owner or editor); a viewer's updates are refused. */
  readonly mayEdit: boolean;
  /** Tells the peer a change of theirs was refused because they may only view (and logs it). */
  refuseEdit(): void;
  /** Refuses the peer for an error raised while handling one of its frames (a ProtocolError's code, else 1011). */
  fail(error: unknown): void;
}

export interface RoomLimits {
  /** How long an update may wait for changes it depends on before its connection is refused (4422). */
  pendingUpdateTimeoutMs: number;
  compactAfterUpdates: number;
  compactAfterBytes: number;
  /** Largest stored size of a document; an update that would pass it is refused. */
  maxDocBytes: number;
  /** Largest backlog of uncommitted bytes while storage fails; past it, updates are refused. */
  maxUnsavedBytes: number;
}

/** How a room reaches the other server processes (cluster mode); absent when this is the only one. */
export interface RoomCluster {
  publishUpdate(docId: string, seq: number, update: Uint8Array): void;
  publishAwareness(docId: string, update: Uint8Array): void;
  /** How often an open room reads what other processes stored, whatever the bus delivered. */
  repairIntervalMs: number;
}

export interface RoomDeps extends RoomLimits {
  cluster?: RoomCluster;
  queue: CommitQueue;
  store: DocStore;
  log: FastifyBaseLogger;
  metrics: Metrics;
  /** The last peer left. */
  onEmpty(room: Room): void;
}

