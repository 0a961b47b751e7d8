import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { segmentDoc } from '../../server/bigdocs/segmentState.js';
import { DATABASE_FILE } from '../../server/db/sqliteDatabase.js';
import type { DocStore } from '../../server/store/docStore.js';
import { openSqliteStore } from '../../server/store/sqliteStore.js';

// A big compaction is done in steps, the event loop running between them (one transaction for a
// 50 MB document held every relay for 335–404 ms). At every point between steps, what a reader
// loads is the whole document and the history counts every row once; an abandoned or interrupted
// compaction leaves nothing a reader sees.

const dirs: string[] = [];
const stores: DocStore[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function open(dir?: string) {
  const dataDir = dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-steps-'));
  if (!dir) dirs.push(dataDir);
  const store = openSqliteStore({ dataDir, synchronous: 'normal', compactStepBytes: 600 });
  stores.push(store);
  return { store, dataDir };
}

/** A document typed as 200 updates (about 6 KB of rows), stored; returns its doc and the last seq. */
async function typed(store: DocStore, docId: string): Promise<{ doc: Y.Doc; lastSeq: number }> {
  const doc = new Y.Doc();
  const updates: Uint8Array[] = [];
  doc.on('update', (update: Uint8Array) => updates.push(update));
  const text = doc.getText('t');
  for (let i = 0; i < 200; i++) text.insert(text.length, `line ${i} `);
  await store.create(docId);
  const seqs = await store.appendBatch(updates.map((update) => ({ docId, update, author: 'u:ann' })));
  return { doc, lastSeq: seqs.at(-1)! };
}

async function textOf(store: DocStore, docId: string): Promise<string> {
  const copy = new Y.Doc();
  for (const update of (await store.load(docId)).updates) Y.applyUpdate(copy, update);
  return copy.getText('t').toString();
}

describe('a compaction in steps (SQLite)', () => {
  it('lets the event loop run between steps; between any two, the document loads whole and the history counts each row once', async () => {
    const { store } = open();
    const { doc, lastSeq } = await typed(store, 'big');
    const expected = doc.getText('t').toString();
    const segments = segmentDoc(doc, 500);
    expect(segments.length).toBeGreaterThan(3);
    const seen: Array<Promise<void>> = [];
    let turns = 0;
    let done = false;
    const watch = (): void => {
      if (done) return;
      turns++;
      seen.push(
        (async () => {
          expect(await textOf(store, 'big')).toBe(expected);
          const seqs = (await store.history.readLog('big', null)).rows.map((row) => row.seq);
          expect(new Set(seqs).size, 'a history row counted twice').toBe(seqs.length);
        })(),
      );
      setImmediate(watch);
    };
    setImmediate(watch);
    expect(await store.compact('big', segments, lastSeq)).toBe(true);
    done = true;
    await Promise.all(seen);
    // Each staged segment, each copied range and the final swap let other work run.
    expect(turns).toBeGreaterThan(segments.length);
    const loaded = await store.load('big');
    expect(loaded.snapshotSegments).toBe(segments.length);
    expect(await textOf(store, 'big')).toBe(expected);
    // Every row is in the history once, and the rows themselves are gone.
    const seqs = (await store.history.readLog('big', null)).rows.map((row) => row.seq);
    expect(seqs).toHaveLength(200);
    expect(new Set(seqs).size).toBe(200);
  });

  it('a document deleted during the steps: the compaction stops and leaves no rows behind', async () => {
    const { store, dataDir } = open();
    const { doc, lastSeq } = await typed(store, 'gone');
    const compaction = store.compact('gone', segmentDoc(doc, 500), lastSeq);
    await new Promise((resolve) => setImmediate(resolve));
    await store.delete('gone');
    expect(await compaction).toBe(false);
    const raw = new Database(path.join(dataDir, DATABASE_FILE), { readonly: true });
    try {
      expect(raw.prepare("SELECT count(*) AS n FROM snapshot_segments WHERE doc_id = 'gone'").get()).toEqual({ n: 0 });
      expect(raw.prepare("SELECT count(*) AS n FROM updates WHERE doc_id = 'gone'").get()).toEqual({ n: 0 });
    } finally {
      raw.close();
    }
  });

  it('segments an interrupted compaction staged are never read, and the next compaction removes them', async () => {
    const { store, dataDir } = open();
    const { doc, lastSeq } = await typed(store, 'cut');
    const expected = doc.getText('t').toString();
    // What a crash after staging leaves: rows at the next generation's indexes.
    const raw = new Database(path.join(dataDir, DATABASE_FILE));
    raw.prepare('INSERT INTO snapshot_segments (doc_id, idx, data) VALUES (?, ?, ?)').run('cut', 1_000_001, Buffer.from([0, 0]));
    raw.close();
    expect(await textOf(store, 'cut')).toBe(expected);
    expect(await store.compact('cut', segmentDoc(doc, 500), lastSeq)).toBe(true);
    expect(await textOf(store, 'cut')).toBe(expected);
    await store.close();
    stores.length = 0;
    const { store: reopened } = open(dataDir);
    expect(await textOf(reopened, 'cut')).toBe(expected);
    const check = new Database(path.join(dataDir, DATABASE_FILE), { readonly: true });
    try {
      const rows = check.prepare("SELECT idx FROM snapshot_segments WHERE doc_id = 'cut' ORDER BY idx").all() as Array<{ idx: number }>;
      // Only the new snapshot's segments, all in one generation.
      const generations = new Set(rows.map((row) => Math.floor(row.idx / 1_000_000)));
      expect(generations.size).toBe(1);
      expect(rows.length).toBe((await reopened.load('cut')).snapshotSegments! - 1);
    } finally {
      check.close();
    }
  });
});
