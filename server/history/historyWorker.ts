import { parentPort, workerData } from 'node:worker_threads';
import { checkpointState, mergeRows, restoreUpdate, versionChanges, versionContent } from './historyCompute.js';
import type { HistoryTask } from './historyThread.js';
import { installPacer, Pacer, type PacingShare } from './pacing.js';

// The history worker thread's body: runs one HistoryTask at a time (historyCompute.ts) and answers
// { id, result } or { id, error }. Started by historyThread.ts, never imported by the server itself.

// Runs at the process's priority (a lower nice value starved it on busy machines) and gives way to
// the event loop when that is late instead (pacing.ts).
installPacer(new Pacer((workerData as { pacing?: PacingShare } | undefined)?.pacing ?? null));

function run(task: HistoryTask): unknown {
  switch (task.kind) {
    case 'content':
      return versionContent(task.updates, task.format);
    case 'changes':
      return versionChanges(task.base, task.newer, task.rows);
    case 'restore':
      return restoreUpdate(task.version, task.later);
    case 'merge':
      return mergeRows(task.rows);
    case 'checkpoint':
      return checkpointState(task.updates);
  }
}

parentPort!.on('message', ({ id, task }: { id: number; task: HistoryTask }) => {
  try {
    parentPort!.postMessage({ id, result: run(task) });
  } catch (error) {
    parentPort!.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
});
