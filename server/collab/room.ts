import * as Y from 'yjs';
import { CloseCode } from '../../shared/closeCodes.js';
import { MAX_LISTED_TITLE_CHARS, TITLE_TEXT } from '../../shared/schema.js';
import type { ClusterMessage } from '../cluster/clusterMessage.js';
import { ProtocolError } from '../protocolError.js';
import type { StoredDoc } from '../store/docStore.js';
import { parseClientFrame } from './clientFrame.js';
import type { CommitListener, PendingWrite } from './commitQueue.js';
import { encodeAwarenessFrame, encodeSyncStep1, encodeSyncStep2, encodeSyncUpdate } from './frames.js';
import { type Parked, ParkedUpdates } from './parkedUpdates.js';
import { RoomReplica, type ReplicaHost } from './roomReplica.js';
import { SharedFrame } from './sharedFrame.js';
import type { Peer, RoomDeps } from './roomContracts.js';
import { RoomPresence } from './roomPresence.js';
import { SettleGate } from './settleGate.js';
import { StoredLog } from './storedLog.js';
import { refuseUnsafeUrls } from './unsafeUrls.js';
import { UpdateApplier } from './updateApplier.js';

/** Who sent a queued write (they get the ack for frame `frameNo`, everyone else the relay); null for none. */
interface WriteContext {
  from: Peer | null;
  frameNo: number;
  /** The frame to relay when it is the client's own sync update frame, unchanged; else null (encode one). */
  frame: Uint8Array | null;
}

/** Origin of updates another process committed (applied from the bus or the store). */
const REMOTE_ORIGIN = Symbol('stored elsewhere');

/** Most updates, and bytes, a room holds waiting for their dependencies. */
const MAX_PARKED_UPDATES = 1000;
const MAX_PARKED_BYTES = 4 * 1024 * 1024;

/** The stored document could not be turned into a Y.Doc; nothing may be served in its place. */
export class LoadError extends Error {
  override name = 'LoadError';
}

/** An update that adds nothing and deletes nothing (what an empty Yjs doc answers a step1 with). */
function isEmptyUpdate(update: Uint8Array): boolean {
  return update.length === 2 && update[0] === 0 && update[1] === 0;
}

/**
 * One open document: its Y.Doc, its presence and its peers. Every update a peer sends is applied
 * to the doc at once (to validate it), queued for the group commit, and relayed and acknowledged
 * only after the commit. Anything that reveals the doc's state to a peer (sync step1/step2) waits
 * until no update is uncommitted, so no peer ever sees what is not on disk. When storage refuses
 * writes, they stay queued (and the doc in memory) and are retried; the room never unloads them.
 *
 * A document stored as one row (the snapshot an unload leaves) is checked when it loads but turned
 * into a Y.Doc only when something needs one: the first change, an export or a snapshot (its title
 * is the recorded one meanwhile).
 * Until then joining clients are served from the stored bytes (the whole state, a diff against
 * their state vector, its state vector), so opening a large document to read it costs no build.
 */
export class Room implements CommitListener, ReplicaHost {
  private readonly ydoc = new Y.Doc();
  readonly presence = new RoomPresence(this.ydoc);
  readonly peers = new Set<Peer>();
  private readonly log: StoredLog;
  /**
   * The doc's whole state, encoded, while the doc is unchanged: what a new client (empty state
   * vector) is sent. Starts as the stored bytes when storage held one row (the snapshot an unload
   * leaves), so the first joins after a load encode nothing; dropped at every change.
   */
  private fullState: Uint8Array | null = null;
  private readonly gate = new SettleGate<Peer>();
  private uncommittedBytes = 0;
  private storageFailing = false;
  /** Committed updates of the current batch, relayed together in batchDone. */
  private relays: Array<{ frame: SharedFrame; from: Peer | null }> = [];
  private ackDue = new Set<Peer>();
  private titleDirty = false;
  private compaction: Promise<void> | null = null;
  private readonly applier = new UpdateApplier(this.ydoc);
  /** The one stored row not yet applied to the doc (see `build`), or null once built. */
  private unbuilt: Uint8Array | null = null;
  /** The stored row's state vector while unbuilt. */
  private unbuiltVector: Uint8Array | null = null;
  private readonly parked: ParkedUpdates<Peer>;
  private readonly replica: RoomReplica | null = null;
  private destroyed = false;

  /**
   * Builds a room from what the store holds. Throws LoadError if a stored update cannot be applied
   * or leaves missing dependencies: the document is then refused, never replaced by an empty one.
   */
  constructor(
    readonly docId: string,
    stored: StoredDoc,
    private readonly deps: RoomDeps,
  ) {
    if (stored.updates.length === 1) {
      // Decoded whole now, so that a malformed row is refused at load as before; applied on first need.
      // The state vector reads only the structs; the diff against it reads them again and then the
      // delete set, which a damaged row could otherwise hand to clients verbatim (2 ms for the
      // 259,778-edit trace; building it takes 10–13 ms).
      const only = stored.updates[0]!;
      try {
        this.unbuiltVector = Y.encodeStateVectorFromUpdate(only);
        Y.diffUpdate(only, this.unbuiltVector);
      } catch (error) {
        this.destroy();
        throw new LoadError(`stored update of ${docId} cannot be decoded: ${(error as Error).message}`);
      }
      this.unbuilt = only;
      this.fullState = only;
    } else {
      try {
        this.applyStoredUpdates(stored.updates);
      } catch (error) {
        this.destroy();
        throw error;
      }
    }
    this.log = new StoredLog(stored);
    this.parked = new ParkedUpdates<Peer>(
      { timeoutMs: deps.pendingUpdateTimeoutMs, maxUpdates: MAX_PARKED_UPDATES, maxBytes: MAX_PARKED_BYTES },
      ({ peer }) => peer.close(CloseCode.updateRejected, 'update depends on changes the server never received'),
    );
    this.ydoc.getText(TITLE_TEXT).observe(() => {
      this.titleDirty = true;
    });
    if (deps.cluster) this.replica = new RoomReplica(this, this.log, deps.store, deps.log, deps.cluster.repairIntervalMs);
  }

  /**
   * The doc, built from the stored row first if it was not yet (see `build`). Everything that reads
   * or changes the content goes through here.
   */
  get doc(): Y.Doc {
    this.build();
    return this.ydoc;
  }

  /** Whether the doc has been built (a room loaded from one stored row is not until it is needed). */
  get isBuilt(): boolean {
    return this.unbuilt === null;
  }

  /**
   * Current title, as typed (possibly empty); null while the doc is not built, when the stored title
   * (recorded at every change) is the same.
   */
  get title(): string | null {
    return this.isBuilt ? this.ydoc.getText(TITLE_TEXT).toString() : null;
  }

  /** Applies stored rows to the (empty) doc; LoadError if they do not apply whole. */
  private applyStoredUpdates(updates: readonly Uint8Array[]): void {
    try {
      Y.transact(this.ydoc, () => {
        for (const update of updates) Y.applyUpdate(this.ydoc, update);
      });
    } catch (error) {
      throw new LoadError(`stored update of ${this.docId} cannot be applied: ${(error as Error).message}`);
    }
    if (this.ydoc.store.pendingStructs || this.ydoc.store.pendingDs) {
      throw new LoadError(`stored updates of ${this.docId} have missing dependencies`);
    }
  }

  /**
   * Turns the stored row into the doc, once. It decoded at load, so only an inconsistent row (one
   * depending on changes it lacks) can fail here: then the document is refused as a failed load is,
   * every peer closed with loadFailed, and the room destroyed (the registry loads it afresh).
   */
  private build(): void {
    const row = this.unbuilt;
    if (row === null) return;
    this.unbuilt = null;
    this.unbuiltVector = null;
    try {
      this.applyStoredUpdates([row]);
    } catch (error) {
      this.deps.log.error({ err: error, docId: this.docId }, 'document could not be loaded');
      this.closePeers(CloseCode.loadFailed, 'the document could not be loaded');
      this.destroy();
      throw new ProtocolError(CloseCode.loadFailed, 'the document could not be loaded');
    }
    // Building is not a change: the title it brings is the recorded one.
    this.titleDirty = false;
  }

  /** Whether updates are stored after the snapshot, i.e. compaction has something to do. */
  get needsCompaction(): boolean {
    return this.log.needsCompaction;
  }

  /** Updates applied to the doc but not yet committed. */
  get uncommittedCount(): number {
    return this.gate.uncommitted;
  }

  /** Adds a peer and starts the sync: our step1 once settled, and everyone's presence. */
  join(peer: Peer): void {
    this.peers.add(peer);
    this.askForMissing(peer);
    const everyone = this.presence.everyone();
    if (everyone) peer.send(everyone);
    if (this.storageFailing) peer.notifyStorage(true);
  }

  /**
   * Sends the peer a sync step1, so it answers with whatever it holds that the document lacks: on
   * joining, and when a viewer may edit again (what it kept of refused edits would otherwise leave
   * its later updates waiting on changes the server never stored).
   */
  askForMissing(peer: Peer): void {
    this.gate.whenSettled(() => peer.send(encodeSyncStep1(this.unbuiltVector ?? Y.encodeStateVector(this.doc))));
  }

  /** Removes a peer and its presence (broadcast to the rest). Safe to call twice. */
  leave(peer: Peer): void {
    if (!this.peers.delete(peer)) return;
    this.ackDue.delete(peer);
    this.parked.dropPeer(peer);
    if (!this.destroyed) {
      const removal = this.presence.release(peer);
      if (removal) {
        this.broadcast(encodeAwarenessFrame(removal), null);
        this.deps.cluster?.publishAwareness(this.docId, removal);
      }
    }
    if (this.peers.size === 0) this.deps.onEmpty(this);
  }

  /** Handles one frame from a peer. Throws ProtocolError when the frame must be refused. */
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
        this.gate.whenSettled(() => {
          // Settled: the doc is exactly what is committed, so its cached whole state may be served.
          const answer = isEmpty
            ? (this.fullState ??= Y.encodeStateAsUpdate(this.doc))
            : this.unbuilt !== null
              ? Y.diffUpdate(this.unbuilt, stateVector)
              : Y.encodeStateAsUpdate(this.doc, stateVector);
          peer.send(encodeSyncStep2(answer));
        });
        return;
      }
      case 'syncUpdate':
      case 'syncStep2': {
        if (!peer.mayEdit) return this.receiveFromViewer(peer, message.update);
        refuseUnsafeUrls(message.update);
        // While someone waits for the doc to settle (to be shown what is committed), new updates wait
        // too, so a steady stream of edits cannot keep that moment from coming (a remote store commits
        // slowly enough for that to matter).
        const held = this.gate.hold(peer, message.update, this.deps.maxUnsavedBytes);
        if (held === 'held') return;
        if (held === 'full') throw new ProtocolError(CloseCode.storageFailed, 'too many updates wait for the document to settle');
        return this.receiveUpdate(peer, message.update, message.kind === 'syncUpdate' ? frame : null);
      }
      case 'awareness': {
        const applied = this.presence.receive(peer, message.update);
        // Not applied (an id another process still holds): dropped; the client repeats its presence.
        if (applied === null) return;
        if (applied !== message.update) this.deps.metrics.presenceStamped.inc();
        // To everyone, the sender too: y-websocket clients count their own echo as a sign of life.
        this.broadcast(applied === message.update ? frame : encodeAwarenessFrame(applied), null);
        this.deps.cluster?.publishAwareness(this.docId, applied);
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
   * An update from a connection that may only view. Its client still answers the server's step1
   * with what it holds, which is normally nothing the document lacks: such an update changes nothing
   * and passes quietly. Anything else is refused: never applied, stored or relayed; the client is
   * told (permission denied). Either way the frame counts as done for the saved acknowledgement.
   */
  private receiveFromViewer(peer: Peer, update: Uint8Array): void {
    // An empty update (a client holding nothing new) needs no doc to judge.
    if (!isEmptyUpdate(update)) {
      const doc = this.doc; // built first, outside the try: failing to build is its own refusal
      let changesNothing: boolean;
      try {
        changesNothing = Y.snapshotContainsUpdate(Y.snapshot(doc), update);
      } catch {
        throw new ProtocolError(CloseCode.badMessage, 'malformed update');
      }
      if (!changesNothing) peer.refuseEdit();
    }
    peer.frameCommitted(peer.takeFrameNumber());
    peer.flushAck();
  }

  /** `frame`: the client's sync update frame carrying `update`, relayed as it came if it applies whole. */
  private receiveUpdate(peer: Peer, update: Uint8Array, frame: Uint8Array | null = null): void {
    const frameNo = peer.takeFrameNumber();
    if (this.log.storedBytes + this.uncommittedBytes + update.length > this.deps.maxDocBytes) {
      throw new ProtocolError(CloseCode.docTooLarge, `the document would pass its ${this.deps.maxDocBytes}-byte limit`);
    }
    if (this.storageFailing && this.uncommittedBytes + update.length > this.deps.maxUnsavedBytes) {
      throw new ProtocolError(CloseCode.storageFailed, 'storage is failing and the unsaved backlog is full');
    }
    // A client with nothing the document lacks answers our step1 with an empty update; it needs no doc.
    if (this.unbuilt !== null && isEmptyUpdate(update)) return this.queueWrite(peer, frameNo, null);
    this.build();
    const { effective, whole, failure, pending } = this.applier.apply(update, peer);
    if (failure !== null) {
      // What entered before Yjs gave up is in the doc: it is stored like any update.
      if (effective) this.queueWrite(null, 0, effective);
      throw new ProtocolError(CloseCode.updateRejected, 'update could not be applied');
    }
    if (pending) {
      if (effective) this.queueWrite(null, 0, effective);
      if (!this.parked.park(peer, update, frameNo)) {
        throw new ProtocolError(CloseCode.updateRejected, 'too many updates wait for changes the server does not have');
      }
      return;
    }
    this.queueWrite(peer, frameNo, effective, whole ? frame : null);
    if (effective && this.parked.size > 0) this.parked.retry((entry) => this.retryParked(entry));
  }

  /** Applies a held update again; 'done' once it applied whole (or failed and its peer was refused). */
  private retryParked({ peer, update, frameNo }: Parked<Peer>): 'done' | 'waiting' {
    const { effective, failure, pending } = this.applier.apply(update, peer);
    if (failure !== null || pending) {
      if (effective) this.queueWrite(null, 0, effective);
      if (failure === null) return 'waiting';
      peer.close(CloseCode.updateRejected, 'update could not be applied');
      return 'done';
    }
    this.queueWrite(peer, frameNo, effective);
    return 'done';
  }

  /**
   * Queues `update` for the group commit; null when the frame changed nothing (its ack still waits its
   * turn). `from` gets the ack for its frame `frameNo`; the others get the relay.
   */
  private queueWrite(from: Peer | null, frameNo: number, update: Uint8Array | null, frame: Uint8Array | null = null): void {
    this.gate.opened();
    if (update) {
      this.uncommittedBytes += update.length;
      this.fullState = null;
    }
    const context: WriteContext = { from, frameNo, frame };
    this.deps.queue.enqueue({ docId: this.docId, listener: this, update, context });
  }

  committed(write: PendingWrite, seq: number): void {
    this.gate.closed();
    const { from, frameNo, frame } = write.context as WriteContext;
    if (write.update) {
      this.uncommittedBytes -= write.update.length;
      this.log.committed(seq, write.update.length, !this.deps.cluster);
      this.deps.cluster?.publishUpdate(this.docId, seq, write.update);
      // Encoded and framed once, the same bytes for every other peer; sent when the batch is reported.
      this.relays.push({ frame: new SharedFrame(frame ?? encodeSyncUpdate(write.update)), from });
    }
    if (from) {
      from.frameCommitted(frameNo);
      this.ackDue.add(from);
    }
  }

  batchDone(): void {
    this.sendRelays();
    for (const peer of this.ackDue) peer.flushAck();
    this.ackDue.clear();
    if (this.titleDirty) {
      this.titleDirty = false;
      const title = this.ydoc.getText(TITLE_TEXT).toString().slice(0, MAX_LISTED_TITLE_CHARS);
      this.deps.store.setTitle(this.docId, title).catch((error: unknown) => {
        this.deps.log.warn({ err: error, docId: this.docId }, 'could not record title');
      });
    }
    this.applyHeld(this.gate.release());
    if (this.log.shouldCompact(this.deps.compactAfterUpdates, this.deps.compactAfterBytes)) {
      this.compact().catch((error: unknown) => {
        this.deps.log.error({ err: error, docId: this.docId }, 'compaction failed; the update log is kept');
      });
    }
  }

  /** Takes what another process published about this document (through the cluster bus). */
  receiveRemote(message: ClusterMessage): void {
    this.replica?.receive(message);
  }

  /** Another process is gone: its connections' presence goes too. */
  forgetProcess(processId: string): void {
    if (this.destroyed) return;
    const removal = this.presence.forgetProcess(processId);
    if (removal) this.broadcast(encodeAwarenessFrame(removal), null);
  }

  /** Cluster: reads what other processes stored since this replica last read (at once if alone). */
  repair(): Promise<void> {
    return this.replica ? this.replica.repair() : Promise.resolve();
  }

  /** True once the room is destroyed (unloaded): read a fresh copy from storage instead. */
  get isDestroyed(): boolean {
    return this.destroyed;
  }

  applyRemotePresence(processId: string, update: Uint8Array): void {
    if (this.presence.receiveRemote(processId, update)) this.broadcast(encodeAwarenessFrame(update), null);
  }

  /** Applies an update some process committed; relays what was new. False when it did not apply whole. */
  applyStored(update: Uint8Array): boolean {
    try {
      this.build();
    } catch {
      return false; // refused and destroyed (see build)
    }
    const { effective, failure, pending } = this.applier.apply(update, REMOTE_ORIGIN);
    if (effective) {
      this.fullState = null;
      this.log.storedElsewhere(effective.length);
      this.broadcast(encodeSyncUpdate(effective), null);
      if (this.parked.size > 0) this.parked.retry((entry) => this.retryParked(entry));
    }
    return failure === null && !pending;
  }

  storageTrouble(failing: boolean): void {
    this.storageFailing = failing;
    for (const peer of this.peers) peer.notifyStorage(failing);
  }

  /**
   * Replaces the stored log with one snapshot of the doc, taken once every queued update is
   * committed (so the snapshot holds exactly the rows it replaces). Concurrent calls share one run.
   */
  compact(): Promise<void> {
    if (this.compaction) return this.compaction;
    // In a cluster, first take in every row up to now, so `confirmedSeq` covers what is replaced.
    const caughtUp = this.repair();
    this.compaction = caughtUp.then(() => new Promise<void>((resolve, reject) => {
      this.gate.whenSettled(() => {
        const mark = this.log.compactionMark();
        if (mark.updates === 0 || this.destroyed) return resolve();
        const snapshot = Y.encodeStateAsUpdate(this.doc);
        this.deps.store.compact(this.docId, snapshot, this.log.confirmedSeq).then(() => {
          this.log.compacted(mark, snapshot.length);
          this.deps.log.debug({ docId: this.docId, updates: mark.updates, snapshotBytes: snapshot.length }, 'compacted');
          resolve();
        }, reject);
      });
    })).finally(() => {
      this.compaction = null;
    });
    return this.compaction;
  }

  /** Resolves once every update queued so far is committed (at once if none is pending). */
  settled(): Promise<void> {
    return new Promise((resolve) => this.gate.whenSettled(resolve));
  }

  /** Closes every peer with `code`. */
  closePeers(code: number, reason: string): void {
    for (const peer of [...this.peers]) peer.close(code, reason);
  }

  /** Releases the doc and presence (and their timers). Safe to call twice. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.gate.clear();
    this.parked.clear();
    this.replica?.stop();
    this.presence.destroy();
    this.ydoc.destroy();
  }

  /** Applies the updates that waited while the doc settled, in the order they came. */
  private applyHeld(held: Array<{ peer: Peer; update: Uint8Array }>): void {
    for (const { peer, update } of held) {
      if (!this.peers.has(peer)) continue;
      try {
        this.receiveUpdate(peer, update);
      } catch (error) {
        peer.fail(error);
      }
    }
  }

  /** Sends the batch's committed updates: each peer gets every one but its own, in one write. */
  private sendRelays(): void {
    const relays = this.relays;
    if (relays.length === 0) return;
    this.relays = [];
    const all = relays.map((relay) => relay.frame);
    let sent = 0;
    for (const peer of this.peers) {
      // Each peer gets every relay but its own updates' (most batches hold one relay, from one peer).
      const frames = relays.some((relay) => relay.from === peer) ? relays.filter((relay) => relay.from !== peer).map((relay) => relay.frame) : all;
      if (frames.length === 0) continue;
      peer.sendShared(frames);
      sent += frames.length;
    }
    this.deps.metrics.framesRelayed.inc(sent);
  }

  private broadcast(frame: Uint8Array, except: Peer | null): void {
    const shared = [new SharedFrame(frame)];
    let sent = 0;
    for (const peer of this.peers) {
      if (peer === except) continue;
      peer.sendShared(shared);
      sent++;
    }
    this.deps.metrics.framesRelayed.inc(sent);
  }
}
