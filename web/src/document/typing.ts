import type { Awareness } from 'y-protocols/awareness';
import type * as Y from 'yjs';

/**
 * The typing indicator. A window that edits sets its awareness field TYPING_FIELD to the time
 * (epoch ms), at most once per TYPING_SEND_INTERVAL_MS, so typing costs one small awareness update
 * per second and silence costs nothing: the field is never cleared over the network, others let it
 * expire. Others show "typing…" for TYPING_SHOWN_MS after they SAW the field change (their own
 * clock, so a sender whose clock is off is still shown correctly).
 */

/** Awareness field holding the sender's time of its latest edit. */
export const TYPING_FIELD = 'typing';
/** How long "typing…" stays after the last edit seen. */
export const TYPING_SHOWN_MS = 3_000;
/** Least time between two updates of our own field while typing. */
export const TYPING_SEND_INTERVAL_MS = 1_000;

/**
 * Marks this window as typing on every local edit of `doc` (an update for which
 * `isLocal(origin)` is true), throttled to one awareness update per TYPING_SEND_INTERVAL_MS.
 * Returns an unsubscribe.
 */
export function announceTyping(
  doc: Y.Doc,
  awareness: Awareness,
  isLocal: (origin: unknown) => boolean,
  now: () => number = Date.now,
): () => void {
  let lastSent = -Infinity;
  const onUpdate = (_update: Uint8Array, origin: unknown): void => {
    if (!isLocal(origin) || awareness.getLocalState() === null) return;
    const time = now();
    if (time - lastSent < TYPING_SEND_INTERVAL_MS) return;
    lastSent = time;
    awareness.setLocalStateField(TYPING_FIELD, time);
  };
  doc.on('update', onUpdate);
  return () => doc.off('update', onUpdate);
}

/**
 * Tells from successive awareness snapshots who is typing. Pure: the caller passes the time.
 * A client is typing for TYPING_SHOWN_MS after its TYPING_FIELD was seen to change. The first
 * time a client is seen, its field is trusted only if it is within TYPING_SHOWN_MS of our clock
 * (someone who typed an hour ago must not show as typing to a window that just opened).
 */
export class TypingWatch {
  private readonly seen = new Map<number, { value: unknown; changedAt: number }>();

  /** Records the TYPING_FIELD of every state in `states` at time `now`; forgets clients that left. */
  observe(states: ReadonlyMap<number, Record<string, unknown>>, now: number): void {
    for (const id of this.seen.keys()) if (!states.has(id)) this.seen.delete(id);
    for (const [id, state] of states) {
      const value = state[TYPING_FIELD];
      const known = this.seen.get(id);
      if (known === undefined) {
        const fresh = typeof value === 'number' && Math.abs(now - value) < TYPING_SHOWN_MS;
        this.seen.set(id, { value, changedAt: fresh ? now : -Infinity });
      } else if (known.value !== value) {
        this.seen.set(id, { value, changedAt: typeof value === 'number' ? now : -Infinity });
      }
    }
  }

  /** Whether client `id` counts as typing at `now`. */
  isTyping(id: number, now: number): boolean {
    const known = this.seen.get(id);
    return known !== undefined && now - known.changedAt < TYPING_SHOWN_MS;
  }

  /** When the next shown "typing…" expires (epoch ms), among `ids`; null when none of them is typing. */
  nextExpiry(ids: Iterable<number>, now: number): number | null {
    let next: number | null = null;
    for (const id of ids) {
      if (!this.isTyping(id, now)) continue;
      const expiry = (this.seen.get(id)?.changedAt ?? now) + TYPING_SHOWN_MS;
      if (next === null || expiry < next) next = expiry;
    }
    return next;
  }
}
