import path from 'node:path';
import type Database from 'better-sqlite3';
import type { DocSummary } from '../../shared/api.js';
import { DATABASE_FILE, openSqliteDatabase } from '../db/sqliteDatabase.js';
import { type AppendEntry, type DocStore, type Snapshot, type StoredDoc, snapshotSegments } from './docStore.js';
import { type CheckpointPolicy, startCheckpointer } from './sqliteCheckpointer.js';
import { sqliteHistory } from './sqliteHistory.js';

/** `updatedAt` moves at most this often per document (and on its first append in a process). */
const TOUCH_INTERVAL_MS = 1000;

// The tables are migrations 1 and 8 of server/db/sqliteSchema.ts (the accounts' are in the same file).

interface DocRow {
  id: string;
  title: string;
  created_at: number;
  updated_at: number;
}

function toSummary(row: DocRow): DocSummary {
  return { id: row.id, title: row.title, createdAt: row.created_at, updatedAt: row.updated_at };
}

export interface SqliteStoreOptions {
  /** Folder of the database file; created if missing. */
  dataDir: string;
  synchronous: 'normal' | 'full';
  /** When WAL checkpoints run (tests shorten it); CHECKPOINT_POLICY by default. */
  checkpoint?: CheckpointPolicy;
  /**
   * A compaction writing more than this (snapshot and rows folded into the history) is done in
   * steps of about this many bytes each, the event loop running between them (COMPACT_STEP_BYTES;
   * tests make it tiny to take that path with small documents).
   */
  compactStepBytes?: number;
}

/** See SqliteStoreOptions.compactStepBytes. */
export const COMPACT_STEP_BYTES = 4 * 1024 * 1024;
/** A typical stored row's bytes (a keystroke's update is 20–40), to judge a fold's size from its row count. */
const ROW_BYTES_GUESS = 256;
/**
 * Segment rows of one snapshot have idx base+1 … base+n-1; a stepped compaction stages the next
 * snapshot's at the next base, invisible to readers until its last step makes that base current
 * (store_meta `segment_base:<doc>`), then removes the old ones.
 */
const SEGMENT_GENERATION = 1_000_000;

/**
 * The embedded default store: one SQLite file in WAL mode, prepared statements, no ORM.
 * better-sqlite3 is synchronous, so every method's work is done (and committed) before the
 * returned promise settles; callers may rely on that ordering only through the promise.
 */
export function openSqliteStore(options: SqliteStoreOptions): DocStore {
  // Foreign keys not enforced: the store itself makes each document's row before its first update,
  // and the per-insert lookup would cost every commit.
  const db = openSqliteDatabase({ dataDir: options.dataDir, synchronous: options.synchronous, foreignKeys: false });
  // Checkpoints run on a worker thread (sqliteCheckpointer.ts), never inside a commit; every write
  // below tells it (`wrote()`), which starts it the first time.
  const checkpointer = startCheckpointer(path.join(options.dataDir, DATABASE_FILE), options.checkpoint);

  /** The highest sequence number ever used, rows deleted by compaction included. */
  let lastSeq = highestSeq(db);
  /**
   * Documents known to have a row, with when this process last moved their `updatedAt` (-1: never).
   * It moves on a document's first append here and then at most once a second: updating the row
   * (and its index) on every commit would cost more than the append itself.
   */
  const touched = new Map<string, number>();

  const selectSnapshot = db.prepare<[string], { data: Buffer }>('SELECT data FROM snapshots WHERE doc_id = ?');
  const selectSegments = db.prepare<[string, number, number], { data: Buffer }>(
    'SELECT data FROM snapshot_segments WHERE doc_id = ? AND idx > ? AND idx < ? ORDER BY idx',
  );
  const selectBase = db.prepare<[string], { value: number }>('SELECT value FROM store_meta WHERE key = ?');
  const upsertBase = db.prepare<[string, number]>(
    'INSERT INTO store_meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
  );
  const deleteBase = db.prepare<[string]>('DELETE FROM store_meta WHERE key = ?');
  /** Segment rows of `doc` outside [base, base + SEGMENT_GENERATION), a few at a time: an old or abandoned snapshot's. */
  const selectStaleSegments = db.prepare<[string, number, number, number], { idx: number }>(
    'SELECT idx FROM snapshot_segments WHERE doc_id = ? AND (idx <= ? OR idx >= ?) LIMIT ?',
  );
  const deleteSegment = db.prepare<[string, number]>('DELETE FROM snapshot_segments WHERE doc_id = ? AND idx = ?');
  const selectFoldable = db.prepare<[string, number, number], { seq: number; bytes: number }>(
    'SELECT seq, length(data) AS bytes FROM updates WHERE doc_id = ? AND seq > ? AND seq <= ? ORDER BY seq LIMIT 10000',
  );
  const docExists = db.prepare<[string], { one: number }>('SELECT 1 AS one FROM documents WHERE id = ?');
  const insertSegment = db.prepare<[string, number, Uint8Array]>('INSERT INTO snapshot_segments (doc_id, idx, data) VALUES (?, ?, ?)');
  const deleteSegments = db.prepare<[string]>('DELETE FROM snapshot_segments WHERE doc_id = ?');
  const selectUpdates = db.prepare<[string], { seq: number; data: Buffer }>(
    'SELECT seq, data FROM updates WHERE doc_id = ? ORDER BY seq',
  );
  const selectSnapshotSeq = db.prepare<[string], { through_seq: number }>(
    'SELECT through_seq FROM snapshots WHERE doc_id = ?',
  );
  const selectUpdatesAfter = db.prepare<[string, number], { seq: number; data: Buffer }>(
    'SELECT seq, data FROM updates WHERE doc_id = ? AND seq > ? ORDER BY seq',
  );
  const touchDoc = db.prepare<[string, number, number]>(
    `INSERT INTO documents (id, title, created_at, updated_at) VALUES (?, '', ?, ?)
     ON CONFLICT(id) DO UPDATE SET updated_at = excluded.updated_at`,
  );
  const insertUpdate = db.prepare<[number, string, Uint8Array, string | null, number]>(
    'INSERT INTO updates (seq, doc_id, data, author, at) VALUES (?, ?, ?, ?, ?)',
  );
  const history = sqliteHistory(db);
  const deleteUpdatesThrough = db.prepare<[string, number]>('DELETE FROM updates WHERE doc_id = ? AND seq <= ?');
  const upsertSnapshot = db.prepare<[string, Uint8Array, number, number]>(
    `INSERT INTO snapshots (doc_id, data, through_seq, created_at) VALUES (?, ?, ?, ?)
     ON CONFLICT(doc_id) DO UPDATE SET data = excluded.data, through_seq = excluded.through_seq,
       created_at = excluded.created_at`,
  );
  const insertDoc = db.prepare<[string, number, number]>(
    `INSERT INTO documents (id, title, created_at, updated_at) VALUES (?, '', ?, ?)`,
  );
  const selectDoc = db.prepare<[string], DocRow>('SELECT id, title, created_at, updated_at FROM documents WHERE id = ?');
  const selectStoredBytes = db.prepare<[string, string, string], { bytes: number }>(
    `SELECT COALESCE((SELECT length(data) FROM snapshots WHERE doc_id = ?), 0)
          + COALESCE((SELECT SUM(length(data)) FROM snapshot_segments WHERE doc_id = ?), 0)
          + COALESCE((SELECT SUM(length(data)) FROM updates WHERE doc_id = ?), 0) AS bytes`,
  );
  const selectDocs = db.prepare<[number], DocRow>(
    'SELECT id, title, created_at, updated_at FROM documents ORDER BY updated_at DESC, id LIMIT ?',
  );
  const updateTitle = db.prepare<[string, string]>('UPDATE documents SET title = ? WHERE id = ?');
  const selectOne = db.prepare('SELECT 1');
  const deleteDocRow = db.prepare<[string]>('DELETE FROM documents WHERE id = ?');
  const deleteSnapshot = db.prepare<[string]>('DELETE FROM snapshots WHERE doc_id = ?');
  const deleteUpdates = db.prepare<[string]>('DELETE FROM updates WHERE doc_id = ?');
  const recordDeletedThrough = db.prepare<[number]>(
    `INSERT INTO store_meta (key, value) VALUES ('deleted_through_seq', ?)
     ON CONFLICT(key) DO UPDATE SET value = max(value, excluded.value)`,
  );

  const baseKey = (docId: string) => `segment_base:${docId}`;
  /** Where the current snapshot's segment rows start (see SEGMENT_GENERATION). */
  const segmentBase = (docId: string): number => selectBase.get(baseKey(docId))?.value ?? 0;

  const loadTx = db.transaction((docId: string): StoredDoc => {
    const updates: Uint8Array[] = [];
    const snapshot = selectSnapshot.get(docId);
    let lastSeq = selectSnapshotSeq.get(docId)?.through_seq ?? 0;
    if (snapshot) {
      updates.push(snapshot.data);
      const base = segmentBase(docId);
      for (const segment of selectSegments.iterate(docId, base, base + SEGMENT_GENERATION)) updates.push(segment.data);
    }
    const snapshotSegments = updates.length;
    for (const row of selectUpdates.iterate(docId)) {
      updates.push(row.data);
      lastSeq = row.seq;
    }
    return { updates, lastSeq, snapshotSegments };
  });

  const appendTx = db.transaction((entries: readonly AppendEntry[], now: number, marks: Map<string, number>): number[] => {
    const seqs: number[] = [];
    let seq = lastSeq;
    for (const { docId, update, author } of entries) {
      if (!marks.has(docId)) {
        const last = touched.get(docId);
        if (last === undefined || now - last >= TOUCH_INTERVAL_MS) {
          touchDoc.run(docId, now, now);
          marks.set(docId, now);
        }
      }
      seq += 1;
      insertUpdate.run(seq, docId, update, author ?? null, now);
      seqs.push(seq);
    }
    return seqs;
  });

  const loadSinceTx = db.transaction((docId: string, afterSeq: number, except: readonly number[]): StoredDoc => {
    const snapshotSeq = selectSnapshotSeq.get(docId)?.through_seq ?? 0;
    // A compaction folded rows the caller lacks into the snapshot: start from the snapshot.
    if (snapshotSeq > afterSeq) return loadTx(docId);
    const skip = new Set(except);
    const updates: Uint8Array[] = [];
    let lastSeq = afterSeq;
    for (const row of selectUpdatesAfter.iterate(docId, afterSeq)) {
      if (skip.has(row.seq)) continue;
      updates.push(row.data);
      lastSeq = row.seq;
    }
    return { updates, lastSeq, snapshotSegments: 0 };
  });

  const compactTx = db.transaction((docId: string, snapshot: Snapshot, throughSeq: number): boolean => {
    if ((selectSnapshotSeq.get(docId)?.through_seq ?? 0) >= throughSeq) return false;
    history.fold(docId, throughSeq);
    const segments = snapshotSegments(snapshot);
    deleteUpdatesThrough.run(docId, throughSeq);
    upsertSnapshot.run(docId, segments[0]!, throughSeq, Date.now());
    deleteSegments.run(docId);
    deleteBase.run(baseKey(docId));
    for (let idx = 1; idx < segments.length; idx++) insertSegment.run(docId, idx, segments[idx]!);
    return true;
  });

  /**
   * A big compaction in steps, each a short transaction, the event loop free between them (one
   * transaction for 50 MB held every relay for 335–404 ms: the fold 163, deleting the rows 47, the
   * segments 144). Readers never see a step half done, and a crash between steps leaves the old
   * snapshot and every row, as if the compaction had not begun:
   * 1. remove segment rows an interrupted compaction left (outside the current base);
   * 2. stage the new snapshot's segments at the next base (readers read the current base only);
   * 3. copy the rows it replaces into the history (history readers skip a row of `updates` the
   *    history already holds, so a copy is never counted twice);
   * 4. one transaction: check nothing newer was stored meanwhile, copy rows the steps missed, delete
   *    the replaced rows, write segment 0, make the new base current;
   * 5. remove the old snapshot's segment rows.
   */
  async function compactInSteps(docId: string, snapshot: Snapshot, throughSeq: number, stepBytes: number): Promise<boolean> {
    const segments = snapshotSegments(snapshot);
    const yieldNow = () => new Promise<void>((resolve) => setImmediate(resolve));
    const stillDue = () => (selectSnapshotSeq.get(docId)?.through_seq ?? 0) < throughSeq && docExists.get(docId) !== undefined;
    const removeStale = async (base: number): Promise<void> => {
      for (;;) {
        const stale = db.transaction(() => {
          // Deleting a row reads its whole overflow chain: about stepBytes per step (segments are up to 1 MB).
          const rows = selectStaleSegments.all(docId, base, base + SEGMENT_GENERATION, Math.max(1, Math.floor(stepBytes / (1024 * 1024))));
          for (const row of rows) deleteSegment.run(docId, row.idx);
          return rows.length;
        }).immediate();
        checkpointer.wrote();
        if (stale === 0) return;
        await yieldNow();
      }
    };
    if (!stillDue()) return false;
    const base = segmentBase(docId);
    await removeStale(base);
    const next = base + SEGMENT_GENERATION;
    for (let idx = 1; idx < segments.length; ) {
      if (!stillDue()) return false;
      db.transaction(() => {
        let bytes = 0;
        while (idx < segments.length && (bytes === 0 || bytes + segments[idx]!.length <= stepBytes)) {
          bytes += segments[idx]!.length;
          insertSegment.run(docId, next + idx, segments[idx]!);
          idx++;
        }
      }).immediate();
      checkpointer.wrote();
      await yieldNow();
    }
    let copiedThrough = selectSnapshotSeq.get(docId)?.through_seq ?? 0;
    history.beginFold(docId);
    for (;;) {
      if (!stillDue()) return false;
      const rows = selectFoldable.all(docId, copiedThrough, throughSeq);
      if (rows.length === 0) break;
      let bytes = 0;
      let upTo = copiedThrough;
      for (const row of rows) {
        if (bytes > 0 && bytes + row.bytes > stepBytes) break;
        bytes += row.bytes;
        upTo = row.seq;
      }
      db.transaction(() => history.copyRows(docId, copiedThrough, upTo)).immediate();
      checkpointer.wrote();
      copiedThrough = upTo;
      await yieldNow();
    }
    const swapped = db.transaction((): boolean => {
      if (!stillDue()) return false;
      history.copyRows(docId, copiedThrough, throughSeq);
      deleteUpdatesThrough.run(docId, throughSeq);
      upsertSnapshot.run(docId, segments[0]!, throughSeq, Date.now());
      upsertBase.run(baseKey(docId), next);
      return true;
    }).immediate();
    checkpointer.wrote();
    if (!swapped) return false;
    await yieldNow();
    await removeStale(next);
    return true;
  }

  const deleteTx = db.transaction((docId: string, through: number): void => {
    deleteUpdates.run(docId);
    deleteSegments.run(docId);
    deleteSnapshot.run(docId);
    deleteBase.run(baseKey(docId));
    deleteDocRow.run(docId);
    history.remove(docId);
    recordDeletedThrough.run(through);
  });

  let closed = false;
  return {
    history: history.history,
    async load(docId) {
      return loadTx(docId);
    },
    async loadSince(docId, afterSeq, except = []) {
      return loadSinceTx(docId, afterSeq, except);
    },
    async appendBatch(entries) {
      if (entries.length === 0) return [];
      const marks = new Map<string, number>();
      // IMMEDIATE: take the write lock at BEGIN (waiting out a checkpoint), never upgrade a read later.
      const seqs = appendTx.immediate(entries, Date.now(), marks);
      // Only once committed: a rolled-back transaction used no sequence numbers and touched nothing.
      lastSeq = seqs[seqs.length - 1]!;
      for (const [docId, at] of marks) touched.set(docId, at);
      checkpointer.wrote();
      return seqs;
    },
    async compact(docId, snapshot, throughSeq) {
      const stepBytes = options.compactStepBytes ?? COMPACT_STEP_BYTES;
      const snapshotBytes = snapshotSegments(snapshot).reduce((sum, segment) => sum + segment.length, 0);
      // The rows it folds, at most (sequence numbers are shared by all documents; no scan of the rows).
      const rowsAtMost = throughSeq - (selectSnapshotSeq.get(docId)?.through_seq ?? 0);
      if (snapshotBytes > stepBytes || rowsAtMost > stepBytes / ROW_BYTES_GUESS) {
        return compactInSteps(docId, snapshot, throughSeq, stepBytes);
      }
      const replaced = compactTx.immediate(docId, snapshot, throughSeq);
      checkpointer.wrote();
      return replaced;
    },
    async create(docId) {
      const now = Date.now();
      insertDoc.run(docId, now, now);
      checkpointer.wrote();
      touched.set(docId, -1);
      return { id: docId, title: '', createdAt: now, updatedAt: now };
    },
    async delete(docId) {
      deleteTx.immediate(docId, lastSeq);
      checkpointer.wrote();
      // Only once committed: the next append must make the document's row again (and at once).
      touched.delete(docId);
    },
    async describe(docId) {
      const row = selectDoc.get(docId);
      if (!row) return null;
      const storedBytes = selectStoredBytes.get(docId, docId, docId)?.bytes ?? 0;
      return { ...toSummary(row), storedBytes };
    },
    async list(limit) {
      return selectDocs.all(limit).map(toSummary);
    },
    async setTitle(docId, title) {
      updateTitle.run(title, docId);
      checkpointer.wrote();
    },
    async check() {
      selectOne.get();
    },
    async close() {
      if (closed) return;
      closed = true;
      await checkpointer.stop();
      db.close();
    },
  };
}

/**
 * The highest sequence number the database has used: in its rows, its snapshots, the record kept
 * when documents are deleted, or AUTOINCREMENT's record. Read once at start-up (a scan of the update rows).
 */
function highestSeq(db: Database.Database): number {
  const rows = db.prepare('SELECT MAX(seq) AS m FROM updates').get() as { m: number | null };
  const snapshots = db.prepare('SELECT MAX(through_seq) AS m FROM snapshots').get() as { m: number | null };
  const hasSequenceTable = db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'").get() !== undefined;
  const recorded = hasSequenceTable
    ? ((db.prepare("SELECT seq AS m FROM sqlite_sequence WHERE name = 'updates'").get() as { m: number } | undefined)?.m ?? 0)
    : 0;
  const deleted = (db.prepare("SELECT value AS m FROM store_meta WHERE key = 'deleted_through_seq'").get() as { m: number } | undefined)?.m ?? 0;
  return Math.max(rows.m ?? 0, snapshots.m ?? 0, recorded, deleted);
}
