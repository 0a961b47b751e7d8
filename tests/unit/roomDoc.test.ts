import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { CloseCode } from '../../shared/closeCodes.js';
import { LoadError, RoomDoc } from '../../server/collab/roomDoc.js';
import { clientDoc } from '../helpers/roomFakes.js';
import { seededRandom } from '../helpers/seededRandom.js';

function stored(text: string) {
  const source = clientDoc(1);
  source.doc.getText('title').insert(0, 'T');
  source.type(text);
  return { source, row: Y.encodeStateAsUpdate(source.doc) };
}

describe('RoomDoc', () => {
  it('serves a one-row document from its bytes until something needs the doc', () => {
    const { source, row } = stored('abc');
    const content = new RoomDoc('d', [row], () => {});
    expect(content.isBuilt).toBe(false);
    expect(content.title).toBeNull();
    expect(content.stateVector()).toEqual(Y.encodeStateVector(source.doc));
    expect(content.answer(new Uint8Array([0]), true)).toBe(row);
    const behind = Y.encodeStateVector(new Y.Doc());
    expect(content.answer(behind, false)).toEqual(Y.diffUpdate(row, behind));
    expect(content.changesNothingUnbuilt(new Uint8Array([0, 0]))).toBe(true);
    expect(content.isBuilt).toBe(false);
    expect(content.doc.getText('body').toString()).toBe('abc');
    expect(content.isBuilt).toBe(true);
    expect(content.takeTitleChange()).toBeNull(); // building is not a change
    expect(content.answer(new Uint8Array([0]), true)).toBe(row); // still the whole state
    expect(content.changesNothingUnbuilt(new Uint8Array([0, 0]))).toBe(false);
  });

  it('drops the cached whole state at a change, and reports a title change once', () => {
    const { row } = stored('abc');
    const content = new RoomDoc('d', [row], () => {});
    const editor = clientDoc(2);
    Y.applyUpdate(editor.doc, row);
    editor.doc.getText('title').insert(1, 'itle');
    expect(content.apply(editor.updates.at(-1)!, 'peer').whole).toBe(true);
    const whole = content.answer(new Uint8Array([0]), true);
    expect(whole).not.toBe(row);
    expect(content.answer(new Uint8Array([0]), true)).toBe(whole); // cached again until the next change
    expect(content.takeTitleChange()).toBe('Title');
    expect(content.takeTitleChange()).toBeNull();
    expect(content.title).toBe('Title');
  });

  it('refuses rows that do not decode, or do not apply, at load; a one-row inconsistency when first built', () => {
    expect(() => new RoomDoc('d', [new Uint8Array([9, 9, 9])], () => {})).toThrow(LoadError);
    const client = clientDoc(1);
    client.type('a');
    const second = client.type('b');
    expect(() => new RoomDoc('d', [new Uint8Array(2).fill(0), second], () => {})).toThrow(/missing dependencies/);
    const failures: LoadError[] = [];
    const content = new RoomDoc('d', [second], (error) => failures.push(error));
    expect(() => content.doc).toThrow(expect.objectContaining({ code: CloseCode.loadFailed }));
    expect(() => content.doc).toThrow(expect.objectContaining({ code: CloseCode.loadFailed }));
    expect(failures).toHaveLength(1); // the room is refused once
    expect(content.isBuilt).toBe(true);
    expect(content.title).toBeNull();
  });

  describe('stateParts: the stored parts and the updates applied since, nothing encoded', () => {
    /** The state `parts` make, applied in order to an empty doc, encoded (the same bytes for the same state). */
    const made = (parts: Uint8Array[]): Uint8Array => {
      const doc = new Y.Doc();
      for (const part of parts) Y.applyUpdate(doc, part);
      return Y.encodeStateAsUpdate(doc);
    };

    it('a room loaded from rows hands out those rows and each update applied since, as they are', () => {
      const source = clientDoc(1);
      const rows = [source.type('a'.repeat(10)), source.type('b'.repeat(10))];
      const content = new RoomDoc('d', rows, () => {});
      const editor = clientDoc(2);
      for (const row of rows) Y.applyUpdate(editor.doc, row);
      const typed = [editor.type('x'), editor.type('y')];
      for (const update of typed) content.apply(update, 'peer');
      const parts = content.stateParts();
      expect(parts).toHaveLength(4);
      [...rows, ...typed].forEach((part, i) => expect(parts[i]).toBe(part));
      expect(made(parts)).toEqual(Y.encodeStateAsUpdate(content.doc));
    });

    it('stays the doc through applies, compactions and join cuts, overlapping and finishing in any order, with updates between taking the parts and storing them (random, seed printed)', () => {
      const seed = Number(process.env['SEED'] ?? Math.floor(Math.random() * 2 ** 31));
      console.info(`stateParts seed ${seed}`);
      const random = seededRandom(seed);
      for (let round = 0; round < 20; round++) {
        const writers = [clientDoc(1), clientDoc(2), clientDoc(3)];
        const initial = writers[0]!;
        const rows = Array.from({ length: Math.floor(random() * 3) }, (_, i) => initial.type(`r${i}`));
        const content = new RoomDoc('d', rows, () => {});
        for (const w of writers.slice(1)) for (const row of rows) Y.applyUpdate(w.doc, row);
        // Parts taken and not yet stored: up to two at once (a compaction and a join's cut), stored in any order.
        const taken: { parts: Uint8Array[]; applied: number; vector: Uint8Array; cut: boolean }[] = [];
        for (let step = 0; step < 40; step++) {
          const roll = random();
          if (roll < 0.55) {
            // Someone types or deletes, on a doc that holds everything so far.
            const w = writers[Math.floor(random() * writers.length)]!;
            Y.applyUpdate(w.doc, Y.encodeStateAsUpdate(content.doc));
            const body = w.doc.getText('body');
            if (random() < 0.3 && body.length > 0) body.delete(Math.floor(random() * body.length), 1);
            else body.insert(Math.floor(random() * (body.length + 1)), String.fromCharCode(97 + Math.floor(random() * 26)));
            content.apply(w.updates.at(-1)!, 'peer');
          } else if (roll < 0.75 && taken.length < 2) {
            const cut = random() < 0.5;
            const segmenting = content.partsToSegment();
            const { parts, applied } = cut ? { parts: segmenting.parts, applied: segmenting.mark.applied } : content.markedStateParts();
            taken.push({ parts, applied, vector: content.stateVector(), cut });
          } else if (taken.length > 0) {
            // What the taken parts make, stored as one segment or cut in several.
            const [done] = taken.splice(Math.floor(random() * taken.length), 1);
            const whole = made(done!.parts);
            const segments = random() < 0.5 ? [whole] : [whole, new Uint8Array([0, 0])];
            if (!done!.cut) content.snapshotStored(segments, done!.vector, done!.applied);
            else content.joinSegmentsCut(segments, done!.vector, { ...content.partsToSegment().mark, applied: done!.applied });
          }
          expect(made(content.stateParts()), `seed ${seed}, round ${round}, step ${step}`).toEqual(Y.encodeStateAsUpdate(content.doc));
        }
      }
    });

    it('past its limit of kept updates it encodes what came after the stored parts, and keeps again after a compaction', () => {
      const source = clientDoc(1);
      const row = source.type('start');
      const content = new RoomDoc('d', [row], () => {});
      const editor = clientDoc(2);
      Y.applyUpdate(editor.doc, row);
      for (let i = 0; i < 5_001; i++) content.apply(editor.type('k'), 'peer');
      const { parts, applied } = content.markedStateParts();
      expect(parts).toHaveLength(1); // the whole doc, encoded
      expect(made(parts)).toEqual(Y.encodeStateAsUpdate(content.doc));
      content.snapshotStored(parts, content.stateVector(), applied);
      const next = editor.type('!');
      content.apply(next, 'peer');
      const after = content.stateParts();
      expect(after).toHaveLength(2);
      expect(after[1]).toBe(next);
      expect(made(after)).toEqual(Y.encodeStateAsUpdate(content.doc));
    });
  });
});
