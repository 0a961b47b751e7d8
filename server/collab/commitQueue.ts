import type { FastifyBaseLogger } from 'fastify';
import type { AppendEntry, DocStore } from '../store/docStore.js';

/** Whoever queued a write and is told how it ended. */
export interface CommitListener {
  /** False once the listener has failed or gone: its queued writes are dropped, never stored out of order. */
  readonly accepting: boolean;
  /** Called once the write is durable, with its sequence number (0 when there was nothing to store). */
  committed(write: PendingWrite, seq: number): void;
  /** Called after every write of a batch has been reported, once per listener in the batch. */
  batchDone(): void;
  /** Called when the batch holding this write could not be stored; nothing of it is durable. */
  failed(error: unknown): void;
}

/** A write waiting for the next group commit. */
export interface PendingWrite {
  docId: string;
  listener: CommitListener;
  /** The update to append, or null for a frame that changed nothing but still orders acks. */
  update: Uint8Array | null;
  /** Opaque to the queue: handed back to the listener. */
  context: unknown;
}

/**
 * Group commit. Writes queued in one turn of the event loop are appended in one transaction at
 * the next `setImmediate`, then reported to their listeners in queue order. Writes queued while a
 * commit is in flight wait for the next one, so reports never overtake each other.
 */
export class CommitQueue {
  private queued: PendingWrite[] = [];
  private scheduled = false;
  private inFlight: Promise<void> | null = null;

  constructor(
    private readonly store: DocStore,
    private readonly log: FastifyBaseLogger,
  ) {}

  /** Queues a write for the next group commit. */
  enqueue(write: PendingWrite): void {
    this.queued.push(write);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => void this.flush());
    }
  }

  /** Commits everything queued so far; resolves when it has been committed and reported (or failed). */
  async flush(): Promise<void> {
    while (this.inFlight) await this.inFlight;
    this.scheduled = false;
    if (this.queued.length === 0) return;
    const batch = this.queued;
    this.queued = [];
    this.inFlight = this.commit(batch);
    try {
      await this.inFlight;
    } finally {
      this.inFlight = null;
    }
  }

  private async commit(batch: PendingWrite[]): Promise<void> {
    // A write whose listener stopped accepting (its room failed an earlier commit) is dropped: stored
    // after a missing predecessor it would be an update whose dependencies never arrive.
    batch = batch.filter((write) => write.listener.accepting);
    const entries: AppendEntry[] = [];
    for (const write of batch) if (write.update) entries.push({ docId: write.docId, update: write.update });
    let seqs: number[];
    try {
      seqs = await this.store.appendBatch(entries);
    } catch (error) {
      this.log.error({ err: error, writes: batch.length }, 'group commit failed; nothing in it was acknowledged');
      for (const listener of new Set(batch.map((w) => w.listener))) this.report(() => listener.failed(error));
      return;
    }
    let next = 0;
    const listeners = new Set<CommitListener>();
    for (const write of batch) {
      const seq = write.update ? (seqs[next++] ?? 0) : 0;
      listeners.add(write.listener);
      this.report(() => write.listener.committed(write, seq));
    }
    for (const listener of listeners) this.report(() => listener.batchDone());
  }

  /** A listener that throws must not keep the rest of the batch from being reported. */
  private report(callback: () => void): void {
    try {
      callback();
    } catch (error) {
      this.log.error({ err: error }, 'commit listener threw');
    }
  }
}
