import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { segmentDoc } from '../../server/bigdocs/segmentState.js';
import { HeldSegments } from '../../web/src/sync/heldSegments.js';
import { randomDoc } from '../helpers/randomYDoc.js';

// A segmented load applied one segment per transaction (as a stock client does) can lose a bold
// mark: after each remote transaction Yjs deletes formatting marks that look redundant in the
// document as it then stands, and between two segments a run's opening mark can stand without
// what follows it. Tandem's page holds the segments and applies them in one transaction.

const SYNC_STEP_2 = 1;
const SYNC_UPDATE = 2;
/** Random documents whose 200-byte segments lose a bold mark when applied one by one (found by segmentState.test.ts). */
const LOSING_SEEDS = [58, 62, 137, 230];

const body = (doc: Y.Doc) => doc.getXmlFragment('prosemirror').toString();

describe('a segmented load in the page', () => {
  it('applied one segment at a time (a stock client), these documents lose formatting: the cases are real', () => {
    for (const seed of LOSING_SEEDS) {
      const source = randomDoc(seed);
      const copy = new Y.Doc();
      for (const segment of segmentDoc(source, 200)) Y.applyUpdate(copy, segment, 'server');
      expect(body(copy), `seed ${seed}`).not.toBe(body(source));
    }
  });

  it('held until the step 2 that ends the load, they arrive whole, and the page sends nothing back', () => {
    for (const seed of LOSING_SEEDS) {
      const source = randomDoc(seed);
      const copy = new Y.Doc();
      const provider = {};
      const sentBack: Uint8Array[] = [];
      copy.on('update', (update: Uint8Array, origin: unknown) => {
        if (origin !== provider) sentBack.push(update);
      });
      const held = new HeldSegments();
      held.begin();
      for (const segment of segmentDoc(source, 200)) held.handle(copy, provider, SYNC_UPDATE, () => Y.applyUpdate(copy, segment, provider));
      // Nothing is applied before the step 2.
      expect(body(copy)).toBe('');
      held.handle(copy, provider, SYNC_STEP_2, () => Y.applyUpdate(copy, Y.encodeStateAsUpdate(source, Y.encodeStateVector(copy)), provider));
      expect(body(copy), `seed ${seed}`).toBe(body(source));
      expect(copy.getText('title').toString()).toBe(source.getText('title').toString());
      expect(sentBack, `seed ${seed}: changes the page made itself`).toEqual([]);
      expect(held.holding).toBe(false);
    }
  });

  it('without an announced load, or after the connection closed, frames apply at once', () => {
    const source = randomDoc(7);
    const segments = segmentDoc(source, 200);
    const copy = new Y.Doc();
    const held = new HeldSegments();
    held.handle(copy, null, SYNC_UPDATE, () => Y.applyUpdate(copy, segments[0]!));
    expect(Y.encodeStateVector(copy)).not.toEqual(Y.encodeStateVector(new Y.Doc()));
    held.begin();
    const before = Y.encodeStateVector(copy);
    held.handle(copy, null, SYNC_UPDATE, () => Y.applyUpdate(copy, segments[1]!));
    expect(Y.encodeStateVector(copy)).toEqual(before);
    held.drop();
    held.handle(copy, null, SYNC_UPDATE, () => Y.applyUpdate(copy, segments[1]!));
    expect(Y.encodeStateVector(copy)).not.toEqual(before);
  });
});
