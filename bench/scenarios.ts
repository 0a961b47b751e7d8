import { type IdleResult, runIdle } from './idle.js';
import { type C1Result, runC1 } from './join.js';
import { type QuietResult, runQuiet } from './quiet.js';
import { type LoadResult, LoadRun, type LoadShape, type WindowTiming } from './loadgen.js';
import { DISTURBED_PERCENT, waitForQuiet } from './proc.js';
import { type RunningServer, SERVERS, type ServerId, startServer, type StartOptions } from './servers.js';
import type { TraceDoc } from './trace.js';

export type LoadScenarioId = 'E1' | 'E2' | 'E3';

export const LOAD_SHAPES: Record<LoadScenarioId, LoadShape> = {
  E1: { docs: 10, clientsPerDoc: 5, editsPerSecond: 10, awareness: true },
  E2: { docs: 100, clientsPerDoc: 10, editsPerSecond: 2, awareness: false },
  E3: { docs: 1, clientsPerDoc: 50, editsPerSecond: 5, awareness: false },
};

/** Durations and sizes of one bench run (`--quick` shrinks them). */
export interface Plan {
  quick: boolean;
  /** Which parts to run: I0 E1 E2 E3 E2C S I1 I2 C1 (D rides with E2; E2C is E2 on the cluster server kinds). */
  parts: Set<string>;
  rounds: number;
  servers: ServerId[];
  load: WindowTiming;
  step: WindowTiming;
  /** S: edits/s per client, tried in order over E2's shape until one fails. */
  stepRates: number[];
  /**
   * I1/I2: wait this long after the last connect before reading RSS. Idle means idle: V8 shrinks its
   * heap only once allocation has stopped for some seconds, so a read soon after the connects counts
   * every server's connect-time garbage as if the connections held it.
   */
  idleSettleMs: number;
  idle: { id: 'I1' | 'I2'; connections: number; docs: number }[];
  /** I0: settle after start (and after the idle clients connect), the measured window, the idle clients. */
  quiet: { settleMs: number; windowMs: number; connections: number; docs: number };
  c1: { joins: number; burst: number };
}

export const ALL_PARTS = ['I0', 'E1', 'E2', 'E3', 'E2C', 'S', 'I1', 'I2', 'C1'];

/**
 * Whether `id` takes part in `part`. A cluster (two Tandem processes on PostgreSQL + Redis) runs E2
 * only, as the part E2C; Tandem over the HTTP fallback E1 only; every other server every part but E2C.
 */
export function takesPart(id: ServerId, part: string, parts: Set<string>): boolean {
  if (SERVERS[id].cluster) return part === 'E2' && parts.has('E2C');
  if (SERVERS[id].http) return part === 'E1' && parts.has('E1');
  return part !== 'E2C' && parts.has(part);
}

export function makePlan(quick: boolean, servers: ServerId[], parts: string[] = ALL_PARTS, rounds?: number): Plan {
  return {
    quick,
    parts: new Set(parts),
    rounds: rounds ?? (quick ? 1 : 3),
    servers,
    load: quick ? { warmupMs: 300, measureMs: 800, drainMs: 200 } : { warmupMs: 1_500, measureMs: 5_000, drainMs: 1_000 },
    step: quick ? { warmupMs: 200, measureMs: 600, drainMs: 200 } : { warmupMs: 500, measureMs: 2_500, drainMs: 1_000 },
    stepRates: quick ? [2, 6] : [2, 3, 4, 5, 6, 7.5, 9, 11, 13, 16, 20],
    idleSettleMs: quick ? 300 : 10_000,
    idle: quick
      ? [{ id: 'I1', connections: 1_000, docs: 100 }]
      : [
          { id: 'I1', connections: 1_000, docs: 100 },
          { id: 'I2', connections: 5_000, docs: 500 },
        ],
    quiet: quick ? { settleMs: 1_000, windowMs: 3_000, connections: 50, docs: 5 } : { settleMs: 3_000, windowMs: 10_000, connections: 50, docs: 5 },
    c1: quick ? { joins: 3, burst: 10 } : { joins: 10, burst: 20 },
  };
}

/** One S step as it was measured. */
export interface StepResult {
  perClient: number;
  result: LoadResult;
  p99: number;
  deliveredPct: number;
  passed: boolean;
}

/** Everything a run measured, keyed by scenario, then server. */
export interface Results {
  load: Record<LoadScenarioId, Partial<Record<ServerId, LoadResult[]>>>;
  steps: Partial<Record<ServerId, StepResult[]>>;
  idle: Record<string, Partial<Record<ServerId, IdleResult>>>;
  /** I0, per round. */
  quiet: Partial<Record<ServerId, QuietResult[]>>;
  c1: Partial<Record<ServerId, C1Result>>;
  errors: string[];
}

type Log = (line: string) => void;

/**
 * Other people run test suites on this machine now and then. Before each server start the bench
 * waits for a quiet machine (at most 20 s each time, `quietMs` in all), and a disturbed window is
 * run again while `retries` last; both bound how much longer a run can take.
 */
export class Patience {
  constructor(
    public quietMs: number,
    public retries: number,
  ) {}

  /** Waits for a quiet machine within what is left of the budget. */
  async waitForQuiet(): Promise<void> {
    const began = performance.now();
    await waitForQuiet(Math.min(20_000, this.quietMs));
    this.quietMs = Math.max(0, this.quietMs - (performance.now() - began));
  }

  /** Takes one retry if any is left. */
  retry(): boolean {
    return this.retries-- > 0;
  }
}

/** Starts a fresh server for `body` (once the machine is quiet, within the budget), and always stops it. */
async function withServer<T>(id: ServerId, patience: Patience, options: StartOptions, body: (server: RunningServer) => Promise<T>): Promise<T> {
  await patience.waitForQuiet();
  const server = await startServer(SERVERS[id], options);
  try {
    return await body(server);
  } finally {
    await server.stop();
  }
}

/** Runs one load scenario against one fresh server; a disturbed window is run again (twice at most), the least disturbed kept. */
export async function runLoad(id: ServerId, scenario: LoadScenarioId, timing: WindowTiming, tag: string, patience: Patience, log: Log): Promise<LoadResult> {
  const cluster = SERVERS[id].cluster;
  if (cluster) timing = { ...timing, warmupMs: Math.max(timing.warmupMs, cluster.warmupMs) };
  let best: LoadResult | null = null;
  for (let attempt = 0; attempt < 3; attempt++) {
    const result = await withServer(id, patience, {}, async (server) => {
      const run = await LoadRun.open(server, LOAD_SHAPES[scenario], `${tag}a${attempt}`);
      try {
        return await run.measure(timing);
      } finally {
        await run.close();
      }
    });
    if (!best || result.foreignCpuPercent < best.foreignCpuPercent) best = result;
    if (result.foreignCpuPercent <= DISTURBED_PERCENT) break;
    const again = attempt < 2 && patience.retry();
    log(`    (${scenario} ${SERVERS[id].label}: ${Math.round(result.foreignCpuPercent)}% of a core used by other processes during the window${again ? '; again' : ''})`);
    if (!again) break;
  }
  return best!;
}

export function deliveredPct(result: LoadResult): number {
  return result.expected === 0 ? 100 : (result.delivered / result.expected) * 100;
}

/** S: E2's shape, stepping the rate up over the same connections until p99 > 50 ms or a delivery is missing. */
async function runSteps(id: ServerId, plan: Plan, patience: Patience, log: Log): Promise<StepResult[]> {
  return withServer(id, patience, {}, async (server) => {
    const run = await LoadRun.open(server, LOAD_SHAPES.E2, 's');
    const steps: StepResult[] = [];
    try {
      for (const [i, perClient] of plan.stepRates.entries()) {
        // The first step also warms up the freshly connected server, as the E runs do. A step that
        // failed is measured once more before the climb ends: one stall (a GC pause, another
        // process) in a 2.5 s window should not decide a server's highest rate.
        let result = await run.measure(i === 0 ? { ...plan.step, warmupMs: plan.load.warmupMs } : plan.step, perClient);
        if (!(result.latency.percentile(99) <= 50 && deliveredPct(result) >= 100)) {
          log(`    (S ${SERVERS[id].label}: step failed (p99 ${result.latency.percentile(99).toFixed(1)} ms, other processes ${Math.round(result.foreignCpuPercent)}% of a core); once more)`);
          result = await run.measure(plan.step, perClient);
        }
        const p99 = result.latency.percentile(99);
        const pct = deliveredPct(result);
        const passed = p99 <= 50 && pct >= 100;
        steps.push({ perClient, result, p99, deliveredPct: pct, passed });
        log(`    S ${SERVERS[id].label}: ${Math.round(result.achievedEditsPerSec)} edits/s  p99 ${p99.toFixed(1)} ms  delivered ${pct.toFixed(2)}%  server ${(result.serverCpuMicros / result.edits).toFixed(0)} µs/edit = ${Math.round(result.serverCpuMicros / result.windowMs / 10)}% of its core  gen CPU ${Math.round(result.generator.cpuPercent)}%  foreign ${Math.round(result.foreignCpuPercent)}%${passed ? '' : '  ← stop'}`);
        if (!passed) break;
      }
    } finally {
      await run.close();
    }
    return steps;
  });
}

/** Runs every scenario of the plan; a failure is recorded and the run goes on. */
export async function runAll(plan: Plan, trace: TraceDoc | null, log: Log): Promise<Results> {
  const patience = plan.quick ? new Patience(5_000, 0) : new Patience(180_000, 12);
  const results: Results = { load: { E1: {}, E2: {}, E3: {} }, steps: {}, idle: {}, quiet: {}, c1: {}, errors: [] };
  const attempt = async (what: string, body: () => Promise<void>): Promise<void> => {
    try {
      await body();
    } catch (error) {
      const message = `${what}: ${(error as Error).message.split('\n')[0]}`;
      results.errors.push(message);
      log(`  ! ${message}`);
    }
  };
  const single = plan.servers.filter((id) => !SERVERS[id].cluster);
  for (let round = 0; round < plan.rounds; round++) {
    const order = round % 2 === 0 ? plan.servers : [...plan.servers].reverse();
    // I0 in the first round only: its windows are long (a full run's idle figures want 10 s each), and it needs no repeat to be stable.
    for (const id of plan.parts.has('I0') && round === 0 ? order.filter((s) => !SERVERS[s].cluster) : []) {
      await attempt(`I0 ${SERVERS[id].label}`, async () => {
        const { settleMs, windowMs, connections, docs } = plan.quiet;
        const result = await withServer(id, patience, {}, (server) => runQuiet(server, settleMs, windowMs, connections, docs));
        (results.quiet[id] ??= []).push(result);
        const w = (q: QuietResult['alone']): string => `${q.cpuPercent.toFixed(2)}% of a core, ${q.wakeupsPerSec.toFixed(1)} wake-ups/s`;
        log(`  I0 round ${round + 1} ${SERVERS[id].label}: RSS at start ${(result.rssAtStartKb / 1024).toFixed(1)} MB; idle ${w(result.alone)}; ${connections} idle connections ${w(result.idle)}; foreign ${Math.round(Math.max(result.alone.foreignCpuPercent, result.idle.foreignCpuPercent))}%`);
      });
    }
    for (const scenario of ['E1', 'E2', 'E3'] as const) {
      const ids: ServerId[] = order.filter((id) => takesPart(id, scenario, plan.parts));
      // D rides along with E2: Tandem with an in-memory store, in the same rounds, right next to
      // Tandem (after it, then before it), so that the machine's drift between the two is least.
      if (scenario === 'E2' && plan.parts.has('E2') && ids.includes('tandem') && !ids.includes('tandem-memory')) {
        const at = ids.indexOf('tandem');
        ids.splice(round % 2 === 0 ? at + 1 : at, 0, 'tandem-memory');
      }
      for (const id of ids) {
        await attempt(`${scenario} ${SERVERS[id].label}`, async () => {
          const result = await runLoad(id, scenario, plan.load, `${scenario.toLowerCase()}r${round}`, patience, log);
          (results.load[scenario][id] ??= []).push(result);
          const cluster = result.processes.length > 1
            ? ` (cross-process p99 ${result.crossProcess.latency.percentile(99).toFixed(1)} ms; per process ${result.processes.map((p) => (p.cpuMicros / p.edits).toFixed(0)).join(' / ')} µs/edit` +
              (result.auxiliaryCpu ? `; PostgreSQL ${(result.auxiliaryCpu.postgres / result.edits).toFixed(0)}, Redis ${(result.auxiliaryCpu.redis / result.edits).toFixed(0)} µs/edit` : '') + ')'
            : '';
          log(`  ${scenario} round ${round + 1} ${SERVERS[id].label}: p99 ${result.latency.percentile(99).toFixed(1)} ms, ${(result.serverCpuMicros / result.edits).toFixed(0)} µs/edit, ${(result.serverSyscalls.writes / result.edits).toFixed(1)} writes/edit, delivered ${deliveredPct(result).toFixed(2)}%, gen CPU ${Math.round(result.generator.cpuPercent)}%, foreign ${Math.round(result.foreignCpuPercent)}%${cluster}`);
        });
      }
    }
  }
  for (const id of plan.parts.has('S') ? single : []) {
    await attempt(`S ${SERVERS[id].label}`, async () => {
      results.steps[id] = await runSteps(id, plan, patience, log);
    });
  }
  for (const { id: scenario, connections, docs } of plan.idle.filter((i) => plan.parts.has(i.id))) {
    const row = (results.idle[scenario] ??= {});
    for (const id of single) {
      await attempt(`${scenario} ${SERVERS[id].label}`, async () => {
        const once = (): Promise<IdleResult> => withServer(id, patience, {}, (server) => runIdle(server, connections, docs, scenario.toLowerCase(), plan.idleSettleMs));
        let result = await once();
        if (result.foreignCpuPercent > DISTURBED_PERCENT && patience.retry()) {
          log(`    (${scenario} ${SERVERS[id].label}: disturbed by other processes, ${Math.round(result.foreignCpuPercent)}% of a core; again)`);
          const again = await once();
          if (again.foreignCpuPercent < result.foreignCpuPercent) result = again;
        }
        row[id] = result;
        log(`  ${scenario} ${SERVERS[id].label}: ${result.rssPerConnectionKb.toFixed(1)} KB/conn, ${Math.round(result.connectsPerSec)} conn/s, p99 ${result.connectMs.percentile(99).toFixed(1)} ms${result.failed ? `, ${result.failed} failed` : ''}`);
      });
    }
  }
  if (trace && plan.parts.has('C1')) {
    for (const id of single) {
      await attempt(`C1 ${SERVERS[id].label}`, async () => {
        // Tandem keeps an empty document 30 s by default; the bench wants it unloaded at once.
        const result = await withServer(id, patience, { env: { UNLOAD_GRACE_MS: '50' } }, (server) => runC1(server, trace, plan.c1.joins, plan.c1.burst));
        results.c1[id] = result;
        log(`  C1 ${SERVERS[id].label}: memory p50 ${result.memory.sequential.percentile(50).toFixed(1)} ms, storage p50 ${result.storage ? `${result.storage.sequential.percentile(50).toFixed(1)} ms` : 'n/a'}`);
      });
    }
  }
  return results;
}
