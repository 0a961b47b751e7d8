import type { FastifyBaseLogger } from 'fastify';
import * as awarenessProtocol from 'y-protocols/awareness';
import * as Y from 'yjs';
import { CloseCode } from '../../shared/closeCodes.js';
import { MAX_LISTED_TITLE_CHARS, TITLE_TEXT } from '../../shared/schema.js';
import { ProtocolError } from '../protocolError.js';
import type { DocStore, StoredDoc } from '../store/docStore.js';
import { type AwarenessEntry, parseAwarenessUpdate } from './awarenessUpdate.js';
import { parseClientFrame } from './clientFrame.js';
import type { CommitListener, CommitQueue, PendingWrite } from './commitQueue.js';
import { encodeAwarenessFrame, encodeSyncStep1, encodeSyncStep2, encodeSyncUpdate } from './frames.js';

/** A connection as a room sees it. */
export interface Peer {
  /** Sends a frame if the connection is still open; a no-op otherwise. */
  send(frame: Uint8Array): void;
  /** Closes the connection with a code and reason; safe to call twice. */
  close(code: number, reason: string): void;
  /** Counts one more of this peer's update-bearing frames as committed. */
  frameCommitted(): void;
  /** Sends the saved acknowledgement if the committed count moved and the peer asked for acks. */
  flushAck(): void;
  /** Awareness client ids this peer speaks for. */
  readonly awarenessIds: Set<number>;
}

export interface RoomDeps {
  queue: CommitQueue;
  store: DocStore;
  log: FastifyBaseLogger;
  compactAfterUpdates: number;
  compactAfterBytes: number;
  /** The last peer left. */
  onEmpty(room: Room): void;
  /** A commit failed: the room has closed its peers and must be dropped without saving. */
  onFailed(room: Room): void;
}

/** Who sent a queued write: they get the ack, everyone else the relay. Null for the server's own. */
interface WriteContext {
  from: Peer | null;
}

/** The stored document could not be turned into a Y.Doc; nothing may be served in its place. */
export class LoadError extends Error {
  override name = 'LoadError';
}

/**
 * One open document: its Y.Doc, its awareness and its peers. Every update a peer sends is applied
 * to the doc at once (to validate it), queued for the group commit, and relayed and acknowledged
 * only after the commit. Anything that reveals the doc's state to a peer (sync step1/step2) waits
 * until no update is uncommitted, so no peer ever sees what is not on disk.
 */
export class Room implements CommitListener {
  readonly doc = new Y.Doc();
  readonly awareness = new awarenessProtocol.Awareness(this.doc);
  readonly peers = new Set<Peer>();
  private readonly awarenessOwners = new Map<number, Peer>();
  private lastSeq: number;
  private updatesSinceSnapshot: number;
  private bytesSinceSnapshot = 0;
  private uncommitted = 0;
  private settledWaiters: Array<() => void> = [];
  private ackDue = new Set<Peer>();
  private titleDirty = false;
  private compaction: Promise<void> | null = null;
  /** While a peer's update is applied: the updates Yjs emits for it. */
  private collecting: Uint8Array[] | null = null;
  private state: 'open' | 'failed' | 'destroyed' = 'open';

  /**
   * Builds a room from what the store holds. Throws LoadError if a stored update cannot be applied
   * or leaves missing dependencies: the document is then refused, never replaced by an empty one.
   */
  constructor(
    readonly docId: string,
    stored: StoredDoc,
    private readonly deps: RoomDeps,
  ) {
    this.awareness.setLocalState(null);
    try {
      Y.transact(this.doc, () => {
        for (const update of stored.updates) Y.applyUpdate(this.doc, update);
      });
    } catch (error) {
      this.destroy();
      throw new LoadError(`stored update of ${docId} cannot be applied: ${(error as Error).message}`);
    }
    if (this.doc.store.pendingStructs || this.doc.store.pendingDs) {
      this.destroy();
      throw new LoadError(`stored updates of ${docId} have missing dependencies`);
    }
    this.lastSeq = stored.lastSeq;
    // More than one stored row means the log has grown past its snapshot.
    this.updatesSinceSnapshot = Math.max(0, stored.updates.length - 1);
    this.doc.on('update', (update: Uint8Array) => {
      this.collecting?.push(update);
    });
    this.doc.getText(TITLE_TEXT).observe(() => {
      this.titleDirty = true;
    });
  }

  get accepting(): boolean {
    return this.state === 'open';
  }

  /** Current title, as typed (possibly empty). */
  get title(): string {
    return this.doc.getText(TITLE_TEXT).toString();
  }

  /** Adds a peer and starts the sync: our step1 once settled, and everyone's presence. */
  join(peer: Peer): void {
    this.peers.add(peer);
    this.whenSettled(() => peer.send(encodeSyncStep1(Y.encodeStateVector(this.doc))));
    if (this.awareness.getStates().size > 0) peer.send(this.awarenessFrame([...this.awareness.getStates().keys()]));
  }

  /** Removes a peer and its presence (broadcast to the rest). Safe to call twice. */
  leave(peer: Peer): void {
    if (!this.peers.delete(peer)) return;
    this.ackDue.delete(peer);
    const owned = [...peer.awarenessIds].filter((id) => this.awarenessOwners.get(id) === peer);
    for (const id of owned) this.awarenessOwners.delete(id);
    // Only ids the awareness knows (an update it ignored as outdated left no entry to remove).
    const known = owned.filter((id) => this.awareness.meta.has(id));
    if (known.length > 0 && this.state !== 'destroyed') {
      awarenessProtocol.removeAwarenessStates(this.awareness, known, peer);
      this.broadcast(this.awarenessFrame(known), null);
    }
    if (this.peers.size === 0) this.deps.onEmpty(this);
  }

  /** Handles one frame from a peer. Throws ProtocolError when the frame must be refused. */
  receive(peer: Peer, frame: Uint8Array): void {
    if (this.state !== 'open') return;
    const message = parseClientFrame(frame);
    switch (message.kind) {
      case 'syncStep1': {
        const stateVector = message.stateVector;
        try {
          Y.decodeStateVector(stateVector);
        } catch {
          throw new ProtocolError(CloseCode.badMessage, 'malformed state vector in sync step1');
        }
        this.whenSettled(() => peer.send(encodeSyncStep2(Y.encodeStateAsUpdate(this.doc, stateVector))));
        return;
      }
      case 'syncUpdate':
      case 'syncStep2':
        return this.receiveUpdate(peer, message.update);
      case 'awareness':
        return this.receiveAwareness(peer, message.update, frame);
      case 'queryAwareness': {
        const ids = [...this.awareness.getStates().keys()];
        if (ids.length > 0) peer.send(this.awarenessFrame(ids));
        return;
      }
    }
  }

  private receiveUpdate(peer: Peer, update: Uint8Array): void {
    // Collect what Yjs reports as changed while applying: the peer's transaction, plus any
    // transaction Yjs runs after it (formatting clean-up after a remote change to formatted text).
    // That, not the raw frame, is what is stored and relayed: it holds exactly what entered the doc.
    const collected: Uint8Array[] = [];
    this.collecting = collected;
    let failure: unknown = null;
    try {
      Y.applyUpdate(this.doc, update, peer);
    } catch (error) {
      failure = error;
    } finally {
      this.collecting = null;
    }
    const pending = this.doc.store.pendingStructs !== null || this.doc.store.pendingDs !== null;
    // Drop what Yjs parked so it is never stored or served; keep (and store) what it did integrate.
    if (pending) {
      this.doc.store.pendingStructs = null;
      this.doc.store.pendingDs = null;
    }
    const effective = collected.length <= 1 ? (collected[0] ?? null) : Y.mergeUpdates(collected);
    if (failure !== null || pending) {
      if (effective) this.queueWrite(null, effective);
      throw new ProtocolError(
        CloseCode.updateRejected,
        failure !== null ? 'update could not be applied' : 'update depends on changes the server does not have',
      );
    }
    this.queueWrite(peer, effective);
  }

  /** Queues `update` (null: the frame changed nothing, but its ack must wait its turn) for the group commit. */
  private queueWrite(from: Peer | null, update: Uint8Array | null): void {
    this.uncommitted++;
    const context: WriteContext = { from };
    this.deps.queue.enqueue({ docId: this.docId, listener: this, update, context });
  }

  private receiveAwareness(peer: Peer, update: Uint8Array, frame: Uint8Array): void {
    // y-websocket clients echo every awareness change they receive, so an update routinely names
    // other connections' ids with clocks the server already has. Those entries change nothing; an
    // entry that would change another connection's presence is refused.
    const changes = parseAwarenessUpdate(update).filter((entry) => this.awarenessChanges(entry));
    for (const { clientId } of changes) {
      const owner = this.awarenessOwners.get(clientId);
      if (owner !== undefined && owner !== peer) {
        throw new ProtocolError(CloseCode.forbidden, `awareness client ${clientId} belongs to another connection`);
      }
    }
    for (const { clientId, state } of changes) {
      if (state === null) continue;
      this.awarenessOwners.set(clientId, peer);
      peer.awarenessIds.add(clientId);
    }
    awarenessProtocol.applyAwarenessUpdate(this.awareness, update, peer);
    // To everyone, the sender too: y-websocket clients count their own echo as a sign of life.
    this.broadcast(frame, null);
  }

  /** Whether y-protocols would apply this entry (its rule: a newer clock, or a removal at the same clock). */
  private awarenessChanges({ clientId, clock, state }: AwarenessEntry): boolean {
    const known = this.awareness.meta.get(clientId)?.clock ?? 0;
    return known < clock || (known === clock && state === null && this.awareness.states.has(clientId));
  }

  committed(write: PendingWrite, seq: number): void {
    this.uncommitted--;
    const { from } = write.context as WriteContext;
    if (write.update) {
      this.lastSeq = Math.max(this.lastSeq, seq);
      this.updatesSinceSnapshot++;
      this.bytesSinceSnapshot += write.update.length;
    }
    // Encoded once, the same buffer sent to every other peer.
    if (write.update) this.broadcast(encodeSyncUpdate(write.update), from);
    if (from) {
      from.frameCommitted();
      this.ackDue.add(from);
    }
  }

  batchDone(): void {
    for (const peer of this.ackDue) peer.flushAck();
    this.ackDue.clear();
    if (this.titleDirty) {
      this.titleDirty = false;
      const title = this.title.slice(0, MAX_LISTED_TITLE_CHARS);
      this.deps.store.setTitle(this.docId, title).catch((error: unknown) => {
        this.deps.log.warn({ err: error, docId: this.docId }, 'could not record title');
      });
    }
    if (this.uncommitted === 0) this.runSettledWaiters();
    if (
      this.updatesSinceSnapshot >= this.deps.compactAfterUpdates ||
      this.bytesSinceSnapshot >= this.deps.compactAfterBytes
    ) {
      this.compact().catch((error: unknown) => {
        this.deps.log.error({ err: error, docId: this.docId }, 'compaction failed; the update log is kept');
      });
    }
  }

  failed(error: unknown): void {
    if (this.state !== 'open') return;
    this.state = 'failed';
    this.deps.log.error({ err: error, docId: this.docId }, 'closing room: its updates could not be stored');
    for (const peer of [...this.peers]) peer.close(CloseCode.storageFailed, 'the server could not save changes');
    this.settledWaiters = [];
    this.deps.onFailed(this);
  }

  /** Whether updates are stored after the snapshot, i.e. compaction has something to do. */
  get needsCompaction(): boolean {
    return this.updatesSinceSnapshot > 0;
  }

  /**
   * Replaces the stored log with one snapshot of the doc, taken once every queued update is
   * committed (so the snapshot holds exactly the rows it replaces). Concurrent calls share one run.
   */
  compact(): Promise<void> {
    this.compaction ??= new Promise<void>((resolve, reject) => {
      this.whenSettled(() => {
        const updates = this.updatesSinceSnapshot;
        const bytes = this.bytesSinceSnapshot;
        if (updates === 0 || this.state !== 'open') return resolve();
        const snapshot = Y.encodeStateAsUpdate(this.doc);
        this.deps.store.compact(this.docId, snapshot, this.lastSeq).then(() => {
          this.updatesSinceSnapshot -= updates;
          this.bytesSinceSnapshot -= bytes;
          this.deps.log.debug({ docId: this.docId, updates, snapshotBytes: snapshot.length }, 'compacted');
          resolve();
        }, reject);
      });
    }).finally(() => {
      this.compaction = null;
    });
    return this.compaction;
  }

  /** Resolves once every update queued so far is committed (at once if none is pending). */
  settled(): Promise<void> {
    return new Promise((resolve) => this.whenSettled(resolve));
  }

  /** Closes every peer with `code`. */
  closePeers(code: number, reason: string): void {
    for (const peer of [...this.peers]) peer.close(code, reason);
  }

  /** Releases the doc and awareness (and their timers). Safe to call twice. */
  destroy(): void {
    if (this.state === 'destroyed') return;
    this.state = 'destroyed';
    this.settledWaiters = [];
    this.awareness.destroy();
    this.doc.destroy();
  }

  private whenSettled(callback: () => void): void {
    if (this.uncommitted === 0) callback();
    else this.settledWaiters.push(callback);
  }

  private runSettledWaiters(): void {
    const waiters = this.settledWaiters;
    this.settledWaiters = [];
    for (const waiter of waiters) waiter();
  }

  private awarenessFrame(ids: number[]): Uint8Array {
    return encodeAwarenessFrame(awarenessProtocol.encodeAwarenessUpdate(this.awareness, ids));
  }

  private broadcast(frame: Uint8Array, except: Peer | null): void {
    for (const peer of this.peers) if (peer !== except) peer.send(frame);
  }
}
