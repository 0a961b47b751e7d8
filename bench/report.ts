import type { IdleResult } from './idle.js';
import type { C1Result } from './join.js';
import type { LoadResult } from './loadgen.js';
import type { QuietResult, QuietWindow } from './quiet.js';
import { deliveredPct, LOAD_SHAPES, type LoadScenarioId, type Plan, type Results } from './scenarios.js';
import { PEERS, SERVERS, type ServerId } from './servers.js';
import { Samples } from './stats.js';

/** Rounds of one load scenario on one server, pooled: samples merged, counters summed. */
export interface Pooled {
  latency: Samples;
  edits: number;
  windowMs: number;
  expected: number;
  delivered: number;
  cpuMicrosPerEdit: number;
  readSyscallsPerEdit: number;
  writeSyscallsPerEdit: number;
  deliveriesPerSec: number;
  deliveredPct: number;
  rssKb: number;
  genCpuPercent: number;
  genLagP99Ms: number;
  clientsLost: number;
  /** Largest share of a core other processes used during a window. */
  foreignCpuPercent: number;
  /** Deliveries to clients on the sender's process / on another process (only a cluster has the latter). */
  sameProcess: PooledDeliveries;
  crossProcess: PooledDeliveries;
  /** Per server process, in start order: CPU per edit sent by its own clients, and its largest RSS. */
  processes: { cpuMicrosPerEdit: number; edits: number; rssKb: number }[];
  /** A cluster's PostgreSQL and Redis CPU per edit (all edits); null for other servers. */
  postgresCpuMicrosPerEdit: number | null;
  redisCpuMicrosPerEdit: number | null;
}

export interface PooledDeliveries {
  latency: Samples;
  expected: number;
  delivered: number;
  deliveredPct: number;
}

export function pool(rounds: LoadResult[] | undefined): Pooled | null {
  if (!rounds || rounds.length === 0) return null;
  const latency = new Samples();
  let reads = 0, writes = 0;
  let edits = 0, windowMs = 0, expected = 0, delivered = 0, cpu = 0, rssKb = 0, genCpu = 0, lag = 0, lost = 0, foreign = 0;
  const kinds = { same: { latency: new Samples(), expected: 0, delivered: 0 }, cross: { latency: new Samples(), expected: 0, delivered: 0 } };
  const processes = rounds[0]!.processes.map(() => ({ cpu: 0, edits: 0, rssKb: 0 }));
  let postgres: number | null = null, redis: number | null = null;
  for (const r of rounds) {
    latency.addAll(r.latency);
    for (const [kind, from] of [[kinds.same, r.sameProcess], [kinds.cross, r.crossProcess]] as const) {
      kind.latency.addAll(from.latency);
      kind.expected += from.expected;
      kind.delivered += from.delivered;
    }
    r.processes.forEach((p, i) => {
      const into = processes[i];
      if (!into) return;
      into.cpu += p.cpuMicros;
      into.edits += p.edits;
      into.rssKb = Math.max(into.rssKb, p.rssKb);
    });
    if (r.auxiliaryCpu) {
      postgres = (postgres ?? 0) + r.auxiliaryCpu.postgres;
      redis = (redis ?? 0) + r.auxiliaryCpu.redis;
    }
    edits += r.edits;
    windowMs += r.windowMs;
    expected += r.expected;
    delivered += r.delivered;
    cpu += r.serverCpuMicros;
    reads += r.serverSyscalls.reads;
    writes += r.serverSyscalls.writes;
    rssKb = Math.max(rssKb, r.rssKb);
    genCpu = Math.max(genCpu, r.generator.cpuPercent);
    lag = Math.max(lag, r.generator.lagP99Ms);
    lost += r.clientsLost;
    foreign = Math.max(foreign, r.foreignCpuPercent);
  }
  return {
    latency, edits, windowMs, expected, delivered, rssKb, clientsLost: lost,
    cpuMicrosPerEdit: cpu / edits,
    readSyscallsPerEdit: reads / edits,
    writeSyscallsPerEdit: writes / edits,
    deliveriesPerSec: (delivered / windowMs) * 1000,
    deliveredPct: expected === 0 ? 100 : (delivered / expected) * 100,
    genCpuPercent: genCpu,
    genLagP99Ms: lag,
    foreignCpuPercent: foreign,
    sameProcess: { ...kinds.same, deliveredPct: kinds.same.expected === 0 ? Number.NaN : (kinds.same.delivered / kinds.same.expected) * 100 },
    crossProcess: { ...kinds.cross, deliveredPct: kinds.cross.expected === 0 ? Number.NaN : (kinds.cross.delivered / kinds.cross.expected) * 100 },
    processes: processes.map((p) => ({ cpuMicrosPerEdit: p.cpu / p.edits, edits: p.edits, rssKb: p.rssKb })),
    postgresCpuMicrosPerEdit: postgres === null ? null : postgres / edits,
    redisCpuMicrosPerEdit: redis === null ? null : redis / edits,
  };
}

/** At or above this CPU share at S's stopping step, the generator (one core) may be what stopped it. */
const GENERATOR_BOUND_PERCENT = 80;

/** The highest achieved edits/s of a passing S step (0 if none passed), why it stopped, and the generator's CPU then. */
export function sustained(results: Results, id: ServerId): { editsPerSec: number; stop: string; generatorPercent: number } | null {
  const steps = results.steps[id];
  if (!steps) return null;
  const passed = steps.filter((s) => s.passed);
  const best = passed.length ? Math.max(...passed.map((s) => s.result.achievedEditsPerSec)) : 0;
  const last = steps[steps.length - 1]!;
  const generatorPercent = last.result.generator.cpuPercent;
  const stop = last.passed
    ? 'highest step passed'
    : `next step: p99 ${last.p99.toFixed(0)} ms, ${last.deliveredPct.toFixed(1)}% delivered, generator ${Math.round(generatorPercent)}% CPU` +
      (generatorPercent >= GENERATOR_BOUND_PERCENT ? ' — generator near saturation: a lower bound' : '');
  return { editsPerSec: best, stop, generatorPercent };
}

/** One table row: a value per server (NaN = not measured / n/a). */
interface Row {
  scenario: string;
  metric: string;
  values: Partial<Record<ServerId, number>>;
  digits: number;
  /** False for rows about the bench itself (generator, other processes): no Tandem ÷ peer ratio. */
  ratio?: boolean;
}

function loadRows(scenario: LoadScenarioId, pooled: Partial<Record<ServerId, Pooled | null>>): Row[] {
  const row = (metric: string, digits: number, pick: (p: Pooled) => number, ratio = true): Row => ({
    scenario,
    metric,
    digits,
    ratio,
    values: Object.fromEntries(Object.entries(pooled).map(([id, p]) => [id, p ? pick(p) : Number.NaN])),
  });
  return [
    row('fan-out p50 ms ↓', 2, (p) => p.latency.percentile(50)),
    row('fan-out p95 ms ↓', 2, (p) => p.latency.percentile(95)),
    row('fan-out p99 ms ↓', 2, (p) => p.latency.percentile(99)),
    row('fan-out max ms ↓', 1, (p) => p.latency.max),
    row('deliveries/s ↑', 0, (p) => p.deliveriesPerSec),
    row('delivered % ↑', 2, (p) => p.deliveredPct),
    row('server CPU µs/edit ↓', 0, (p) => p.cpuMicrosPerEdit),
    row('server read syscalls/edit ↓', 1, (p) => p.readSyscallsPerEdit),
    row('server write syscalls/edit ↓', 1, (p) => p.writeSyscallsPerEdit),
    row('server RSS MB ↓', 1, (p) => p.rssKb / 1024),
    row('generator CPU % (max)', 0, (p) => p.genCpuPercent, false),
    row('generator lag p99 ms', 1, (p) => p.genLagP99Ms, false),
    row('clients the server closed', 0, (p) => p.clientsLost, false),
    row('other processes’ CPU % (max)', 0, (p) => p.foreignCpuPercent, false),
    ...clusterRows(row, pooled),
  ];
}

/**
 * A cluster's extra rows (n/a for single processes, whose every delivery is same-process): fan-out
 * split by where the receiver is, and CPU and RSS per process, PostgreSQL and Redis CPU.
 */
function clusterRows(row: (metric: string, digits: number, pick: (p: Pooled) => number, ratio?: boolean) => Row, pooled: Partial<Record<ServerId, Pooled | null>>): Row[] {
  const counts = Object.values(pooled).map((p) => p?.processes.length ?? 0);
  const most = Math.max(0, ...counts);
  if (most < 2) return [];
  const cluster = (pick: (p: Pooled) => number | null | undefined) => (p: Pooled) => (p.processes.length > 1 ? (pick(p) ?? Number.NaN) : Number.NaN);
  const rows: Row[] = [];
  for (const [name, kind] of [['same-process', 'sameProcess'], ['cross-process', 'crossProcess']] as const) {
    rows.push(
      row(`${name} fan-out p50 ms ↓`, 2, cluster((p) => p[kind].latency.percentile(50)), false),
      row(`${name} fan-out p95 ms ↓`, 2, cluster((p) => p[kind].latency.percentile(95)), false),
      row(`${name} fan-out p99 ms ↓`, 2, cluster((p) => p[kind].latency.percentile(99)), false),
      row(`${name} fan-out max ms ↓`, 1, cluster((p) => p[kind].latency.max), false),
      row(`${name} delivered % ↑`, 2, cluster((p) => p[kind].deliveredPct), false),
    );
  }
  for (let i = 0; i < most; i++) {
    rows.push(row(`process ${i + 1} CPU µs/edit of its clients ↓`, 0, cluster((p) => p.processes[i]?.cpuMicrosPerEdit), false));
  }
  for (let i = 0; i < most; i++) rows.push(row(`process ${i + 1} RSS MB ↓`, 1, cluster((p) => (p.processes[i]?.rssKb ?? Number.NaN) / 1024), false));
  rows.push(row('PostgreSQL CPU µs/edit ↓', 0, cluster((p) => p.postgresCpuMicrosPerEdit), false));
  rows.push(row('Redis CPU µs/edit ↓', 0, cluster((p) => p.redisCpuMicrosPerEdit), false));
  return rows;
}

function idleRows(scenario: string, byServer: Partial<Record<ServerId, IdleResult>>): Row[] {
  const row = (metric: string, digits: number, pick: (r: IdleResult) => number, ratio = true): Row => ({
    scenario,
    metric,
    digits,
    ratio,
    values: Object.fromEntries(Object.entries(byServer).map(([id, r]) => [id, pick(r)])),
  });
  return [
    row('RSS KB/connection ↓', 1, (r) => r.rssPerConnectionKb),
    row('connects/s ↑', 0, (r) => r.connectsPerSec),
    row('connect p99 ms ↓', 1, (r) => r.connectMs.percentile(99)),
    row('server CPU µs/connect ↓', 0, (r) => r.serverCpuMicrosPerConnection),
    row('connections that failed', 0, (r) => r.failed, false),
    row('other processes’ CPU %', 0, (r) => r.foreignCpuPercent, false),
  ];
}

/** I0 rounds of one server, averaged (null when it did not run). */
export function quietOf(results: Results, id: ServerId): { rssAtStartKb: number; alone: QuietWindow; idle: QuietWindow } | null {
  const rounds = results.quiet[id];
  if (!rounds || rounds.length === 0) return null;
  const mean = (pick: (r: QuietResult) => number): number => rounds.reduce((sum, r) => sum + pick(r), 0) / rounds.length;
  const windowOf = (which: 'alone' | 'idle'): QuietWindow => ({
    cpuPercent: mean((r) => r[which].cpuPercent),
    wakeupsPerSec: mean((r) => r[which].wakeupsPerSec),
    foreignCpuPercent: Math.max(...rounds.map((r) => r[which].foreignCpuPercent)),
  });
  return { rssAtStartKb: mean((r) => r.rssAtStartKb), alone: windowOf('alone'), idle: windowOf('idle') };
}

function quietRows(plan: Plan, results: Results): Row[] {
  const row = (metric: string, digits: number, pick: (q: NonNullable<ReturnType<typeof quietOf>>) => number, ratio = true): Row => ({
    scenario: 'I0',
    metric,
    digits,
    ratio,
    values: Object.fromEntries(plan.servers.map((id) => {
      const quiet = quietOf(results, id);
      return [id, quiet ? pick(quiet) : Number.NaN];
    })),
  });
  const n = plan.quiet.connections;
  return [
    row('RSS at start MB ↓', 1, (q) => q.rssAtStartKb / 1024),
    row('idle CPU % of a core, no connection ↓', 2, (q) => q.alone.cpuPercent),
    row('idle wake-ups/s, no connection ↓', 1, (q) => q.alone.wakeupsPerSec),
    row(`idle CPU % of a core, ${n} idle connections ↓`, 2, (q) => q.idle.cpuPercent),
    row(`idle wake-ups/s, ${n} idle connections ↓`, 1, (q) => q.idle.wakeupsPerSec),
    row('other processes’ CPU % (max)', 0, (q) => Math.max(q.alone.foreignCpuPercent, q.idle.foreignCpuPercent), false),
  ];
}

function c1Rows(byServer: Partial<Record<ServerId, C1Result>>, burst: number): Row[] {
  const row = (metric: string, digits: number, pick: (r: C1Result) => number | undefined): Row => ({
    scenario: 'C1',
    metric,
    digits,
    values: Object.fromEntries(Object.entries(byServer).map(([id, r]) => [id, pick(r) ?? Number.NaN])),
  });
  return [
    row('in memory: join p50 ms ↓', 1, (r) => r.memory.sequential.percentile(50)),
    row('in memory: join max ms ↓', 1, (r) => r.memory.sequential.max),
    row(`in memory: burst of ${burst} p50 ms ↓`, 1, (r) => r.memory.burst.percentile(50)),
    row(`in memory: burst of ${burst} max ms ↓`, 1, (r) => r.memory.burst.max),
    row('from storage: join p50 ms ↓', 1, (r) => r.storage?.sequential.percentile(50)),
    row('from storage: join max ms ↓', 1, (r) => r.storage?.sequential.max),
    row(`from storage: burst of ${burst} p50 ms ↓`, 1, (r) => r.storage?.burst.percentile(50)),
    row(`from storage: burst of ${burst} max ms ↓`, 1, (r) => r.storage?.burst.max),
    row('server RSS MB, doc loaded ↓', 1, (r) => r.rssKb / 1024),
  ];
}

function fmt(value: number | undefined, digits: number): string {
  if (value === undefined || Number.isNaN(value)) return 'n/a';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** The figures the issue sets targets on, as a small table for the README: a column per server. */
export function summaryTable(plan: Plan, results: Results, pooled: Record<LoadScenarioId, Partial<Record<ServerId, Pooled | null>>>): string {
  const servers = plan.servers;
  const rows: [string, number, (id: ServerId) => number | undefined][] = [
    ['RSS at start MB', 1, (id) => (quietOf(results, id)?.rssAtStartKb ?? Number.NaN) / 1024],
    ['idle CPU % of a core, no connection', 2, (id) => quietOf(results, id)?.alone.cpuPercent],
    [`idle CPU % of a core, ${plan.quiet.connections} idle connections`, 2, (id) => quietOf(results, id)?.idle.cpuPercent],
    ['E1 fan-out p99 ms', 1, (id) => pooled.E1[id]?.latency.percentile(99)],
    ['E2 fan-out p99 ms', 1, (id) => pooled.E2[id]?.latency.percentile(99)],
    ['E2 cross-process fan-out p99 ms', 1, (id) => (pooled.E2[id]?.processes.length ?? 0) > 1 ? pooled.E2[id]!.crossProcess.latency.percentile(99) : undefined],
    ['E3 fan-out p99 ms', 1, (id) => pooled.E3[id]?.latency.percentile(99)],
    ['E1 server CPU µs/edit', 0, (id) => pooled.E1[id]?.cpuMicrosPerEdit],
    ['E2 server CPU µs/edit', 0, (id) => pooled.E2[id]?.cpuMicrosPerEdit],
    ['E3 server CPU µs/edit', 0, (id) => pooled.E3[id]?.cpuMicrosPerEdit],
    ['S highest sustained edits/s', 0, (id) => sustained(results, id)?.editsPerSec],
    ['I2 RSS KB per idle connection', 1, (id) => results.idle.I2?.[id]?.rssPerConnectionKb],
    ['I2 connections accepted per s', 0, (id) => results.idle.I2?.[id]?.connectsPerSec],
    ['C1 join from storage p50 ms', 1, (id) => results.c1[id]?.storage?.sequential.percentile(50)],
  ];
  const lines = [`| | ${servers.map((id) => SERVERS[id].label).join(' | ')} |`, `| --- |${servers.map(() => ' ---: ').join('|')}|`];
  for (const [label, digits, pick] of rows) {
    const values = servers.map((id) => pick(id));
    if (!values.some((v) => v !== undefined && Number.isFinite(v))) continue;
    lines.push(`| ${label} | ${values.map((v) => fmt(v, digits)).join(' | ')} |`);
  }
  return lines.join('\n');
}

/** The whole comparison as one markdown table: a column per server, then Tandem ÷ each peer. */
export function buildTable(plan: Plan, results: Results): { table: string; pooled: Record<LoadScenarioId, Partial<Record<ServerId, Pooled | null>>> } {
  const servers = plan.servers;
  const peers = PEERS.filter((id) => servers.includes(id));
  const pooled = {} as Record<LoadScenarioId, Partial<Record<ServerId, Pooled | null>>>;
  const rows: Row[] = [...quietRows(plan, results)];
  for (const scenario of ['E1', 'E2', 'E3'] as const) {
    pooled[scenario] = Object.fromEntries(servers.map((id) => [id, pool(results.load[scenario][id])]));
    rows.push(...loadRows(scenario, pooled[scenario]));
  }
  rows.push({
    scenario: 'S',
    metric: 'highest sustained edits/s ↑',
    digits: 0,
    values: Object.fromEntries(servers.map((id) => [id, sustained(results, id)?.editsPerSec ?? Number.NaN])),
  });
  rows.push({
    scenario: 'S',
    metric: `generator CPU % at the stopping step (≥ ${GENERATOR_BOUND_PERCENT}: a lower bound)`,
    digits: 0,
    ratio: false,
    values: Object.fromEntries(servers.map((id) => [id, sustained(results, id)?.generatorPercent ?? Number.NaN])),
  });
  for (const [scenario, byServer] of Object.entries(results.idle)) rows.push(...idleRows(scenario, byServer));
  rows.push(...c1Rows(results.c1, plan.c1.burst));
  const head = ['scenario', 'metric', ...servers.map((id) => SERVERS[id].label), ...peers.map((id) => `Tandem ÷ ${SERVERS[id].label}`)];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i < 2 ? ' --- ' : ' ---: ')).join('|')}|`];
  for (const row of rows) {
    if (!Object.values(row.values).some((v) => Number.isFinite(v))) continue; // a part that did not run
    const tandem = row.values.tandem;
    const cells = [row.scenario, row.metric, ...servers.map((id) => fmt(row.values[id], row.digits))];
    for (const peer of peers) {
      const ratio = tandem !== undefined && row.values[peer] !== undefined ? tandem / row.values[peer]! : Number.NaN;
      cells.push(row.ratio === false ? '' : Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : 'n/a');
    }
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return { table: lines.join('\n'), pooled };
}

/**
 * E2C: E2 on each cluster server kind beside single-process Tandem (SQLite) from the same run, as a
 * markdown table; a note when the cluster did not run.
 */
export function clusterLines(plan: Plan, results: Results, skipped: string | null): string[] {
  if (skipped) return [`E2C not measured: ${skipped}.`];
  const clusters = plan.servers.filter((id) => SERVERS[id].cluster && results.load.E2[id]?.length);
  if (clusters.length === 0) return plan.parts.has('E2C') ? ['E2C: no figures (see Errors).'] : ['E2C not run (not in --only / --servers).'];
  const ids: ServerId[] = [...(results.load.E2.tandem?.length ? (['tandem'] as ServerId[]) : []), ...clusters];
  const pooled = Object.fromEntries(ids.map((id) => [id, pool(results.load.E2[id])!])) as Record<ServerId, Pooled>;
  const { docs, clientsPerDoc, editsPerSecond } = LOAD_SHAPES.E2;
  const shape = `E2: ${docs} documents × ${clientsPerDoc} clients × ${editsPerSecond} edits/s`;
  const slash = (values: (number | undefined)[], digits: number): string => values.map((v) => fmt(v, digits)).join(' / ');
  const percentilesOf = (samples: Samples): string => slash([samples.percentile(50), samples.percentile(95), samples.percentile(99), samples.max], 1);
  const isCluster = (p: Pooled): boolean => p.processes.length > 1;
  const rows: [string, (p: Pooled) => string][] = [
    ['fan-out p50 / p95 / p99 / max ms, every delivery', (p) => percentilesOf(p.latency)],
    ['… to a client of the sender’s process', (p) => percentilesOf(isCluster(p) ? p.sameProcess.latency : p.latency)],
    ['… to a client of the other process', (p) => (isCluster(p) ? percentilesOf(p.crossProcess.latency) : '—')],
    ['deliveries/s (of them cross-process)', (p) => `${fmt(p.deliveriesPerSec, 0)}${isCluster(p) ? ` (${fmt((p.crossProcess.delivered / p.windowMs) * 1000, 0)})` : ''}`],
    ['delivered %', (p) => (isCluster(p) ? `${fmt(p.deliveredPct, 2)} (same ${fmt(p.sameProcess.deliveredPct, 2)}, cross ${fmt(p.crossProcess.deliveredPct, 2)})` : fmt(p.deliveredPct, 2))],
    ['total CPU µs/edit: all processes + PostgreSQL + Redis', (p) => fmt(p.cpuMicrosPerEdit + (p.postgresCpuMicrosPerEdit ?? 0) + (p.redisCpuMicrosPerEdit ?? 0), 0)],
    ['server CPU µs/edit, all processes', (p) => fmt(p.cpuMicrosPerEdit, 0)],
    ['… per process (its CPU ÷ edits of its own clients)', (p) => (isCluster(p) ? slash(p.processes.map((q) => q.cpuMicrosPerEdit), 0) : fmt(p.cpuMicrosPerEdit, 0))],
    ['PostgreSQL / Redis CPU µs/edit', (p) => (isCluster(p) ? slash([p.postgresCpuMicrosPerEdit ?? Number.NaN, p.redisCpuMicrosPerEdit ?? Number.NaN], 0) : 'in-process (SQLite)')],
    ['RSS MB per process', (p) => slash(p.processes.map((q) => q.rssKb / 1024), 0)],
    ['generator CPU % / other processes’ CPU % (max)', (p) => slash([p.genCpuPercent, p.foreignCpuPercent], 0)],
  ];
  const lines = [`| ${shape} | ${ids.map((id) => (id === 'tandem' ? 'Tandem, one process (SQLite)' : SERVERS[id].label)).join(' | ')} |`, `| --- |${ids.map(() => ' ---: ').join('|')}|`];
  for (const [label, cell] of rows) lines.push(`| ${label} | ${ids.map((id) => cell(pooled[id])).join(' | ')} |`);
  return lines;
}

/** D: Tandem E2 with SQLite vs. the in-memory store, same rounds. */
export function durabilityLine(results: Results): string {
  const sqlite = pool(results.load.E2.tandem);
  const memory = pool(results.load.E2['tandem-memory']);
  if (!sqlite || !memory) return 'D: not measured';
  const cost = (sqlite.cpuMicrosPerEdit / memory.cpuMicrosPerEdit - 1) * 100;
  return (
    `D (E2, Tandem): SQLite write-ahead ${sqlite.cpuMicrosPerEdit.toFixed(0)} µs/edit, p99 ${sqlite.latency.percentile(99).toFixed(2)} ms; ` +
    `in-memory store ${memory.cpuMicrosPerEdit.toFixed(0)} µs/edit, p99 ${memory.latency.percentile(99).toFixed(2)} ms → durability costs ${cost.toFixed(1)}% CPU per edit`
  );
}

/** The issue's targets, each with the figure measured and whether it holds. */
export function targetLines(plan: Plan, results: Results, pooled: Record<LoadScenarioId, Partial<Record<ServerId, Pooled | null>>>): string[] {
  const e2 = pooled.E2;
  const lines: string[] = [];
  const check = (label: string, value: number, limit: number, higherIsBetter = false, unit = '×'): void => {
    if (!Number.isFinite(value)) {
      lines.push(`- ${label}: n/a`);
      return;
    }
    const ok = higherIsBetter ? value >= limit : value <= limit;
    lines.push(`- ${ok ? '✅' : '❌'} ${label}: ${value.toFixed(2)}${unit} (target ${higherIsBetter ? '≥' : '≤'} ${limit}${unit})`);
  };
  const ratio = (a: number | undefined, b: number | undefined): number => (a !== undefined && b !== undefined ? a / b : Number.NaN);
  const t = e2.tandem;
  const e1 = pooled.E1;
  check('E1 CPU/edit vs y-websocket-server', ratio(e1.tandem?.cpuMicrosPerEdit, e1.yws?.cpuMicrosPerEdit), 1.0);
  check('E2 CPU/edit vs y-websocket-server', ratio(t?.cpuMicrosPerEdit, e2.yws?.cpuMicrosPerEdit), 0.9);
  check('E2 fan-out p99 vs y-websocket-server', ratio(t?.latency.percentile(99), e2.yws?.latency.percentile(99)), 0.6);
  const quietT = quietOf(results, 'tandem');
  const quietY = quietOf(results, 'yws');
  const over = (which: 'alone' | 'idle'): number => (quietT && quietY ? quietT[which].cpuPercent - quietY[which].cpuPercent : Number.NaN);
  check('idle CPU, no connection, above y-websocket-server', over('alone'), 0.2, false, ' % of a core');
  check(`idle CPU, ${plan.quiet.connections} idle connections, above y-websocket-server`, over('idle'), 0.2, false, ' % of a core');
  check('RSS at start', (quietT?.rssAtStartKb ?? Number.NaN) / 1024, 80, false, ' MB');
  check('I2 RSS per idle connection', results.idle.I2?.tandem?.rssPerConnectionKb ?? Number.NaN, 8, false, ' KB');
  check('I2 connections accepted per s vs y-websocket-server', ratio(results.idle.I2?.tandem?.connectsPerSec, results.idle.I2?.yws?.connectsPerSec), 1.0, true);
  const cluster = e2['tandem-cluster'];
  const totalOf = (p: Pooled | null | undefined): number | undefined => (p ? p.cpuMicrosPerEdit + (p.postgresCpuMicrosPerEdit ?? 0) + (p.redisCpuMicrosPerEdit ?? 0) : undefined);
  const clusterTotal = totalOf(cluster);
  check('E2C CPU/edit, both processes + PostgreSQL + Redis, vs one process on SQLite', ratio(clusterTotal, t?.cpuMicrosPerEdit), 1.5);
  check('E2C fan-out p50', cluster?.latency.percentile(50) ?? Number.NaN, 2, false, ' ms');
  check('E2C fan-out p99 vs one process on SQLite', ratio(cluster?.latency.percentile(99), t?.latency.percentile(99)), 2.0);
  // The anchor: Hocuspocus's own scale-out, measured in the same run (no target of its own).
  const anchor = e2['hocuspocus-cluster'];
  if (cluster && anchor) {
    lines.push(
      `- E2C beside Hocuspocus × 2 (PostgreSQL + Redis): total CPU/edit ${ratio(clusterTotal, totalOf(anchor)).toFixed(2)}×, ` +
        `fan-out p50 ${ratio(cluster.latency.percentile(50), anchor.latency.percentile(50)).toFixed(2)}×, p99 ${ratio(cluster.latency.percentile(99), anchor.latency.percentile(99)).toFixed(2)}× (anchor)`,
    );
  }
  check('C1 from storage, join p50', results.c1.tandem?.storage?.sequential.percentile(50) ?? Number.NaN, 25, false, ' ms');
  const sqlite = pool(results.load.E2.tandem);
  const memory = pool(results.load.E2['tandem-memory']);
  check('D durability cost, CPU per edit', sqlite && memory ? (sqlite.cpuMicrosPerEdit / memory.cpuMicrosPerEdit - 1) * 100 : Number.NaN, 15, false, ' %');
  if (plan.quick) lines.push('- (quick run: windows too short for these to mean much)');
  return lines;
}

/** S steps per server, for the results file. */
export function stepLines(plan: Plan, results: Results): string[] {
  return plan.servers.flatMap((id) => {
    const steps = results.steps[id];
    if (!steps) return [];
    const s = sustained(results, id)!;
    const trail = steps.map((step) => `${Math.round(step.result.achievedEditsPerSec)}${step.passed ? '' : '✗'}`).join(' → ');
    return [`- ${SERVERS[id].label}: ${Math.round(s.editsPerSec)} edits/s (${trail}; ${s.stop})`];
  });
}

export { deliveredPct };
