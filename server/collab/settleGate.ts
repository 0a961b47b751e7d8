/**
 * Counts a room's updates applied but not yet committed, and holds back whatever must wait until
 * there are none: answers that show the document (so no client sees what is not on disk), and the
 * updates that arrive while such an answer waits (so a steady stream of edits cannot keep that moment
 * from coming).
 */
export class SettleGate<P> {
  private pending = 0;
  private waiters: Array<() => void> = [];
  private held: Array<{ peer: P; update: Uint8Array }> = [];
  private heldBytes = 0;

  /** Updates applied but not yet committed. */
  get uncommitted(): number {
    return this.pending;
  }

  /** One more update awaits its commit. */
  opened(): void {
    this.pending++;
  }

  /** One update was committed. */
  closed(): void {
    this.pending--;
  }

  /** Runs `callback` now if nothing is uncommitted, else once nothing is (see `release`). */
  whenSettled(callback: () => void): void {
    if (this.pending === 0) callback();
    else this.waiters.push(callback);
  }

  /**
   * While an answer waits, holds an incoming update (copied) instead of letting it be applied.
   * Returns 'held', 'apply' (nothing waits: apply it now) or 'full' (more than `maxBytes` held).
   */
  hold(peer: P, update: Uint8Array, maxBytes: number): 'held' | 'apply' | 'full' {
    if (this.waiters.length === 0) return 'apply';
    if (this.heldBytes + update.length > maxBytes) return 'full';
    this.heldBytes += update.length;
    this.held.push({ peer, update: Uint8Array.from(update) });
    return 'held';
  }

  /**
   * If nothing is uncommitted: runs the waiting callbacks and returns the held updates, in arrival
   * order, for the caller to apply. Otherwise returns nothing and keeps waiting.
   */
  release(): Array<{ peer: P; update: Uint8Array }> {
    if (this.pending !== 0) return [];
    const waiters = this.waiters;
    this.waiters = [];
    // Every waiter runs even if one throws (each answers a different peer); the first error is
    // rethrown once all have run.
    let failure: { error: unknown } | null = null;
    for (const waiter of waiters) {
      try {
        waiter();
      } catch (error) {
        failure ??= { error };
      }
    }
    if (failure) throw failure.error;
    const held = this.held;
    this.held = [];
    this.heldBytes = 0;
    return held;
  }

  /** Drops every waiter and held update (the room is gone). */
  clear(): void {
    this.waiters = [];
    this.held = [];
    this.heldBytes = 0;
  }
}
