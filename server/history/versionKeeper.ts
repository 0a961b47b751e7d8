import type { HistoryConfig } from '../config.js';

/** One document being edited: when its burst began, and the timer that ends it. */
interface Burst {
  since: number;
  timer: NodeJS.Timeout;
}

/**
 * When automatic versions are due: once a document had no change stored by this process for
 * `versionIdleMs`, and at the first change stored once `versionMaxSpanMs` of continuous editing have
 * passed. `make` is called (and not awaited) for each; it must not reject. Timers are unref'd.
 */
export class VersionKeeper {
  private readonly bursts = new Map<string, Burst>();
  private readonly making = new Set<Promise<void>>();

  constructor(
    private readonly config: Pick<HistoryConfig, 'versionIdleMs' | 'versionMaxSpanMs'>,
    private readonly make: (docId: string) => Promise<void>,
  ) {}

  /** Updates of `docId` were committed now. */
  stored(docId: string): void {
    const burst = this.bursts.get(docId);
    if (burst && Date.now() - burst.since >= this.config.versionMaxSpanMs) return this.due(docId);
    if (burst) {
      // refresh(): the same timer restarted, cheaper than a new one on every commit.
      burst.timer.refresh();
      return;
    }
    const timer = setTimeout(() => this.due(docId), this.config.versionIdleMs);
    timer.unref();
    this.bursts.set(docId, { since: Date.now(), timer });
  }

  /** Makes every version still due now, and waits for those being made. */
  async flush(): Promise<void> {
    for (const docId of [...this.bursts.keys()]) this.due(docId);
    await Promise.all([...this.making]);
  }

  private due(docId: string): void {
    const burst = this.bursts.get(docId);
    if (burst) clearTimeout(burst.timer);
    this.bursts.delete(docId);
    const making = this.make(docId).finally(() => this.making.delete(making));
    this.making.add(making);
  }
}
