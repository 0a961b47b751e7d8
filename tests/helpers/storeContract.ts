import { describe, expect, it, onTestFinished, vi } from 'vitest';
import * as Y from 'yjs';
import type { DocStore } from '../../server/store/docStore.js';

/**
 * The store contract: every DocStore implementation must pass this suite.
 * `open` returns a fresh store; `reopen` a new store over the same data.
 */
export function storeContract(name: string, open: () => { store: DocStore; reopen: () => DocStore }) {
  describe(`${name} store contract`, () => {
    function fresh() {
      const made = open();
      onTestFinished(() => made.store.close());
      return made;
    }
    const bytes = (...values: number[]) => new Uint8Array(values);

    it('loads nothing for an unknown document', async () => {
      const { store } = fresh();
      expect(await store.load('unknown')).toEqual({ updates: [], lastSeq: 0, snapshotSegments: 0 });
      expect(await store.describe('unknown')).toBeNull();
    });

    it('appends in one batch, returns increasing sequence numbers, and loads in order', async () => {
      const { store } = fresh();
      const seqs = await store.appendBatch([
        { docId: 'a', update: bytes(1) },
        { docId: 'b', update: bytes(2) },
        { docId: 'a', update: bytes(3) },
      ]);
      expect(seqs).toHaveLength(3);
      expect([...seqs].sort((x, y) => x - y)).toEqual(seqs);
      const a = await store.load('a');
      expect(a.updates.map((u) => [...u])).toEqual([[1], [3]]);
      expect(a.lastSeq).toBe(seqs[2]);
      expect((await store.load('b')).updates.map((u) => [...u])).toEqual([[2]]);
      expect(await store.appendBatch([])).toEqual([]);
    });

    it('appends a batch larger than one insert statement holds (8,192 rows in PostgreSQL) in order', async () => {
      const { store } = fresh();
      // 8,192 + 256 + 32 + 7: chunks of several sizes, documents spread over them.
      const count = 8_192 + 256 + 32 + 7;
      const entries = Array.from({ length: count }, (_, i) => ({ docId: `big-${i % 5}`, update: Uint8Array.of(i % 256, Math.floor(i / 256)) }));
      const seqs = await store.appendBatch(entries);
      expect(seqs).toHaveLength(count);
      expect(seqs.every((seq, i) => i === 0 || seq > seqs[i - 1]!)).toBe(true);
      for (let d = 0; d < 5; d++) {
        const wanted = entries.filter((entry) => entry.docId === `big-${d}`).map((entry) => [...entry.update]);
        expect((await store.load(`big-${d}`)).updates.map((u) => [...u])).toEqual(wanted);
      }
    });

    it('creates, describes and lists documents newest-edited first, with titles', async () => {
      const { store } = fresh();
      const created = await store.create('doc1');
      expect(created).toMatchObject({ id: 'doc1', title: '' });
      await expect(store.create('doc1')).rejects.toThrow();
      // Stores stamp edits with Date.now: move that clock on (only Date is faked) rather than sleep,
      // so doc2 is edited later than doc1 was created.
      vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 1_000 });
      onTestFinished(() => void vi.useRealTimers());
      await store.appendBatch([{ docId: 'doc2', update: bytes(9, 9) }]);
      await store.setTitle('doc2', 'Second');
      expect((await store.list(10)).map((d) => [d.id, d.title])).toEqual([
        ['doc2', 'Second'],
        ['doc1', ''],
      ]);
      expect(await store.list(1)).toHaveLength(1);
      expect(await store.describe('doc2')).toMatchObject({ id: 'doc2', title: 'Second', storedBytes: 2 });
    });

    it('compaction replaces the rows it covers by the snapshot and keeps later ones', async () => {
      const { store, reopen } = fresh();
      const [, second] = await store.appendBatch([
        { docId: 'd', update: bytes(1) },
        { docId: 'd', update: bytes(2) },
      ]);
      const [third] = await store.appendBatch([{ docId: 'd', update: bytes(3) }]);
      expect(await store.compact('d', bytes(7, 7), second!)).toBe(true);
      const loaded = await store.load('d');
      expect(loaded.updates.map((u) => [...u])).toEqual([[7, 7], [3]]);
      expect(loaded.lastSeq).toBe(third);
      // Sequence numbers are never reused, even after compaction deleted rows.
      const [fourth] = await store.appendBatch([{ docId: 'd', update: bytes(4) }]);
      expect(fourth).toBeGreaterThan(third!);
      await store.close();
      const again = reopen();
      onTestFinished(() => again.close());
      expect((await again.load('d')).updates.map((u) => [...u])).toEqual([[7, 7], [3], [4]]);
    });

    it('compaction keeps the document state exactly (state before == state after)', async () => {
      const { store } = fresh();
      const doc = new Y.Doc();
      const updates: Uint8Array[] = [];
      doc.on('update', (u: Uint8Array) => updates.push(u));
      const text = doc.getText('text');
      for (let i = 0; i < 200; i++) {
        text.insert(Math.floor((i * 7) % (text.length + 1)), String.fromCharCode(97 + (i % 26)));
        if (i % 5 === 0) text.delete(0, 1);
      }
      doc.getXmlFragment('prosemirror').insert(0, [new Y.XmlElement('paragraph')]);
      const seqs = await store.appendBatch(updates.map((update) => ({ docId: 'state', update })));
      const before = await store.load('state');
      const docBefore = new Y.Doc();
      for (const u of before.updates) Y.applyUpdate(docBefore, u);
      await store.compact('state', Y.encodeStateAsUpdate(docBefore), seqs.at(-1)!);
      const after = await store.load('state');
      expect(after.updates).toHaveLength(1);
      const docAfter = new Y.Doc();
      Y.applyUpdate(docAfter, after.updates[0]!);
      expect(docAfter.getText('text').toString()).toBe(text.toString());
      expect(Y.encodeStateVector(docAfter)).toEqual(Y.encodeStateVector(doc));
      expect(docAfter.getXmlFragment('prosemirror').toString()).toBe(doc.getXmlFragment('prosemirror').toString());
    });

    it('loadSince gives what a replica lacks, starting from the snapshot when a compaction covers it', async () => {
      const { store } = fresh();
      const [s1, s2] = await store.appendBatch([
        { docId: 'r', update: bytes(1) },
        { docId: 'r', update: bytes(2) },
      ]);
      expect(await store.loadSince('r', s2!)).toEqual({ updates: [], lastSeq: s2, snapshotSegments: 0 });
      const since = await store.loadSince('r', s1!);
      expect(since.updates.map((u) => [...u])).toEqual([[2]]);
      expect(since.lastSeq).toBe(s2);
      // The caller's own rows left out: the others only, and lastSeq the newest of those.
      expect((await store.loadSince('r', 0, [s2!])).updates.map((u) => [...u])).toEqual([[1]]);
      expect(await store.loadSince('r', s1!, [s2!])).toEqual({ updates: [], lastSeq: s1, snapshotSegments: 0 });
      const [s3] = await store.appendBatch([{ docId: 'r', update: bytes(3) }]);
      await store.compact('r', bytes(9), s2!);
      // Row 2 is now inside the snapshot: a replica at s1 must start over from it.
      const afterCompaction = await store.loadSince('r', s1!);
      expect(afterCompaction.updates.map((u) => [...u])).toEqual([[9], [3]]);
      expect(afterCompaction.lastSeq).toBe(s3);
      expect((await store.loadSince('r', s2!)).updates.map((u) => [...u])).toEqual([[3]]);
    });

    it('a snapshot in segments is stored as consecutive rows and read back in order, before later updates', async () => {
      const { store, reopen } = fresh();
      await store.create('seg');
      const [s1, s2] = await store.appendBatch([
        { docId: 'seg', update: bytes(1) },
        { docId: 'seg', update: bytes(2) },
      ]);
      expect(await store.compact('seg', [bytes(7, 0), bytes(7, 1), bytes(7, 2)], s1!)).toBe(true);
      const loaded = await store.load('seg');
      expect(loaded.updates.map((u) => [...u])).toEqual([[7, 0], [7, 1], [7, 2], [2]]);
      expect(loaded.snapshotSegments).toBe(3);
      expect(loaded.lastSeq).toBe(s2);
      expect((await store.describe('seg'))?.storedBytes).toBe(7);
      // A replica behind the snapshot starts over from all of its segments.
      const since = await store.loadSince('seg', 0);
      expect(since.updates.map((u) => [...u])).toEqual([[7, 0], [7, 1], [7, 2], [2]]);
      expect(since.snapshotSegments).toBe(3);
      // A smaller snapshot later replaces every segment; reopened, the same.
      expect(await store.compact('seg', [bytes(8)], s2!)).toBe(true);
      expect((await store.load('seg')).updates.map((u) => [...u])).toEqual([[8]]);
      const again = reopen();
      onTestFinished(() => again.close());
      expect((await again.load('seg')).snapshotSegments).toBe(1);
      await store.delete('seg');
      expect(await store.load('seg')).toEqual({ updates: [], lastSeq: 0, snapshotSegments: 0 });
    });

    it('compaction never replaces a newer snapshot with an older one', async () => {
      const { store } = fresh();
      const [s1, s2] = await store.appendBatch([
        { docId: 'c', update: bytes(1) },
        { docId: 'c', update: bytes(2) },
      ]);
      expect(await store.compact('c', bytes(8, 8), s2!)).toBe(true);
      expect(await store.compact('c', bytes(7), s1!)).toBe(false);
      expect(await store.compact('c', bytes(6), s2!)).toBe(false);
      expect((await store.load('c')).updates.map((u) => [...u])).toEqual([[8, 8]]);
    });

    it('delete removes the document from load, describe and list, and stays deleted after reopening', async () => {
      const { store, reopen } = fresh();
      await store.create('gone');
      const [, second] = await store.appendBatch([
        { docId: 'gone', update: bytes(1) },
        { docId: 'gone', update: bytes(2) },
        { docId: 'kept', update: bytes(3) },
      ]);
      await store.compact('gone', bytes(8), second!);
      await store.appendBatch([{ docId: 'gone', update: bytes(4) }]);
      await store.delete('gone');
      expect(await store.load('gone')).toEqual({ updates: [], lastSeq: 0, snapshotSegments: 0 });
      expect(await store.loadSince('gone', 0)).toEqual({ updates: [], lastSeq: 0, snapshotSegments: 0 });
      expect(await store.describe('gone')).toBeNull();
      expect((await store.list(10)).map((d) => d.id)).toEqual(['kept']);
      // Other documents are untouched.
      expect((await store.load('kept')).updates.map((u) => [...u])).toEqual([[3]]);
      await store.close();
      const again = reopen();
      onTestFinished(() => again.close());
      expect(await again.load('gone')).toEqual({ updates: [], lastSeq: 0, snapshotSegments: 0 });
      expect(await again.describe('gone')).toBeNull();
    });

    it('deleting an unknown document resolves (and deleting twice too)', async () => {
      const { store } = fresh();
      await store.delete('never-was');
      await store.create('twice');
      await store.delete('twice');
      await store.delete('twice');
      expect(await store.describe('twice')).toBeNull();
    });

    it('a deleted document can be appended to again: it starts empty, with new sequence numbers', async () => {
      const { store, reopen } = fresh();
      const [first] = await store.appendBatch([{ docId: 'again', update: bytes(1) }]);
      await store.delete('again');
      // Right after the delete (within any "recently touched" window) the row is made anew.
      const [second] = await store.appendBatch([{ docId: 'again', update: bytes(2) }]);
      expect(second).toBeGreaterThan(first!);
      expect((await store.load('again')).updates.map((u) => [...u])).toEqual([[2]]);
      expect(await store.describe('again')).toMatchObject({ id: 'again', title: '', storedBytes: 1 });
      expect((await store.list(10)).map((d) => d.id)).toEqual(['again']);
      await store.create('made');
      await store.delete('made');
      await expect(store.create('made')).resolves.toMatchObject({ id: 'made' });
      // Deleting the rows with the newest sequence numbers never lets a later process reuse them.
      await store.delete('again');
      await store.close();
      const again = reopen();
      onTestFinished(() => again.close());
      const [third] = await again.appendBatch([{ docId: 'other', update: bytes(3) }]);
      expect(third).toBeGreaterThan(second!);
    });

    it('history: rows keep their authors through compaction (and a reopen); versions name the authors since the previous one', async () => {
      const { store, reopen } = fresh();
      const [s1, s2] = await store.appendBatch([
        { docId: 'h', update: bytes(1), author: 'u:ann' },
        { docId: 'h', update: bytes(2), author: 'g:guest' },
      ]);
      const first = await store.history.createVersion('h', { kind: 'named', name: 'One', createdBy: 'u:ann' });
      expect(first).toMatchObject({ docId: 'h', seq: s2, kind: 'named', name: 'One', authors: ['u:ann', 'g:guest'] });
      expect(await store.history.createVersion('h', { kind: 'auto', name: null, createdBy: null }, true)).toBeNull();
      const [s3] = await store.appendBatch([{ docId: 'h', update: bytes(3), author: 'u:bob' }, { docId: 'other', update: bytes(9), author: 'u:x' }]);
      await store.compact('h', bytes(7, 7), s3!);
      // The live log is the snapshot; the history still has every row, with its author.
      expect((await store.load('h')).updates.map((u) => [...u])).toEqual([[7, 7]]);
      const log = await store.history.readLog('h', null);
      expect(log.rows.map((row) => [row.seq, [...row.data], row.author])).toEqual([
        [s1, [1], 'u:ann'],
        [s2, [2], 'g:guest'],
        [s3, [3], 'u:bob'],
      ]);
      expect(log.rows.every((row) => typeof row.at === 'number')).toBe(true);
      // A burst said to have ended before the newest row was stored goes on elsewhere: no version yet.
      const storedAt = log.rows.at(-1)!.at!;
      expect(await store.history.createVersion('h', { kind: 'auto', name: null, createdBy: null }, true, storedAt - 1)).toBeNull();
      const second = await store.history.createVersion('h', { kind: 'auto', name: null, createdBy: null }, true, storedAt);
      expect(second).toMatchObject({ seq: s3, authors: ['u:bob'] });
      expect((await store.history.readLog('h', s2!)).rows.map((row) => row.seq)).toEqual([s1, s2]);
      expect((await store.history.readLog('h', null, s1!)).rows.map((row) => row.seq)).toEqual([s2, s3]);
      await store.close();
      const again = reopen();
      onTestFinished(() => again.close());
      expect((await again.history.listVersions('h')).map((v) => [v.id, v.name])).toEqual([
        [second!.id, null],
        [first!.id, 'One'],
      ]);
      expect(await again.history.renameVersion('h', first!.id, null)).toMatchObject({ id: first!.id, name: null });
      expect(await again.history.renameVersion('h', 999_999, 'x')).toBeNull();
      expect(await again.history.getVersion('other', first!.id)).toBeNull();
    });

    it('history: merging rows between versions drops thinned versions, hands their authors on, and refuses live rows', async () => {
      const { store } = fresh();
      const seqs = await store.appendBatch([1, 2, 3, 4].map((n) => ({ docId: 'm', update: bytes(n), author: n < 3 ? 'u:ann' : 'u:bob' })));
      const mid = await store.history.createVersion('m', { kind: 'auto', name: null, createdBy: null });
      const [s5] = await store.appendBatch([{ docId: 'm', update: bytes(5), author: 'u:cat' }]);
      const last = await store.history.createVersion('m', { kind: 'auto', name: null, createdBy: null });
      const merged = { seq: s5!, data: bytes(8), author: null, at: null, attribution: bytes(0) };
      // Not yet compacted: the rows are live and are not merged.
      expect(await store.history.mergeHistory('m', { afterSeq: 0, throughSeq: s5!, expectRows: 5, merged, dropVersionIds: [mid!.id], survivorSeq: s5! })).toBe(false);
      await store.compact('m', bytes(9), s5!);
      expect(await store.history.mergeHistory('m', { afterSeq: 0, throughSeq: s5!, expectRows: 4, merged, dropVersionIds: [mid!.id], survivorSeq: s5! })).toBe(false);
      expect(await store.history.mergeHistory('m', { afterSeq: 0, throughSeq: s5!, expectRows: 5, merged, dropVersionIds: [mid!.id], survivorSeq: s5! })).toBe(true);
      expect((await store.history.readLog('m', null)).rows.map((row) => [row.seq, [...row.data], row.attribution ? [...row.attribution] : null])).toEqual([[s5, [8], [0]]]);
      const versions = await store.history.listVersions('m');
      expect(versions.map((v) => v.id)).toEqual([last!.id]);
      expect(versions[0]!.authors).toEqual(['u:ann', 'u:bob', 'u:cat']);
      expect(seqs).toHaveLength(4);
      await store.delete('m');
      expect(await store.history.listVersions('m')).toEqual([]);
      expect((await store.history.readLog('m', null)).rows).toEqual([]);
    });

    it('history: a checkpoint is kept only at a version, read with the rows after it, and goes with the last version at its position', async () => {
      const { store, reopen } = fresh();
      const [s1, s2] = await store.appendBatch([1, 2].map((n) => ({ docId: 'c', update: bytes(n), author: 'u:ann' })));
      expect(await store.history.putCheckpoint('c', s2!, bytes(7))).toBe(false); // no version there
      const first = await store.history.createVersion('c', { kind: 'auto', name: null, createdBy: null });
      const [s3, s4] = await store.appendBatch([3, 4].map((n) => ({ docId: 'c', update: bytes(n), author: 'u:bob' })));
      const second = await store.history.createVersion('c', { kind: 'auto', name: null, createdBy: null });
      expect(await store.history.putCheckpoint('c', s2!, bytes(2, 2))).toBe(true);
      expect(await store.history.putCheckpoint('c', s2!, bytes(9))).toBe(false); // one per position
      const at = async (seq: number | null) => {
        const { checkpoint, rows } = await store.history.readCheckpointed('c', seq);
        return [checkpoint && [checkpoint.seq, [...checkpoint.data]], rows.map((row) => row.seq)];
      };
      expect(await at(s1!)).toEqual([null, [s1]]);
      expect(await at(s2!)).toEqual([[s2, [2, 2]], []]);
      expect(await at(s4!)).toEqual([[s2, [2, 2]], [s3, s4]]);
      const [s5] = await store.appendBatch([{ docId: 'c', update: bytes(5), author: 'u:bob' }]);
      expect(await at(null)).toEqual([[s2, [2, 2]], [s3, s4, s5]]);
      expect(await store.history.logSizes('c')).toEqual({ checkpoints: [{ seq: s2, bytes: 2 }], rows: [s1, s2, s3, s4, s5].map((seq) => ({ seq, bytes: 1 })) });
      // Compaction moves rows into the history: the checkpointed read is the same.
      await store.compact('c', bytes(9), s5!);
      expect(await at(null)).toEqual([[s2, [2, 2]], [s3, s4, s5]]);
      await store.close();
      const again = reopen();
      onTestFinished(() => again.close());
      expect(await again.history.putCheckpoint('c', s4!, bytes(4, 4))).toBe(true);
      // Thinning drops the version at s2 (merging its interval): its checkpoint goes; the one at s4 stays.
      const merged = { seq: s4!, data: bytes(8), author: null, at: null, attribution: bytes(0) };
      expect(await again.history.mergeHistory('c', { afterSeq: 0, throughSeq: s4!, expectRows: 4, merged, dropVersionIds: [first!.id], survivorSeq: s4! })).toBe(true);
      expect((await again.history.logSizes('c')).checkpoints).toEqual([{ seq: s4, bytes: 2 }]);
      const { checkpoint, rows } = await again.history.readCheckpointed('c', s4!);
      expect([checkpoint?.seq, rows]).toEqual([s4, []]);
      expect(second).toMatchObject({ seq: s4 });
      await again.delete('c');
      expect(await again.history.logSizes('c')).toEqual({ checkpoints: [], rows: [] });
      expect(await again.history.readCheckpointed('c', null)).toEqual({ checkpoint: null, rows: [] });
    });

    it('answers check() and closes twice safely', async () => {
      const { store } = fresh();
      await store.check();
      await store.close();
      await store.close();
    });
  });
}

