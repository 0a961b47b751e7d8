import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { onTestFinished } from 'vitest';
import { waitFor } from './waitFor.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** A port that was free a moment ago (the kernel picks it; we release it for the child to take). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface ServerProcess {
  child: ChildProcess;
  port: number;
  /** Everything the child wrote to stdout and stderr. */
  output(): string;
  /** SIGKILL, then wait for the exit. */
  kill9(): Promise<void>;
  /** SIGTERM, then wait for the exit; resolves to the exit code. */
  stop(): Promise<number | null>;
  /** SIGSTOP: the process is frozen, its sockets stay open but nothing is answered. */
  pause(): void;
  /** SIGCONT after pause(). */
  resume(): void;
}

export interface SpawnOptions {
  /** Run the built server (dist/, serving the built web app) instead of the source through tsx. */
  built?: boolean;
  /** Listen on this port (e.g. to restart on the same one); a free one by default. */
  port?: number;
  /**
   * 'test' (default): killed when the current test finishes. 'caller': the caller stops it (e.g. a
   * server shared by a whole file, started in beforeAll and stopped in afterAll).
   */
  lifetime?: 'test' | 'caller';
  /** Node flags just before the script (after tsx's --import: e.g. an --import probe). */
  nodeArgs?: string[];
}

/**
 * Starts the server as a real child process — by default `server/main.ts` through tsx (the current
 * source, API and WebSocket only), or the built `dist/` with its web app — and waits until /healthz
 * answers. Killed when the test finishes, unless `lifetime` is 'caller'.
 */
export async function spawnServer(env: Record<string, string>, options: SpawnOptions = {}): Promise<ServerProcess> {
  const listenPort = options.port ?? (await freePort());
  const args = options.built
    ? [...(options.nodeArgs ?? []), path.join(root, 'dist/server/server/main.js')]
    : ['--import', 'tsx', ...(options.nodeArgs ?? []), path.join(root, 'server/main.ts')];
  const defaults: Record<string, string> = options.built ? {} : { WEB_ROOT: '' };
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: 'warn', ...defaults, ...env, PORT: String(listenPort), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  if (options.lifetime !== 'caller') {
    onTestFinished(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
  }
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}: ${output}`);
      const response = await fetch(`http://127.0.0.1:${listenPort}/healthz`);
      return response.ok;
    },
    'the server process to answer /healthz',
    20_000,
    50,
  );
  return {
    child,
    port: listenPort,
    output: () => output,
    kill9: async () => {
      child.kill('SIGKILL');
      await exited;
    },
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
    pause: () => {
      child.kill('SIGSTOP');
    },
    resume: () => {
      child.kill('SIGCONT');
    },
  };
}
