import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** When the checkpointer works (see the worker's comment for what each pass does). */
export interface CheckpointPolicy {
  /**
   * How often a pass copies the WAL into the database file. Each pass ends in an fsync, and on ext4
   * an fsync makes the file system commit its journal, which holds up the writer's next WAL write
   * for milliseconds: at 100 ms, E2's fan-out p99 doubled; at 1 s it matches the in-memory store's.
   * (A longer WAL costs nothing in durability: a commit is durable once it is in the WAL.)
   */
  intervalMs: number;
  /**
   * Past this many frames in the WAL, a pass may briefly hold the writer back so that the WAL starts
   * over (8192 frames ≈ 32 MB of 4 KB pages: under a few thousand commits a second, every few seconds).
   */
  restartAboveFrames: number;
  /** Once writing has stopped, a WAL file larger than this is truncated. */
  truncateAboveBytes: number;
}

export const CHECKPOINT_POLICY: CheckpointPolicy = {
  intervalMs: 1000,
  restartAboveFrames: 8192,
  truncateAboveBytes: 4 * 1024 * 1024,
};

// Plain CommonJS for an eval worker: it runs the same way from source (tsx, vitest) and from dist/.
const WORKER_SOURCE = `
const fs = require('node:fs');
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
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
const timer = setInterval(() => {
  try {
    // PASSIVE never waits for, or blocks, the writer: it copies what was committed when it began.
    // The WAL starts over at the next commit once every frame is copied, which under unbroken
    // writing seldom happens (commits land while a pass copies and syncs). Past the limit, RESTART
    // waits for the writer, copies the rest and makes the next commit start the WAL over (the writer
    // waits a few ms, once every few seconds under heavy writing). A restarted WAL file keeps its
    // size, so the frame count, not the size, says how full it is. Once writing has stopped (nothing
    // new since the last pass, everything copied), TRUNCATE gives a large file's space back.
    const [pass] = db.pragma('wal_checkpoint(PASSIVE)');
    const quiet = pass.busy === 0 && pass.log === lastLog && pass.checkpointed === pass.log;
    lastLog = pass.log;
    if (quiet) {
      if (pass.log > 0 && fs.statSync(workerData.file + '-wal').size > workerData.truncateAboveBytes) db.pragma('wal_checkpoint(TRUNCATE)');
    } else if (pass.log > workerData.restartAboveFrames) {
      db.pragma('wal_checkpoint(RESTART)');
    }
  } catch {
    // Busy or locked: the next pass tries again.
  }
}, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.postMessage('closed');
});
`;

/**
 * Runs SQLite's WAL checkpoints on a worker thread with its own connection, so their writes and
 * fsyncs never stall the event loop (the writer turns automatic checkpoints off). `stop()` ends it.
 */
export function startCheckpointer(file: string, policy: CheckpointPolicy = CHECKPOINT_POLICY): { stop(): Promise<void> } {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { file, driver, ...policy },
  });
  worker.unref();
  let stopped: Promise<void> | null = null;
  return {
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        const done = () => void worker.terminate().then(() => resolve(), () => resolve());
        worker.once('message', done);
        worker.once('error', done);
        worker.once('exit', () => resolve());
        worker.postMessage('stop');
      });
      return stopped;
    },
  };
}
