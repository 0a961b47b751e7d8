import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { segmentDoc } from '../../server/bigdocs/segmentState.js';
import { randomDoc } from '../helpers/randomYDoc.js';

/**
 * Applies the segments in order to a new doc, checking each integrates at once — in one transaction,
 * as Tandem's page applies a segmented load (web/src/sync/heldSegments.ts: applied one transaction
 * each, Yjs's formatting cleanup can delete a bold mark between two segments; heldSegments.test.ts).
 */
function replay(segments: readonly Uint8Array[]): Y.Doc {
  const doc = new Y.Doc();
  Y.transact(doc, () => {
    segments.forEach((segment, i) => {
      Y.applyUpdate(doc, segment);
      expect(doc.store.pendingStructs, `segment ${i} of ${segments.length} waits for a later one`).toBeNull();
    });
  });
  expect(doc.store.pendingDs).toBeNull();
  return doc;
}

function expectSameState(a: Y.Doc, b: Y.Doc, context = ''): void {
  expect(b.getXmlFragment('prosemirror').toString(), context).toBe(a.getXmlFragment('prosemirror').toString());
  expect(b.getText('title').toString(), context).toBe(a.getText('title').toString());
  expect(b.getMap('meta').toJSON()).toEqual(a.getMap('meta').toJSON());
  expect(Y.encodeStateVector(b)).toEqual(Y.encodeStateVector(a));
  expect(Y.equalDeleteSets(Y.createDeleteSetFromStructStore(a.store), Y.createDeleteSetFromStructStore(b.store))).toBe(true);
}

describe('segmentDoc', () => {
  it('cuts random multi-client documents into small updates that apply in order, each at once', () => {
    // SEGMENT_SEED=n runs seeds n…n+3.
    const base = process.env['SEGMENT_SEED'] !== undefined ? Number(process.env['SEGMENT_SEED']) : Math.floor(Math.random() * 1e6);
    for (let run = 0; run < 4; run++) {
      const seed = base + run;
      const doc = randomDoc(seed);
      for (const maxBytes of [200, 1000, 1 << 20]) {
        const segments = segmentDoc(doc, maxBytes);
        for (const segment of segments) expect(segment.length, `seed ${seed}`).toBeLessThanOrEqual(maxBytes);
        expectSameState(doc, replay(segments), `seed ${seed}, segments of ${maxBytes} bytes (re-run: SEGMENT_SEED=${seed})`);
        if (maxBytes === 1 << 20) expect(segments).toHaveLength(1);
      }
    }
  });

  it('cuts a long string into pieces without splitting a surrogate pair', () => {
    const doc = new Y.Doc();
    const text = doc.getText('body');
    text.insert(0, 'x' + '😀'.repeat(5000) + 'é'.repeat(3000));
    text.delete(101, 50); // whole pairs: Yjs itself would replace a cut one
    const segments = segmentDoc(doc, 4096);
    expect(segments.length).toBeGreaterThan(5);
    for (const segment of segments) expect(segment.length).toBeLessThanOrEqual(4096);
    const copy = replay(segments);
    expect(copy.getText('body').toString()).toBe(text.toString());
    expect(copy.getText('body').toString()).not.toContain('\ufffd');
  });

  it('gives one empty update for an empty document', () => {
    const segments = segmentDoc(new Y.Doc(), 1000);
    expect(segments).toHaveLength(1);
    expect(replay(segments).getText('x').toString()).toBe('');
  });
});
