import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

/** Kernel clock ticks per second (utime/stime unit in /proc/PID/stat); 100 on every Linux we run. */
const CLOCK_TICKS = readClockTicks();

function readClockTicks(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}

/**
 * CPU time (user + system, all threads) the process has used, in µs, from /proc/PID/stat
 * (fields 14 and 15, in clock ticks: 10 ms resolution). NaN if the process is gone.
 */
export function processCpuMicros(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces; fields after it are space-separated.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return ((utime + stime) * 1e6) / CLOCK_TICKS;
  } catch {
    return Number.NaN;
  }
}

/**
 * System calls that read and that wrote (syscr, syscw of /proc/PID/io; all threads) so far. A count
 * the machine's other load hardly moves, unlike CPU time: how many socket writes an edit cost.
 */
export function processSyscalls(pid: number): { reads: number; writes: number } {
  try {
    const io = fs.readFileSync(`/proc/${pid}/io`, 'utf8');
    return { reads: Number(/syscr:\s+(\d+)/.exec(io)?.[1] ?? Number.NaN), writes: Number(/syscw:\s+(\d+)/.exec(io)?.[1] ?? Number.NaN) };
  } catch {
    return { reads: Number.NaN, writes: Number.NaN };
  }
}

/** Resident set size (VmRSS) of the process in KB, or NaN if it is gone. */
export function processRssKb(pid: number): number {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /VmRSS:\s+(\d+) kB/.exec(status);
    return match ? Number(match[1]) : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** Whether `taskset` exists and the machine has at least two cores to pin server and generator apart. */
export const canPin = os.availableParallelism() >= 2 && hasTaskset();

function hasTaskset(): boolean {
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Core the servers run on; the generator takes the other one (see pinGenerator). */
export const SERVER_CORE = 0;
export const GENERATOR_CORE = 1;

/** Pins every thread of this process (the load generator) to GENERATOR_CORE. Returns whether it did. */
export function pinGenerator(): boolean {
  if (!canPin) return false;
  try {
    execFileSync('taskset', ['-a', '-p', '-c', String(GENERATOR_CORE), String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The generator's own health over a window: CPU share of one core and event-loop lag. */
export interface GeneratorHealth {
  /** CPU used by this process ÷ wall time, in % of one core. */
  cpuPercent: number;
  /** CPU used by this process over the window, µs. */
  cpuMicros: number;
  /** Event-loop delay p99 and max, in ms. */
  lagP99Ms: number;
  lagMaxMs: number;
}

/** Measures GeneratorHealth between start() and stop(). */
export class GeneratorMonitor {
  // The histogram records whole timer intervals; the lag is what exceeds the resolution.
  private static readonly RESOLUTION_MS = 2;
  private histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: GeneratorMonitor.RESOLUTION_MS });
  private cpu = process.cpuUsage();
  private wall = performance.now();

  start(): void {
    this.histogram.reset();
    this.histogram.enable();
    this.cpu = process.cpuUsage();
    this.wall = performance.now();
  }

  stop(): GeneratorHealth {
    const used = process.cpuUsage(this.cpu);
    const wallMicros = (performance.now() - this.wall) * 1000;
    this.histogram.disable();
    return {
      cpuMicros: used.user + used.system,
      cpuPercent: ((used.user + used.system) / wallMicros) * 100,
      lagP99Ms: Math.max(0, this.histogram.percentile(99) / 1e6 - GeneratorMonitor.RESOLUTION_MS),
      lagMaxMs: Math.max(0, this.histogram.max / 1e6 - GeneratorMonitor.RESOLUTION_MS),
    };
  }
}

/** One line about the machine, for the results file. */
export function machineSummary(): string {
  const cpus = os.cpus();
  return `${cpus[0]?.model.trim() ?? 'unknown CPU'} × ${cpus.length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Linux ${os.release()}, Node ${process.version}`;
}

/** CPU time every core of the machine has spent busy (not idle or iowait), in µs, from /proc/stat. */
export function machineBusyMicros(): number {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
    const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number) as number[];
    return (((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) * 1e6) / CLOCK_TICKS;
  } catch {
    return Number.NaN;
  }
}

/**
 * Other people's work on this machine: busy CPU of all cores minus the server's and the
 * generator's own, as % of one core over `wallMs`. A window with much of it was disturbed.
 */
export function foreignCpuPercent(machineBusy: number, serverCpu: number, generatorCpu: number, wallMs: number): number {
  return Math.max(0, ((machineBusy - serverCpu - generatorCpu) / (wallMs * 1000)) * 100);
}

/** Above this much foreign CPU (% of one core) a window counts as disturbed and is run again. */
export const DISTURBED_PERCENT = 15;

/**
 * Waits (up to `maxWaitMs`) until the machine is quiet: less than DISTURBED_PERCENT of one core busy
 * over 300 ms apart from this process. Returns false if it never got quiet.
 */
export async function waitForQuiet(maxWaitMs: number): Promise<boolean> {
  const end = performance.now() + maxWaitMs;
  for (;;) {
    const busy = machineBusyMicros();
    const cpu = process.cpuUsage();
    const wall = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const own = process.cpuUsage(cpu);
    const foreign = foreignCpuPercent(machineBusyMicros() - busy, 0, own.user + own.system, performance.now() - wall);
    if (foreign < DISTURBED_PERCENT) return true;
    if (performance.now() > end) return false;
  }
}
