// What history costs the rest of the server (README "Version history"), on a store bench/history.ts
// made: C1 (a join that loads the document from storage) on that store against the same store with
// its history removed, and E2 fan-out p99 with and without someone opening and comparing versions of
// the big document in a loop. Both run built Tandem processes (`npm run build` first).
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { CompletionWatch } from './join.js';
import { LoadRun, type LoadResult } from './loadgen.js';
import { LOAD_SHAPES } from './scenarios.js';
import { type RunningServer, SERVERS, startServer } from './servers.js';
import { Samples, waitFor } from './stats.js';

const STORE_FILE = 'tandem.sqlite';

/** Makes two consistent copies of the store `file`: as it is, and with no history (rows, versions, checkpoints) — the same live document. */
export async function storeCopies(file: string, dir: string): Promise<{ history: string; none: string }> {
  const copies = { history: path.join(dir, 'with-history.sqlite'), none: path.join(dir, 'no-history.sqlite') };
  const source = new Database(file, { readonly: true });
  try {
    await source.backup(copies.history);
    await source.backup(copies.none);
  } finally {
    source.close();
  }
  const none = new Database(copies.none);
  try {
    none.exec('DELETE FROM history_rows; DELETE FROM versions; DELETE FROM history_checkpoints; VACUUM');
  } finally {
    none.close();
  }
  return copies;
}

/** Starts Tandem on a copy of the store file `file`, documents unloaded 50 ms after their last client leaves. */
function serve(file: string): Promise<RunningServer> {
  return startServer(SERVERS.tandem, { env: { UNLOAD_GRACE_MS: '50' }, prepare: (dataDir) => fs.copyFileSync(file, path.join(dataDir, STORE_FILE)) });
}

async function unloaded(server: RunningServer): Promise<void> {
  if (!(await waitFor(async () => (await server.stats()).docs === 0, 15_000, 20))) throw new Error('the server did not unload the document');
}

/**
 * C1 from storage, with history and without: the two servers run side by side and take turns (a join
 * on one, then on the other), so load from elsewhere on the machine falls on both alike.
 */
export async function c1WithAndWithoutHistory(files: { history: string; none: string }, docId: string, stateVector: Map<number, number>, joins: number) {
  const watch = new CompletionWatch({ stateVector });
  const servers = { history: await serve(files.history), none: await serve(files.none) };
  const samples = { history: new Samples(), none: new Samples() };
  try {
    for (let i = 0; i < joins; i++) {
      for (const kind of i % 2 === 0 ? (['history', 'none'] as const) : (['none', 'history'] as const)) {
        samples[kind].add(await watch.join(servers[kind], docId));
        await unloaded(servers[kind]);
      }
    }
  } finally {
    await Promise.all([servers.history.stop(), servers.none.stop()]);
  }
  return samples;
}

/** One E2 window, and the history requests made during it (ms each). */
export interface BrowsingWindow {
  e2: LoadResult;
  opened: Samples;
  compared: Samples;
}

/**
 * E2 (100 documents × 10 clients × 2 edits/s) on a server whose store holds the big document's
 * history: windows alone and windows while one client opens each version and compares it with the
 * one before and with now, in a loop, alternating (alone, browsing, alone, browsing…).
 */
export async function e2WhileBrowsing(file: string, docId: string, versionIds: number[], rounds: number): Promise<{ alone: LoadResult[]; browsing: BrowsingWindow[] }> {
  const server = await serve(file);
  const timing = { warmupMs: 3_000, measureMs: 15_000, drainMs: 2_000 };
  const alone: LoadResult[] = [];
  const browsing: BrowsingWindow[] = [];
  try {
    const run = await LoadRun.open(server, LOAD_SHAPES.E2, 'hist');
    try {
      for (let round = 0; round < rounds; round++) {
        alone.push(await run.measure(timing));
        const opened = new Samples();
        const compared = new Samples();
        let stop = false;
        const loop = (async () => {
          for (let i = 0; !stop; i++) {
            const vid = versionIds[i % versionIds.length]!;
            opened.add(await timedGet(server, `/api/docs/${docId}/versions/${vid}?format=json`));
            if (stop) break;
            compared.add(await timedGet(server, `/api/docs/${docId}/versions/${vid}/changes`));
            if (stop) break;
            compared.add(await timedGet(server, `/api/docs/${docId}/versions/current/changes?since=${vid}`));
          }
        })();
        try {
          browsing.push({ e2: await run.measure(timing), opened, compared });
        } finally {
          stop = true;
          await loop;
        }
      }
    } finally {
      await run.close();
    }
  } finally {
    await server.stop();
  }
  return { alone, browsing };
}

async function timedGet(server: RunningServer, url: string): Promise<number> {
  const began = performance.now();
  const response = await fetch(`http://127.0.0.1:${server.port}${url}`);
  await response.arrayBuffer();
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return performance.now() - began;
}
