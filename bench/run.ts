import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { selfTest } from './edits.js';
import { DISTURBED_PERCENT, machineSummary, pinGenerator } from './proc.js';
import { profileScenario } from './profile.js';
import { clusterUnavailable } from './cluster.js';
import { buildTable, clusterLines, durabilityLine, stepLines, summaryTable, targetLines } from './report.js';
import { ALL_PARTS, makePlan, runAll } from './scenarios.js';
import { CLUSTER, PEER_CLUSTER, PEERS, SERVERS, type ServerId } from './servers.js';
import { chart } from './svg.js';
import { buildTraceDoc } from './trace.js';
import { BIG_PARTS, runBigParts } from './bigParts.js';

// npm run bench [-- --quick] [--rounds=N] [--only=I0,E2,E2C,S,L1,L2,L3,…] [--profile-l3] [--servers=tandem,tandem-http,tandem-cluster,hocuspocus-cluster,yws,…] [--profile[=server[:E1|E2|E3|C1]]]
const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const flag = (name: string): string | undefined => args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const quick = args.includes('--quick');
let servers = (flag('servers')?.split(',') ?? ['tandem', 'tandem-http', ...PEERS, CLUSTER, PEER_CLUSTER]) as ServerId[];
for (const id of servers) if (!(id in SERVERS)) throw new Error(`unknown server ${id}; known: ${Object.keys(SERVERS).join(', ')}`);
const parts = flag('only')?.split(',') ?? [...ALL_PARTS, ...BIG_PARTS];
for (const part of parts) if (!ALL_PARTS.includes(part) && !BIG_PARTS.includes(part) && part !== 'D') throw new Error(`unknown part ${part}; known: ${[...ALL_PARTS, ...BIG_PARTS].join(', ')} (D rides with E2)`);
// The cluster's only part is E2C; naming the cluster in --servers with E2 asks for it too.
if (flag('servers') && servers.some((id) => SERVERS[id].cluster) && parts.includes('E2') && !parts.includes('E2C')) parts.push('E2C');
const log = (line: string): void => console.log(line);
const began = performance.now();
const progress = (line: string): void => console.log(`${((performance.now() - began) / 1000).toFixed(0).padStart(4)}s ${line}`);

// Exit through process.exit so servers.ts kills the server processes still running.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(130));

const pinned = pinGenerator();
selfTest();

// `--profile` or `--profile=…`, not `--profile-l3` (a flag of the big parts).
const profiled = args.find((a) => a === '--profile' || a.startsWith('--profile='));
if (profiled) {
  const [id = 'tandem', scenario = 'E2'] = (profiled.split('=')[1] ?? '').split(':').filter(Boolean);
  if (!(id in SERVERS) || !['E1', 'E2', 'E3', 'C1'].includes(scenario)) throw new Error('--profile=<server>[:E1|E2|E3|C1]');
  if (SERVERS[id as ServerId].cluster) throw new Error(`--profile profiles one process; ${id} has several`);
  console.log(await profileScenario(id as ServerId, scenario, { warmupMs: 2_000, measureMs: 10_000, drainMs: 1_000 }, log));
  process.exit(0);
}

// E2C (two Tandem processes on PostgreSQL + Redis) runs when both are there; otherwise it is skipped
// with a note, and is an error only when it was asked for by name.
let clusterSkipped: string | null = null;
if (parts.includes('E2C') && servers.some((id) => SERVERS[id].cluster)) {
  clusterSkipped = await clusterUnavailable();
  if (clusterSkipped) {
    servers = servers.filter((id) => !SERVERS[id].cluster);
    log(`E2C skipped: ${clusterSkipped}`);
  }
} else if (flag('only')?.split(',').includes('E2C')) {
  clusterSkipped = `--servers=${flag('servers')} names no cluster (${CLUSTER})`;
  log(`E2C skipped: ${clusterSkipped}`);
}
const clusterAsked = Boolean(flag('only')?.split(',').includes('E2C') || flag('servers')?.split(',').some((id) => id in SERVERS && SERVERS[id as ServerId].cluster));

const roundsFlag = flag('rounds');
const rounds = roundsFlag === undefined ? undefined : Number(roundsFlag);
if (rounds !== undefined && !(Number.isInteger(rounds) && rounds >= 1 && rounds <= 20)) throw new Error(`--rounds must be 1–20, got ${roundsFlag}`);
const plan = makePlan(quick, servers, parts, rounds);
log(`Tandem bench (${quick ? 'quick' : 'full'}): ${machineSummary()}; ${pinned ? 'servers on core 0 (a cluster: both Tandem processes and its redis-server), generator on core 1' : 'not pinned'}`);
const big = BIG_PARTS.some((part) => plan.parts.has(part));
const trace = plan.parts.has('C1') || plan.parts.has('L1') || plan.parts.has('L2') ? buildTraceDoc() : null;
if (trace) log(`trace: ${trace.edits} edits, Yjs state ${trace.update.length} bytes`);
const results = await runAll(plan, trace, progress);
if (clusterSkipped && clusterAsked) results.errors.push(`E2C: ${clusterSkipped}`);
const bigLines = big ? await runBigParts(plan, trace ?? buildTraceDoc(), results.errors, progress, args.includes('--profile-l3')) : [];
const { table, pooled } = buildTable(plan, results);
const minutes = (performance.now() - began) / 60_000;

const date = new Date().toISOString().slice(0, 10);
// A run of some parts only (--only) is named for them, so it never replaces the day's full run.
const only = flag('only') ? `-${flag('only')!.split(',').join('-')}` : '';
const name = `${date}${only}${quick ? '-quick' : ''}`;
const commit = gitCommit();
const summary = [
  `# Tandem benchmark, ${date}${quick ? ' (quick smoke run)' : ''}`,
  '',
  `Machine: ${machineSummary()}. Commit ${commit}. ${pinned ? 'Each server pinned to core 0 (the cluster: both Tandem processes and its redis-server; PostgreSQL, a shared system service, is not pinned), the generator to core 1 (taskset).' : 'Not pinned (no taskset).'} ` +
    `${plan.rounds} round(s), server order alternating; E windows ${plan.load.measureMs / 1000} s after ${plan.load.warmupMs / 1000} s warm-up; run took ${minutes.toFixed(1)} min.`,
  '',
  summaryTable(plan, results, pooled),
  '',
  '## Every figure',
  '',
  table,
  '',
  '## Targets (issue 20)',
  '',
  ...targetLines(plan, results, pooled),
  '',
  '## E2C: two Tandem processes on PostgreSQL + Redis, beside one on SQLite',
  '',
  ...clusterLines(plan, results, clusterSkipped),
  '',
  `## D: the cost of durability`,
  '',
  durabilityLine(results),
  '',
  '## S: steps (achieved edits/s; ✗ = failed p99 ≤ 50 ms / 100 % delivered)',
  '',
  ...stepLines(plan, results),
  '',
  ...(big ? ['## Big documents (issue 18)', '', ...bigLines] : []),
  ...(results.errors.length ? ['## Errors', '', ...results.errors.map((e) => `- ${e}`), ''] : []),
  '## How it was measured',
  '',
  '- Every server is a fresh process per scenario, on 127.0.0.1; the generator speaks the wire directly (y-websocket protocol, Hocuspocus framing for Hocuspocus) with no Y.Doc per client.',
  '- An edit is a 1-character insert at the end of the sending client\'s own text; it is identified on arrival by (Yjs client id, clock), which maps back to its send time. Fan-out latency = send → arrival at each other client of the document. Echoes to the sender (y-websocket-server, Hocuspocus) are not counted.',
  '- E1 also sends an awareness update (cursor) after every edit. Server CPU = /proc/PID/stat utime+stime over the window ÷ edits sent in it (10 ms ticks). RSS = VmRSS at the end of the window. Rounds are pooled (samples merged, counters summed).',
  `- I1/I2: connections opened 50 at a time; connect = socket creation → server's sync step 2; RSS per connection = (RSS ${plan.idleSettleMs / 1000} s after the last connect − RSS before) ÷ connections.`,
  '- C1: the automerge-paper trace (259,778 edits) replayed into one Y.Text and uploaded as one update; a join = socket creation → the whole document received. "From storage": the holder leaves, the bench waits until the server reports the document unloaded (Tandem with UNLOAD_GRACE_MS=50), then joins. n/a = the server keeps no storage.',
  `- Tandem's per-IP connection limits are raised (every bench client is 127.0.0.1; the peers have none). "Other processes' CPU" = busy CPU of the whole machine (/proc/stat) minus server and generator during the window; before each server start the bench waits for a quiet machine, and a window where others used more than ${DISTURBED_PERCENT}% of a core is run again (within a retry budget).`,
  '- D: Tandem as built, with an in-memory DocStore passed to buildApp (bench/launch/tandemMemory.mjs) instead of SQLite: same rooms, group commit and relay; measured in every E2 round right next to Tandem (after it, then before it).',
  `- E2C: E2 against two Tandem processes (\`dist/server/server/main.js\`, both pinned to the server core) with DATABASE_URL = a fresh database on the local PostgreSQL (created per server start, dropped WITH (FORCE) at its stop) and REDIS_URL = a redis-server of the bench's own on a free port (pinned with them, no persistence, killed at the stop; PostgreSQL, a shared system service, is not pinned), default cluster settings, warmed up ${SERVERS[CLUSTER].cluster!.warmupMs / 1000} s before its window (a fresh cluster's first 2–3 s under this load are far slower, fan-out p50 in the hundreds of ms, before it settles; steady state is measured). Its anchor, Hocuspocus × 2: two \`bench/launch/hocuspocus.mjs\` processes on the same kind of fresh database and redis-server, with @hocuspocus/extension-redis and @hocuspocus/extension-database (the document's state upserted into PostgreSQL, debounced as Hocuspocus does: 2 s after a change, at most 10 s; updates reach the other clients before they are stored). Client k of each document connects to process k mod 2, so 5 of an edit's 9 deliveries cross processes; a delivery is cross-process when sender and receiver are on different ports. CPU per process = its CPU ÷ edits sent by its own clients; the total = both processes' CPU ÷ all edits. PostgreSQL CPU = the backends of the run's database plus the server's shared processes (WAL writer, checkpointer…), Redis CPU = its redis-server; both are left out of "other processes".`,
  '',
  `![latency and CPU per edit](${name}.svg)`,
  '',
];
const resultsDir = path.join(here, 'results');
fs.mkdirSync(resultsDir, { recursive: true });
fs.writeFileSync(path.join(resultsDir, `${name}.md`), summary.join('\n'));
fs.writeFileSync(path.join(resultsDir, `${name}.svg`), chart(`Tandem vs. peers, ${date}${quick ? ' (quick)' : ''}`, plan.servers, pooled));
log('');
log(table);
log('');
for (const line of targetLines(plan, results, pooled)) log(line);
log(durabilityLine(results));
if (plan.parts.has('E2C')) {
  log('');
  for (const line of clusterLines(plan, results, clusterSkipped)) log(line);
}
log(`\nwrote bench/results/${name}.md and .svg in ${minutes.toFixed(1)} min`);
process.exit(results.errors.length ? 1 : 0);

function gitCommit(): string {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: here, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'server', 'shared'], { cwd: here, encoding: 'utf8' }).trim();
    return dirty ? `${sha} (server/shared with uncommitted changes)` : sha;
  } catch {
    return 'unknown';
  }
}
