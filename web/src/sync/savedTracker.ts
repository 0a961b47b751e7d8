import { isUpdateBearingFrame } from '../../../shared/codec.js';
import { SyncStep } from '../../../shared/protocol.js';

/**
 * Which of this window's local changes the server has committed to storage — the only basis for
 * "Saved" (docs/architecture.md, "One keystroke, end to end"). Pure logic: no DOM, no sockets, no Yjs; the wiring
 * in savedWiring.ts feeds it three kinds of facts:
 *
 * - onLocalChange(): a local change was made (a Y.Doc update whose origin is not the provider).
 *   Changes are numbered 1, 2, 3… in the order they happen (`localSeq`).
 *   restorePending(n): the doc update that loaded this browser's offline copy (IndexedDB) brought
 *   back n changes of an earlier visit that were never acknowledged; they are numbered like new
 *   ones (n may be 0: the update carries no change of ours).
 * - onFrameSent(socket, frame): a frame went out on `socket`. Update-bearing frames are numbered
 *   per socket, and each records which local changes it carries:
 *     - a sync step2 carries the whole document as the server lacks it, so it covers every local
 *       change made so far (1..localSeq);
 *     - a sync update is sent synchronously inside the doc's update handler of one doc update, so
 *       it covers exactly the changes that update brought (the newest change, or the restored
 *       ones, which the tracker's own update listener — registered first — has already counted).
 * - onAck(socket, n): the server says frames 1..n of `socket` are committed.
 *
 * From these it keeps `savedThrough`: the largest k such that local changes 1..k are all durable.
 * Changes acknowledged out of order (an update frame acked while an earlier change still waits for a
 * step2) are parked in a set until the frontier reaches them.
 *
 * Sockets are opaque keys. Each socket has its own frame numbering starting at 1, because the
 * server's counts restart at 0 per connection. Frames of a socket that died before its ack are
 * never counted; the next connection's step2 carries those changes again.
 */
export class SavedTracker {
  /** Number of local changes made so far (the newest change's number; 0 = none). */
  private seq = 0;
  /** The newest doc update brought changes lastFrom+1..seq (none when lastFrom = seq). */
  private lastFrom = 0;
  /** Local changes 1..savedFrontier are all committed to storage. */
  private savedFrontier = 0;
  /** Changes above the frontier that are individually committed (acked "only" frames). */
  private readonly durableAhead = new Set<number>();
  /** Per socket: frames sent but not yet acknowledged, oldest first. */
  private readonly sockets = new WeakMap<object, SocketFrames>();
  private readonly listeners = new Set<() => void>();
  private storageFailing = false;
  /** This window shows a change of its own not yet written into the Y.Doc (a held composition). */
  private held = false;

  /** Number of local changes made so far. */
  get localSeq(): number {
    return this.seq;
  }

  /** Local changes 1..savedThrough are committed to storage (0 = none known to be). */
  get savedThrough(): number {
    return this.savedFrontier;
  }

  /** Whether every local change made so far is committed. True when there are none. */
  get isSaved(): boolean {
    return this.savedFrontier >= this.seq && !this.held;
  }

  /** How many local changes are not yet known to be committed (0 when saved). */
  get pendingChanges(): number {
    return Math.max(0, this.seq - this.savedFrontier) + (this.held ? 1 : 0);
  }

  /**
   * Records that the window shows a change of its own that is not in the Y.Doc yet (an input
   * method's composition held while others edit its paragraph: compositionHold.ts), or no longer.
   * While held it counts as one change waiting: nothing of it is stored.
   */
  setHeldLocally(held: boolean): void {
    if (this.held === held) return;
    this.held = held;
    this.emit();
  }

  /** Records one local change. Call before the provider sees the same update (see class doc). */
  onLocalChange(): void {
    this.lastFrom = this.seq;
    this.seq += 1;
    this.emit();
  }

  /**
   * Records that the doc update being applied restored `count` local changes of an earlier visit
   * from this browser's offline copy, never acknowledged by the server. They become pending like
   * changes made now, and are saved once a frame carrying them is acknowledged: the next sync step2,
   * or the sync update sent for this same doc update. Call it where onLocalChange would be called,
   * before the provider sees the update. With `count` ≤ 0 the update is recorded as carrying none
   * of our changes, so a frame sent for it covers nothing.
   */
  restorePending(count: number): void {
    this.lastFrom = this.seq;
    if (count <= 0) return;
    this.seq += Math.floor(count);
    this.emit();
  }

  /**
   * Records a frame sent on `socket`. Frames that carry no document content (step1, awareness…)
   * are ignored, as the server does not count them either.
   */
  onFrameSent(socket: object, frame: Uint8Array): void {
    if (!isUpdateBearingFrame(frame)) return;
    const covers: Coverage =
      frame[1] === SyncStep.step2
        ? { kind: 'through', seq: this.seq }
        : { kind: 'range', from: this.lastFrom, to: this.seq };
    this.framesOf(socket).unacked.push(covers);
  }

  /**
   * Records the server's acknowledgement that frames 1..committedFrames of `socket` are durable.
   * Acks that do not advance (stale or repeated) change nothing. An ack for more frames than were
   * sent is a server fault: it is logged and only the frames actually sent are counted.
   */
  onAck(socket: object, committedFrames: number): void {
    const frames = this.framesOf(socket);
    if (committedFrames > frames.acked + frames.unacked.length) {
      console.warn(
        `saved ack for ${committedFrames} frames, but only ${frames.acked + frames.unacked.length} were sent on this connection`,
      );
    }
    const before = this.savedFrontier;
    while (frames.acked < committedFrames && frames.unacked.length > 0) {
      const covers = frames.unacked.shift() as Coverage;
      frames.acked += 1;
      this.markDurable(covers);
    }
    if (this.savedFrontier !== before) this.emit();
  }

  /** Whether the server last said its storage refuses writes (ours wait, unacknowledged, and are retried). */
  get serverStorageFailing(): boolean {
    return this.storageFailing;
  }

  /** Records what the server says about its storage (MessageType.storageStatus); false on a new connection. */
  setServerStorageFailing(failing: boolean): void {
    if (this.storageFailing === failing) return;
    this.storageFailing = failing;
    this.emit();
  }

  /** Calls `listener` after every change of localSeq, savedThrough, the held change or serverStorageFailing. Returns an unsubscribe. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private markDurable(covers: Coverage): void {
    if (covers.kind === 'through') {
      if (covers.seq > this.savedFrontier) this.savedFrontier = covers.seq;
      for (const seq of this.durableAhead) if (seq <= this.savedFrontier) this.durableAhead.delete(seq);
    } else {
      for (let seq = Math.max(covers.from, this.savedFrontier) + 1; seq <= covers.to; seq++) this.durableAhead.add(seq);
    }
    while (this.durableAhead.has(this.savedFrontier + 1)) {
      this.savedFrontier += 1;
      this.durableAhead.delete(this.savedFrontier);
    }
  }

  private framesOf(socket: object): SocketFrames {
    let frames = this.sockets.get(socket);
    if (frames === undefined) {
      frames = { acked: 0, unacked: [] };
      this.sockets.set(socket, frames);
    }
    return frames;
  }

  private emit(): void {
    for (const listener of this.listeners) listener();
  }
}

/**
 * What one update-bearing frame carries: all changes 1..seq (a step2), or the changes from+1..to of
 * one doc update (usually the single change `to`; none when from = to).
 */
type Coverage = { kind: 'through'; seq: number } | { kind: 'range'; from: number; to: number };

/** One socket's frames: how many the server has acknowledged, and those still waiting, in order. */
interface SocketFrames {
  acked: number;
  unacked: Coverage[];
}
