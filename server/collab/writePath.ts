import * as Y from 'yjs';
import { CloseCode } from '../../shared/closeCodes.js';
import { encodeStorageStatus, encodeSyncUpdate } from '../../shared/codec.js';
import { ProtocolError } from '../protocolError.js';
import { AckLedger } from './ackLedger.js';
import type { CommitListener, PendingWrite } from './commitQueue.js';
import type { Fanout } from './fanout.js';
import { type Parked, ParkedUpdates } from './parkedUpdates.js';
import { refuseUnsafeUrls } from './unsafeUrls.js';
import type { Peer, RoomDeps } from './roomContracts.js';
import { isEmptyUpdate, type RoomDoc } from './roomDoc.js';
import type { RoomReplica } from './roomReplica.js';
import { SettleGate } from './settleGate.js';
import type { StoredLog } from './storedLog.js';

/** Who sent a queued write (they get the ack for frame `frameNo`, everyone else the relay); null for none. */
interface WriteContext {
  from: Peer | null;
  frameNo: number;
  /** The frame to relay when it is the client's own sync update frame, unchanged; else null (encode one). */
  frame: Uint8Array | null;
}

/** Origin of updates another process committed (applied from the bus or the store). */
const REMOTE_ORIGIN = Symbol('stored elsewhere');
/** Origin of updates the server writes on someone's behalf (a restore). */
const ON_BEHALF_ORIGIN = Symbol('written on behalf');

/** Most updates, and bytes, a room holds waiting for their dependencies. */
const MAX_PARKED_UPDATES = 1000;
const MAX_PARKED_BYTES = 4 * 1024 * 1024;

/** What the write path shares with its room. */
export interface WritePathParts {
  docId: string;
  content: RoomDoc;
  /** The room's peers (read only here). */
  peers: ReadonlySet<Peer>;
  fanout: Fanout;
  log: StoredLog;
  replica: RoomReplica | null;
  deps: RoomDeps;
  /** Asked after each batch once the log passed the compaction thresholds. */
  compact(): Promise<void>;
}

/**
 * A room's write-ahead path: every update a peer sends is applied to the doc at once (to validate it),
 * queued for the group commit, and relayed and acknowledged only after the commit. Owns what that
 * takes per room: the settle gate (nothing that shows the doc is answered while an update is
 * uncommitted), one AckLedger per peer, the updates held for missing dependencies, and the storage
 * status. When storage refuses writes they stay queued (and the doc in memory) and are retried.
 */
export class WritePath implements CommitListener {
  private readonly gate = new SettleGate<Peer>();
  private readonly acks = new Map<Peer, AckLedger>();
  /** Ledgers whose count moved in the current batch, flushed in batchDone. */
  private readonly ackDue = new Set<AckLedger>();
  private readonly parked: ParkedUpdates<Peer>;
  private uncommittedBytes = 0;
  private storageFailing = false;
  /** This batch stored an update of the document (the history is told in batchDone). */
  private storedInBatch = false;

  constructor(private readonly parts: WritePathParts) {
    this.parked = new ParkedUpdates<Peer>(
      { timeoutMs: parts.deps.pendingUpdateTimeoutMs, maxUpdates: MAX_PARKED_UPDATES, maxBytes: MAX_PARKED_BYTES },
      ({ peer }) => peer.close(CloseCode.updateRejected, 'update depends on changes the server never received'),
    );
  }

  /** Updates applied to the doc but not yet committed. */
  get uncommitted(): number {
    return this.gate.uncommitted;
  }

  /** Runs `callback` once nothing is uncommitted (at once if nothing is). */
  whenSettled(callback: () => void): void {
    this.gate.whenSettled(callback);
  }

  /** A peer joined: its ledger starts at 0, and it hears if storage is failing. */
  join(peer: Peer): void {
    this.acks.set(peer, new AckLedger(peer));
    if (this.storageFailing) notifyStorage(peer, true);
  }

  /** A peer left: its ledger and its held updates go (its writes in flight still commit). */
  leave(peer: Peer): void {
    const ledger = this.acks.get(peer);
    if (ledger) this.ackDue.delete(ledger);
    this.acks.delete(peer);
    this.parked.dropPeer(peer);
  }

  /**
   * An update-bearing frame's update from a joined peer. `frame`: the client's sync update frame
   * carrying it, relayed as it came if it applies whole. Throws ProtocolError to refuse the peer.
   */
  receive(peer: Peer, update: Uint8Array, frame: Uint8Array | null): void {
    if (!peer.mayEdit) return this.receiveFromViewer(peer, update);
    refuseUnsafeUrls(update);
    // While someone waits for the doc to settle (to be shown what is committed), new updates wait
    // too, so a steady stream of edits cannot keep that moment from coming (a remote store commits
    // slowly enough for that to matter).
    const held = this.gate.hold(peer, update, this.parts.deps.maxUnsavedBytes);
    if (held === 'held') return;
    if (held === 'full') throw new ProtocolError(CloseCode.storageFailed, 'too many updates wait for the document to settle');
    this.receiveUpdate(peer, update, frame);
  }

  /**
   * An update some process committed (from the bus or the store): applied and relayed, and held
   * updates retried. False when it did not apply whole (the room is refused if it cannot build).
   */
  applyCommittedElsewhere(update: Uint8Array): boolean {
    let applied;
    try {
      applied = this.parts.content.apply(update, REMOTE_ORIGIN);
    } catch {
      return false; // the stored row failed to build: the room is refused and destroyed (RoomDoc)
    }
    const { effective, failure, pending } = applied;
    if (effective) {
      this.parts.log.storedElsewhere(effective.length);
      this.parts.fanout.broadcast(encodeSyncUpdate(effective), null);
      if (this.parked.size > 0) this.parked.retry((entry) => this.retryParked(entry));
    }
    return failure === null && !pending;
  }

  /**
   * An update the server made for `author` (a restore): applied, committed and relayed to every peer
   * like one of theirs, attributed to them. Throws when it does not apply whole (what did apply is stored).
   */
  writeOnBehalf(update: Uint8Array, author: string): void {
    const { effective, failure, pending } = this.parts.content.apply(update, ON_BEHALF_ORIGIN);
    if (effective) this.queueWrite(null, 0, effective, null, author);
    this.limitTitle();
    if (failure !== null || pending) throw new Error('the update written on behalf of someone did not apply whole');
    if (effective && this.parked.size > 0) this.parked.retry((entry) => this.retryParked(entry));
  }

  committed(write: PendingWrite, seq: number): void {
    this.gate.closed();
    const { from, frameNo, frame } = write.context as WriteContext;
    if (write.update) {
      this.storedInBatch = true;
      this.uncommittedBytes -= write.update.length;
      this.parts.log.committed(seq, write.update.length, this.parts.replica === null);
      this.parts.replica?.publishUpdate(seq, write.update);
      this.parts.fanout.queueRelay(frame ?? encodeSyncUpdate(write.update), from);
    }
    const ledger = from && this.acks.get(from);
    if (ledger) {
      ledger.finished(frameNo);
      this.ackDue.add(ledger);
    }
  }

  batchDone(): void {
    const { fanout, content, deps, log, docId } = this.parts;
    fanout.sendRelays();
    if (this.storedInBatch) deps.onStored?.(docId);
    this.storedInBatch = false;
    for (const ledger of this.ackDue) ledger.flush();
    this.ackDue.clear();
    const title = content.takeTitleChange();
    if (title !== null) {
      deps.store.setTitle(docId, title).catch((error: unknown) => {
        deps.log.warn({ err: error, docId }, 'could not record title');
      });
    }
    this.applyHeld(this.gate.release());
    if (log.shouldCompact(deps.compactAfterUpdates, deps.compactAfterBytes)) {
      this.parts.compact().catch((error: unknown) => {
        deps.log.error({ err: error, docId }, 'compaction failed; the update log is kept');
      });
    }
  }

  storageTrouble(failing: boolean): void {
    this.storageFailing = failing;
    for (const peer of this.parts.peers) notifyStorage(peer, failing);
  }

  /** Drops held updates and waiters (the room is gone). */
  destroy(): void {
    this.gate.clear();
    this.parked.clear();
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
      const doc = this.parts.content.doc; // built first, outside the try: failing to build is its own refusal
      let changesNothing: boolean;
      try {
        changesNothing = Y.snapshotContainsUpdate(Y.snapshot(doc), update);
      } catch {
        throw new ProtocolError(CloseCode.badMessage, 'malformed update');
      }
      if (!changesNothing) peer.refuseEdit();
    }
    const ledger = this.acks.get(peer);
    if (!ledger) return;
    ledger.finished(ledger.next());
    ledger.flush();
  }

  private receiveUpdate(peer: Peer, update: Uint8Array, frame: Uint8Array | null): void {
    const { content, log, deps } = this.parts;
    const ledger = this.acks.get(peer);
    if (!ledger) return; // left (or never joined): nothing of it is taken in
    const frameNo = ledger.next();
    if (log.storedBytes + this.uncommittedBytes + update.length > deps.maxDocBytes) {
      throw new ProtocolError(CloseCode.docTooLarge, `the document would pass its ${deps.maxDocBytes}-byte limit`);
    }
    if (this.storageFailing && this.uncommittedBytes + update.length > deps.maxUnsavedBytes) {
      throw new ProtocolError(CloseCode.storageFailed, 'storage is failing and the unsaved backlog is full');
    }
    // A client with nothing the document lacks answers our step1 with an empty update; it needs no doc.
    if (content.changesNothingUnbuilt(update)) return this.queueWrite(peer, frameNo, null);
    const { effective, whole, failure, pending } = content.apply(update, peer);
    if (failure !== null) {
      // What entered before Yjs gave up is in the doc: it is stored like any update (and is the peer's).
      if (effective) this.queueWrite(null, 0, effective, null, peer.author ?? null);
      this.limitTitle();
      throw new ProtocolError(CloseCode.updateRejected, 'update could not be applied');
    }
    if (pending) {
      if (effective) this.queueWrite(null, 0, effective, null, peer.author ?? null);
      this.limitTitle();
      if (!this.parked.park(peer, update, frameNo)) {
        throw new ProtocolError(CloseCode.updateRejected, 'too many updates wait for changes the server does not have');
      }
      return;
    }
    this.queueWrite(peer, frameNo, effective, whole ? frame : null);
    if (effective && this.parked.size > 0) this.parked.retry((entry) => this.retryParked(entry));
    this.limitTitle();
  }

  /** Stores and relays the server's own cut of a title that an update took past the rules (RoomDoc.limitTitle). */
  private limitTitle(): void {
    const cut = this.parts.content.limitTitle();
    if (cut) this.queueWrite(null, 0, cut);
  }

  /** Applies a held update again; 'done' once it applied whole (or failed and its peer was refused). */
  private retryParked({ peer, update, frameNo }: Parked<Peer>): 'done' | 'waiting' {
    const { effective, failure, pending } = this.parts.content.apply(update, peer);
    if (failure !== null || pending) {
      if (effective) this.queueWrite(null, 0, effective, null, peer.author ?? null);
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
  private queueWrite(from: Peer | null, frameNo: number, update: Uint8Array | null, frame: Uint8Array | null = null, author = from?.author ?? null): void {
    this.gate.opened();
    if (update) this.uncommittedBytes += update.length;
    const context: WriteContext = { from, frameNo, frame };
    this.parts.deps.queue.enqueue({ docId: this.parts.docId, listener: this, update, context, author });
  }

  /** Applies the updates that waited while the doc settled, in the order they came. */
  private applyHeld(held: Array<{ peer: Peer; update: Uint8Array }>): void {
    for (const { peer, update } of held) {
      if (!this.parts.peers.has(peer)) continue;
      try {
        this.receiveUpdate(peer, update, null);
      } catch (error) {
        peer.fail(error);
      }
    }
  }
}

/** Tells a peer that asked for our messages that storage is failing ([101, 1]) or working again ([101, 0]). */
function notifyStorage(peer: Peer, failing: boolean): void {
  if (peer.ownMessages) peer.send(encodeStorageStatus(failing));
}
