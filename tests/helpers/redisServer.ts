import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import { onTestFinished } from 'vitest';
import { freePort } from './serverProcess.js';
import { waitFor } from './waitFor.js';

export interface RedisServer {
  port: number;
  url: string;
  /** Stops it (SIGKILL: like a crash; it keeps nothing on disk). */
  stop(): Promise<void>;
  /** Starts it again on the same port. */
  start(): Promise<void>;
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

/**
 * A redis-server of this test file's own, on a free port (the machine's Redis is left alone), so a
 * test can restart it or take it away. Stopped when the test finishes.
 */
export async function startRedis(): Promise<RedisServer> {
  const port = await freePort();
  let child: ChildProcess | null = null;
  const start = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    await waitFor(() => answersPing(port), `redis-server on port ${port} to answer`, 10_000, 50);
  };
  const stop = async () => {
    const running = child;
    child = null;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGKILL');
    await exited;
  };
  onTestFinished(stop);
  await start();
  return { port, url: `redis://127.0.0.1:${port}`, stop, start };
}
