import type Database from 'better-sqlite3';
import type { VersionKind } from '../../shared/history.js';
import type { HistoryRow, HistoryStore, VersionRecord } from './historyStore.js';

// The tables are migrations 6 (rows, versions) and 9 (checkpoints) of server/db/sqliteSchema.ts.

interface VersionRow {
  id: number;
  doc_id: string;
  seq: number;
  kind: VersionKind;
  name: string | null;
  created_at: number;
  authors: string;
}

interface LogRow {
  seq: number;
  data: Buffer;
  author: string | null;
  at: number | null;
  attribution: Buffer | null;
  live: number;
}

function toVersion(row: VersionRow): VersionRecord {
  return { id: row.id, docId: row.doc_id, seq: row.seq, kind: row.kind, name: row.name, createdAt: row.created_at, authors: JSON.parse(row.authors) as string[] };
}

function toHistoryRow(row: LogRow): HistoryRow {
  return { seq: row.seq, data: row.data, author: row.author, at: row.at, attribution: row.attribution, live: row.live === 1 };
}

/**
 * The history half of the SQLite store: `fold` runs inside the store's compaction transaction; a
 * compaction in steps calls `beginFold`, then `copyRows` for consecutive ranges (a copy may stand in
 * both tables until the compaction's last step deletes the row from `updates`: readers count it once).
 */
export interface SqliteHistory {
  history: HistoryStore;
  /** Moves the update rows ≤ throughSeq (and, the first time, the old snapshot) into history_rows. Call inside a transaction, before the rows are deleted. */
  fold(docId: string, throughSeq: number): void;
  /** Before the first copyRows of a compaction in steps: the old snapshot joins the history as fold does. */
  beginFold(docId: string): void;
  /** Copies the rows of `updates` in (afterSeq, throughSeq] into the history (a row already there is kept). */
  copyRows(docId: string, afterSeq: number, throughSeq: number): void;
  /** Removes the document's history and versions. Call inside the store's delete transaction. */
  remove(docId: string): void;
}

export function sqliteHistory(db: Database.Database): SqliteHistory {
  const hasHistory = db.prepare<[string], { one: number }>('SELECT 1 AS one FROM history_rows WHERE doc_id = ? LIMIT 1');
  const oldSnapshot = db.prepare<[string], { data: Buffer; through_seq: number }>('SELECT data, through_seq FROM snapshots WHERE doc_id = ?');
  const insertRow = db.prepare<[string, number, Uint8Array, string | null, number | null, Uint8Array | null]>(
    'INSERT INTO history_rows (doc_id, seq, data, author, at, attribution) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const moveRows = db.prepare<[string, number]>(
    `INSERT INTO history_rows (doc_id, seq, data, author, at, attribution)
     SELECT doc_id, seq, data, author, at, NULL FROM updates WHERE doc_id = ? AND seq <= ? ON CONFLICT DO NOTHING`,
  );
  const copyRange = db.prepare<[string, number, number]>(
    `INSERT INTO history_rows (doc_id, seq, data, author, at, attribution)
     SELECT doc_id, seq, data, author, at, NULL FROM updates WHERE doc_id = ? AND seq > ? AND seq <= ? ON CONFLICT DO NOTHING`,
  );
  const selectVersions = db.prepare<[string], VersionRow>('SELECT * FROM versions WHERE doc_id = ? ORDER BY seq DESC, id DESC');
  const selectVersion = db.prepare<[string, number], VersionRow>('SELECT * FROM versions WHERE doc_id = ? AND id = ?');
  const newestVersion = db.prepare<[string], VersionRow>('SELECT * FROM versions WHERE doc_id = ? ORDER BY seq DESC, id DESC LIMIT 1');
  const newestSeq = db.prepare<[string, string, string], { seq: number | null }>(
    `SELECT max(m) AS seq FROM (
       SELECT max(seq) AS m FROM updates WHERE doc_id = ?
       UNION ALL SELECT max(seq) FROM history_rows WHERE doc_id = ?
       UNION ALL SELECT through_seq FROM snapshots WHERE doc_id = ?)`,
  );
  const authorsIn = db.prepare<[string, number, number, string, number, number], { author: string }>(
    `SELECT author FROM (
       SELECT seq, author FROM history_rows WHERE doc_id = ? AND seq > ? AND seq <= ? AND author IS NOT NULL
       UNION ALL SELECT seq, author FROM updates WHERE doc_id = ? AND seq > ? AND seq <= ? AND author IS NOT NULL)
     ORDER BY seq`,
  );
  const storedAt = db.prepare<[string, number, string, number], { at: number | null }>(
    'SELECT at FROM updates WHERE doc_id = ? AND seq = ? UNION ALL SELECT at FROM history_rows WHERE doc_id = ? AND seq = ?',
  );
  const insertVersion = db.prepare<[string, number, string, string | null, number, string | null, string]>(
    'INSERT INTO versions (doc_id, seq, kind, name, created_at, created_by, authors) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const updateName = db.prepare<[string | null, string, number]>('UPDATE versions SET name = ? WHERE doc_id = ? AND id = ?');
  const selectLog = db.prepare<[string, number, number, string, number, number], LogRow>(
    `SELECT seq, data, author, at, attribution, 0 AS live FROM history_rows WHERE doc_id = ? AND seq > ? AND seq <= ?
     UNION ALL SELECT seq, data, author, at, NULL, 1 FROM updates u WHERE doc_id = ? AND seq > ? AND seq <= ?
       AND NOT EXISTS (SELECT 1 FROM history_rows h WHERE h.doc_id = u.doc_id AND h.seq = u.seq)
     ORDER BY seq`,
  );
  const countLiveIn = db.prepare<[string, number, number], { n: number }>('SELECT count(*) AS n FROM updates WHERE doc_id = ? AND seq > ? AND seq <= ?');
  const countHistoryIn = db.prepare<[string, number, number], { n: number }>('SELECT count(*) AS n FROM history_rows WHERE doc_id = ? AND seq > ? AND seq <= ?');
  const deleteHistoryIn = db.prepare<[string, number, number]>('DELETE FROM history_rows WHERE doc_id = ? AND seq > ? AND seq <= ?');
  const deleteVersion = db.prepare<[string, number]>('DELETE FROM versions WHERE doc_id = ? AND id = ?');
  const versionAt = db.prepare<[string, number], VersionRow>('SELECT * FROM versions WHERE doc_id = ? AND seq = ? ORDER BY id LIMIT 1');
  const setAuthors = db.prepare<[string, number]>('UPDATE versions SET authors = ? WHERE id = ?');
  const checkpointAt = db.prepare<[string, number], { seq: number; data: Buffer }>(
    'SELECT seq, data FROM history_checkpoints WHERE doc_id = ? AND seq <= ? ORDER BY seq DESC LIMIT 1',
  );
  const checkpointSizes = db.prepare<[string], { seq: number; bytes: number }>('SELECT seq, length(data) AS bytes FROM history_checkpoints WHERE doc_id = ? ORDER BY seq');
  const rowSizes = db.prepare<[string, string], { seq: number; bytes: number }>(
    `SELECT seq, length(data) AS bytes FROM history_rows WHERE doc_id = ?
     UNION ALL SELECT seq, length(data) FROM updates u WHERE doc_id = ?
       AND NOT EXISTS (SELECT 1 FROM history_rows h WHERE h.doc_id = u.doc_id AND h.seq = u.seq) ORDER BY seq`,
  );
  const insertCheckpoint = db.prepare<[string, number, Uint8Array, string, number]>(
    `INSERT INTO history_checkpoints (doc_id, seq, data) SELECT ?, ?, ?
     WHERE EXISTS (SELECT 1 FROM versions WHERE doc_id = ? AND seq = ?) ON CONFLICT DO NOTHING`,
  );
  const deleteOrphanCheckpoints = db.prepare<[string, string]>(
    'DELETE FROM history_checkpoints WHERE doc_id = ? AND seq NOT IN (SELECT seq FROM versions WHERE doc_id = ?)',
  );
  const deleteCheckpoints = db.prepare<[string]>('DELETE FROM history_checkpoints WHERE doc_id = ?');
  const deleteHistory = db.prepare<[string]>('DELETE FROM history_rows WHERE doc_id = ?');
  const deleteVersions = db.prepare<[string]>('DELETE FROM versions WHERE doc_id = ?');

  const createTx = db.transaction((docId: string, kind: VersionKind, name: string | null, createdBy: string | null, onlyIfChanged: boolean, burstEndedAt?: number) => {
    const seq = newestSeq.get(docId, docId, docId)?.seq ?? null;
    if (seq === null || seq === 0) return null;
    const previous = newestVersion.get(docId);
    if (onlyIfChanged && previous && previous.seq >= seq) return null;
    const at = onlyIfChanged && burstEndedAt !== undefined ? storedAt.get(docId, seq, docId, seq)?.at : null;
    if (typeof at === 'number' && at > burstEndedAt!) return null;
    const authors = distinct(authorsIn.all(docId, previous?.seq ?? 0, seq, docId, previous?.seq ?? 0, seq).map((row) => row.author));
    const createdAt = Date.now();
    const { lastInsertRowid } = insertVersion.run(docId, seq, kind, name, createdAt, createdBy, JSON.stringify(authors));
    return { id: Number(lastInsertRowid), docId, seq, kind, name, createdAt, authors } satisfies VersionRecord;
  });

  const readLogTx = db.transaction((docId: string, through: number, afterSeq: number): HistoryRow[] => {
    const rows = selectLog.all(docId, afterSeq, through, docId, afterSeq, through).map(toHistoryRow);
    // Compacted only before history was kept: the old snapshot is where the history begins.
    const old = hasHistory.get(docId) === undefined ? oldSnapshot.get(docId) : undefined;
    if (old && old.through_seq > afterSeq) rows.unshift({ seq: old.through_seq, data: old.data, author: null, at: null, attribution: null, live: true });
    return rows;
  });

  const mergeTx = db.transaction((docId: string, afterSeq: number, throughSeq: number, expectRows: number, merged: HistoryRow, drop: number[], survivorSeq: number) => {
    if ((countLiveIn.get(docId, afterSeq, throughSeq)?.n ?? 0) > 0) return false;
    if ((countHistoryIn.get(docId, afterSeq, throughSeq)?.n ?? 0) !== expectRows) return false;
    const dropped = drop.map((id) => selectVersion.get(docId, id)).filter((row) => row !== undefined);
    deleteHistoryIn.run(docId, afterSeq, throughSeq);
    insertRow.run(docId, merged.seq, merged.data, merged.author, merged.at, merged.attribution);
    for (const row of dropped) deleteVersion.run(docId, row.id);
    if (dropped.length > 0) deleteOrphanCheckpoints.run(docId, docId);
    const survivor = versionAt.get(docId, survivorSeq);
    if (survivor && dropped.length > 0) {
      const authors = distinct([...dropped.flatMap((row) => JSON.parse(row.authors) as string[]), ...(JSON.parse(survivor.authors) as string[])]);
      setAuthors.run(JSON.stringify(authors), survivor.id);
    }
    return true;
  });

  function beginFold(docId: string): void {
    if (hasHistory.get(docId) !== undefined) return;
    const old = oldSnapshot.get(docId);
    if (old && old.through_seq > 0) insertRow.run(docId, old.through_seq, old.data, null, null, null);
  }

  return {
    fold(docId, throughSeq) {
      beginFold(docId);
      moveRows.run(docId, throughSeq);
    },
    beginFold,
    copyRows(docId, afterSeq, throughSeq) {
      copyRange.run(docId, afterSeq, throughSeq);
    },
    remove(docId) {
      deleteHistory.run(docId);
      deleteVersions.run(docId);
      deleteCheckpoints.run(docId);
    },
    history: {
      async listVersions(docId) {
        return selectVersions.all(docId).map(toVersion);
      },
      async getVersion(docId, id) {
        const row = selectVersion.get(docId, id);
        return row ? toVersion(row) : null;
      },
      async createVersion(docId, { kind, name, createdBy }, onlyIfChanged = false, burstEndedAt) {
        return createTx.immediate(docId, kind, name, createdBy, onlyIfChanged, burstEndedAt);
      },
      async renameVersion(docId, id, name) {
        updateName.run(name, docId, id);
        const row = selectVersion.get(docId, id);
        return row ? toVersion(row) : null;
      },
      async readLog(docId, throughSeq, afterSeq = 0) {
        return { rows: readLogTx(docId, throughSeq ?? Number.MAX_SAFE_INTEGER, afterSeq) };
      },
      async readCheckpointed(docId, throughSeq) {
        const through = throughSeq ?? Number.MAX_SAFE_INTEGER;
        return db.transaction(() => {
          const found = checkpointAt.get(docId, through);
          const checkpoint = found ? { seq: found.seq, data: found.data } : null;
          return { checkpoint, rows: readLogTx(docId, through, checkpoint?.seq ?? 0) };
        })();
      },
      async logSizes(docId) {
        return db.transaction(() => ({ checkpoints: checkpointSizes.all(docId), rows: rowSizes.all(docId, docId) }))();
      },
      async putCheckpoint(docId, seq, data) {
        return insertCheckpoint.run(docId, seq, data, docId, seq).changes === 1;
      },
      async mergeHistory(docId, { afterSeq, throughSeq, expectRows, merged, dropVersionIds, survivorSeq }) {
        return mergeTx.immediate(docId, afterSeq, throughSeq, expectRows, merged, dropVersionIds, survivorSeq);
      },
    },
  };
}

/** The distinct values, in first-seen order. */
export function distinct(values: readonly string[]): string[] {
  return [...new Set(values)];
}
