import fs from 'node:fs';
import { BenchClient, pool } from './client.js';
import { foreignCpuPercent, machineBusyMicros, processCpuMicros, processRssKb } from './proc.js';
import type { RunningServer } from './servers.js';
import { sleep } from './stats.js';

/** What a server costs while nothing happens, over one window. */
export interface QuietWindow {
  /** CPU (user + system, all threads) ÷ wall time, in % of one core (10 ms ticks: resolution 1 tick per window). */
  cpuPercent: number;
  /**
   * Context switches of all its threads per second: how often it wakes up. Unlike CPU time, a count
   * that other processes on the machine hardly move (a timer fires when it fires).
   */
  wakeupsPerSec: number;
  /** CPU used by other processes during the window, % of one core. */
  foreignCpuPercent: number;
}

export interface QuietResult {
  /** VmRSS once the fresh server answered and then sat `settleMs` with nothing to do. */
  rssAtStartKb: number;
  /** No connection at all. */
  alone: QuietWindow;
  /** `connections` idle clients (synced, then silent) over a few documents. */
  idle: QuietWindow;
  connections: number;
}

/** Voluntary + involuntary context switches summed over every thread of `pid` (threads that ended are not counted). */
function contextSwitches(pid: number): number {
  let total = 0;
  let tasks: string[];
  try {
    tasks = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return Number.NaN;
  }
  for (const task of tasks) {
    try {
      const status = fs.readFileSync(`/proc/${pid}/task/${task}/status`, 'utf8');
      total += Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(status)?.[1] ?? 0);
      total += Number(/nonvoluntary_ctxt_switches:\s+(\d+)/.exec(status)?.[1] ?? 0);
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return total;
}

async function measureQuiet(pid: number, windowMs: number): Promise<QuietWindow> {
  const cpu = processCpuMicros(pid);
  const switches = contextSwitches(pid);
  const busy = machineBusyMicros();
  const own = process.cpuUsage();
  const started = performance.now();
  await sleep(windowMs);
  const wallMs = performance.now() - started;
  const used = processCpuMicros(pid) - cpu;
  const ownUsed = process.cpuUsage(own);
  return {
    cpuPercent: (used / (wallMs * 1000)) * 100,
    wakeupsPerSec: ((contextSwitches(pid) - switches) / wallMs) * 1000,
    foreignCpuPercent: foreignCpuPercent(machineBusyMicros() - busy, used, ownUsed.user + ownUsed.system, wallMs),
  };
}

/**
 * I0: a fresh server's RSS once started, and its CPU and wake-ups while idle: first with no
 * connection, then with `connections` idle clients over `docs` documents (each synced, then silent,
 * so what is measured is the server's own timers: heartbeats, presence timeouts, checkpoints, metrics).
 */
export async function runQuiet(server: RunningServer, settleMs: number, windowMs: number, connections: number, docs: number): Promise<QuietResult> {
  await sleep(settleMs);
  const rssAtStartKb = processRssKb(server.pid);
  const alone = await measureQuiet(server.pid, windowMs);
  const clients = await pool(
    Array.from({ length: connections }, (_, i) => `i0-d${i % docs}`),
    10,
    async (docId) => {
      const client = new BenchClient(server, docId);
      await client.ready;
      return client;
    },
  );
  try {
    await sleep(settleMs);
    const idle = await measureQuiet(server.pid, windowMs);
    return { rssAtStartKb, alone, idle, connections };
  } finally {
    await pool(clients, 50, (client) => client.close());
  }
}
