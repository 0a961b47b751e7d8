// Version history on the 259,778-edit trace (README "Version history"): the trace typed by two
// authors taking turns in bursts, with a pause (an automatic version) after each burst, stored as a
// room would store it (one row per edit, compaction every 1,000 rows). Reports the bytes stored with
// history against those a store without it keeps (the live snapshot and rows), before and after
// retention thinning, and how long listing versions, opening one and showing its changes take.
//   node --import tsx bench/history.ts [--load]
// --load also measures, on built Tandem processes (npm run build), C1 from storage with this history
// and without it, and E2 fan-out p99 alone and while versions are opened and compared (historyLoad.ts).
import type { LiveHub } from '../server/live/liveHub.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance as nodePerformance } from 'node:perf_hooks';
import zlib from 'node:zlib';
import Database from 'better-sqlite3';
import * as Y from 'yjs';
import { BODY_FRAGMENT } from '../shared/schema.js';
import type { AccountStore } from '../server/accounts/accountStore.js';
import type { RoomRegistry } from '../server/collab/roomRegistry.js';
import { defaultConfig } from '../server/config.js';
import { HistoryService } from '../server/history/historyService.js';
import { HistoryThread } from '../server/history/historyThread.js';
import { openSqliteStore } from '../server/store/sqliteStore.js';
import { c1WithAndWithoutHistory, e2WhileBrowsing, storeCopies } from './historyLoad.js';
import type { LoadResult } from './loadgen.js';
import { TRACE_FILE } from './trace.js';

interface TraceFile {
  startContent: string;
  endContent: string;
  txns: { patches: [number, number, string][] }[];
}

const KEYSTROKE_MS = 150; // simulated time between edits
const PAUSE_MS = 10 * 60_000; // between bursts: past VERSION_IDLE_MS, so each burst ends in a version
const docId = 'trace';
const trace = JSON.parse(zlib.gunzipSync(fs.readFileSync(TRACE_FILE)).toString('utf8')) as TraceFile;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-history-bench-'));
let now = Date.UTC(2026, 0, 1);
const realNow = Date.now;
Date.now = () => now; // versions and rows are stamped with the simulated time

const store = openSqliteStore({ dataDir: dir, synchronous: 'normal' });
const thread = new HistoryThread();
const accounts = { getUser: async (id: string) => ({ id, name: id }) } as unknown as AccountStore;
// Nobody listens on /live here: a named version's announcement goes nowhere.
const live = { push: () => undefined } as unknown as LiveHub;
const service = new HistoryService({ store, registry: {} as RoomRegistry, accounts, live, thread, config: defaultConfig, log: { ...console, debug: () => undefined } as never });
const docs = [new Y.Doc(), new Y.Doc()];
const authors = ['u:ann', 'u:bob'];
const pending: Array<{ docId: string; update: Uint8Array; author: string }> = [];
docs.forEach((doc, i) => {
  doc.on('update', (update: Uint8Array, origin: unknown) => {
    if (origin === 'remote') return;
    pending.push({ docId, update, author: authors[i]! });
    Y.applyUpdate(docs[1 - i]!, update, 'remote');
  });
});
const textOf = (doc: Y.Doc) => ((doc.getXmlFragment(BODY_FRAGMENT).get(0) as Y.XmlElement).get(0) as Y.XmlText);
docs[0]!.transact(() => {
  const paragraph = new Y.XmlElement('paragraph');
  paragraph.insert(0, [new Y.XmlText(trace.startContent)]);
  docs[0]!.getXmlFragment(BODY_FRAGMENT).insert(0, [paragraph]);
});

let rowsSinceCompaction = 0;
let lastSeq = 0;
let versions = 0;
let edits = 0;
async function flush(): Promise<void> {
  if (pending.length === 0) return;
  const seqs = await store.appendBatch(pending.splice(0));
  lastSeq = seqs.at(-1)!;
  rowsSinceCompaction += seqs.length;
  if (rowsSinceCompaction >= defaultConfig.compactAfterUpdates) {
    await store.compact(docId, Y.encodeStateAsUpdate(docs[0]!), lastSeq);
    rowsSinceCompaction = 0;
  }
}

const started = realNow();
let burstLeft = 0;
let author = 1;
let seed = 1;
const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
for (const txn of trace.txns) {
  if (burstLeft === 0) {
    await flush();
    if (edits > 0) {
      now += PAUSE_MS;
      // As the server does after each automatic version: thinning merges the intervals compacted so far.
      await store.history.createVersion(docId, { kind: 'auto', name: null, createdBy: null }, true);
      await service.thin(docId);
      versions++;
    }
    author = 1 - author;
    burstLeft = 500 + Math.floor(random() * 2500);
  }
  const text = textOf(docs[author]!);
  docs[author]!.transact(() => {
    for (const [pos, deleted, inserted] of txn.patches) {
      if (deleted > 0) text.delete(pos, deleted);
      if (inserted) text.insert(pos, inserted);
      edits++;
    }
  });
  now += KEYSTROKE_MS;
  burstLeft--;
  // A room commits each keystroke in the turn it arrives: rows of one edit each, a batch per 64.
  if (pending.length >= 64) await flush();
}
await flush();
await store.history.createVersion(docId, { kind: 'auto', name: null, createdBy: null }, true);
versions++;
await store.compact(docId, Y.encodeStateAsUpdate(docs[0]!), lastSeq);
await service.thin(docId);
if (textOf(docs[0]!).toString() !== trace.endContent) throw new Error('the replay did not give the trace\u2019s endContent');
const replaySeconds = (realNow() - started) / 1000;

const raw = new Database(path.join(dir, 'tandem.sqlite'), { readonly: true });
function bytes(): { live: number; history: number; versions: number; rows: number; checkpoints: number; checkpointBytes: number } {
  const one = (sql: string) => (raw.prepare(sql).get() as { n: number | null }).n ?? 0;
  return {
    live: one('SELECT sum(length(data)) AS n FROM snapshots') + one('SELECT sum(length(data) + length(author) + 8) AS n FROM updates'),
    history: one(`SELECT sum(length(data) + coalesce(length(attribution), 0) + coalesce(length(author), 0) + 8) AS n FROM history_rows`),
    versions: one('SELECT sum(length(authors) + 40) AS n FROM versions'),
    rows: one('SELECT count(*) AS n FROM history_rows'),
    checkpoints: one('SELECT count(*) AS n FROM history_checkpoints'),
    checkpointBytes: one('SELECT sum(length(data) + 8) AS n FROM history_checkpoints'),
  };
}
const before = bytes();

/** Main-thread (event loop) busy time during each timed call: what history work costs the loop that relays keystrokes. */
const loopBusy: Record<'open' | 'changes', number[]> = { open: [], changes: [] };
async function timed<T>(work: () => Promise<T>, busy?: number[]): Promise<[T, number]> {
  const t = performance.now();
  const before = nodePerformance.eventLoopUtilization();
  const result = await work();
  busy?.push(nodePerformance.eventLoopUtilization(before).active);
  return [result, performance.now() - t];
}
const stats = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return `p50 ${sorted[Math.floor(sorted.length / 2)]!.toFixed(0)} ms, max ${sorted.at(-1)!.toFixed(0)} ms (n=${values.length})`;
};
async function timings(label: string): Promise<void> {
  const list: number[] = [];
  let listed = await service.list(docId);
  for (let i = 0; i < 10; i++) {
    const [result, ms] = await timed(() => service.list(docId));
    listed = result;
    list.push(ms);
  }
  const sample = listed.filter((_, i) => i % Math.max(1, Math.floor(listed.length / 12)) === 0);
  const open: number[] = [];
  const changes: number[] = [];
  for (const version of sample) {
    open.push((await timed(() => service.content(docId, version.id, 'json'), loopBusy.open))[1]);
    changes.push((await timed(() => service.changes(docId, version.id, undefined), loopBusy.changes))[1]);
  }
  console.log(`${label}: ${listed.length} versions`);
  console.log(`  list versions: ${stats(list)}`);
  console.log(`  open a version (ProseMirror JSON): ${stats(open)}`);
  console.log(`  show its changes: ${stats(changes)}`);
  console.log(`  event loop busy meanwhile: opening ${stats(loopBusy.open.splice(0))}; changes ${stats(loopBusy.changes.splice(0))}`);
}

/** Runs `work` with the checkpoints set aside (as before they existed), then puts them back. */
async function withoutCheckpoints(work: () => Promise<void>): Promise<void> {
  const writable = new Database(path.join(dir, 'tandem.sqlite'));
  writable.exec('CREATE TEMP TABLE kept AS SELECT * FROM history_checkpoints; DELETE FROM history_checkpoints');
  try {
    await work();
  } finally {
    writable.exec('INSERT INTO history_checkpoints SELECT * FROM kept; DROP TABLE kept');
    writable.close();
  }
}

/**
 * --load: C1 from storage with this history and without any, and E2 fan-out p99 alone and while
 * versions of this document are opened and compared in a loop (bench/historyLoad.ts; built server).
 */
async function serverFigures(): Promise<void> {
  Date.now = realNow;
  try {
    await serverRuns();
  } finally {
    Date.now = () => now;
  }
}

async function serverRuns(): Promise<void> {
  const files = await storeCopies(path.join(dir, 'tandem.sqlite'), dir);
  const stateVector = Y.decodeStateVector(Y.encodeStateVector(docs[0]!));
  const c1 = await c1WithAndWithoutHistory(files, docId, stateVector, 20);
  const ms = (s: { percentile(p: number): number; max: number }) => `p50 ${s.percentile(50).toFixed(1)} ms, max ${s.max.toFixed(1)} ms`;
  console.log(`C1 join from storage (n=${c1.history.count} each, taking turns): with history ${ms(c1.history)}; the same store without history ${ms(c1.none)}`);
  const listed = await service.list(docId);
  const sample = listed.filter((_, i) => i % Math.max(1, Math.floor(listed.length / 12)) === 0).map((v) => v.id);
  const e2 = await e2WhileBrowsing(files.history, docId, sample, 3);
  const p99 = (r: LoadResult) => `${r.latency.percentile(99).toFixed(1)} (p50 ${r.latency.percentile(50).toFixed(1)})`;
  console.log(`E2 fan-out p99, windows alone: ${e2.alone.map(p99).join(', ')} ms (other processes: ${e2.alone.map((r) => r.foreignCpuPercent.toFixed(0)).join(', ')} % of a core)`);
  console.log(
    `E2 fan-out p99, windows while versions are opened and compared: ${e2.browsing.map((w) => p99(w.e2)).join(', ')} ms (other processes: ${e2.browsing.map((w) => w.e2.foreignCpuPercent.toFixed(0)).join(', ')} % of a core)`,
  );
  for (const w of e2.browsing) console.log(`  meanwhile: ${w.opened.count} versions opened (${ms(w.opened)}), ${w.compared.count} comparisons (${ms(w.compared)})`);
}

const kib = (n: number) => `${(n / 1024).toFixed(0)} KiB`;
console.log(`replayed ${edits} edits in ${versions} bursts by two authors in ${replaySeconds.toFixed(1)} s`);
console.log(`without history (live snapshot + rows): ${kib(before.live)}`);
console.log(`with history: + ${kib(before.history)} in ${before.rows} history rows + ${kib(before.versions)} of versions + ${kib(before.checkpointBytes)} in ${before.checkpoints} checkpoints`);
await timings('all versions kept');
await withoutCheckpoints(() => timings('all versions kept, without checkpoints (every version replayed from the log\u2019s start)'));
if (process.argv.includes('--load')) await serverFigures();

now += 40 * 24 * 3600_000; // 40 days later: retention keeps one version a day
await service.thin(docId);
const after = bytes();
console.log(`after thinning (40 days on): + ${kib(after.history)} in ${after.rows} history rows + ${kib(after.versions)} of versions + ${kib(after.checkpointBytes)} in ${after.checkpoints} checkpoints`);
await timings('after thinning');
await withoutCheckpoints(() => timings('after thinning, without checkpoints'));
await thread.close();
await store.close();
raw.close();
fs.rmSync(dir, { recursive: true, force: true });
