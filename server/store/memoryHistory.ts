import type { Checkpoint, HistoryRow, HistoryStore, VersionRecord } from './historyStore.js';
import { distinct } from './sqliteHistory.js';

/** What the memory store keeps of history: SQLite's history_rows and versions, in Maps. */
export interface MemoryHistoryData {
  rows: Map<string, HistoryRow[]>;
  versions: Map<string, VersionRecord[]>;
  /** Per document, checkpoint data by seq. */
  checkpoints: Map<string, Map<number, Uint8Array>>;
  lastVersionId: number;
}

export function emptyMemoryHistory(): MemoryHistoryData {
  return { rows: new Map(), versions: new Map(), checkpoints: new Map(), lastVersionId: 0 };
}

/** How the memory history sees the live log of a document (the memory store's rows and snapshot). */
export interface MemoryLiveLog {
  snapshot: Uint8Array | null;
  throughSeq: number;
  updates: Array<{ seq: number; data: Uint8Array; author: string | null; at: number }>;
}

/** The memory store's history; `fold` and `remove` are called by its compact and delete. */
export function memoryHistory(data: MemoryHistoryData, liveLog: (docId: string) => MemoryLiveLog | undefined) {
  const rowsOf = (docId: string): HistoryRow[] => {
    let rows = data.rows.get(docId);
    if (!rows) data.rows.set(docId, (rows = []));
    return rows;
  };
  const versionsOf = (docId: string): VersionRecord[] => {
    let versions = data.versions.get(docId);
    if (!versions) data.versions.set(docId, (versions = []));
    return versions;
  };
  const live = (docId: string) => liveLog(docId)?.updates ?? [];
  const copy = (version: VersionRecord): VersionRecord => ({ ...version, authors: [...version.authors] });

  const history: HistoryStore = {
    async listVersions(docId) {
      return [...(data.versions.get(docId) ?? [])].sort((a, b) => b.seq - a.seq || b.id - a.id).map(copy);
    },
    async getVersion(docId, id) {
      const found = data.versions.get(docId)?.find((version) => version.id === id);
      return found ? copy(found) : null;
    },
    async createVersion(docId, { kind, name, createdBy: _createdBy }, onlyIfChanged = false, burstEndedAt) {
      const log = liveLog(docId);
      const rows = data.rows.get(docId) ?? [];
      const seq = Math.max(0, log?.throughSeq ?? 0, log?.updates.at(-1)?.seq ?? 0, rows.at(-1)?.seq ?? 0);
      if (seq === 0) return null;
      const versions = versionsOf(docId);
      const previous = versions.reduce<VersionRecord | null>((best, v) => (best === null || v.seq > best.seq ? v : best), null);
      if (onlyIfChanged && previous && previous.seq >= seq) return null;
      const newest = [...rows, ...live(docId)].find((row) => row.seq === seq);
      if (onlyIfChanged && burstEndedAt !== undefined && typeof newest?.at === 'number' && newest.at > burstEndedAt) return null;
      const after = previous?.seq ?? 0;
      const authored = [...rows, ...live(docId)].filter((row) => row.seq > after && row.seq <= seq && row.author !== null);
      authored.sort((a, b) => a.seq - b.seq);
      const version: VersionRecord = {
        id: ++data.lastVersionId,
        docId,
        seq,
        kind,
        name,
        createdAt: Date.now(),
        authors: distinct(authored.map((row) => row.author!)),
      };
      versions.push(version);
      return copy(version);
    },
    async renameVersion(docId, id, name) {
      const found = data.versions.get(docId)?.find((version) => version.id === id);
      if (!found) return null;
      found.name = name;
      return copy(found);
    },
    async readLog(docId, throughSeq, afterSeq = 0) {
      const through = throughSeq ?? Number.MAX_SAFE_INTEGER;
      const inRange = (row: { seq: number }) => row.seq > afterSeq && row.seq <= through;
      const kept = data.rows.get(docId) ?? [];
      const rows: HistoryRow[] = kept.filter(inRange).map((row) => ({ ...row }));
      const log = liveLog(docId);
      if (kept.length === 0 && log?.snapshot && log.throughSeq > afterSeq) {
        rows.push({ seq: log.throughSeq, data: log.snapshot, author: null, at: null, attribution: null, live: true });
      }
      for (const row of live(docId)) if (inRange(row)) rows.push({ ...row, attribution: null, live: true });
      return { rows };
    },
    async readCheckpointed(docId, throughSeq) {
      const through = throughSeq ?? Number.MAX_SAFE_INTEGER;
      let checkpoint: Checkpoint | null = null;
      for (const [seq, bytes] of data.checkpoints.get(docId) ?? []) {
        if (seq <= through && (checkpoint === null || seq > checkpoint.seq)) checkpoint = { seq, data: bytes };
      }
      return { checkpoint, rows: (await history.readLog(docId, throughSeq, checkpoint?.seq ?? 0)).rows };
    },
    async logSizes(docId) {
      const checkpoints = [...(data.checkpoints.get(docId) ?? [])].map(([seq, bytes]) => ({ seq, bytes: bytes.length }));
      const rows = (await history.readLog(docId, null)).rows.map((row) => ({ seq: row.seq, bytes: row.data.length }));
      return { checkpoints: checkpoints.sort((a, b) => a.seq - b.seq), rows };
    },
    async putCheckpoint(docId, seq, bytes) {
      if (!data.versions.get(docId)?.some((version) => version.seq === seq)) return false;
      let held = data.checkpoints.get(docId);
      if (!held) data.checkpoints.set(docId, (held = new Map()));
      if (held.has(seq)) return false;
      held.set(seq, bytes);
      return true;
    },
    async mergeHistory(docId, { afterSeq, throughSeq, expectRows, merged, dropVersionIds, survivorSeq }) {
      const inRange = (row: { seq: number }) => row.seq > afterSeq && row.seq <= throughSeq;
      if (live(docId).some(inRange)) return false;
      const rows = rowsOf(docId);
      if (rows.filter(inRange).length !== expectRows) return false;
      data.rows.set(docId, [...rows.filter((row) => !inRange(row)), merged].sort((a, b) => a.seq - b.seq));
      const versions = versionsOf(docId);
      const dropped = versions.filter((version) => dropVersionIds.includes(version.id));
      data.versions.set(docId, versions.filter((version) => !dropVersionIds.includes(version.id)));
      const survivor = data.versions.get(docId)!.find((version) => version.seq === survivorSeq);
      if (survivor && dropped.length > 0) survivor.authors = distinct([...dropped.flatMap((v) => v.authors), ...survivor.authors]);
      const held = data.checkpoints.get(docId);
      for (const seq of held?.keys() ?? []) if (!data.versions.get(docId)!.some((version) => version.seq === seq)) held!.delete(seq);
      return true;
    },
  };

  return {
    history,
    fold(docId: string, throughSeq: number): void {
      const log = liveLog(docId);
      if (!log) return;
      const rows = rowsOf(docId);
      if (rows.length === 0 && log.snapshot && log.throughSeq > 0) {
        rows.push({ seq: log.throughSeq, data: log.snapshot, author: null, at: null, attribution: null });
      }
      for (const row of log.updates) if (row.seq <= throughSeq) rows.push({ ...row, attribution: null });
    },
    remove(docId: string): void {
      data.rows.delete(docId);
      data.versions.delete(docId);
      data.checkpoints.delete(docId);
    },
  };
}
