import type { FastifyBaseLogger } from 'fastify';
import type { Metrics } from '../metrics.js';
import type { AppendEntry, DocStore } from '../store/docStore.js';

/** Whoever queued a write and is told how it ended. */
export interface CommitListener {
  /** Called once the write is durable, with its sequence number (0 when there was nothing to store). */
  committed(write: PendingWrite, seq: number): void;
  /** Called after every write of a batch has been reported, once per listener in the batch. */
  batchDone(): void;
  /**
   * Storage refused a batch holding this listener's writes (true): they stay queued, in order, and
   * are retried. Called with false once they are committed after all.
   */
  storageTrouble(failing: boolean): void;
}

/** A write waiting for the next group commit. */
export interface PendingWrite {
  docId: string;
  listener: CommitListener;
  /** The update to append, or null for a frame that changed nothing but still orders acks. */
  update: Uint8Array | null;
  /** Who sent it (stored with it, for history); null or absent: the server. */
  author?: string | null;
  /** Opaque to the queue: handed back to the listener. */
  context: unknown;
}

/** Retry delays after consecutive failed commits: 100 ms, doubling, at most 5 s. */
function retryDelayMs(failures: number): number {
  return Math.min(5000, 100 * 2 ** Math.min(failures - 1, 6));
}

/**
 * Group commit. Writes queued in one turn of the event loop are appended in one transaction at
 * the next `setImmediate`, then reported to their listeners in queue order. Writes queued while a
 * commit is in flight wait for the next one, so reports never overtake each other. A failed commit
 * keeps its writes at the head of the queue and is retried with backoff; nothing is dropped and
 * nothing after it is committed first.
 */
export class CommitQueue {
  private queued: PendingWrite[] = [];
  private scheduled: 'immediate' | NodeJS.Timeout | null = null;
  private inFlight: Promise<boolean> | null = null;
  private failures = 0;
  private readonly troubled = new Set<CommitListener>();
  private closed = false;
  /** Date.now() of the last successful commit (or of start-up). */
  lastCommitAt = Date.now();

  constructor(
    private readonly store: DocStore,
    private readonly log: FastifyBaseLogger,
    private readonly metrics: Metrics,
  ) {}

  /** Writes waiting to be committed. */
  get pendingCount(): number {
    return this.queued.length;
  }

  /** Queues a write for the next group commit (or the next retry, while storage is failing). */
  enqueue(write: PendingWrite): void {
    this.queued.push(write);
    if (this.scheduled === null && !this.closed) {
      this.scheduled = 'immediate';
      setImmediate(() => void this.flush());
    }
  }

  /**
   * Commits everything queued so far. Resolves to true when it is committed and reported, false when
   * storage refused it (the writes stay queued and a retry is scheduled).
   */
  async flush(): Promise<boolean> {
    while (this.inFlight) await this.inFlight;
    if (this.scheduled !== null && this.scheduled !== 'immediate') clearTimeout(this.scheduled);
    this.scheduled = null;
    if (this.queued.length === 0) return true;
    const batch = this.queued;
    this.queued = [];
    this.inFlight = this.commit(batch);
    try {
      return await this.inFlight;
    } finally {
      this.inFlight = null;
    }
  }

  /** Stops scheduling commits and retries (at shutdown, after the final flush). */
  close(): void {
    this.closed = true;
    if (this.scheduled !== null && this.scheduled !== 'immediate') clearTimeout(this.scheduled);
    this.scheduled = null;
  }

  private async commit(batch: PendingWrite[]): Promise<boolean> {
    const entries: AppendEntry[] = [];
    for (const write of batch) if (write.update) entries.push({ docId: write.docId, update: write.update, author: write.author ?? null });
    const started = performance.now();
    let seqs: number[];
    try {
      seqs = await this.store.appendBatch(entries);
    } catch (error) {
      this.failed(batch, error);
      return false;
    }
    this.metrics.commitSeconds.observe((performance.now() - started) / 1000);
    this.lastCommitAt = Date.now();
    if (this.failures > 0) this.log.warn({ failures: this.failures }, 'storage accepts writes again; the backlog is committed');
    this.failures = 0;
    let next = 0;
    const listeners = new Set<CommitListener>();
    for (const write of batch) {
      const seq = write.update ? (seqs[next++] ?? 0) : 0;
      listeners.add(write.listener);
      this.report(() => write.listener.committed(write, seq));
    }
    for (const listener of listeners) this.report(() => listener.batchDone());
    for (const listener of this.troubled) this.report(() => listener.storageTrouble(false));
    this.troubled.clear();
    return true;
  }

  private failed(batch: PendingWrite[], error: unknown): void {
    this.failures++;
    this.metrics.storageFailures.inc();
    // Back at the head of the queue, ahead of anything queued since: order is what makes it valid.
    this.queued = batch.concat(this.queued);
    const delay = retryDelayMs(this.failures);
    this.log.error(
      { err: error, writes: this.queued.length, failures: this.failures, retryInMs: delay },
      'group commit failed; the writes are kept, unacknowledged, and retried',
    );
    for (const write of batch) {
      if (this.troubled.has(write.listener)) continue;
      this.troubled.add(write.listener);
      this.report(() => write.listener.storageTrouble(true));
    }
    if (!this.closed) {
      this.scheduled = setTimeout(() => void this.flush(), delay);
      this.scheduled.unref();
    }
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
