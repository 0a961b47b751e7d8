import type { HistoryConfig } from '../config.js';

/** One document being edited: when its burst began, and the timer that ends it. */
interface Burst {
  since: number;
  /** When this process last committed updates of the document. */
  last: number;
  timer: NodeJS.Timeout;
}

/**
 * When automatic versions are due: once a document had no change stored by this process for
 * `versionIdleMs`, and at the first change stored once `versionMaxSpanMs` of continuous editing have
 * passed. `make` is called (and not awaited) for each; it must not reject. It is given when the burst
 * ended here when it ended by going idle (undefined: at the span's end, or at shutdown), so that a
 * burst going on through another process is left to that process. Timers are unref'd.
 */
export class VersionKeeper {
  private readonly bursts = new Map<string, Burst>();
  private readonly making = new Set<Promise<void>>();

  constructor(
    private readonly config: Pick<HistoryConfig, 'versionIdleMs' | 'versionMaxSpanMs'>,
    private readonly make: (docId: string, endedAt: number | undefined) => Promise<void>,
  ) {}

  /** Updates of `docId` were committed now. */
  stored(docId: string): void {
    const burst = this.bursts.get(docId);
    const now = Date.now();
    if (burst && now - burst.since >= this.config.versionMaxSpanMs) return this.due(docId, undefined);
    if (burst) {
      burst.last = now;
      // refresh(): the same timer restarted, cheaper than a new one on every commit.
      burst.timer.refresh();
      return;
    }
    const timer = setTimeout(() => this.due(docId, this.bursts.get(docId)?.last), this.config.versionIdleMs);
    timer.unref();
    this.bursts.set(docId, { since: now, last: now, timer });
  }

  /** Whether a burst is still open here, or a version being made (the cluster test waits for quiet). */
  get pending(): boolean {
    return this.bursts.size > 0 || this.making.size > 0;
  }

  /** Makes every version still due now, and waits for those being made. */
  async flush(): Promise<void> {
    for (const docId of [...this.bursts.keys()]) this.due(docId, undefined);
    await Promise.all([...this.making]);
  }

  private due(docId: string, endedAt: number | undefined): void {
    const burst = this.bursts.get(docId);
    if (burst) clearTimeout(burst.timer);
    this.bursts.delete(docId);
    const making = this.make(docId, endedAt).finally(() => this.making.delete(making));
    this.making.add(making);
  }
}
