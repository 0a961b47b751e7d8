import type { FastifyBaseLogger } from 'fastify';
import type { Metrics } from '../metrics.js';
import type { DocStore } from '../store/docStore.js';
import type { CommitQueue } from './commitQueue.js';
import type { PresenceOwner } from './roomPresence.js';
import type { SharedBatch } from './sharedFrame.js';

// What a room is given and what it asks of its connections: the contracts between a Room
// (room.ts), its Connections (connection.ts) and the RoomRegistry that builds rooms.

/**
 * A connection as a room sees it: a transport and a role, nothing more. What the room keeps about a
 * peer (its saved-ack count, its held updates, its presence) the room owns; see AckLedger.
 */
export interface Peer extends PresenceOwner {
  /** Sends a frame if the connection is still open; a no-op otherwise. */
  send(frame: Uint8Array): void;
  /**
   * Sends a frame and calls `done` once it has left for the client (written to the socket), or with
   * an error if it cannot (the connection closed). Paces what is streamed to one client.
   */
  sendThen(frame: Uint8Array, done: (error?: Error) => void): void;
  /** Whether the connection is closed (nothing more reaches it). */
  readonly isClosed: boolean;
  /** Sends frames that other peers get too, in one write (same rules as send). */
  sendShared(batch: SharedBatch): void;
  /** Closes the connection with a code and reason; safe to call twice. */
  close(code: number, reason: string): void;
  /** Refuses the peer for an error raised while handling one of its frames (a ProtocolError's code, else 1011). */
  fail(error: unknown): void;
  /**
   * Whether the client asked for our own messages (`?ack=1`): saved acks [100] and storage status
   * [101]. Stock clients never get them.
   */
  readonly ownMessages: boolean;
  /** Whether the peer may change the document (its role is owner or editor); a viewer's updates are refused. */
  readonly mayEdit: boolean;
  /** Tells the peer a change of theirs was refused because they may only view (and logs it). */
  refuseEdit(): void;
  /** Who the server says sends this peer's updates (server/history/historyAuthors.ts); absent: not known. */
  readonly author?: string;
  /**
   * Optional: the peer's first `count` update-bearing frames are committed (called whenever the count
   * moves, whether or not the peer asked for saved acks).
   */
  committedThrough?(count: number): void;
}

/** A room as its connections see it (Room implements it; unit tests give connections a fake). */
export interface RoomOfPeer {
  /** Adds the peer and starts its sync. */
  join(peer: Peer): void;
  /** Handles one frame; throws ProtocolError when the frame must be refused. */
  receive(peer: Peer, frame: Uint8Array): void;
  /** Removes the peer (and its presence); safe to call twice. */
  leave(peer: Peer): void;
  /** The peer's client is away (its HTTP session has nothing attached): its presence goes, the peer stays. */
  away(peer: Peer): void;
  /** Asks the peer for what it holds that the document lacks (a viewer became an editor). */
  askForMissing(peer: Peer): void;
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

/** What makes a big document's snapshot off the event loop (DocWorkers, server/bigdocs/docWorkers.ts). */
export interface SnapshotMaker {
  /** The state `parts` make (applied in order) as segments of at most `maxSegmentBytes`. */
  snapshot(parts: readonly Uint8Array[], maxSegmentBytes: number): Promise<Uint8Array[]>;
}

/** Where a room's big-document work runs. */
export interface RoomWorkers {
  /** The worker pool, or null: everything on the event loop (unit tests). */
  workers?: SnapshotMaker | null;
  /** A document whose state is at least this large is compacted by `workers`. */
  workerAboveBytes?: number;
}

/** What a room is built with; `TRoom` is the room itself (Room), named here without importing it. */
export interface RoomDeps<TRoom = unknown> extends RoomLimits, RoomWorkers {
  cluster?: RoomCluster;
  queue: CommitQueue;
  store: DocStore;
  log: FastifyBaseLogger;
  metrics: Metrics;
  /** The last peer left. */
  onEmpty(room: TRoom): void;
  /** This process committed updates of the document (history's automatic versions watch this). */
  onStored?(docId: string): void;
}

