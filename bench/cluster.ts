import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import { promisify } from 'node:util';
import { Pool } from 'pg';
import { canPin, processCpuMicros, SERVER_CORE } from './proc.js';
import { waitFor } from './stats.js';

// What the two-process Tandem (server kind `tandem-cluster`, part E2C) runs on: a fresh PostgreSQL
// database on the local server and a redis-server of the bench's own, both made for one server start
// and removed when it stops (or, if the bench dies first, when it exits).

const run = promisify(execFile);

/** The local server's maintenance database, as the `postgres` superuser (trust auth on 127.0.0.1). */
const ADMIN_URL = process.env.BENCH_POSTGRES_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function postgresReady(): Promise<boolean> {
  try {
    await run('pg_isready', ['-q', '-h', '127.0.0.1']);
    return true;
  } catch {
    return false;
  }
}

/** Starts the local PostgreSQL cluster when it does not answer, and waits (30 s at most) until it does. */
async function ensurePostgres(): Promise<void> {
  if (await postgresReady()) return;
  const versions = fs.existsSync('/etc/postgresql') ? fs.readdirSync('/etc/postgresql') : [];
  if (versions.length === 0) throw new Error('PostgreSQL does not answer on 127.0.0.1:5432 and /etc/postgresql has no cluster to start');
  for (const version of versions) {
    // A second start of a running cluster fails with "already running": only readiness decides.
    await run('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'start']).catch(() => undefined);
  }
  if (!(await waitFor(postgresReady, 30_000, 200))) throw new Error('PostgreSQL did not accept connections within 30 s of pg_ctlcluster start');
}

/**
 * Why the cluster cannot run here, or null when it can: PostgreSQL answers (started if it was down)
 * and lets the admin role create a database, and `redis-server` is installed.
 */
export async function clusterUnavailable(): Promise<string | null> {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
  } catch {
    return 'redis-server is not installed';
  }
  try {
    await ensurePostgres();
    const admin = new Pool({ connectionString: ADMIN_URL, max: 1, connectionTimeoutMillis: 5_000 });
    try {
      const { rows } = await admin.query<{ ok: boolean }>('SELECT rolcreatedb OR rolsuper AS ok FROM pg_roles WHERE rolname = current_user');
      if (!rows[0]?.ok) return `${new URL(ADMIN_URL).username} may not create databases`;
    } finally {
      await admin.end();
    }
  } catch (error) {
    return `PostgreSQL: ${(error as Error).message.split('\n')[0]}`;
  }
  return null;
}

/** Databases created and not dropped yet: dropped synchronously (psql) if the bench exits first. */
const undropped = new Set<string>();
/** redis-servers still running: killed if the bench exits first. */
const liveRedis = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of liveRedis) child.kill('SIGKILL');
  for (const name of undropped) {
    try {
      execFileSync('psql', [ADMIN_URL, '-qAtc', `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`], { stdio: 'ignore', timeout: 10_000 });
    } catch {
      // Best effort on the way out.
    }
  }
});

/** A fresh, empty database on the local server. */
export interface BenchDatabase {
  name: string;
  url: string;
  /** DROP DATABASE … WITH (FORCE): closes connections still open. Safe to call twice. */
  drop(): Promise<void>;
}

export async function createDatabase(): Promise<BenchDatabase> {
  await ensurePostgres();
  // Only [a-z0-9_]: safe to splice into DDL, which takes no parameters.
  const name = `tandem_bench_${crypto.randomBytes(6).toString('hex')}`;
  const admin = new Pool({ connectionString: ADMIN_URL, max: 1 });
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  undropped.add(name);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  let dropped: Promise<void> | null = null;
  return {
    name,
    url: url.toString(),
    drop: () =>
      (dropped ??= (async () => {
        const pool = new Pool({ connectionString: ADMIN_URL, max: 1 });
        try {
          await pool.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
          undropped.delete(name);
        } finally {
          await pool.end();
        }
      })()),
  };
}

/** A redis-server of the bench's own on a free port, pinned with the servers, keeping nothing on disk. */
export interface BenchRedis {
  pid: number;
  port: number;
  url: string;
  /** SIGKILL (it keeps nothing). Safe to call twice. */
  stop(): Promise<void>;
}

export async function startRedis(): Promise<BenchRedis> {
  const port = await freePort();
  const redisArgs = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  const [command, args] = canPin ? ['taskset', ['-c', String(SERVER_CORE), 'redis-server', ...redisArgs]] : ['redis-server', redisArgs];
  const child = spawn(command, args, { stdio: 'ignore' });
  liveRedis.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => liveRedis.delete(child));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  if (!(await waitFor(() => answersPing(port), 10_000, 50))) {
    await stop();
    throw new Error(`redis-server on port ${port} did not answer within 10 s`);
  }
  return { pid: child.pid!, port, url: `redis://127.0.0.1:${port}`, stop };
}

function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString().startsWith('+PONG'));
    });
    socket.once('error', () => resolve(false));
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/**
 * PostgreSQL processes that work for `database`: its client backends (the process title names the
 * database) and the server's shared ones (postmaster, WAL writer, checkpointer, background writer…).
 * Backends of other databases (other people's tests) are left out, so they show as foreign CPU.
 */
function postgresPids(database: string): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== 'postgres') continue;
      const title = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
      const ours = title.includes(database);
      // "postgres: 15/main: user db 127.0.0.1(port) state", "[local]", or a worker of some database.
      const otherDatabase = /\(\d+\)|\[local\]|autovacuum worker|parallel worker|walsender/.test(title);
      if (ours || !otherDatabase) pids.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return pids;
}

/** CPU that the cluster's PostgreSQL and Redis used since `start()`, in µs. */
export interface AuxiliaryCpu {
  postgres: number;
  redis: number;
}

/**
 * Measures the CPU of PostgreSQL (for one database, see postgresPids) and one redis-server over a
 * window. A backend that appears during the window counts whole; one that ends in it is lost (the
 * `pg` pools keep theirs while busy).
 */
export class AuxiliaryCpuMeter {
  private postgresStart = new Map<number, number>();
  private redisStart = 0;

  constructor(
    private readonly database: string,
    private readonly redisPid: number,
  ) {}

  start(): void {
    this.postgresStart = new Map(postgresPids(this.database).map((pid) => [pid, processCpuMicros(pid)]));
    this.redisStart = processCpuMicros(this.redisPid);
  }

  read(): AuxiliaryCpu {
    let postgres = 0;
    for (const pid of postgresPids(this.database)) {
      const now = processCpuMicros(pid);
      if (Number.isFinite(now)) postgres += now - (this.postgresStart.get(pid) ?? 0);
    }
    return { postgres, redis: processCpuMicros(this.redisPid) - this.redisStart };
  }
}
