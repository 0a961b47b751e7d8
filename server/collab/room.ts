import * as Y from 'yjs';
import { CloseCode } from '../../shared/closeCodes.js';
import type { ClusterMessage } from '../cluster/clusterMessage.js';
import { ProtocolError } from '../protocolError.js';
import { countSnapshotSegments, type StoredDoc } from '../store/docStore.js';
import { parseClientFrame } from './clientFrame.js';
import { Fanout } from './fanout.js';
import { encodeAwarenessFrame, encodeSyncStep1, encodeSyncStep2 } from '../../shared/codec.js';
import type { Peer, RoomDeps, RoomOfPeer } from './roomContracts.js';
import { type LoadError, RoomDoc } from './roomDoc.js';
import { RoomPresence } from './roomPresence.js';
import { type ReplicaHost, RoomReplica } from './roomReplica.js';
import { StoredLog } from './storedLog.js';
import { WritePath } from './writePath.js';
import { serveSegmented } from './segmentedJoin.js';
import { MAX_SEGMENT_BYTES } from '../../shared/protocol.js';
import { segmentDoc } from '../bigdocs/segmentState.js';

/**
 * One open document: its peers, and the parts that serve them. A room is what the registry loads,
 * hands connections to, and unloads; it takes each frame in and passes it to the part it concerns:
 * - RoomDoc (`content`): the Y.Doc and its stored state (one stored row is built on first need);
 * - WritePath (`writes`): updates applied, committed, then relayed and acked (write-ahead), the
 *   settle gate, the per-peer saved-ack ledgers, held updates, storage status;
 * - RoomPresence: awareness, each id bound to its connection;
 * - Fanout: frames to the peers, framed once;
 * - RoomReplica (cluster mode only): what is published to and taken from the other processes;
 * - StoredLog: where the stored log stands, and when to compact it.
 * Anything that reveals the doc's state to a peer (sync step1/step2) waits until no update is
 * uncommitted, so no peer ever sees what is not on disk.
 */
export class Room implements RoomOfPeer, ReplicaHost {
  readonly peers = new Set<Peer>();
  private readonly content: RoomDoc;
  readonly presence: RoomPresence;
  private readonly log: StoredLog;
  private readonly fanout: Fanout;
  private readonly writes: WritePath;
  private readonly replica: RoomReplica | null = null;
  private compaction: Promise<void> | null = null;
  /** Segments being cut for joins (cutJoinSegments), or null. */
  private cuttingSegments: Promise<void> | null = null;
  private destroyed = false;

  /**
   * Builds a room from what the store holds. Throws LoadError if a stored update cannot be decoded or
   * applied, or leaves missing dependencies: the document is then refused, never replaced by an empty one.
   */
  constructor(
    readonly docId: string,
    stored: StoredDoc,
    private readonly deps: RoomDeps<Room>,
  ) {
    this.content = new RoomDoc(docId, stored.updates, (error) => this.refuseDocument(error), countSnapshotSegments(stored));
    this.presence = new RoomPresence(this.content.presenceDoc);
    this.log = new StoredLog(stored);
    this.fanout = new Fanout(this.peers, deps.metrics);
    if (deps.cluster) this.replica = new RoomReplica(this, this.log, deps.store, deps.log, deps.cluster);
    this.writes = new WritePath({
      docId,
      content: this.content,
      peers: this.peers,
      fanout: this.fanout,
      log: this.log,
      replica: this.replica,
      deps,
      compact: () => this.compact(),
    });
  }

  /** The doc, built from the stored row first if it was not yet. Throws ProtocolError(loadFailed) if it cannot be. */
  get doc(): Y.Doc {
    return this.content.doc;
  }

  /** Whether the doc has been built (a room loaded from one stored row is not until it is needed). */
  get isBuilt(): boolean {
    return this.content.isBuilt;
  }

  /** Current title, as typed (possibly empty); null while the doc is not built (the recorded title is the same). */
  get title(): string | null {
    return this.content.title;
  }

  /** Whether updates are stored after the snapshot, i.e. compaction has something to do. */
  get needsCompaction(): boolean {
    return this.log.needsCompaction;
  }

  /** Updates applied to the doc but not yet committed. */
  get uncommittedCount(): number {
    return this.writes.uncommitted;
  }

  /** True once the room is destroyed (unloaded): read a fresh copy from storage instead. */
  get isDestroyed(): boolean {
    return this.destroyed;
  }

  /** Adds a peer and starts the sync: our step1 once settled, and everyone's presence. */
  join(peer: Peer): void {
    this.peers.add(peer);
    this.askForMissing(peer);
    const everyone = this.presence.everyone();
    if (everyone) peer.send(everyone);
    this.writes.join(peer);
  }

  /**
   * Sends the peer a sync step1, so it answers with whatever it holds that the document lacks: on
   * joining, and when a viewer may edit again (what it kept of refused edits would otherwise leave
   * its later updates waiting on changes the server never stored).
   */
  askForMissing(peer: Peer): void {
    this.writes.whenSettled(() => peer.send(encodeSyncStep1(this.content.stateVector())));
  }

  /** Removes a peer and its presence (broadcast to the rest). Safe to call twice. */
  leave(peer: Peer): void {
    if (!this.peers.delete(peer)) return;
    this.writes.leave(peer);
    if (!this.destroyed) this.releasePresence(peer);
    if (this.peers.size === 0) this.deps.onEmpty(this);
  }

  away(peer: Peer): void {
    if (this.peers.has(peer) && !this.destroyed) this.releasePresence(peer);
  }

  /** Removes what the peer spoke for from everyone's presence (broadcast, and to the other processes). */
  private releasePresence(peer: Peer): void {
    const removal = this.presence.release(peer);
    if (removal) {
      this.fanout.broadcast(encodeAwarenessFrame(removal), null);
      this.replica?.publishAwareness(removal);
    }
  }

  /** Handles one frame from a joined peer. Throws ProtocolError when the frame must be refused. */
  receive(peer: Peer, frame: Uint8Array): void {
    if (this.destroyed) return;
    const message = parseClientFrame(frame);
    switch (message.kind) {
      case 'syncStep1': {
        const stateVector = message.stateVector;
        let isEmpty: boolean;
        try {
          isEmpty = Y.decodeStateVector(stateVector).size === 0;
        } catch {
          throw new ProtocolError(CloseCode.badMessage, 'malformed state vector in sync step1');
        }
        if (this.content.needsJoinSegments) {
          // A big document no segments hold (yet): cut them first (one run for every join waiting).
          void this.cutJoinSegments().then(() => {
            if (!this.destroyed && this.peers.has(peer)) this.answerStep1(peer, stateVector, isEmpty);
          });
          return;
        }
        return this.answerStep1(peer, stateVector, isEmpty);
      }
      case 'syncUpdate':
      case 'syncStep2':
        return this.writes.receive(peer, message.update, message.kind === 'syncUpdate' ? frame : null);
      case 'awareness': {
        const applied = this.presence.receive(peer, message.update);
        // Not applied (an id another process still holds): dropped; the client repeats its presence.
        if (applied === null) return;
        if (applied !== message.update) this.deps.metrics.presenceStamped.inc();
        // To everyone, the sender too: y-websocket clients count their own echo as a sign of life.
        this.fanout.broadcast(applied === message.update ? frame : encodeAwarenessFrame(applied), null);
        this.replica?.publishAwareness(applied);
        return;
      }
      case 'queryAwareness': {
        const everyone = this.presence.everyone();
        if (everyone) peer.send(everyone);
        return;
      }
    }
  }

  /**
   * Answers a peer's sync step 1: from the segments when some hold the document (a big one), else
   * one step 2 once settled.
   */
  private answerStep1(peer: Peer, stateVector: Uint8Array, isEmpty: boolean): void {
    const segmented = this.content.segmented;
    if (segmented) {
      // A big document: its stored segments (committed), then the rest once settled.
      serveSegmented({
        peer,
        snapshot: segmented,
        clientVector: isEmpty ? null : stateVector,
        whenSettled: (callback) => this.writes.whenSettled(callback),
        finish: (snapshot, clientVector) => this.content.afterSnapshot(snapshot, clientVector),
        serving: () => !this.destroyed && this.peers.has(peer),
      });
      return;
    }
    // Settled: the doc is exactly what is committed, so it may be shown.
    this.writes.whenSettled(() => peer.send(encodeSyncStep2(this.content.answer(stateVector, isEmpty))));
  }

  /**
   * Cuts segments for joins from the stored rows (RoomDoc.partsToSegment), on a worker thread for a
   * big document, once settled. Concurrent joins share one run. If cutting fails (a worker died),
   * the failure is logged and joins are answered as before (one step 2).
   */
  private cutJoinSegments(): Promise<void> {
    this.cuttingSegments ??= this.settled()
      .then(async () => {
        if (this.destroyed || !this.content.needsJoinSegments) return;
        const { parts, vector, mark } = this.content.partsToSegment();
        const segments = await this.makeSnapshot(parts);
        if (!this.destroyed) this.content.joinSegmentsCut(segments, vector, mark);
      })
      .catch((error: unknown) => {
        this.deps.log.warn({ err: error, docId: this.docId }, 'join segments could not be cut; answering in one step 2');
      })
      .finally(() => {
        this.cuttingSegments = null;
      });
    return this.cuttingSegments;
  }

  /** Takes what another process published about this document (through the cluster bus). */
  receiveRemote(message: ClusterMessage): void {
    this.replica?.receive(message);
  }

  /** Another process is gone: its connections' presence goes too. */
  forgetProcess(processId: string): void {
    if (this.destroyed) return;
    const removal = this.presence.forgetProcess(processId);
    if (removal) this.fanout.broadcast(encodeAwarenessFrame(removal), null);
  }

  /** Cluster: reads what other processes stored since this replica last read (at once if alone). */
  repair(): Promise<void> {
    return this.replica ? this.replica.repair() : Promise.resolve();
  }

  /** ReplicaHost: presence another process relayed for its connections, relayed to ours. */
  applyRemotePresence(processId: string, update: Uint8Array): void {
    if (this.presence.receiveRemote(processId, update)) this.fanout.broadcast(encodeAwarenessFrame(update), null);
  }

  /** ReplicaHost: applies an update some process committed; relays what was new. False when it did not apply whole. */
  applyStored(update: Uint8Array): boolean {
    return this.writes.applyCommittedElsewhere(update);
  }

  /**
   * Replaces the stored log with one snapshot of the doc, taken once every queued update is
   * committed (so the snapshot holds exactly the rows it replaces). Concurrent calls share one run.
   * A big document's snapshot is made on a worker thread, as segments (see makeSnapshot); if that
   * fails (the worker died), nothing is stored and the log stays as it was.
   */
  compact(): Promise<void> {
    if (this.compaction) return this.compaction;
    // In a cluster, first take in every row up to now, so `confirmedSeq` covers what is replaced.
    const caughtUp = this.repair();
    this.compaction = caughtUp
      .then(() => new Promise<void>((resolve) => this.writes.whenSettled(resolve)))
      .then(async () => {
        const mark = this.log.compactionMark();
        if (mark.updates === 0 || this.destroyed) return;
        // Taken now, while settled: the snapshot is exactly the rows through `throughSeq`.
        const throughSeq = this.log.confirmedSeq;
        const vector = this.content.stateVector();
        const { parts, applied } = this.content.markedStateParts();
        const segments = await this.makeSnapshot(parts);
        await this.deps.store.compact(this.docId, segments, throughSeq);
        const bytes = segments.reduce((sum, segment) => sum + segment.length, 0);
        this.log.compacted(mark, bytes);
        this.content.snapshotStored(segments, vector, applied);
        this.deps.log.debug({ docId: this.docId, updates: mark.updates, snapshotBytes: bytes, segments: segments.length }, 'compacted');
      })
      .finally(() => {
        this.compaction = null;
      });
    return this.compaction;
  }

  /**
   * Applies an update the server made for `author` (a restore) and resolves once it is committed:
   * every peer receives it as one change. Rejects when it does not apply whole.
   */
  async writeOnBehalf(update: Uint8Array, author: string): Promise<void> {
    if (this.destroyed) throw new Error(`the room of ${this.docId} is closed`);
    this.writes.writeOnBehalf(update, author);
    await this.settled();
  }

  /**
   * The document's state (as `parts`, see RoomDoc.stateParts) as snapshot segments of at most
   * MAX_SEGMENT_BYTES: on a worker thread from `workerAboveBytes` on, else here (a small document is
   * one segment, encoded as Yjs does).
   */
  private async makeSnapshot(parts: Uint8Array[]): Promise<Uint8Array[]> {
    const bytes = parts.reduce((sum, part) => sum + part.length, 0);
    const workers = this.deps.workers;
    if (workers && bytes >= (this.deps.workerAboveBytes ?? 0)) return workers.snapshot(parts, MAX_SEGMENT_BYTES);
    const whole = parts.length === 1 ? parts[0]! : Y.encodeStateAsUpdate(this.doc);
    return whole.length <= MAX_SEGMENT_BYTES ? [whole] : segmentDoc(this.doc, MAX_SEGMENT_BYTES);
  }

  /**
   * The doc's state as updates that, applied in order, make it (RoomDoc.stateParts): what a worker
   * exports or checkpoints a big document from. Call once settled. Throws ProtocolError(loadFailed)
   * if the stored state cannot be built.
   */
  stateParts(): Uint8Array[] {
    return this.content.stateParts();
  }

  /** Approximate bytes the document takes in storage (snapshot and later rows). */
  get storedBytes(): number {
    return this.log.storedBytes;
  }

  /** Resolves once every update queued so far is committed (at once if none is pending). */
  settled(): Promise<void> {
    return new Promise((resolve) => this.writes.whenSettled(resolve));
  }

  /** Closes every peer with `code`. */
  closePeers(code: number, reason: string): void {
    for (const peer of [...this.peers]) peer.close(code, reason);
  }

  /** Releases the doc and presence (and their timers). Safe to call twice. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.writes.destroy();
    this.replica?.stop();
    this.presence.destroy();
    this.content.destroy();
  }

  /**
   * The stored row did not apply when first built (it decoded at load, so it is inconsistent): the
   * document is refused as a failed load is, every peer closed with loadFailed, and the room destroyed
   * (the registry loads it afresh).
   */
  private refuseDocument(error: LoadError): void {
    this.deps.log.error({ err: error, docId: this.docId }, 'document could not be loaded');
    this.closePeers(CloseCode.loadFailed, 'the document could not be loaded');
    this.destroy();
  }
}
