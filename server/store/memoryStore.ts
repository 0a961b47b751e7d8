import * as Y from 'yjs';
import type { DocSummary } from '../../shared/api.js';
import { type AppendEntry, type DocStore, type StoredDoc, snapshotSegments } from './docStore.js';
import { emptyMemoryHistory, type MemoryHistoryData, memoryHistory } from './memoryHistory.js';

/** One document's stored log: its snapshot (covering every row up to `throughSeq`) and later rows. */
interface MemoryLog {
  /** The snapshot's segments (one for a small one), or null. */
  snapshot: readonly Uint8Array[] | null;
  throughSeq: number;
  updates: Array<{ seq: number; data: Uint8Array; author: string | null; at: number }>;
}

/**
 * What a memory store holds, kept apart from the store object so that a second store can be opened
 * "over the same data" (the store contract's reopen). The two maps mirror SQLite's tables: a listed
 * document row, and a log (snapshot + rows) that exists once anything was appended or compacted.
 */
export interface MemoryStoreData {
  rows: Map<string, DocSummary>;
  logs: Map<string, MemoryLog>;
  /** The highest sequence number ever handed out (never reused, not even after a delete). */
  lastSeq: number;
  /** Versions and the rows compactions moved out of the log (memoryHistory.ts). */
  history: MemoryHistoryData;
}

export function emptyMemoryData(): MemoryStoreData {
  return { rows: new Map(), logs: new Map(), lastSeq: 0, history: emptyMemoryHistory() };
}

/**
 * A DocStore in memory: what SQLite would keep, in Maps; every method settles at once. It keeps the
 * whole DocStore contract (tests/helpers/storeContract.ts), so the bench (scenario D: Tandem minus
 * the SQLite write) and unit tests can run rooms on it. Nothing survives the process: never a
 * production store.
 */
export function openMemoryStore(data: MemoryStoreData = emptyMemoryData()): DocStore {
  let closed = false;
  const logOf = (docId: string): MemoryLog => {
    let log = data.logs.get(docId);
    if (!log) data.logs.set(docId, (log = { snapshot: null, throughSeq: 0, updates: [] }));
    return log;
  };
  const load = (docId: string): StoredDoc => {
    const log = data.logs.get(docId);
    if (!log) return { updates: [], lastSeq: 0, snapshotSegments: 0 };
    const updates = log.snapshot ? [...log.snapshot] : [];
    const segments = updates.length;
    let lastSeq = log.throughSeq;
    for (const row of log.updates) {
      updates.push(row.data);
      lastSeq = row.seq;
    }
    return { updates, lastSeq, snapshotSegments: segments };
  };
  const storedBytes = (docId: string): number => {
    const log = data.logs.get(docId);
    if (!log) return 0;
    return (log.snapshot?.reduce((sum, segment) => sum + segment.length, 0) ?? 0) + log.updates.reduce((sum, row) => sum + row.data.length, 0);
  };

  const history = memoryHistory(data.history, (docId) => {
    const log = data.logs.get(docId);
    if (!log) return undefined;
    return {
      // History reads the snapshot as one update (when it needs it): segments apply in order, so
      // their merge is the whole.
      get snapshot() {
        const segments = log.snapshot;
        return segments === null ? null : segments.length === 1 ? segments[0]! : Y.mergeUpdates([...segments]);
      },
      throughSeq: log.throughSeq,
      updates: log.updates,
    };
  });

  return {
    history: history.history,
    async load(docId) {
      return load(docId);
    },
    async loadSince(docId, afterSeq, except = []) {
      const log = data.logs.get(docId);
      if (!log) return { updates: [], lastSeq: afterSeq, snapshotSegments: 0 };
      // A compaction folded rows after afterSeq into the snapshot: the replica starts over from it.
      if (log.throughSeq > afterSeq) return load(docId);
      const skip = new Set(except);
      const rows = log.updates.filter((row) => row.seq > afterSeq && !skip.has(row.seq));
      return { updates: rows.map((row) => row.data), lastSeq: rows.at(-1)?.seq ?? afterSeq, snapshotSegments: 0 };
    },
    async appendBatch(entries: readonly AppendEntry[]) {
      const now = Date.now();
      return entries.map(({ docId, update, author }) => {
        const seq = ++data.lastSeq;
        const row = data.rows.get(docId);
        if (row) row.updatedAt = now;
        else data.rows.set(docId, { id: docId, title: '', createdAt: now, updatedAt: now });
        logOf(docId).updates.push({ seq, data: update, author: author ?? null, at: now });
        return seq;
      });
    },
    async compact(docId, snapshot, throughSeq) {
      const log = logOf(docId);
      if (log.throughSeq >= throughSeq) return false;
      history.fold(docId, throughSeq);
      log.updates = log.updates.filter((row) => row.seq > throughSeq);
      log.snapshot = [...snapshotSegments(snapshot)];
      log.throughSeq = throughSeq;
      return true;
    },
    async create(docId) {
      if (data.rows.has(docId)) throw new Error(`document ${docId} already exists`);
      const now = Date.now();
      const row = { id: docId, title: '', createdAt: now, updatedAt: now };
      data.rows.set(docId, row);
      return { ...row };
    },
    async delete(docId) {
      data.rows.delete(docId);
      data.logs.delete(docId);
      history.remove(docId);
    },
    async describe(docId) {
      const row = data.rows.get(docId);
      return row ? { ...row, storedBytes: storedBytes(docId) } : null;
    },
    async list(limit) {
      return [...data.rows.values()]
        .sort((a, b) => b.updatedAt - a.updatedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
        .slice(0, limit)
        .map((row) => ({ ...row }));
    },
    async setTitle(docId, title) {
      const row = data.rows.get(docId);
      if (row) row.title = title;
    },
    async check() {
      if (closed) throw new Error('the memory store is closed');
    },
    async close() {
      closed = true;
    },
  };
}
