import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { onTestFinished } from 'vitest';
import { buildApp } from '../../server/app.js';
import { type Config, defaultConfig } from '../../server/config.js';
import type { AccountStore } from '../../server/accounts/accountStore.js';
import type { DocStore } from '../../server/store/docStore.js';

export interface TestServer {
  app: FastifyInstance;
  config: Config;
  /** http://127.0.0.1:<port> */
  httpUrl: string;
  /** ws://127.0.0.1:<port>/collab — the serverUrl a WebsocketProvider takes. */
  collabUrl: string;
  close(): Promise<void>;
}

/** A fresh temporary data directory, removed when the test finishes. */
export function tempDataDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-test-'));
  onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Starts the real app on 127.0.0.1, port 0; closed when the test finishes (closing twice is fine). */
export async function startServer(overrides: Partial<Config> & { store?: DocStore; accounts?: AccountStore } = {}): Promise<TestServer> {
  const { store, accounts, ...configOverrides } = overrides;
  const config: Config = {
    ...defaultConfig,
    port: 0,
    logLevel: process.env.TEST_LOG_LEVEL ?? 'silent',
    unloadGraceMs: 200,
    metricsToken: TEST_METRICS_TOKEN,
    ...configOverrides,
    dataDir: configOverrides.dataDir ?? tempDataDir(),
  };
  const app = await buildApp(config, store, accounts);
  await app.listen({ port: configOverrides.port ?? 0, host: '127.0.0.1' });
  const { port } = app.server.address() as { port: number };
  let closed: Promise<void> | null = null;
  const close = () => (closed ??= app.close());
  onTestFinished(close);
  return {
    app,
    config,
    httpUrl: `http://127.0.0.1:${port}`,
    collabUrl: `ws://127.0.0.1:${port}/collab`,
    close,
  };
}

/** The METRICS_TOKEN test servers use (startServer's default; pass it to spawned servers too). */
export const TEST_METRICS_TOKEN = 'test-metrics-token-0123456789';

/** The server's /metrics text, read with the test metrics token. Throws unless it answers 200. */
export async function readMetrics(baseUrl: string): Promise<string> {
  const response = await fetch(`${baseUrl}/metrics`, { headers: { authorization: `Bearer ${TEST_METRICS_TOKEN}` } });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`/metrics answered ${response.status}: ${text}`);
  return text;
}

let counter = 0;
/** A document id unique to this test run. */
export function uniqueDocId(label = 'doc'): string {
  counter += 1;
  return `${label}-${process.pid}-${Date.now().toString(36)}-${counter}`;
}
