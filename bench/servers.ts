import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AuxiliaryCpuMeter, type BenchDatabase, type BenchRedis, createDatabase, freePort, startRedis } from './cluster.js';
import { canPin, SERVER_CORE } from './proc.js';
import { sleep } from './stats.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');

/**
 * Tandem's abuse limits are per client IP, and every bench client is 127.0.0.1; the peers have no
 * such limits. Raised so that all servers do the same work (the limits are not what is measured).
 */
// OPEN_DOCUMENTS: the bench connects stock clients to fresh document ids, as to any y-websocket server.
const TANDEM_LIMITS = { CONNECTIONS_PER_SECOND_PER_IP: '1000000', CONNECTION_BURST_PER_IP: '10000000', OPEN_DOCUMENTS: 'true' };

/**
 * How long a server may take to answer after it was spawned. On this shared 2-core machine, with other
 * test suites using both cores, a Node server's start-up (compiling its modules) was seen past 20 s.
 */
const START_TIMEOUT_MS = 60_000;

/** Server processes still running: killed if the bench exits without stopping them. */
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** Which wire the load generator speaks to a server. */
export type DialectName = 'yws' | 'hocuspocus';

export type ServerId =
  | 'tandem'
  | 'yws'
  | 'yws-leveldb'
  | 'hocuspocus'
  | 'hocuspocus-sqlite'
  | 'tandem-memory'
  | 'tandem-cluster'
  | 'hocuspocus-cluster'
  | 'tandem-http';

/** One server under test and how to start it. */
export interface ServerSpec {
  id: ServerId;
  /** Column heading in the table. */
  label: string;
  dialect: DialectName;
  /** Whether it stores documents and loads them again after unloading them (C1 "from storage"). */
  persistent: boolean;
  /** URL path of a document's WebSocket (Hocuspocus names the document inside each message instead). */
  wsPath(docId: string): string;
  /** HTTP path that answers { rooms|docs, connections }. */
  statsPath: string;
  /** Script and environment, given a fresh temp dir (one per process). */
  launch(dataDir: string): { script: string; env: Record<string, string> };
  /**
   * Cluster mode: `processes` Tandem processes on one fresh PostgreSQL database (DATABASE_URL) and a
   * redis-server of the bench's own (REDIS_URL), both made for each start and removed at its stop.
   * Such a server runs E2 only (the part E2C), its clients spread over the processes, and is warmed
   * up for at least `warmupMs` before a window: a fresh cluster's first 2–3 s under E2 are far slower
   * (fan-out p50 in the hundreds of ms) before it settles, and steady state is what is measured.
   */
  cluster?: { processes: number; warmupMs: number };
  /**
   * The generator's clients reach it over Tandem's HTTP fallback (`HttpSocket`, streaming) instead of
   * WebSockets; such a server runs E1 only, beside E1 over WebSockets.
   */
  http?: true;
}

/** How the bench starts one built Tandem process on SQLite (its variants differ in label and clients). */
const TANDEM_PROCESS = {
  dialect: 'yws' as const,
  persistent: true as const,
  wsPath: (docId: string) => `/collab/${docId}`,
  statsPath: '/healthz',
  launch: (dataDir: string) => ({
    script: path.join(root, 'dist/server/server/main.js'),
    env: { DATA_DIR: dataDir, LOG_LEVEL: 'warn', WEB_ROOT: '', ...TANDEM_LIMITS },
  }),
};

/** How the bench starts one Hocuspocus process (bench/launch/hocuspocus.mjs; extensions chosen by its environment). */
const HOCUSPOCUS_PROCESS = {
  dialect: 'hocuspocus' as const,
  wsPath: () => '/',
  statsPath: '/stats',
  launch: () => ({ script: path.join(here, 'launch/hocuspocus.mjs'), env: {} }),
};

export const SERVERS: Record<ServerId, ServerSpec> = {
  tandem: { id: 'tandem', label: 'Tandem', ...TANDEM_PROCESS },
  'tandem-cluster': {
    id: 'tandem-cluster',
    label: 'Tandem × 2 (PostgreSQL + Redis)',
    ...TANDEM_PROCESS,
    cluster: { processes: 2, warmupMs: 5_000 },
  },
  'tandem-http': {
    id: 'tandem-http',
    label: 'Tandem over the HTTP fallback',
    ...TANDEM_PROCESS,
    http: true,
  },
  'tandem-memory': {
    id: 'tandem-memory',
    label: 'Tandem (in-memory store)',
    dialect: 'yws',
    persistent: false,
    wsPath: (docId) => `/collab/${docId}`,
    statsPath: '/healthz',
    launch: () => ({ script: path.join(here, 'launch/tandemMemory.mjs'), env: { LOG_LEVEL: 'warn', WEB_ROOT: '', ...TANDEM_LIMITS } }),
  },
  yws: {
    id: 'yws',
    label: 'y-websocket-server',
    dialect: 'yws',
    persistent: false,
    wsPath: (docId) => `/${docId}`,
    statsPath: '/stats',
    launch: () => ({ script: path.join(here, 'launch/yws.mjs'), env: {} }),
  },
  'yws-leveldb': {
    id: 'yws-leveldb',
    label: 'y-websocket-server + LevelDB',
    dialect: 'yws',
    persistent: true,
    wsPath: (docId) => `/${docId}`,
    statsPath: '/stats',
    launch: (dataDir) => ({ script: path.join(here, 'launch/yws.mjs'), env: { YPERSISTENCE: dataDir } }),
  },
  hocuspocus: { id: 'hocuspocus', label: 'Hocuspocus', persistent: false, ...HOCUSPOCUS_PROCESS },
  // DATABASE_URL and REDIS_URL, as a cluster's processes get them, turn on its database and Redis extensions.
  'hocuspocus-cluster': {
    id: 'hocuspocus-cluster',
    label: 'Hocuspocus × 2 (PostgreSQL + Redis)',
    persistent: true,
    ...HOCUSPOCUS_PROCESS,
    cluster: { processes: 2, warmupMs: 5_000 },
  },
  'hocuspocus-sqlite': {
    id: 'hocuspocus-sqlite',
    label: 'Hocuspocus + SQLite',
    dialect: 'hocuspocus',
    persistent: true,
    wsPath: () => '/',
    statsPath: '/stats',
    launch: (dataDir) => ({
      script: path.join(here, 'launch/hocuspocus.mjs'),
      env: { HOCUSPOCUS_SQLITE: path.join(dataDir, 'hocuspocus.sqlite') },
    }),
  },
};

/** The peers Tandem is compared with, in table order. */
export const PEERS: ServerId[] = ['yws', 'yws-leveldb', 'hocuspocus', 'hocuspocus-sqlite'];

/** The cluster's own kind, included by default when PostgreSQL and Redis are available (part E2C). */
export const CLUSTER: ServerId = 'tandem-cluster';

/** E2C's anchor: Hocuspocus's own scale-out (its Redis extension) with a database extension, beside CLUSTER. */
export const PEER_CLUSTER: ServerId = 'hocuspocus-cluster';

export interface ServerStats {
  /** Documents in memory. */
  docs: number;
  connections: number;
}

/** One process of a started server. */
export interface ServerProcess {
  pid: number;
  port: number;
  /** `ws://127.0.0.1:<port>` */
  wsBase: string;
}

/** A started server: one process, or a cluster's several (pid, port and wsBase are then the first's). */
export interface RunningServer extends ServerProcess {
  spec: ServerSpec;
  processes: ServerProcess[];
  /** Cluster mode: measures the CPU of its PostgreSQL database's processes and of its redis-server. */
  auxiliary: AuxiliaryCpuMeter | null;
  /** Summed over the processes. */
  stats(): Promise<ServerStats>;
  /** The last lines the process printed (for error messages). */
  output(): string;
  /** SIGTERM, then SIGKILL after 5 s; removes the temp dir. Safe to call twice. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Extra environment (e.g. UNLOAD_GRACE_MS for Tandem's C1). */
  env?: Record<string, string>;
  /** Extra node flags (e.g. --cpu-prof). */
  nodeArgs?: string[];
  /** Fills each process's fresh data dir before it starts (bench/history.ts: a store made beforehand). */
  prepare?: (dataDir: string) => void;
  /** Pin to SERVER_CORE where possible (default). L2 does not: its worker threads need the other core. */
  pin?: boolean;
}

/**
 * Starts a fresh server of `spec` — one process, or a cluster's processes with their database and
 * Redis — each process on a free port, pinned to SERVER_CORE where possible, and waits until every
 * process answers HTTP.
 */
export async function startServer(spec: ServerSpec, options: StartOptions = {}): Promise<RunningServer> {
  let database: BenchDatabase | null = null;
  let redis: BenchRedis | null = null;
  const started: StartedProcess[] = [];
  let stopped: Promise<void> | null = null;
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      // The processes first (they commit and leave), then what they shared.
      await Promise.all(started.map((p) => p.stop()));
      await redis?.stop();
      await database?.drop();
    })());
  try {
    const shared: Record<string, string> = {};
    if (spec.cluster) {
      database = await createDatabase();
      redis = await startRedis();
      shared.DATABASE_URL = database.url;
      shared.REDIS_URL = redis.url;
    }
    // A cluster's processes start together (they take turns on the schema migration).
    const count = spec.cluster?.processes ?? 1;
    const outcomes = await Promise.allSettled(
      Array.from({ length: count }, async () => {
        const proc = await startProcess(spec, { ...options, env: { ...shared, ...options.env } });
        started.push(proc);
        await proc.answering;
      }),
    );
    const failed = outcomes.find((o) => o.status === 'rejected');
    if (failed) throw failed.reason;
  } catch (error) {
    await stop();
    throw error;
  }
  const processes = started.map(({ pid, port, wsBase }) => ({ pid, port, wsBase }));
  return {
    spec,
    ...processes[0]!,
    processes,
    auxiliary: database && redis ? new AuxiliaryCpuMeter(database.name, redis.pid) : null,
    stats: async () => {
      const all = await Promise.all(started.map((p) => p.stats()));
      return { docs: all.reduce((n, s) => n + s.docs, 0), connections: all.reduce((n, s) => n + s.connections, 0) };
    },
    output: () => started.map((p, i) => (started.length > 1 ? `--- process ${i + 1} (port ${p.port}) ---\n${p.output()}` : p.output())).join('\n'),
    stop,
  };
}

interface StartedProcess extends ServerProcess {
  /** Resolves once it answers HTTP; rejects if it exits or stays silent START_TIMEOUT_MS. */
  answering: Promise<void>;
  stats(): Promise<ServerStats>;
  output(): string;
  stop(): Promise<void>;
}

/** Spawns one process of `spec` on a free port (pinned where possible) and returns at once; see `answering`. */
async function startProcess(spec: ServerSpec, options: StartOptions): Promise<StartedProcess> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `bench-${spec.id}-`));
  options.prepare?.(dataDir);
  const port = await freePort();
  const { script, env } = spec.launch(dataDir);
  const nodeArgs = [...(options.nodeArgs ?? []), script];
  const [command, args] = canPin && options.pin !== false
    ? ['taskset', ['-c', String(SERVER_CORE), process.execPath, ...nodeArgs]]
    : [process.execPath, nodeArgs];
  const child = spawn(command, args, {
    cwd: root,
    env: { ...process.env, ...env, ...options.env, PORT: String(port), HOST: '127.0.0.1', NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  child.once('exit', () => live.delete(child));
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-256_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stats = async (): Promise<ServerStats> => {
    const response = await fetch(`http://127.0.0.1:${port}${spec.statsPath}`);
    const body = (await response.json()) as { rooms?: number; docs?: number; connections: number };
    return { docs: body.rooms ?? body.docs ?? 0, connections: body.connections };
  };
  let stopped: Promise<void> | null = null;
  // A profiled process writes its profiles as it exits, after its graceful stop: given a minute for both.
  const profiled = options.nodeArgs?.some((arg) => arg.startsWith('--cpu-prof')) ?? false;
  const stop = (): Promise<void> => (stopped ??= stopProcess(child, exited, profiled ? 60_000 : 5_000).finally(() => fs.rmSync(dataDir, { recursive: true, force: true })));
  const answering = (async () => {
    const deadline = performance.now() + START_TIMEOUT_MS;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`${spec.label} exited during start-up:\n${output}`);
      }
      try {
        await stats();
        return;
      } catch {
        if (performance.now() > deadline) throw new Error(`${spec.label} did not answer within ${START_TIMEOUT_MS / 1000} s:\n${output}`);
        await sleep(50);
      }
    }
  })();
  answering.catch(() => {}); // observed by startServer
  return { pid: child.pid!, port, wsBase: `ws://127.0.0.1:${port}`, answering, stats, output: () => output, stop };
}

async function stopProcess(child: ChildProcess, exited: Promise<void>, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
