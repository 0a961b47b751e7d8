import { parentPort } from 'node:worker_threads';
import { checkpointState, mergeRows, restoreUpdate, versionChanges, versionContent } from './historyCompute.js';
import type { HistoryTask } from './historyThread.js';

// The history worker thread's body: runs one HistoryTask at a time (historyCompute.ts) and answers
// { id, result } or { id, error }. Started by historyThread.ts, never imported by the server itself.

// Runs at the process's priority. A lower one (nice 10 or 19, as the document workers run at 10)
// cut E2's fan-out p99 while versions were browsed from 245–348 ms to 17–55 ms on the bench's one
// core, but in CI, with browsers on both cores, the history browser test then timed out waiting for
// a comparison (twice, at 19 and at 10): left for a change that does not starve the thread.

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
