import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { segmentDoc } from '../../server/bigdocs/segmentState.js';
import { seededRandom } from '../helpers/seededRandom.js';

const WORDS = ['a', 'bc', 'déf', '😀', 'ghij ', '𝄞x', 'k', '\n'];

/**
 * Several clients editing one XML fragment (paragraphs of text, as y-prosemirror keeps them), a
 * title text and a map, syncing now and then so their changes depend on each other's; deletions
 * included (some GC'd into deleted content).
 */
function randomDoc(seed: number): Y.Doc {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const docs = [1, 2, 3].map((id) => {
    const doc = new Y.Doc();
    doc.clientID = id * 1000 + seed;
    return doc;
  });
  const sync = () => {
    for (const a of docs) for (const b of docs) if (a !== b) Y.applyUpdate(b, Y.encodeStateAsUpdate(a, Y.encodeStateVector(b)));
  };
  for (let step = 0; step < 300; step++) {
    const doc = pick(docs);
    const body = doc.getXmlFragment('prosemirror');
    const roll = random();
    if (roll < 0.1 || body.length === 0) {
      const paragraph = new Y.XmlElement('paragraph');
      paragraph.insert(0, [new Y.XmlText(pick(WORDS).repeat(1 + Math.floor(random() * 40)))]);
      body.insert(Math.floor(random() * (body.length + 1)), [paragraph]);
    } else if (roll < 0.7) {
      const text = (body.get(Math.floor(random() * body.length)) as Y.XmlElement).get(0) as Y.XmlText;
      const at = Math.floor(random() * (text.length + 1));
      // Never inside a surrogate pair: a client's editor would not do it either.
      const code = text.toString().charCodeAt(at - 1);
      text.insert(code >= 0xd800 && code <= 0xdbff ? at - 1 : at, pick(WORDS), random() < 0.1 ? { bold: true } : undefined);
    } else if (roll < 0.85) {
      const text = (body.get(Math.floor(random() * body.length)) as Y.XmlElement).get(0) as Y.XmlText;
      const string = text.toString();
      let at = Math.floor(random() * string.length);
      let len = Math.min(string.length - at, 1 + Math.floor(random() * 8));
      if (at > 0 && string.charCodeAt(at - 1) >= 0xd800 && string.charCodeAt(at - 1) <= 0xdbff) at--;
      const end = at + len;
      if (string.charCodeAt(end - 1) >= 0xd800 && string.charCodeAt(end - 1) <= 0xdbff) len++;
      if (len > 0 && at + len <= string.length) text.delete(at, len);
    } else if (roll < 0.9) {
      if (body.length > 1) body.delete(Math.floor(random() * body.length), 1);
    } else if (roll < 0.95) {
      doc.getMap('meta').set(pick(['a', 'b', 'c']), { n: step, list: [1, 2, step] });
    } else {
      doc.getText('title').insert(0, pick(WORDS));
    }
    if (random() < 0.2) sync();
  }
  sync();
  return docs[0]!;
}

/** Applies the segments in order to a new doc, checking each integrates at once. */
function replay(segments: readonly Uint8Array[]): Y.Doc {
  const doc = new Y.Doc();
  segments.forEach((segment, i) => {
    Y.applyUpdate(doc, segment);
    expect(doc.store.pendingStructs, `segment ${i} of ${segments.length} waits for a later one`).toBeNull();
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
    // SEGMENT_SEED=n runs seeds n…n+3. Known to fail, not yet traced (the copy built from the
    // segments lacks a bold mark the document has): 58, 62, 137, 230 (segments of 200 bytes), 230
    // (of 1,000); 5 of 3,000 seed/size pairs. Applying the segments inside one local transaction
    // (no formatting cleanup) does not fix it.
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
