import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { canPin, SERVER_CORE } from './proc.js';
import { sleep } from './stats.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');

/**
 * Tandem's abuse limits are per client IP, and every bench client is 127.0.0.1; the peers have no
 * such limits. Raised so that all servers do the same work (the limits are not what is measured).
 */
const TANDEM_LIMITS = { CONNECTIONS_PER_SECOND_PER_IP: '1000000', CONNECTION_BURST_PER_IP: '10000000' };

/** Server processes still running: killed if the bench exits without stopping them. */
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** Which wire the load generator speaks to a server. */
export type DialectName = 'yws' | 'hocuspocus';

export type ServerId = 'tandem' | 'yws' | 'yws-leveldb' | 'hocuspocus' | 'hocuspocus-sqlite' | 'tandem-memory';

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
  /** Script and environment, given a fresh temp dir. */
  launch(dataDir: string): { script: string; env: Record<string, string> };
}

export const SERVERS: Record<ServerId, ServerSpec> = {
  tandem: {
    id: 'tandem',
    label: 'Tandem',
    dialect: 'yws',
    persistent: true,
    wsPath: (docId) => `/collab/${docId}`,
    statsPath: '/healthz',
    launch: (dataDir) => ({
      script: path.join(root, 'dist/server/server/main.js'),
      env: { DATA_DIR: dataDir, LOG_LEVEL: 'warn', WEB_ROOT: '', ...TANDEM_LIMITS },
    }),
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
  hocuspocus: {
    id: 'hocuspocus',
    label: 'Hocuspocus',
    dialect: 'hocuspocus',
    persistent: false,
    wsPath: () => '/',
    statsPath: '/stats',
    launch: () => ({ script: path.join(here, 'launch/hocuspocus.mjs'), env: {} }),
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

export interface ServerStats {
  /** Documents in memory. */
  docs: number;
  connections: number;
}

/** A started server process. */
export interface RunningServer {
  spec: ServerSpec;
  pid: number;
  port: number;
  /** `ws://127.0.0.1:<port>` */
  wsBase: string;
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
}

/** Starts a fresh process of `spec` on a free port, pinned to SERVER_CORE where possible, and waits until it answers HTTP. */
export async function startServer(spec: ServerSpec, options: StartOptions = {}): Promise<RunningServer> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `bench-${spec.id}-`));
  const port = await freePort();
  const { script, env } = spec.launch(dataDir);
  const nodeArgs = [...(options.nodeArgs ?? []), script];
  const [command, args] = canPin
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
  const server: RunningServer = {
    spec,
    pid: child.pid!,
    port,
    wsBase: `ws://127.0.0.1:${port}`,
    stats,
    output: () => output,
    stop: () => (stopped ??= stopProcess(child, exited).finally(() => fs.rmSync(dataDir, { recursive: true, force: true }))),
  };
  const deadline = performance.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${spec.label} exited during start-up:\n${output}`);
    }
    try {
      await stats();
      return server;
    } catch {
      if (performance.now() > deadline) {
        await server.stop();
        throw new Error(`${spec.label} did not answer within 20 s:\n${output}`);
      }
      await sleep(50);
    }
  }
}

async function stopProcess(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}
