/**
 * How far a big document's first sync is: the server announces the bytes of sync frames to come
 * (`[103, bytes]`, see shared/codec.ts), and every sync frame received since counts toward them. A
 * document sent in one frame (a small one) is never announced: `percent` stays null.
 */
export class LoadProgress {
  private total = 0;
  private received = 0;
  private readonly listeners = new Set<() => void>();

  /** The server announced `bytes` of sync frames. */
  start(bytes: number): void {
    this.total = bytes;
    this.received = 0;
    this.emit();
  }

  /** A sync frame of `bytes` arrived (counted only while a load is announced). */
  add(bytes: number): void {
    if (this.total === 0) return;
    this.received += bytes;
    this.emit();
  }

  /** The load ended (synced) or broke off (closed): nothing to show. */
  reset(): void {
    if (this.total === 0) return;
    this.total = 0;
    this.received = 0;
    this.emit();
  }

  /** Whole percent received (0–99: the final step 2 makes it done), or null when no load is announced. */
  get percent(): number | null {
    if (this.total === 0) return null;
    return Math.min(99, Math.floor((100 * this.received) / this.total));
  }

  onChange(listener: () => void): void {
    this.listeners.add(listener);
  }

  private emit(): void {
    for (const listener of this.listeners) listener();
  }
}
