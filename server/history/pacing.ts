/**
 * The history thread gives way to the event loop when the event loop is late.
 *
 * Replaying a big document's log takes whole cores' worth of CPU for a while. On a machine with one
 * core for the server, the history thread then shares it evenly with the event loop that relays
 * keystrokes, and under E2's load the relays queue (fan-out p99 245–348 ms while versions of the
 * 259,778-edit document were opened, 3–18 ms alone). A lower nice value fixed that but weighs
 * against every process on the machine: on CI's busy cores it starved the thread for tens of
 * seconds. Pacing asks only the event loop: while history work is in flight the event loop stamps a
 * shared clock every HEARTBEAT_MS; the history thread, between the steps of its work (each update
 * applied), reads how late the stamp is, and when it is more than LATE_MS late (the event loop has
 * work and no CPU) it sleeps — up to MAX_PAUSE_MS, until the stamp is fresh — then works at least
 * MIN_WORK_MS before it checks again. So it never spends more than about two thirds of its time
 * pausing, and an event loop that is idle or has a core of its own costs it nothing. Measured on one
 * core (bench/history.ts --load): p99 34–42 ms while versions are browsed (alone 4–11 ms); with
 * LATE_MS 5 and MIN_WORK_MS 8, 34–172 ms.
 *
 * Node offers no scheduling between threads of one process but the OS's, hence this small piece.
 */

/** How often the event loop stamps the clock while history work is in flight. */
export const HEARTBEAT_MS = 2;
/** A stamp older than this means the event loop is waiting for CPU. */
export const LATE_MS = 3;
/** Longest single pause. */
export const MAX_PAUSE_MS = 8;
/** Work done after a pause (or between checks) before the next check. */
export const MIN_WORK_MS = 4;

/** Slots of the shared Int32Array. */
const STAMP = 0;
const PAUSES = 1;
const SLEEP = 2;
const SLOTS = 3;

/** What both sides share: made by the event loop's side, handed to the thread as workerData. */
export interface PacingShare {
  buffer: SharedArrayBuffer;
  /** Date.now() of the stamps' zero (stamps are ms after it, to fit an Int32). */
  origin: number;
}

/** The event loop's side: stamps the clock while `busy()`. */
export class PacingClock {
  readonly share: PacingShare;
  private readonly slots: Int32Array;
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor() {
    const buffer = new SharedArrayBuffer(SLOTS * Int32Array.BYTES_PER_ELEMENT);
    this.share = { buffer, origin: Date.now() };
    this.slots = new Int32Array(buffer);
  }

  /** Starts stamping (history work was handed to the thread). */
  start(): void {
    this.stamp();
    if (this.timer !== null) return;
    this.timer = setInterval(() => this.stamp(), HEARTBEAT_MS);
    this.timer.unref();
  }

  /** Stops stamping (nothing in flight): an idle server keeps no timer. */
  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** How many times the thread has paused for the event loop (tests, metrics). */
  pauses(): number {
    return Atomics.load(this.slots, PAUSES);
  }

  private stamp(): void {
    Atomics.store(this.slots, STAMP, Date.now() - this.share.origin);
  }
}

/** The history thread's side: `pace()` between steps of work. Without a share (tests calling the pure functions), it does nothing. */
export class Pacer {
  private readonly slots: Int32Array | null;
  private nextCheck = 0;

  constructor(private readonly share: PacingShare | null) {
    this.slots = share ? new Int32Array(share.buffer) : null;
  }

  pace(): void {
    const slots = this.slots;
    if (slots === null) return;
    const now = Date.now();
    if (now < this.nextCheck) return;
    const origin = this.share!.origin;
    if (now - origin - Atomics.load(slots, STAMP) > LATE_MS) {
      let paused = 0;
      do {
        Atomics.wait(slots, SLEEP, 0, 1);
        paused = Date.now() - now;
      } while (paused < MAX_PAUSE_MS && Date.now() - origin - Atomics.load(slots, STAMP) > LATE_MS);
      Atomics.add(slots, PAUSES, 1);
    }
    this.nextCheck = Date.now() + MIN_WORK_MS;
  }
}

/** The pacer history's pure functions call (historyCompute.ts); the thread installs its own. */
let current = new Pacer(null);

export function installPacer(pacer: Pacer): void {
  current = pacer;
}

/** Between two steps of history work: gives way to a late event loop (see above). */
export function pace(): void {
  current.pace();
}
