import { Fragment, type Node as PMNode, Slice } from 'prosemirror-model';
import { schema } from '../../shared/schema.js';
import { createUndoManager } from '../../web/src/document/undoManager.js';
import { Relay, Side } from '../helpers/bindingSides.js';
import { seededRandom } from '../helpers/seededRandom.js';

/** A session of the browserless soak (`npm run soak:binding`, tests/soak/binding.ts). */
const STEPS = 40;

/** The first thing a session found wrong. */
export type Finding = { kind: 'lost' | 'doubled' | 'reordered' | 'diverged'; text: string };

/** What a session is made of. `only`: report only findings of that kind (others are taken as they are and the session goes on). */
export interface SessionOptions {
  people: number;
  kinds: string[];
  only?: Finding['kind'];
}

/**
 * One seeded session (see binding.ts): null when every person's own characters showed once each, in
 * the order typed, after every step, and all converged; else the first finding. `trace` gets every step.
 */
export function session(seed: number, { people: PEOPLE, kinds, only }: SessionOptions, trace: string[] | null = null): Finding | null {
  const random = seededRandom(seed);
  const pick = <T>(list: T[]): T => list[Math.floor(random() * list.length)]!;
  // Each person types characters of a block of CJK code points of their own, each one once.
  const blocks = Array.from({ length: PEOPLE }, (_, i) => 0x4e00 + i * 0x1000);
  const sides = blocks.map((b) => new Side(new RegExp(`[\\u{${b.toString(16)}}-\\u{${(b + 0xfff).toString(16)}}]`, 'u'), true, 1 + Math.floor(random() * 2 ** 30)));
  // Each person has the editor's undo manager: it keeps what it may restore from being collected.
  const undoManagers = sides.map((side) => createUndoManager(side.fragment));
  const undoing = kinds.includes('undo') || kinds.includes('redo');
  const relay = new Relay(sides);
  const typed = sides.map(() => 0);
  const fresh = (i: number): string => String.fromCodePoint(blocks[i]! + typed[i]!++);
  const gone = new Set<string>();
  const own = (i: number, doc: PMNode): string => [...doc.textContent].filter((c) => sides[i]!.alphabet.test(c) && !gone.has(c)).join('');
  const label = (s: string): string => [...s].map((c) => (c.codePointAt(0)! & 0xfff).toString()).join(',');
  const paragraphs = (doc: PMNode): string => {
    const out: string[] = [];
    doc.forEach((node) => out.push(node.textContent));
    return out.join(' | ');
  };
  sides[0]!.edit((s) => s.tr.insertText(fresh(0) + fresh(0) + fresh(0), 1).split(3).doc);
  relay.settle();
  const expected = sides.map((_, i) => own(i, sides[i]!.view()));
  const caret = sides.map(() => -1);
  /** The first difference between what person `j`'s page shows of their own characters and what they typed. */
  const compare = (j: number, doc: PMNode, when: string): Finding | null => {
    const shown = own(j, doc);
    const want = expected[j]!;
    if (shown === want) return null;
    const [a, b] = [[...shown], [...want]];
    const kind = b.some((c) => !a.includes(c)) ? 'lost' : a.length > b.length ? 'doubled' : 'reordered';
    if (only !== undefined && kind !== only) {
      expected[j] = shown;
      return null;
    }
    return { kind, text: `${when}: person ${j}'s own characters ${label(shown)}, typed ${label(want)}` };
  };
  for (let step = 0; step < STEPS; step++) {
    const i = Math.floor(random() * PEOPLE);
    const side = sides[i]!;
    const doc = side.view();
    const k = Math.floor(random() * doc.childCount);
    let start = 1;
    for (let j = 0; j < k; j++) start += doc.child(j).nodeSize;
    const size = doc.child(k).content.size;
    const pos = start + Math.floor(random() * (size + 1));
    const kind = pick(kinds);
    const before = doc.textContent;
    let what = '';
    if (kind === 'type') {
      // Mostly on from where the person last typed, as people do; else somewhere else.
      const last = caret[i]!;
      const at = random() < 0.6 && last > 0 && last <= doc.content.size && doc.resolve(last).parent.isTextblock ? last : pos;
      const n = 1 + Math.floor(random() * 3);
      let text = '';
      for (let c = 0; c < n; c++) text += fresh(i);
      side.edit((s) => s.tr.insertText(text, at).doc);
      caret[i] = at + n;
      what = `types ${n} at ${at}`;
    } else if (kind === 'enter') {
      side.edit((s) => s.tr.split(pos).doc);
      caret[i] = pos + 2;
      what = `Enter at ${pos}`;
    } else if (kind === 'join') {
      if (k === 0) continue;
      side.edit((s) => s.tr.delete(start - 2, start).doc);
      caret[i] = start - 2;
      what = `joins paragraph ${k}`;
    } else if (kind === 'del') {
      if (size === 0) continue;
      const at = start + Math.floor(random() * size);
      side.edit((s) => s.tr.delete(at, at + 1).doc);
      what = `deletes at ${at}`;
    } else if (kind === 'paste') {
      const lines: string[] = [];
      for (let l = 2 + Math.floor(random() * 2); l > 0; l--) {
        let t = '';
        for (let c = Math.floor(random() * 3); c > 0; c--) t += fresh(i);
        lines.push(t);
      }
      side.edit((s) => s.tr.replace(pos, pos, new Slice(Fragment.from(lines.map((t) => schema.nodes.paragraph!.create(null, t === '' ? null : schema.text(t)))), 1, 1)).doc);
      what = `pastes ${lines.length} paragraphs at ${pos}`;
    } else if (kind === 'drag') {
      // A drag (or a cut and a paste in one transaction) of 1 to 4 of the person's own characters
      // in a row in this paragraph, to anywhere else in the document. Only their own characters:
      // the oracle checks each person's own characters in the order they typed them, so moving
      // them rewrites the mover's order (taken from their page after the drag, below) and nobody
      // else's; moving someone else's characters would rewrite that person's order by another's
      // hand, which this oracle cannot tell from a reorder. Nothing counts as deleted: every
      // dragged character still shows, once, where the mover put it.
      const text = [...doc.child(k).textContent];
      const mine = text.map((c, o) => (sides[i]!.alphabet.test(c) ? o : -1)).filter((o) => o >= 0);
      if (mine.length === 0) continue;
      const from = mine[Math.floor(random() * mine.length)]!;
      let to = from + 1;
      for (const n = 1 + Math.floor(random() * 4); to < text.length && to - from < n && sides[i]!.alphabet.test(text[to]!); ) to++;
      const [a, b] = [start + from, start + to];
      // Anywhere in a paragraph's text but inside or right beside the run (that moves nothing).
      const targets: number[] = [];
      let p = 1;
      doc.forEach((node) => {
        for (let o = 0; o <= node.content.size; o++) if (p + o < a || p + o > b) targets.push(p + o);
        p += node.nodeSize;
      });
      if (targets.length === 0) continue;
      const target = targets[Math.floor(random() * targets.length)]!;
      const run = text.slice(from, to).join('');
      let end = 0;
      side.edit((s) => {
        const tr = s.tr.delete(a, b);
        const at = tr.mapping.map(target);
        end = at + (b - a);
        return tr.insertText(run, at).doc;
      });
      caret[i] = end;
      what = `drags ${to - from} from ${a} to ${target}`;
    } else if (kind === 'undo' || kind === 'redo') {
      // Ctrl+Z / Ctrl+Shift+Z: the person's last change (their keystrokes less than half a second
      // apart are one, as in the editor: see the end of the step). It takes back only their own
      // characters; any other vanishing from their page is a loss.
      const manager = undoManagers[i]!;
      if ((kind === 'undo' ? manager.undoStack : manager.redoStack).length === 0) continue;
      if (kind === 'undo') manager.undo();
      else manager.redo();
      caret[i] = -1;
      what = kind === 'undo' ? 'undoes' : 'redoes';
    }
    // What the person's own edit removed was deleted on purpose (an undo: only their own characters).
    const after = new Set(side.view().textContent);
    for (const c of before) if (!after.has(c) && (kind !== 'undo' && kind !== 'redo' || side.alphabet.test(c))) gone.add(c);
    // The next change is a new undo step half the time (a pause of more than half a second).
    if (undoing && random() < 0.5) undoManagers[i]!.stopCapturing();
    for (let j = 0; j < PEOPLE; j++) expected[j] = [...expected[j]!].filter((c) => !gone.has(c)).join('');
    expected[i] = own(i, side.view());
    trace?.push(`step ${step}: person ${i} ${what} -> ${paragraphs(side.view())}`);
    for (const [n, s] of sides.entries()) {
      if (random() < 0.5) {
        relay.upload(s);
        trace?.push(`  person ${n} sends`);
      }
    }
    for (const [n, s] of sides.entries()) {
      if (random() < 0.5) {
        const count = 1 + Math.floor(random() * 2);
        relay.download(s, count);
        trace?.push(`  person ${n} receives ${count} -> ${paragraphs(s.view())}`);
      }
    }
    for (let j = 0; j < PEOPLE; j++) {
      const finding = compare(j, sides[j]!.view(), `step ${step}`);
      if (finding !== null) return finding;
    }
  }
  relay.settle();
  const final = sides[0]!.view();
  if (sides.some((s) => !s.view().eq(final))) return { kind: 'diverged', text: 'the documents differ after everything arrived' };
  // And once everything has arrived: a key shown twice (or lost, or out of order) for good.
  for (let j = 0; j < PEOPLE; j++) {
    const finding = compare(j, final, 'at the end');
    if (finding !== null) return finding;
  }
  return null;
}

