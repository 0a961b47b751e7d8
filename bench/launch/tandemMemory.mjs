// @ts-check
// Tandem (the built dist/) with an in-memory DocStore instead of SQLite, for scenario D: the same
// rooms, group commit and relay, minus the SQLite write. buildApp(config, store) is Tandem's own seam.
import { buildApp } from '../../dist/server/server/app.js';
import { loadConfig } from '../../dist/server/server/config.js';

/** @typedef {{ title: string, createdAt: number, updatedAt: number, snapshot: Uint8Array | null, throughSeq: number, updates: { seq: number, data: Uint8Array }[] }} MemoryDoc */

/** Keeps what SQLite would keep, in a Map; every method resolves at once. */
function openMemoryStore() {
  /** @type {Map<string, MemoryDoc>} */
  const docs = new Map();
  let lastSeq = 0;
  /** @param {string} docId @param {number} now */
  const touch = (docId, now) => {
    let doc = docs.get(docId);
    if (!doc) docs.set(docId, (doc = { title: '', createdAt: now, updatedAt: now, snapshot: null, throughSeq: 0, updates: [] }));
    doc.updatedAt = now;
    return doc;
  };
  /** @param {string} id @param {MemoryDoc} doc */
  const summary = (id, doc) => ({ id, title: doc.title, createdAt: doc.createdAt, updatedAt: doc.updatedAt });
  return {
    /** @param {string} docId */
    async load(docId) {
      const doc = docs.get(docId);
      if (!doc) return { updates: [], lastSeq: 0 };
      const updates = doc.snapshot ? [doc.snapshot] : [];
      let seq = doc.throughSeq;
      for (const row of doc.updates) {
        updates.push(row.data);
        seq = row.seq;
      }
      return { updates, lastSeq: seq };
    },
    /** @param {readonly { docId: string, update: Uint8Array }[]} entries */
    async appendBatch(entries) {
      const now = Date.now();
      return entries.map(({ docId, update }) => {
        const seq = ++lastSeq;
        touch(docId, now).updates.push({ seq, data: update });
        return seq;
      });
    },
    /** @param {string} docId @param {Uint8Array} snapshot @param {number} throughSeq */
    async compact(docId, snapshot, throughSeq) {
      const doc = touch(docId, Date.now());
      doc.updates = doc.updates.filter((row) => row.seq > throughSeq);
      doc.snapshot = snapshot;
      doc.throughSeq = throughSeq;
    },
    /** @param {string} docId */
    async create(docId) {
      if (docs.has(docId)) throw new Error(`document ${docId} already exists`);
      return summary(docId, touch(docId, Date.now()));
    },
    /** @param {string} docId */
    async describe(docId) {
      const doc = docs.get(docId);
      if (!doc) return null;
      const storedBytes = (doc.snapshot?.length ?? 0) + doc.updates.reduce((sum, row) => sum + row.data.length, 0);
      return { ...summary(docId, doc), storedBytes };
    },
    /** @param {number} limit */
    async list(limit) {
      return [...docs.entries()]
        .sort((a, b) => b[1].updatedAt - a[1].updatedAt)
        .slice(0, limit)
        .map(([id, doc]) => summary(id, doc));
    },
    /** @param {string} docId @param {string} title */
    async setTitle(docId, title) {
      const doc = docs.get(docId);
      if (doc) doc.title = title;
    },
    async check() {},
    async close() {},
  };
}

const config = loadConfig(process.env, null);
const app = await buildApp(config, openMemoryStore());
process.on('SIGTERM', () => {
  app.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
await app.listen({ port: config.port, host: config.host });
