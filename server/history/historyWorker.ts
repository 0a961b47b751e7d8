import { parentPort } from 'node:worker_threads';
import { checkpointState, mergeRows, restoreUpdate, versionChanges, versionContent } from './historyCompute.js';
import type { HistoryTask } from './historyThread.js';
import { lowerThreadPriority } from '../lowPriorityThread.js';

// The history worker thread's body: runs one HistoryTask at a time (historyCompute.ts) and answers
// { id, result } or { id, error }. Started by historyThread.ts, never imported by the server itself.

// A lower priority: replaying a long log for someone browsing history must not take turns with the
// event loop that relays everyone's keystrokes (bench/history.ts --load, with the server on one core:
// E2 fan-out p99 3–18 ms alone, 245–348 ms while versions were opened and compared at the process's
// priority, 18–23 ms at nice 19). Nice 10, not 19: a nice value weighs against every process on the
// machine, and at 19 a busy machine (CI's browsers) starved the thread's start-up for over 10 s.
lowerThreadPriority(10);

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
