import fs from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** When the checkpointer works (see the worker's comment for what each pass does). */
export interface CheckpointPolicy {
  /**
   * How often a pass copies the WAL into the database file while the store writes. Each pass ends in
   * an fsync, and on ext4 an fsync makes the file system commit its journal, which holds up the
   * writer's next WAL write for milliseconds: at 100 ms, E2's fan-out p99 doubled; at 1 s it matches
   * the in-memory store's. (A longer WAL costs nothing in durability: a commit is durable once it is in the WAL.)
   */
  intervalMs: number;
  /**
   * Past this many frames in the WAL, a pass may briefly hold the writer back so that the WAL starts
   * over (8192 frames ≈ 32 MB of 4 KB pages: under a few thousand commits a second, every few seconds).
   */
  restartAboveFrames: number;
  /** Once writing has stopped, a WAL file larger than this is truncated. */
  truncateAboveBytes: number;
  /**
   * Once writing has stopped, the passes space out (doubling from intervalMs) up to this: an idle
   * server wakes this seldom. The document store's writes wake the checkpointer at once; those of
   * the account store (its own connection, never announced) are seen at the next pass. Before the
   * first write the worker is not started at all: the file's WAL is looked at this often instead.
   */
  idleIntervalMs?: number;
}

export const CHECKPOINT_POLICY: CheckpointPolicy = {
  intervalMs: 1000,
  restartAboveFrames: 8192,
  truncateAboveBytes: 4 * 1024 * 1024,
  idleIntervalMs: 30_000,
};

/** Slots of the Int32Array the event loop and the worker share. */
const WRITES = 0; // bumped by the store after each write
const STOP = 1; // 1: the worker is to close its connection and end
const SLEEPING = 2; // 1: the worker waits for WRITES to move (the store then wakes it)

// Plain CommonJS for an eval worker: it runs the same way from source (tsx, vitest) and from dist/.
// It blocks in Atomics.wait between passes instead of running a timer: while the store writes, one
// pass a second; once it stops, passes space out to idleIntervalMs, and a write wakes it again.
const WORKER_SOURCE = `
const fs = require('node:fs');
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const state = new Int32Array(workerData.signal);
const [WRITES, STOP, SLEEPING] = [${WRITES}, ${STOP}, ${SLEEPING}];
const db = new Database(workerData.file);
db.pragma('busy_timeout = 1000');
// The lowest priority, for this thread only (on Linux, a thread's nice value is its own; elsewhere it
// would be the whole process's): a pass copies a second of WAL at once, and on a busy core it must
// not take turns with the event loop. At normal priority E2-shaped load at 4,000-5,000 edits/s had
// p99 spikes past 50 ms; at nice 19 it sustains 11,000.
if (process.platform === 'linux') {
  try { require('node:os').setPriority(0, 19); } catch {}
}
let lastLog = -1;
/** One pass; true when nothing had been written since the last one and everything is copied. */
function pass() {
  try {
    // PASSIVE never waits for, or blocks, the writer: it copies what was committed when it began.
    // The WAL starts over at the next commit once every frame is copied, which under unbroken
    // writing seldom happens (commits land while a pass copies and syncs). Past the limit, RESTART
    // waits for the writer, copies the rest and makes the next commit start the WAL over (the writer
    // waits a few ms, once every few seconds under heavy writing). A restarted WAL file keeps its
    // size, so the frame count, not the size, says how full it is. Once writing has stopped (nothing
    // new since the last pass, everything copied), TRUNCATE gives a large file's space back.
    const [result] = db.pragma('wal_checkpoint(PASSIVE)');
    const quiet = result.busy === 0 && result.log === lastLog && result.checkpointed === result.log;
    lastLog = result.log;
    if (quiet) {
      if (result.log > 0 && fs.statSync(workerData.file + '-wal').size > workerData.truncateAboveBytes) db.pragma('wal_checkpoint(TRUNCATE)');
    } else if (result.log > workerData.restartAboveFrames) {
      db.pragma('wal_checkpoint(RESTART)');
    }
    return quiet;
  } catch {
    return false; // busy or locked: the next pass tries again
  }
}
let delay = workerData.intervalMs;
let seen = Atomics.load(state, WRITES);
while (Atomics.load(state, STOP) === 0) {
  if (delay > workerData.intervalMs) {
    Atomics.store(state, SLEEPING, 1);
    Atomics.wait(state, WRITES, seen, delay);
    Atomics.store(state, SLEEPING, 0);
    // Woken by a write: let a second's worth of commits gather before the pass.
    if (Atomics.load(state, WRITES) !== seen) {
      delay = workerData.intervalMs;
      Atomics.wait(state, STOP, 0, delay);
    }
  } else {
    Atomics.wait(state, STOP, 0, delay);
  }
  if (Atomics.load(state, STOP) !== 0) break;
  const writes = Atomics.load(state, WRITES);
  const quiet = pass();
  delay = writes !== seen || !quiet ? workerData.intervalMs : Math.min(delay * 2, workerData.idleIntervalMs);
  seen = writes;
}
db.close();
parentPort.postMessage('closed');
`;

export interface Checkpointer {
  /** The store wrote (committed) something: starts the worker if need be, and wakes it if it sleeps. */
  wrote(): void;
  stop(): Promise<void>;
}

/**
 * Runs SQLite's WAL checkpoints on a worker thread with its own connection, so their writes and
 * fsyncs never stall the event loop (the writers turn automatic checkpoints off). The worker (a
 * thread with its own V8 heap: some 16 MB) starts at the first write, announced by `wrote()` or
 * seen in the WAL file's modification time (the account store's), not before. `stop()` ends it.
 */
export function startCheckpointer(file: string, policy: CheckpointPolicy = CHECKPOINT_POLICY): Checkpointer {
  const idleIntervalMs = policy.idleIntervalMs ?? CHECKPOINT_POLICY.idleIntervalMs!;
  const state = new Int32Array(new SharedArrayBuffer(3 * Int32Array.BYTES_PER_ELEMENT));
  let worker: Worker | null = null;
  let stopped: Promise<void> | null = null;

  const walChangedAt = (): number => {
    try {
      return fs.statSync(`${file}-wal`).mtimeMs;
    } catch {
      return -1;
    }
  };
  const start = (): void => {
    if (worker || stopped) return;
    clearInterval(watch);
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { file, driver, signal: state.buffer, ...policy, idleIntervalMs },
    });
    worker.unref();
  };
  // Until the worker runs: the account store's writes show only in the WAL file.
  const baseline = walChangedAt();
  const watch = setInterval(() => {
    if (walChangedAt() !== baseline) start();
  }, idleIntervalMs);
  watch.unref();

  return {
    wrote() {
      if (!worker) start();
      Atomics.add(state, WRITES, 1);
      if (Atomics.load(state, SLEEPING) === 1) Atomics.notify(state, WRITES);
    },
    stop() {
      clearInterval(watch);
      stopped ??= new Promise<void>((resolve) => {
        const running = worker;
        if (!running) return resolve();
        const done = () => void running.terminate().then(() => resolve(), () => resolve());
        running.once('message', done);
        running.once('error', done);
        running.once('exit', () => resolve());
        Atomics.store(state, STOP, 1);
        Atomics.notify(state, STOP);
        Atomics.notify(state, WRITES);
      });
      return stopped;
    },
  };
}
