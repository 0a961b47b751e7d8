import * as Y from 'yjs';
import { seededRandom } from './seededRandom.js';

const WORDS = ['a', 'bc', 'déf', '😀', 'ghij ', '𝄞x', 'k', '\n'];

/**
 * Several clients editing one XML fragment (paragraphs of text, as y-prosemirror keeps them), a
 * title text and a map, syncing now and then so their changes depend on each other's; deletions
 * included (some GC'd into deleted content).
 */
export function randomDoc(seed: number): Y.Doc {
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

