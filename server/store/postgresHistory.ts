import type { Pool, PoolClient } from 'pg';
import type { VersionKind } from '../../shared/history.js';
import { inTransaction } from '../db/postgresPool.js';
import { toSafeNumber } from '../db/safeNumber.js';
import type { HistoryRow, HistoryStore, VersionRecord } from './historyStore.js';
import { distinct } from './sqliteHistory.js';

// The tables are migrations 6 and 9 of server/db/postgresSchema.ts (the same as SQLite's).

interface VersionRow {
  id: string;
  doc_id: string;
  seq: string;
  kind: VersionKind;
  name: string | null;
  created_at: string;
  authors: string[];
}

interface LogRow {
  seq: string;
  data: Buffer;
  author: string | null;
  at: string | null;
  attribution: Buffer | null;
  live: boolean;
  checkpoint?: boolean;
}

function toVersion(row: VersionRow): VersionRecord {
  return {
    id: toSafeNumber(row.id, 'version id'),
    docId: row.doc_id,
    seq: toSafeNumber(row.seq, 'seq'),
    kind: row.kind,
    name: row.name,
    createdAt: toSafeNumber(row.created_at, 'created_at'),
    authors: row.authors,
  };
}

function toHistoryRow(row: LogRow): HistoryRow {
  return {
    seq: toSafeNumber(row.seq, 'seq'),
    data: row.data,
    author: row.author,
    at: row.at === null ? null : toSafeNumber(row.at, 'at'),
    attribution: row.attribution,
    live: row.live,
  };
}

/**
 * Moves the update rows ≤ throughSeq (and, the first time, a snapshot stored before history was
 * kept) into history_rows. Run inside the compaction's transaction, holding the document's row lock.
 */
export async function foldIntoHistory(client: PoolClient, docId: string, throughSeq: number): Promise<void> {
  await client.query(
    `INSERT INTO history_rows (doc_id, seq, data, author, at, attribution)
     SELECT doc_id, through_seq, data, NULL, NULL, NULL FROM snapshots
     WHERE doc_id = $1 AND through_seq > 0 AND NOT EXISTS (SELECT 1 FROM history_rows WHERE doc_id = $1)`,
    [docId],
  );
  await client.query(
    `INSERT INTO history_rows (doc_id, seq, data, author, at, attribution)
     SELECT doc_id, seq, data, author, at, NULL FROM updates WHERE doc_id = $1 AND seq <= $2`,
    [docId, throughSeq],
  );
}

/** Removes the document's history and versions (inside the store's delete transaction). */
export async function removeHistory(client: PoolClient, docId: string): Promise<void> {
  await client.query('DELETE FROM history_rows WHERE doc_id = $1', [docId]);
  await client.query('DELETE FROM versions WHERE doc_id = $1', [docId]);
  await client.query('DELETE FROM history_checkpoints WHERE doc_id = $1', [docId]);
}

/** The rows of `readLog` after `afterSeq` (or after the checkpoint `cp` when the query has one), as one statement's parts. */
const LOG_ROWS = `SELECT seq, data, author, at, attribution, false AS live, false AS checkpoint FROM history_rows
     WHERE doc_id = $1 AND seq > (SELECT after FROM bound) AND seq <= $2
   UNION ALL SELECT through_seq, data, NULL, NULL, NULL, true, false FROM snapshots
     WHERE doc_id = $1 AND through_seq > (SELECT after FROM bound) AND NOT EXISTS (SELECT 1 FROM history_rows WHERE doc_id = $1)
   UNION ALL SELECT seq, data, author, at, NULL, true, false FROM updates
     WHERE doc_id = $1 AND seq > (SELECT after FROM bound) AND seq <= $2`;

/** The HistoryStore of the PostgreSQL store. Versions of one document are made under its row lock. */
export function postgresHistory(pool: Pool): HistoryStore {
  return {
    async listVersions(docId) {
      const { rows } = await pool.query<VersionRow>('SELECT * FROM versions WHERE doc_id = $1 ORDER BY seq DESC, id DESC', [docId]);
      return rows.map(toVersion);
    },
    async getVersion(docId, id) {
      const { rows } = await pool.query<VersionRow>('SELECT * FROM versions WHERE doc_id = $1 AND id = $2', [docId, id]);
      return rows[0] ? toVersion(rows[0]) : null;
    },
    async createVersion(docId, { kind, name, createdBy }, onlyIfChanged = false, burstEndedAt) {
      return inTransaction(pool, async (client) => {
        // The row lock orders this with appends and compactions of the document (and other processes' versions).
        const locked = await client.query('SELECT 1 FROM documents WHERE id = $1 FOR NO KEY UPDATE', [docId]);
        if (locked.rowCount === 0) return null;
        const { rows: seqRows } = await client.query<{ seq: string | null }>(
          `SELECT greatest((SELECT max(seq) FROM updates WHERE doc_id = $1), (SELECT max(seq) FROM history_rows WHERE doc_id = $1),
             (SELECT through_seq FROM snapshots WHERE doc_id = $1)) AS seq`,
          [docId],
        );
        const seq = seqRows[0]?.seq === null || seqRows[0] === undefined ? 0 : toSafeNumber(seqRows[0].seq, 'seq');
        if (seq === 0) return null;
        const { rows: previous } = await client.query<{ seq: string }>(
          'SELECT seq FROM versions WHERE doc_id = $1 ORDER BY seq DESC, id DESC LIMIT 1',
          [docId],
        );
        const after = previous[0] ? toSafeNumber(previous[0].seq, 'seq') : 0;
        if (onlyIfChanged && previous[0] && after >= seq) return null;
        if (onlyIfChanged && burstEndedAt !== undefined) {
          const { rows: newest } = await client.query<{ at: string | null }>(
            'SELECT at FROM updates WHERE doc_id = $1 AND seq = $2 UNION ALL SELECT at FROM history_rows WHERE doc_id = $1 AND seq = $2',
            [docId, seq],
          );
          const at = newest[0]?.at;
          if (at !== null && at !== undefined && toSafeNumber(at, 'at') > burstEndedAt) return null;
        }
        const { rows: authorRows } = await client.query<{ author: string }>(
          `SELECT author FROM (
             SELECT seq, author FROM history_rows WHERE doc_id = $1 AND seq > $2 AND seq <= $3 AND author IS NOT NULL
             UNION ALL SELECT seq, author FROM updates WHERE doc_id = $1 AND seq > $2 AND seq <= $3 AND author IS NOT NULL) a
           ORDER BY seq`,
          [docId, after, seq],
        );
        const authors = distinct(authorRows.map((row) => row.author));
        const { rows } = await client.query<VersionRow>(
          `INSERT INTO versions (doc_id, seq, kind, name, created_at, created_by, authors)
           VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb) RETURNING *`,
          [docId, seq, kind, name, Date.now(), createdBy, JSON.stringify(authors)],
        );
        return toVersion(rows[0]!);
      });
    },
    async renameVersion(docId, id, name) {
      const { rows } = await pool.query<VersionRow>('UPDATE versions SET name = $3 WHERE doc_id = $1 AND id = $2 RETURNING *', [docId, id, name]);
      return rows[0] ? toVersion(rows[0]) : null;
    },
    async readLog(docId, throughSeq, afterSeq = 0) {
      const through = throughSeq ?? Number.MAX_SAFE_INTEGER;
      // One statement, so one MVCC snapshot: a compaction moving rows meanwhile is seen whole or not at all.
      const { rows } = await pool.query<LogRow>(`WITH bound AS (SELECT $3::bigint AS after) ${LOG_ROWS} ORDER BY seq`, [docId, through, afterSeq]);
      return { rows: rows.map(toHistoryRow) };
    },
    async readCheckpointed(docId, throughSeq) {
      const through = throughSeq ?? Number.MAX_SAFE_INTEGER;
      // One statement (one MVCC snapshot): the checkpoint, then the rows after it. A merge by thinning
      // meanwhile is seen whole or not at all.
      const { rows } = await pool.query<LogRow>(
        `WITH cp AS (SELECT seq, data FROM history_checkpoints WHERE doc_id = $1 AND seq <= $2 ORDER BY seq DESC LIMIT 1),
              bound AS (SELECT coalesce((SELECT seq FROM cp), 0) AS after)
         SELECT seq, data, NULL AS author, NULL AS at, NULL AS attribution, false AS live, true AS checkpoint FROM cp
         UNION ALL ${LOG_ROWS}
         ORDER BY seq, checkpoint DESC`,
        [docId, through],
      );
      const first = rows[0];
      const checkpoint = first?.checkpoint ? { seq: toSafeNumber(first.seq, 'seq'), data: first.data } : null;
      return { checkpoint, rows: (checkpoint ? rows.slice(1) : rows).map(toHistoryRow) };
    },
    async logSizes(docId) {
      const { rows } = await pool.query<{ checkpoint: boolean; seq: string; bytes: number }>(
        `SELECT true AS checkpoint, seq, length(data) AS bytes FROM history_checkpoints WHERE doc_id = $1
         UNION ALL SELECT false, seq, length(data) FROM history_rows WHERE doc_id = $1
         UNION ALL SELECT false, seq, length(data) FROM updates WHERE doc_id = $1
         ORDER BY seq`,
        [docId],
      );
      const sized = (row: (typeof rows)[number]) => ({ seq: toSafeNumber(row.seq, 'seq'), bytes: Number(row.bytes) });
      return { checkpoints: rows.filter((row) => row.checkpoint).map(sized), rows: rows.filter((row) => !row.checkpoint).map(sized) };
    },
    async putCheckpoint(docId, seq, data) {
      return inTransaction(pool, async (client) => {
        // The row lock orders this with thinning (mergeHistory), which drops versions and their checkpoints.
        await client.query('SELECT 1 FROM documents WHERE id = $1 FOR NO KEY UPDATE', [docId]);
        const { rowCount } = await client.query(
          `INSERT INTO history_checkpoints (doc_id, seq, data) SELECT $1, $2, $3
           WHERE EXISTS (SELECT 1 FROM versions WHERE doc_id = $1 AND seq = $2) ON CONFLICT DO NOTHING`,
          [docId, seq, data],
        );
        return rowCount === 1;
      });
    },
    async mergeHistory(docId, { afterSeq, throughSeq, expectRows, merged, dropVersionIds, survivorSeq }) {
      return inTransaction(pool, async (client) => {
        await client.query('SELECT 1 FROM documents WHERE id = $1 FOR NO KEY UPDATE', [docId]);
        const { rows: counts } = await client.query<{ live: string; kept: string }>(
          `SELECT (SELECT count(*) FROM updates WHERE doc_id = $1 AND seq > $2 AND seq <= $3) AS live,
                  (SELECT count(*) FROM history_rows WHERE doc_id = $1 AND seq > $2 AND seq <= $3) AS kept`,
          [docId, afterSeq, throughSeq],
        );
        if (Number(counts[0]!.live) > 0 || Number(counts[0]!.kept) !== expectRows) return false;
        await client.query('DELETE FROM history_rows WHERE doc_id = $1 AND seq > $2 AND seq <= $3', [docId, afterSeq, throughSeq]);
        await client.query(
          'INSERT INTO history_rows (doc_id, seq, data, author, at, attribution) VALUES ($1, $2, $3, $4, $5, $6)',
          [docId, merged.seq, merged.data, merged.author, merged.at, merged.attribution],
        );
        if (dropVersionIds.length > 0) {
          const { rows: dropped } = await client.query<VersionRow>('DELETE FROM versions WHERE doc_id = $1 AND id = ANY($2::bigint[]) RETURNING *', [
            docId,
            dropVersionIds,
          ]);
          const { rows: survivors } = await client.query<VersionRow>('SELECT * FROM versions WHERE doc_id = $1 AND seq = $2 ORDER BY id LIMIT 1', [
            docId,
            survivorSeq,
          ]);
          const survivor = survivors[0];
          if (survivor && dropped.length > 0) {
            const authors = distinct([...dropped.flatMap((row) => row.authors), ...survivor.authors]);
            await client.query('UPDATE versions SET authors = $2::jsonb WHERE id = $1', [survivor.id, JSON.stringify(authors)]);
          }
          await client.query('DELETE FROM history_checkpoints WHERE doc_id = $1 AND seq NOT IN (SELECT seq FROM versions WHERE doc_id = $1)', [docId]);
        }
        return true;
      });
    },
  };
}
