import os from 'node:os';

/**
 * Lowers the calling worker thread's CPU priority to `nice` (0–19). On Linux a thread's nice value
 * is its own (setpriority with who = 0 names the calling thread), so the event loop that relays
 * keystrokes keeps its priority and heavy work takes the time it leaves; where the value would be
 * the whole process's (elsewhere), nothing is changed. Not permitted: the thread runs as it was.
 */
export function lowerThreadPriority(nice: number): void {
  if (process.platform !== 'linux') return;
  try {
    os.setPriority(0, nice);
  } catch {
    // Not permitted (a container without CAP_SYS_NICE may refuse even lowering): left as it is.
  }
}
