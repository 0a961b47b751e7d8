import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** How often the checkpointer copies the WAL into the database file. */
const CHECKPOINT_INTERVAL_MS = 100;
/** Past this WAL size a checkpoint may briefly hold the writer back so the WAL can start over. */
const RESTART_ABOVE_BYTES = 32 * 1024 * 1024;

// Plain CommonJS for an eval worker: it runs the same way from source (tsx, vitest) and from dist/.
const WORKER_SOURCE = `
const fs = require('node:fs');
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 1000');
const timer = setInterval(() => {
  try {
    // PASSIVE never waits for, or blocks, the writer; once a pass has copied every frame while no
    // commit is under way, the next commit starts the WAL over. Under unbroken writing that moment
    // may not come: past the size limit, RESTART waits for it (holding the writer back briefly).
    let walBytes = 0;
    try { walBytes = fs.statSync(workerData.file + '-wal').size; } catch {}
    db.pragma(walBytes > workerData.restartAboveBytes ? 'wal_checkpoint(RESTART)' : 'wal_checkpoint(PASSIVE)');
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
export function startCheckpointer(file: string): { stop(): Promise<void> } {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { file, driver, intervalMs: CHECKPOINT_INTERVAL_MS, restartAboveBytes: RESTART_ABOVE_BYTES },
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
