import type { DocSummary } from '../../shared/api.js';
import { type PostgresPoolOptions, createPool, inTransaction, migratePool } from '../db/postgresPool.js';
import { DEADLOCK_DETECTED, inRetriedTransaction } from '../db/postgresTransaction.js';
import { toSafeNumber } from '../db/safeNumber.js';
import { type AppendEntry, type DocStore, type StoredDoc, snapshotSegments } from './docStore.js';
import { foldIntoHistory, postgresHistory, removeHistory } from './postgresHistory.js';

/** How to reach the database (the pool's settings are createPool's, in server/db/postgresPool.ts). */
export type PostgresStoreOptions = PostgresPoolOptions;

interface DocRow {
  id: string;
  title: string;
  created_at: string;
  updated_at: string;
}

/** SQLSTATEs a delete racing other processes' deletes and appends can meet, and retries. */
const DELETE_RETRYABLE = new Set(['23503' /* foreign key violation */, DEADLOCK_DETECTED]);
/** A delete that lost such a race is tried this often in all. */
const DELETE_ATTEMPTS = 5;
/** An append that PostgreSQL broke a deadlock with (racing a delete) is tried this often in all. */
const APPEND_RETRYABLE = new Set([DEADLOCK_DETECTED]);
const APPEND_ATTEMPTS = 3;

/** One row of a load: the snapshot (kind 0, seq = its through_seq), a further segment of it (kind 1, seq = its index) or an update (kind 2). */
interface LogRow {
  kind: number;
  seq: string;
  data: Buffer;
}

/**
 * Rows per INSERT statement of appendBatch. Each size is a named statement that a connection parses
 * and plans once: with a statement text per batch length, PostgreSQL parsed and planned the statement
 * at every commit (557 µs of its CPU for a one-update commit, more than the commit itself). A batch
 * of up to EXACT_ROWS rows is one statement of its own size; a larger one is inserted in chunks of
 * power-of-two sizes up to MAX_ROWS_PER_INSERT (four parameters a row, and one, under PostgreSQL's
 * 65,535), largest first, and what is left (at most EXACT_ROWS) in one more (37 rows: 32, 5).
 */
const EXACT_ROWS = 16;
const MAX_ROWS_PER_INSERT = 8_192;

/** The chunk sizes a batch of `count` rows is inserted in (see EXACT_ROWS). */
export function insertChunkSizes(count: number): number[] {
  const sizes: number[] = [];
  let left = count;
  while (left > EXACT_ROWS) {
    const size = Math.min(MAX_ROWS_PER_INSERT, 2 ** Math.floor(Math.log2(left)));
    sizes.push(size);
    left -= size;
  }
  if (left > 0) sizes.push(left);
  return sizes;
}

function toSummary(row: DocRow): DocSummary {
  return {
    id: row.id,
    title: row.title,
    createdAt: toSafeNumber(row.created_at, 'created_at'),
    updatedAt: toSafeNumber(row.updated_at, 'updated_at'),
  };
}

/** The snapshot and update rows of a load, oldest first, as a StoredDoc; `lastSeq` when there are none. */
function toStoredDoc(rows: readonly LogRow[], lastSeq: number): StoredDoc {
  const updates: Uint8Array[] = [];
  let segments = 0;
  for (const row of rows) {
    updates.push(row.data);
    if (row.kind < 2) segments++;
    if (row.kind !== 1) lastSeq = toSafeNumber(row.seq, 'seq');
  }
  return { updates, lastSeq, snapshotSegments: segments };
}

// The statements run most often are named, so each connection parses and plans them once.

// Load = snapshot + every later row, in one statement so that both come from one MVCC snapshot
// (a compaction committing meanwhile cannot make us read both its snapshot and the rows it deleted,
// or neither). Compaction deletes every row ≤ through_seq, so all remaining rows are later.
const LOAD_SQL = `
SELECT 0 AS kind, through_seq AS seq, data FROM snapshots WHERE doc_id = $1
UNION ALL
SELECT 1 AS kind, idx AS seq, data FROM snapshot_segments WHERE doc_id = $1
UNION ALL
SELECT 2 AS kind, seq, data FROM updates WHERE doc_id = $1
ORDER BY kind, seq`;

// loadSince: the snapshot only when it covers rows after $2 (the replica lacks some of what it
// folded in); then the rows after $2, which are all the rows when the snapshot is included.
const LOAD_SINCE_SQL = `
SELECT 0 AS kind, through_seq AS seq, data FROM snapshots WHERE doc_id = $1 AND through_seq > $2
UNION ALL
SELECT 1 AS kind, idx AS seq, data FROM snapshot_segments
  WHERE doc_id = $1 AND EXISTS (SELECT 1 FROM snapshots WHERE doc_id = $1 AND through_seq > $2)
UNION ALL
SELECT 2 AS kind, seq, data FROM updates WHERE doc_id = $1 AND seq > $2 AND seq <> ALL($3::bigint[])
ORDER BY kind, seq`;

// Takes each document's row lock, sorted by id so that two processes' transactions always lock in
// the same order and cannot deadlock. ON CONFLICT DO UPDATE locks an existing row (DO NOTHING
// would not); a new row is locked by its insertion.
const TOUCH_DOCS_SQL = `
INSERT INTO documents (id, title, created_at, updated_at)
SELECT id, '', $2::bigint, $2::bigint FROM unnest($1::text[]) AS t(id) ORDER BY id
ON CONFLICT (id) DO UPDATE SET updated_at = EXCLUDED.updated_at`;

/**
 * Inserts `count` updates given as VALUES rows (ordinal, doc_id, data, author), stamped with the time
 * in the last parameter. The sequence numbers are
 * drawn first and handed out by rank — the n-th smallest to the n-th entry — so entries get
 * increasing numbers in input order whatever order PostgreSQL evaluates nextval() or returns rows in.
 */
function insertUpdatesSql(count: number): string {
  let sql = insertSqlBySize.get(count);
  if (sql === undefined) insertSqlBySize.set(count, (sql = buildInsertUpdatesSql(count)));
  return sql;
}
const insertSqlBySize = new Map<number, string>();

function buildInsertUpdatesSql(count: number): string {
  const rows: string[] = [];
  for (let i = 0; i < count; i++) rows.push(`($${4 * i + 1}::bigint, $${4 * i + 2}::text, $${4 * i + 3}::bytea, $${4 * i + 4}::text)`);
  return `
WITH input (n, doc_id, data, author) AS (VALUES ${rows.join(', ')}),
drawn AS (SELECT nextval('updates_seq_seq') AS seq FROM input),
ranked AS (SELECT seq, row_number() OVER (ORDER BY seq) AS n FROM drawn)
INSERT INTO updates (seq, doc_id, data, author, at)
SELECT ranked.seq, input.doc_id, input.data, input.author, $${4 * count + 1}::bigint FROM input JOIN ranked USING (n)
RETURNING seq`;
}

/**
 * The store for several Tandem processes sharing one PostgreSQL database. The schema is created
 * or migrated before the promise resolves; rejects (with the pool released) when the database
 * cannot be reached or migrated. Every method's promise settles after its transaction committed
 * or failed; PostgreSQL's errors reject it unchanged.
 */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<DocStore> {
  const pool = createPool(options);
  try {
    await migratePool(pool, options.log);
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw error;
  }

  let closing: Promise<void> | null = null;
  return {
    history: postgresHistory(pool),
    async load(docId) {
      const { rows } = await pool.query<LogRow>({ name: 'tandem_load', text: LOAD_SQL, values: [docId] });
      return toStoredDoc(rows, 0);
    },

    async loadSince(docId, afterSeq, except = []) {
      const { rows } = await pool.query<LogRow>({
        name: 'tandem_load_since_except',
        text: LOAD_SINCE_SQL,
        values: [docId, afterSeq, except],
      });
      return toStoredDoc(rows, afterSeq);
    },

    async appendBatch(entries) {
      if (entries.length === 0) return [];
      const docIds = [...new Set(entries.map((entry) => entry.docId))];
      // An append racing a delete of its document by another process (which makes the row anew
      // here, see delete) can meet a deadlock; PostgreSQL rolls one transaction back whole, and
      // this one is safe to redo: nothing of it was committed or acknowledged.
      return inRetriedTransaction(pool, APPEND_RETRYABLE, APPEND_ATTEMPTS, async (client) => {
        // The document row locks come first, so each document's sequence numbers are drawn (and
        // committed) by one transaction at a time: a reader polling "seq > x" never sees a row
        // whose smaller-numbered neighbour commits later. See DocStore.loadSince.
        await client.query({ name: 'tandem_touch_docs', text: TOUCH_DOCS_SQL, values: [docIds, Date.now()] });
        const seqs: number[] = [];
        let start = 0;
        for (const size of insertChunkSizes(entries.length)) {
          const chunk: readonly AppendEntry[] = entries.slice(start, (start += size));
          const params: unknown[] = chunk.flatMap((entry, i) => [i + 1, entry.docId, entry.update, entry.author ?? null]);
          params.push(Date.now());
          const { rows } = await client.query<{ seq: string }>({ name: `tandem_insert_updates_${size}`, text: insertUpdatesSql(size), values: params });
          if (rows.length !== chunk.length) {
            throw new Error(`inserted ${rows.length} update rows for ${chunk.length} entries`);
          }
          const drawn = rows.map((row) => toSafeNumber(row.seq, 'seq')).sort((a, b) => a - b);
          seqs.push(...drawn);
        }
        return seqs;
      });
    },

    async compact(docId, snapshot, throughSeq) {
      return inTransaction(pool, async (client) => {
        // The document's row lock serializes this with appends and with other processes'
        // compactions of the document, so the check below cannot be overtaken by a newer snapshot.
        // No document row: the snapshot insert fails on its foreign key and the call rejects.
        await client.query('SELECT 1 FROM documents WHERE id = $1 FOR NO KEY UPDATE', [docId]);
        const { rows } = await client.query<{ through_seq: string }>(
          'SELECT through_seq FROM snapshots WHERE doc_id = $1',
          [docId],
        );
        const stored = rows[0] ? toSafeNumber(rows[0].through_seq, 'through_seq') : 0;
        if (stored >= throughSeq) return false;
        await foldIntoHistory(client, docId, throughSeq);
        const segments = snapshotSegments(snapshot);
        await client.query('DELETE FROM updates WHERE doc_id = $1 AND seq <= $2', [docId, throughSeq]);
        await client.query(
          `INSERT INTO snapshots (doc_id, data, through_seq, created_at) VALUES ($1, $2, $3, $4)
           ON CONFLICT (doc_id) DO UPDATE SET data = EXCLUDED.data, through_seq = EXCLUDED.through_seq,
             created_at = EXCLUDED.created_at`,
          [docId, segments[0], throughSeq, Date.now()],
        );
        await client.query('DELETE FROM snapshot_segments WHERE doc_id = $1', [docId]);
        // One segment per statement: each is up to a megabyte, and a statement's parameters travel whole.
        for (let idx = 1; idx < segments.length; idx++) {
          await client.query('INSERT INTO snapshot_segments (doc_id, idx, data) VALUES ($1, $2, $3)', [docId, idx, segments[idx]]);
        }
        return true;
      });
    },

    async create(docId) {
      const now = Date.now();
      await pool.query(`INSERT INTO documents (id, title, created_at, updated_at) VALUES ($1, '', $2::bigint, $2::bigint)`, [docId, now]);
      return { id: docId, title: '', createdAt: now, updatedAt: now };
    },

    async delete(docId) {
      // Every process deletes a deleted document. When another one's delete had just removed the
      // row, there was nothing to lock, and an append still running elsewhere could make the row
      // and an update anew between the deletes below: the last one fails on the foreign key (or
      // PostgreSQL breaks a deadlock between such transactions). Tried again, the lock holds.
      await inRetriedTransaction(pool, DELETE_RETRYABLE, DELETE_ATTEMPTS, async (client) => {
        // The row lock first: an append or compaction of the document waits for this transaction,
        // so none can add a row between the deletes below (an append then makes the row anew).
        await client.query('SELECT 1 FROM documents WHERE id = $1 FOR UPDATE', [docId]);
        await client.query('DELETE FROM updates WHERE doc_id = $1', [docId]);
        await client.query('DELETE FROM snapshot_segments WHERE doc_id = $1', [docId]);
        await client.query('DELETE FROM snapshots WHERE doc_id = $1', [docId]);
        await removeHistory(client, docId);
        await client.query('DELETE FROM documents WHERE id = $1', [docId]);
      });
    },

    async describe(docId) {
      const { rows } = await pool.query<DocRow & { stored_bytes: string }>(
        `SELECT id, title, created_at, updated_at,
           COALESCE((SELECT octet_length(data) FROM snapshots WHERE doc_id = $1), 0)
             + COALESCE((SELECT sum(octet_length(data)) FROM snapshot_segments WHERE doc_id = $1), 0)
             + COALESCE((SELECT sum(octet_length(data)) FROM updates WHERE doc_id = $1), 0) AS stored_bytes
         FROM documents WHERE id = $1`,
        [docId],
      );
      const row = rows[0];
      if (!row) return null;
      return { ...toSummary(row), storedBytes: toSafeNumber(row.stored_bytes, 'stored bytes') };
    },

    async list(limit) {
      const { rows } = await pool.query<DocRow>(
        'SELECT id, title, created_at, updated_at FROM documents ORDER BY updated_at DESC, id LIMIT $1',
        [limit],
      );
      return rows.map(toSummary);
    },

    async setTitle(docId, title) {
      await pool.query('UPDATE documents SET title = $1 WHERE id = $2', [title, docId]);
    },

    async check() {
      await pool.query('SELECT 1');
    },

    close() {
      closing ??= pool.end();
      return closing;
    },
  };
}
