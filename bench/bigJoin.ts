// L1 of issue 18: joining a 50 MB document. `npm run bench:big` (after `npm run build`).
// The document: the 259,778-edit automerge-paper trace (one Y.Text) plus pasted blocks of about
// 1 MB (paragraphs of the body fragment) up to 50 MB, written by a stock client, then unloaded so the
// server compacts it into stored segments. Then JOINS stock WebsocketProvider clients join one after
// another (each a fresh doc): time until synced, bytes each took off its socket, the server's CPU
// per join (/proc, all threads), and its peak RSS; once with permessage-deflate (the default,
// frames from 16 KB compressed), once without (COMPRESS_ABOVE_BYTES=0).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { freePort } from './cluster.js';
import { machineSummary, processCpuMicros, processRssKb } from './proc.js';
import { buildTraceDoc } from './trace.js';
import { buildBigDoc } from './bigDoc.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TOKEN = 'bench-metrics-token-0123456789abcdef';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 300_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await sleep(20);
  }
}

function provider(port: number, docId: string, doc: Y.Doc): WebsocketProvider {
  return new WebsocketProvider(`ws://127.0.0.1:${port}/collab`, docId, doc, {
    WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
    disableBc: true,
  });
}

export interface L1Row {
  label: string;
  storedMb: number;
  p50: number;
  max: number;
  wireMb: number;
  cpuMs: number;
  rssPeakMb: number;
}

async function run(label: string, env: Record<string, string>, trace: Uint8Array, TARGET_MB: number, JOINS: number): Promise<L1Row> {
  const port = await freePort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-bigjoin-'));
  const child = spawn(process.execPath, [path.join(root, 'dist/server/server/main.js')], {
    env: { ...process.env, PORT: String(port), DATA_DIR: dataDir, WEB_ROOT: '', LOG_LEVEL: 'warn', OPEN_DOCUMENTS: 'true', UNLOAD_GRACE_MS: '100', METRICS_TOKEN: TOKEN, CONNECTIONS_PER_SECOND_PER_IP: '1000', ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  await until('the server to answer', async () => (await fetch(`${base}/healthz`).catch(() => null))?.ok === true, 30_000);
  const metric = async (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(await (await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text())?.[1]);
  try {
    const docId = `big-${Date.now()}`;
    const source = new Y.Doc();
    const writer = provider(port, docId, source);
    await until('the writer to sync', () => writer.synced);
    // The writer's updates, as a client writing the document sends them (bigDoc.ts).
    const big = buildBigDoc(trace, TARGET_MB);
    for (const update of big.updates) Y.applyUpdate(source, update);
    const bytes = big.bytes;
    const expected = Y.encodeStateVector(source);
    await until('the document to be stored', async () => ((await (await fetch(`${base}/api/docs/${docId}`)).json()) as { storedBytes: number }).storedBytes >= bytes);
    writer.destroy();
    await until('the room to unload and compact', async () => (await metric('tandem_rooms')) === 0);
    const stored = ((await (await fetch(`${base}/api/docs/${docId}`)).json()) as { storedBytes: number }).storedBytes;

    let rssPeakKb = processRssKb(child.pid!);
    const sampler = setInterval(() => {
      rssPeakKb = Math.max(rssPeakKb, processRssKb(child.pid!));
    }, 20);
    const times: number[] = [];
    const wire: number[] = [];
    const cpu: number[] = [];
    for (let j = 0; j < JOINS; j++) {
      const cpuBefore = processCpuMicros(child.pid!);
      const start = performance.now();
      const doc = new Y.Doc();
      const client = provider(port, docId, doc);
      await until('a joiner to sync', () => client.synced);
      times.push(performance.now() - start);
      wire.push((client.ws as unknown as { _socket: { bytesRead: number } })._socket.bytesRead);
      cpu.push((processCpuMicros(child.pid!) - cpuBefore) / 1000);
      if (Buffer.compare(Buffer.from(Y.encodeStateVector(doc)), Buffer.from(expected)) !== 0) throw new Error('a joiner did not get the whole document');
      client.destroy();
      doc.destroy();
    }
    clearInterval(sampler);
    const sorted = [...times].sort((a, b) => a - b);
    return { label, storedMb: stored / 1048576, p50: sorted[Math.floor(sorted.length / 2)]!, max: sorted.at(-1)!, wireMb: wire[0]! / 1048576, cpuMs: cpu.reduce((a, b) => a + b, 0) / cpu.length, rssPeakMb: rssPeakKb / 1024 };
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** L1 on Tandem with the stock provider, from storage: with permessage-deflate (the default) and without. */
export async function runL1Tandem(trace: Uint8Array, megabytes: number, joins: number): Promise<L1Row[]> {
  return [
    await run('Tandem, permessage-deflate (frames ≥ 16 KB)', {}, trace, megabytes, joins),
    await run('Tandem, no compression', { COMPRESS_ABOVE_BYTES: '0' }, trace, megabytes, joins),
  ];
}

export function l1Lines(rows: L1Row[]): string[] {
  return [
    '| | stored MB | synced p50 / max ms | bytes on the wire MB (per join) | server CPU ms per join | server RSS peak MB |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map((r) => `| ${r.label} | ${r.storedMb.toFixed(1)} | ${r.p50.toFixed(0)} / ${r.max.toFixed(0)} | ${r.wireMb.toFixed(1)} | ${r.cpuMs.toFixed(0)} | ${r.rssPeakMb.toFixed(0)} |`),
  ];
}

// Alone: npm run bench:big (BIG_MB, JOINS); within npm run bench it is part L1.
if (import.meta.url === `file://${process.argv[1]}`) {
  const joins = Number(process.env.JOINS ?? 5);
  const rows = await runL1Tandem(buildTraceDoc().update, Number(process.env.BIG_MB ?? 50), joins);
  console.log(`\n${machineSummary()}, load average ${os.loadavg().map((n) => n.toFixed(2)).join(' ')}; ${joins} joins each, one after another\n`);
  for (const line of l1Lines(rows)) console.log(line);
  process.exit(0);
}
