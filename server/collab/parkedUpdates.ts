/** An update that arrived before the changes it depends on, with the frame number it must be acked as. */
export interface Parked<P> {
  peer: P;
  update: Uint8Array;
  frameNo: number;
  timer: NodeJS.Timeout;
}

export interface ParkingLimits {
  /** How long an update may wait for its dependencies before its connection is refused. */
  timeoutMs: number;
  /** Most updates a room holds waiting at once. */
  maxUpdates: number;
  /** Most bytes a room holds waiting at once. */
  maxBytes: number;
}

/**
 * Updates that arrived before the changes they depend on. A y-websocket client that reconnects
 * while typing sends its newest edits before its sync step2 carries the offline ones they build on,
 * so such an update is held (outside the doc: it is neither stored nor served) and retried after the
 * room's next successful update. One still waiting after `timeoutMs` was never going to be completed:
 * `onExpired` refuses its connection.
 */
export class ParkedUpdates<P> {
  private parked: Parked<P>[] = [];
  private bytes = 0;

  constructor(
    private readonly limits: ParkingLimits,
    private readonly onExpired: (entry: Parked<P>) => void,
  ) {}

  get size(): number {
    return this.parked.length;
  }

  /** Holds an update; returns false (holding nothing) when the room's limits are reached. */
  park(peer: P, update: Uint8Array, frameNo: number): boolean {
    if (this.parked.length >= this.limits.maxUpdates || this.bytes + update.length > this.limits.maxBytes) return false;
    const entry: Parked<P> = {
      peer,
      // Copied: the frame's buffer belongs to ws.
      update: Uint8Array.from(update),
      frameNo,
      timer: setTimeout(() => {
        if (this.remove(entry)) this.onExpired(entry);
      }, this.limits.timeoutMs),
    };
    entry.timer.unref();
    this.parked.push(entry);
    this.bytes += update.length;
    return true;
  }

  /**
   * Retries every held update, oldest first, until a pass resolves none: `attempt` says whether an
   * entry is done (applied, or refused) and leaves the room, or still waits (keeping its deadline).
   */
  retry(attempt: (entry: Parked<P>) => 'done' | 'waiting'): void {
    let progress = true;
    while (progress && this.parked.length > 0) {
      progress = false;
      for (const entry of [...this.parked]) {
        if (!this.parked.includes(entry)) continue;
        if (attempt(entry) === 'done') {
          this.remove(entry);
          progress = true;
        }
      }
    }
  }

  /** Drops what `peer` had waiting (it left). */
  dropPeer(peer: P): void {
    for (const entry of this.parked) if (entry.peer === peer) this.remove(entry);
  }

  /** Drops everything (room destroyed). */
  clear(): void {
    for (const entry of [...this.parked]) this.remove(entry);
  }

  private remove(entry: Parked<P>): boolean {
    const index = this.parked.indexOf(entry);
    if (index < 0) return false;
    this.parked.splice(index, 1);
    this.bytes -= entry.update.length;
    clearTimeout(entry.timer);
    return true;
  }
}
