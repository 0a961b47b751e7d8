import type { Node as PMNode } from 'prosemirror-model';
import { Fragment, Slice } from 'prosemirror-model';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { schema } from '../../shared/schema.js';
import { withIncomingDeletes } from '../../web/src/sync/incomingDeletes.js';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as syncProtocol from 'y-protocols/sync';
import { createUndoManager } from '../../web/src/document/undoManager.js';
import { seededRandom } from '../helpers/seededRandom.js';
import { deliverUpdate, Relay, Side } from '../helpers/bindingSides.js';
import { session } from '../soak/bindingSession.js';

function connect(sides: Side[]): void {
  for (const a of sides) for (const b of sides) if (a !== b) a.outbox.set(b, []);
}

function syncAll(sides: Side[]): void {
  for (let round = 0; round < 2; round++) for (const a of sides) for (const b of sides) if (a !== b) a.deliver(b);
}

/** The document position just inside the end of paragraph `index` (0-based). */
function endOfParagraph(doc: PMNode, index: number): number {
  let pos = 0;
  for (let i = 0; i < index; i++) pos += doc.child(i).nodeSize;
  return pos + doc.child(index).nodeSize - 1;
}

const own = (text: string, alphabet: RegExp) => [...text].filter((ch) => alphabet.test(ch)).join('');


describe('the ProseMirror binding (patched y-prosemirror)', () => {
  it('keeps both first keystrokes in a fresh paragraph and everything typed after them, once each', () => {
    const ada = new Side(/[a-z]/);
    const grace = new Side(/[0-9]/);
    connect([ada, grace]);
    ada.edit((state) => state.tr.insertText('Intro', 1).split(6).doc);
    syncAll([ada, grace]);
    expect(grace.view().childCount).toBe(2);

    // Both type their first character into the new, empty paragraph at the same moment: each
    // binding makes its own Y.XmlText, so the paragraph ends up with two side by side.
    ada.type(endOfParagraph(ada.view(), 1), 'a');
    grace.type(endOfParagraph(grace.view(), 1), '0');
    syncAll([ada, grace]);
    expect((ada.fragment.get(1) as Y.XmlElement).toArray().length).toBe(2);

    // Both keep typing, each seeing the paragraph as one text, with updates crossing in flight.
    for (const [letter, digit] of [['b', '1'], ['c', '2'], ['d', '3']]) {
      const adaText = own(ada.view().child(1).textContent, /[a-z]/);
      ada.type(ada.view().child(1).textContent.indexOf(adaText.at(-1)!) + 1 + endOfParagraph(ada.view(), 0) + 2, letter!);
      const graceText = own(grace.view().child(1).textContent, /[0-9]/);
      grace.type(grace.view().child(1).textContent.indexOf(graceText.at(-1)!) + 1 + endOfParagraph(grace.view(), 0) + 2, digit!);
      syncAll([ada, grace]);
    }
    const shown = ada.view().child(1).textContent;
    expect(grace.view().child(1).textContent).toBe(shown);
    expect(own(shown, /[a-z]/)).toBe('abcd');
    expect(own(shown, /[0-9]/)).toBe('0123');
    expect(shown.length).toBe(8);
  });

  it('joins two runs when the inline node between them is deleted, without re-typing either', () => {
    const ada = new Side(/[a-z]/);
    const grace = new Side(/[0-9]/);
    connect([ada, grace]);
    ada.edit((state) => state.tr.insertText('abcdef', 1).doc);
    ada.edit((state) => state.tr.replaceWith(4, 4, schema.nodes.hard_break!.create()).doc);
    syncAll([ada, grace]);
    expect((ada.fragment.get(0) as Y.XmlElement).toArray().length).toBe(3);
    // Ada deletes the break while Grace types inside the second run.
    ada.edit((state) => state.tr.delete(4, 5).doc);
    grace.type(6, '7');
    syncAll([ada, grace]);
    expect(ada.view().textContent).toBe('abcd7ef');
    expect(grace.view().textContent).toBe('abcd7ef');
  });

  it("an undo never takes a keystroke someone typed into the text it undoes (the editor's undo manager)", () => {
    const ada = new Side(/[a-z]/);
    const linus = new Side(/[0-9]/);
    connect([ada, linus]);
    const undo = createUndoManager(ada.fragment);
    // Ada's first keystrokes make the paragraph's text; Linus, who has them, types after them.
    ada.type(1, 'x');
    ada.type(2, 'y');
    ada.type(3, 'z');
    syncAll([ada, linus]);
    linus.type(4, '6');
    // Ada undoes her typing before Linus's keystroke reaches her.
    undo.undo();
    syncAll([ada, linus]);
    expect(ada.view().textContent).toBe('6');
    expect(linus.view().textContent).toBe('6');
    // Undoing into an empty document still leaves nothing of Ada's.
    expect(own(ada.view().textContent, /[a-z]/)).toBe('');
  });

  it('an undo takes back a new line with what was typed in it, and a heading made of a line, in one step; redo brings them back', () => {
    const ada = new Side(/[a-z]/, true, 1);
    const undo = createUndoManager(ada.fragment);
    const blocks = (): string => JSON.stringify(ada.view().toJSON().content.map((block: { type: string; content?: Array<{ text: string }> }) => `${block.type}:${(block.content ?? []).map((t) => t.text).join('')}`));
    ada.type(1, 'abc');
    undo.stopCapturing();
    ada.edit((state) => state.tr.split(4).doc);
    ada.type(6, 'x');
    undo.stopCapturing();
    // The line and its text go (the line stayed, empty, and no undo could take it back).
    undo.undo();
    expect(blocks()).toBe('["paragraph:abc"]');
    undo.redo();
    expect(blocks()).toBe('["paragraph:abc","paragraph:x"]');
    undo.stopCapturing();
    ada.edit((state) => state.tr.setBlockType(6, 7, schema.nodes['heading']!, { level: 1 }).doc);
    expect(blocks()).toBe('["paragraph:abc","heading:x"]');
    undo.undo();
    expect(blocks()).toBe('["paragraph:abc","paragraph:x"]');
    // Undoing everything leaves the document's one line, empty (as a new document shows).
    undo.undo();
    undo.undo();
    expect(blocks()).toBe('["paragraph:"]');
  });

  for (const adaLow of [true, false]) {
    it(`a key typed into a new line while its maker undoes it goes on, at the end of the line before (Ada's client id ${adaLow ? 'lower' : 'higher'})`, () => {
      const ada = new Side(/[a-z]/, true, adaLow ? 1 : 3);
      const linus = new Side(/[0-9]/, true, 2);
      connect([ada, linus]);
      const undo = createUndoManager(ada.fragment);
      createUndoManager(linus.fragment);
      ada.type(1, 'abc');
      syncAll([ada, linus]);
      undo.stopCapturing();
      ada.edit((state) => state.tr.split(4).doc);
      ada.type(6, 'x');
      syncAll([ada, linus]);
      // Linus types after Ada's "x" as Ada undoes her Enter and "x": neither has the other's change.
      linus.type(7, '6');
      undo.undo();
      syncAll([ada, linus]);
      expect(ada.view().textContent).toBe('abc6');
      expect(linus.view().textContent).toBe('abc6');
      expect(ada.view().childCount).toBe(1);
    });
  }

  for (const adaLow of [true, false]) for (const arrives of ['after', 'before'] as const) {
    it(`a key typed into a new line its maker joins back and then undoes (Enter and Backspace in one step) stays (Ada's client id ${adaLow ? 'lower' : 'higher'}; the undo ${arrives} Linus's next key)`, () => {
      const ada = new Side(/[a-z]/, true, adaLow ? 1 : 3);
      const linus = new Side(/[0-9]/, true, 2);
      connect([ada, linus]);
      const undo = createUndoManager(ada.fragment);
      createUndoManager(linus.fragment);
      ada.type(1, 'abc');
      syncAll([ada, linus]);
      undo.stopCapturing();
      // Ada presses Enter before the "c"; Linus types after it, in the new line; Ada, having his key,
      // presses Backspace at the line's start (a join: her copy of "c6" goes after the "ab") and Ctrl+Z.
      ada.edit((state) => state.tr.split(3).doc);
      syncAll([ada, linus]);
      linus.type(endOfParagraph(linus.view(), 1), '6');
      syncAll([ada, linus]);
      ada.edit((state) => state.tr.delete(3, 5).doc);
      if (arrives === 'before') linus.type(endOfParagraph(linus.view(), 1), '7');
      undo.undo();
      syncAll([ada, linus]);
      const want = arrives === 'before' ? '67' : '6';
      expect(own(ada.view().textContent, /[0-9]/)).toBe(want);
      expect(own(linus.view().textContent, /[0-9]/)).toBe(want);
      expect(own(ada.view().textContent, /[a-z]/)).toBe('abc');
      expect(linus.view().eq(ada.view())).toBe(true);
    });
  }

  for (const adaLow of [true, false]) {
    it(`a key an undo puts back into a line someone joins up at the same time goes along (Ada's client id ${adaLow ? 'lower' : 'higher'})`, () => {
      const ada = new Side(/[a-z]/, true, adaLow ? 1 : 3);
      const grace = new Side(/[A-Z]/, true, 2);
      connect([ada, grace]);
      createUndoManager(ada.fragment);
      const undo = createUndoManager(grace.fragment);
      ada.edit((state) => state.tr.insertText('abc', 1).split(3).doc);
      syncAll([ada, grace]);
      grace.type(endOfParagraph(grace.view(), 1), 'AB');
      syncAll([ada, grace]);
      undo.stopCapturing();
      // Grace types "CD" before her "B" and presses Enter before it ("cACD / B"); Ada, having seen
      // neither, joins "cAB" up ("abcAB"); Grace undoes her typing and Enter at once: her "B" is put
      // back into the line Ada's join removes.
      grace.type(7, 'CD');
      ada.edit((state) => state.tr.delete(3, 5).doc);
      grace.edit((state) => state.tr.split(9).doc);
      undo.undo();
      syncAll([ada, grace]);
      expect(own(grace.view().textContent, /[A-Z]/)).toBe('AB');
      expect(own(ada.view().textContent, /[A-Z]/)).toBe('AB');
      expect(own(ada.view().textContent, /[a-z]/)).toBe('abc');
      expect(ada.view().eq(grace.view())).toBe(true);
    });
  }

  for (const adaLow of [true, false]) {
    it(`a key an undo puts back into a line someone removed at the same time goes back where it stood (Ada's client id ${adaLow ? 'lower' : 'higher'})`, () => {
      const ada = new Side(/[a-z]/, true, adaLow ? 1 : 3);
      const grace = new Side(/[A-Z]/, true, 2);
      connect([ada, grace]);
      createUndoManager(ada.fragment);
      const undo = createUndoManager(grace.fragment);
      ada.edit((state) => state.tr.insertText('abc', 1).split(3).doc);
      syncAll([ada, grace]);
      grace.type(2, 'A');
      syncAll([ada, grace]);
      undo.stopCapturing();
      // Ada types "d" after the "b" as Grace presses Enter before it ("aA / bd / c" once both have both).
      ada.type(4, 'd');
      grace.edit((state) => state.tr.split(3).doc);
      grace.deliver(ada);
      ada.deliver(grace);
      // Ada empties the first line and removes it (Backspace at the start of "bd") as Grace undoes her
      // Enter: the undo puts the "b" back into the line Ada removed (the line "d" stays, holding Ada's "d").
      ada.edit((state) => state.tr.delete(1, 3).doc);
      undo.undo();
      ada.edit((state) => state.tr.delete(1, 3).doc);
      syncAll([ada, grace]);
      expect(own(ada.view().textContent, /[a-z]/)).toBe('bdc');
      expect(own(grace.view().textContent, /[a-z]/)).toBe('bdc');
      expect(ada.view().eq(grace.view())).toBe(true);
    });
  }

  for (const adaLow of [true, false]) {
    it(`keys an undo puts back into a line someone removed at the same time, written out of order, all go on (Ada's client id ${adaLow ? 'lower' : 'higher'})`, () => {
      const ada = new Side(/[a-z]/, true, adaLow ? 1 : 3);
      const grace = new Side(/[A-Z]/, true, 2);
      connect([ada, grace]);
      createUndoManager(ada.fragment);
      const undo = createUndoManager(grace.fragment);
      ada.edit((state) => state.tr.insertText('abc', 1).split(3).doc);
      syncAll([ada, grace]);
      // Grace joins "c" up and types "AB" after the "a" ("aABbc"), then presses Enter after her "A".
      grace.edit((state) => state.tr.delete(3, 5).doc);
      grace.type(2, 'AB');
      undo.stopCapturing();
      grace.edit((state) => state.tr.split(3).doc);
      syncAll([ada, grace]);
      // Ada empties the first line and removes it as Grace undoes her Enter: the undo puts "Bbc" back
      // into the line Ada removed (restoring the "c" first).
      ada.edit((state) => state.tr.delete(1, 3).doc);
      undo.undo();
      ada.edit((state) => state.tr.delete(1, 3).doc);
      syncAll([ada, grace]);
      expect(own(ada.view().textContent, /[a-z]/)).toBe('bc');
      expect(own(grace.view().textContent, /[a-z]/)).toBe('bc');
      expect(own(grace.view().textContent, /[A-Z]/)).toBe('B');
      expect(ada.view().eq(grace.view())).toBe(true);
    });
  }

  for (const adaLow of [true, false]) {
    it(`an undo that first passes a step it cannot redo keeps someone else's key it moved (Ada's client id ${adaLow ? 'lower' : 'higher'})`, () => {
      const ada = new Side(/[a-z]/, true, adaLow ? 1 : 3);
      const grace = new Side(/[A-Z]/, true, 2);
      connect([ada, grace]);
      const adaUndo = createUndoManager(ada.fragment);
      const undo = createUndoManager(grace.fragment);
      ada.edit((state) => state.tr.insertText('abc', 1).split(3).doc);
      syncAll([ada, grace]);
      // Grace presses Enter before the "b" ("a / b / c"), then deletes the "a" (a step of its own).
      grace.edit((state) => state.tr.split(2).doc);
      undo.stopCapturing();
      grace.edit((state) => state.tr.delete(1, 2).doc);
      syncAll([ada, grace]);
      // Ada undoes her typing: her lines go, the "b" Grace's Enter moved stays.
      adaUndo.undo();
      syncAll([ada, grace]);
      expect(ada.view().textContent).toBe('b');
      // Grace's Ctrl+Z: the deletion of the "a" has nothing left to restore (Ada's line is gone), so
      // the undo goes on to her Enter, whose copy of the "b" its original cannot replace.
      undo.undo();
      syncAll([ada, grace]);
      expect(ada.view().textContent).toBe('b');
      expect(grace.view().textContent).toBe('b');
    });
  }

  it('loses, doubles and reorders nothing in 100 seeded random sessions of three typists (typing, repeated letters, Enter, bold, Backspace)', () => {
    const seed = Number(process.env.SEED ?? 20261207);
    for (let run = 0; run < 100; run++) {
      const random = seededRandom(seed + run);
      const sides = [new Side(/[a-z]/), new Side(/[A-Z]/), new Side(/[0-9]/)];
      const alphabets = ['abcdefghij', 'ABCDEFGHIJ', '0123456789'];
      connect(sides);
      const expected = sides.map(() => '');
      for (let step = 0; step < 40; step++) {
        const i = Math.floor(random() * sides.length);
        const side = sides[i]!;
        const doc = side.view();
        // Remote changes never change what a side typed (nobody deletes here).
        expect(own(doc.textContent, side.alphabet), `seed ${seed + run}, step ${step}`).toBe(expected[i]);
        const paragraph = Math.floor(random() * doc.childCount);
        const end = endOfParagraph(doc, paragraph);
        const length = doc.child(paragraph).content.size;
        const pos = end - Math.floor(random() * (length + 1));
        const action = random();
        const ch = alphabets[i]![Math.floor(random() * 10)]!;
        // Enter at the end of a paragraph starts a new, empty one (others then type into it). A
        // split in the middle moves the text after it (y-prosemirror deletes and re-inserts it), so
        // two people splitting one paragraph at once both move it: a known limitation, not tested here.
        const bold = schema.marks.strong!;
        const intended =
          action < 0.15
            ? side.edit((state) => state.tr.split(end).doc)
            : action < 0.25
              ? // Bold (or not) a stretch of the paragraph, whoever's characters it holds.
                side.edit((state) => {
                  const to = Math.min(end, pos + 1 + Math.floor(random() * 4));
                  return (random() < 0.7 ? state.tr.addMark(pos, to, bold.create()) : state.tr.removeMark(pos, to, bold)).doc;
                })
              : action < 0.35
                ? // Delete one of my own characters (Backspace after it).
                  side.edit((state) => {
                    const mine: number[] = [];
                    state.doc.descendants((node, at) => {
                      if (node.isText) [...node.text!].forEach((c, k) => side.alphabet.test(c) && mine.push(at + k));
                    });
                    const at = mine[Math.floor(random() * mine.length)];
                    return at === undefined ? state.doc : state.tr.delete(at, at + 1).doc;
                  })
                : side.type(pos, ch.repeat(action < 0.5 ? 3 : 1));
        // The binding wrote exactly what the editor shows.
        expect(side.view().eq(intended), `seed ${seed + run}, step ${step}: written as shown`).toBe(true);
        expected[i] = own(intended.textContent, side.alphabet);
        // Deliver some of the pending updates, in a random order.
        for (const from of sides) for (const to of sides) if (from !== to && random() < 0.3) from.deliver(to);
      }
      syncAll(sides);
      const finalDoc = sides[0]!.view();
      const final = finalDoc.textContent;
      for (const [i, side] of sides.entries()) {
        expect(side.view().eq(finalDoc), `seed ${seed + run}: sides converge (text, paragraphs, marks)`).toBe(true);
        expect(own(final, side.alphabet), `seed ${seed + run}: side ${i}'s characters`).toBe(expected[i]);
      }
    }
  });
});

/** The text of each paragraph. */
const paragraphs = (side: Side): string[] => {
  const out: string[] = [];
  side.view().forEach((node) => out.push(node.textContent));
  return out;
};

/** The document position right after the last of `side`'s own characters. */
function afterMyLast(side: Side): number {
  let at = -1;
  side.view().descendants((node, pos) => {
    if (node.isText) [...node.text!].forEach((ch, k) => side.alphabet.test(ch) && (at = pos + k + 1));
  });
  return at;
}


/**
 * Seeds of the two-mover sessions (default SEED) still with a finding: none. 20261366 and 20261407 (a
 * key out of order) and 20261393 (a key doubled) were a key that only the losing copy held: the
 * mover's page moved that copy on as its own character (the copy is the mover's item) while the key's
 * author moved it too. SEED=… COLLECT=1 runs 100 sessions from another seed and lists the findings
 * instead of stopping at the first.
 */
const KNOWN_TWO_MOVER_FINDINGS: number[] = [];

describe('keystrokes racing with a split or join of the text they go into (move rebase)', () => {
  /** Ada wrote "abcdefgh"; Bob typed "AB" into it after "de"; both have all of it. */
  function setUp(rebase: boolean): [Side, Side] {
    const ada = new Side(/[a-z]/, rebase);
    const bob = new Side(/[A-Z]/, rebase);
    connect([ada, bob]);
    ada.type(1, 'abcdefgh');
    syncAll([ada, bob]);
    bob.type(6, 'AB');
    syncAll([ada, bob]);
    return [ada, bob];
  }

  for (const rebase of [true, false]) {
    it(`Enter in the middle while someone types in the text after it: ${rebase ? 'the keystroke follows the text' : 'without the rebase it stays behind (reordered)'}`, () => {
      const [ada, bob] = setUp(rebase);
      // Bob types "C" after his "B" while Ada presses Enter after "abc": neither has the other's change.
      bob.type(afterMyLast(bob), 'C');
      ada.edit((state) => state.tr.split(4).doc);
      syncAll([ada, bob]);
      if (!rebase) {
        expect(paragraphs(bob)).toEqual(['abcC', 'deABfgh']);
        return;
      }
      expect(paragraphs(bob)).toEqual(['abc', 'deABCfgh']);
      expect(paragraphs(ada)).toEqual(paragraphs(bob));
      // Bob's next key goes after his "C", in the second paragraph.
      bob.type(afterMyLast(bob), 'D');
      syncAll([ada, bob]);
      expect(paragraphs(ada)).toEqual(['abc', 'deABCDfgh']);
      expect(ada.view().eq(bob.view())).toBe(true);
    });

    it(`Backspace at the start of a paragraph while someone types into it: ${rebase ? 'the keystroke follows the text' : 'without the rebase it is lost'}`, () => {
      const [ada, bob] = setUp(rebase);
      ada.edit((state) => state.tr.split(4).doc);
      syncAll([ada, bob]);
      expect(paragraphs(bob)).toEqual(['abc', 'deABfgh']);
      bob.type(afterMyLast(bob), 'C');
      // Ada joins the paragraphs (Backspace at the start of the second one).
      ada.edit((state) => state.tr.delete(endOfParagraph(state.doc, 0), endOfParagraph(state.doc, 0) + 2).doc);
      syncAll([ada, bob]);
      expect(paragraphs(bob)).toEqual(rebase ? ['abcdeABCfgh'] : ['abcdeABfgh']);
      expect(ada.view().eq(bob.view())).toBe(true);
    });
  }

  it('a character the mover deleted on purpose (Enter over a selection) stays deleted; a key typed after it goes along', () => {
    const [ada, bob] = setUp(true);
    // Bob types "C" after his "B" while Ada selects "B" and presses Enter after "abc".
    bob.type(afterMyLast(bob), 'C');
    ada.edit((state) => state.tr.delete(7, 8).split(4).doc);
    syncAll([ada, bob]);
    expect(paragraphs(bob)).toEqual(['abc', 'deACfgh']);
    expect(ada.view().eq(bob.view())).toBe(true);
  });

  it('a paragraph of mine that someone deletes on purpose (or a restore) stays deleted: the sender\'s own delete set names it', () => {
    const ada = new Side(/[a-z]/, true);
    const bob = new Side(/[A-Z]/, true);
    connect([ada, bob]);
    ada.type(1, 'abc');
    syncAll([ada, bob]);
    bob.edit((state) => state.tr.split(4).doc);
    bob.type(6, 'XYZ');
    syncAll([ada, bob]);
    expect(paragraphs(ada)).toEqual(['abc', 'XYZ']);
    // Ada selects Bob's whole paragraph and deletes it: she saw every character of it.
    ada.edit((state) => state.tr.delete(5, 10).doc);
    syncAll([ada, bob]);
    expect(paragraphs(bob)).toEqual(['abc']);
    expect(ada.view().eq(bob.view())).toBe(true);
  });

  it("a third person's keystroke typed after the one left behind goes along too", () => {
    const ada = new Side(/[a-z]/, true);
    const bob = new Side(/[A-Z]/, true);
    const cy = new Side(/[0-9]/, true);
    connect([ada, bob, cy]);
    ada.type(1, 'abcdefgh');
    syncAll([ada, bob, cy]);
    // Bob types "X" after "de"; Cy sees it and types "7" after it; Ada splits before either arrives.
    bob.type(6, 'X');
    bob.deliver(cy);
    cy.type(afterMyLast(bob) , '7');
    ada.edit((state) => state.tr.split(4).doc);
    syncAll([ada, bob, cy]);
    // Both in the second paragraph where they were typed; Bob's and Cy's moves are concurrent
    // insertions at one place, which Yjs orders by client.
    expect(paragraphs(ada)[0]).toBe('abc');
    expect(['deX7fgh', 'de7Xfgh']).toContain(paragraphs(ada)[1]);
    expect(bob.view().eq(ada.view())).toBe(true);
    expect(cy.view().eq(ada.view())).toBe(true);
  });

  it.each([
    [1, 'a fourth person splits or joins', 20261208],
    [2, 'two more people split or join the same paragraph at the same moment', 20261308],
  ])("keeps every typist's characters, in order, when %i mover(s): %s the paragraphs they type into (100 seeded random sessions)", (moverCount, _what, defaultSeed) => {
    const seed = Number(process.env.SEED ?? defaultSeed);
    const failed: string[] = [];
    for (let run = 0; run < 100; run++) { try {
      const random = seededRandom(seed + run);
      const id = (): number => Math.floor(random() * 2 ** 31);
      const typists = [new Side(/[a-z]/, true, id()), new Side(/[A-Z]/, true, id()), new Side(/[0-9]/, true, id())];
      const mover = new Side(/[α-ω]/, true, id());
      const movers = [mover, ...(moverCount > 1 ? [new Side(/[а-я]/, true, id())] : [])];
      const sides = [...typists, ...movers];
      const alphabets = ['abcdefghij', 'ABCDEFGHIJ', '0123456789'];
      const relay = new Relay(sides);
      const expected = typists.map(() => '');
      /** A typist types one character at a random place of what it shows. */
      const typeSomewhere = (i: number): void => {
        const side = typists[i]!;
        const doc = side.view();
        const paragraph = Math.floor(random() * doc.childCount);
        const end = endOfParagraph(doc, paragraph);
        const pos = end - Math.floor(random() * (doc.child(paragraph).content.size + 1));
        if (process.env.TRACE) console.log(`T${i} at ${pos} in ${paragraphs(side).join(' | ')}`);
        expected[i] = own(side.type(pos, alphabets[i]![Math.floor(random() * 10)]!).textContent, side.alphabet);
      };
      mover.type(1, 'αβγδεζηθ');
      mover.edit((state) => state.tr.split(5).doc);
      mover.type(endOfParagraph(mover.view(), 1), 'ικλμ');
      relay.settle();
      for (let k = 0; k < 9; k++) typeSomewhere(k % 3);
      relay.settle();
      // Everyone types on while the mover presses Enter somewhere or joins two paragraphs; each side
      // sends and receives at random moments, through the relay.
      const moveAt = Math.floor(random() * 8);
      for (let step = 0; step < 12; step++) {
        if (step === moveAt) {
          // Each mover joins a paragraph to the one before it or splits it, before anyone has the
          // other's change. With two movers it is the same paragraph: they move the same text.
          const paragraph = Math.floor(random() * Math.min(...movers.map((m) => m.view().childCount)));
          for (const m of movers) {
            const doc = m.view();
            if (random() < 0.5 && paragraph > 0) {
              const at = endOfParagraph(doc, paragraph - 1);
              m.edit((state) => state.tr.delete(at, at + 2).doc);
            } else {
              const end = endOfParagraph(doc, paragraph);
              m.edit((state) => state.tr.split(end - Math.floor(random() * (doc.child(paragraph).content.size + 1))).doc);
            }
          }
        } else {
          typeSomewhere(Math.floor(random() * 3));
        }
        if (process.env.TRACE && step === moveAt) console.log(`MOVE -> ${paragraphs(mover).join(' | ')}`);
        for (const side of sides) if (random() < 0.5) { if (process.env.TRACE) console.log(`  up ${sides.indexOf(side)}`); relay.upload(side); }
        for (const side of sides) if (random() < 0.5) { const n = 1 + Math.floor(random() * 2); if (process.env.TRACE) console.log(`  down ${sides.indexOf(side)} ${n}`); relay.download(side, n); }
        if (process.env.TRACE) for (const side of sides) console.log(`    view ${sides.indexOf(side)}: ${paragraphs(side).join(' | ')}`);
        for (const [i, side] of typists.entries()) {
          const shown = own(side.view().textContent, side.alphabet);
          // Two movers: a key in text only one of them had seen may stand out of place for a moment
          // (the copy that goes holds it; its mover moves it on); never missing, never twice.
          if (moverCount > 1) expect([...shown].sort().join(''), `seed ${seed + run}, step ${step}: typist ${i}'s characters as shown`).toBe([...expected[i]!].sort().join(''));
          else expect(shown, `seed ${seed + run}, step ${step}: typist ${i}'s characters as shown`).toBe(expected[i]);
        }
        // The moved text shows once everywhere, at every step: a second copy is never drawn.
        for (const [i, side] of sides.entries()) {
          expect(own(side.view().textContent, /[α-ω]/), `seed ${seed + run}, step ${step}: the moved text as side ${i} shows it (${paragraphs(side).join(' | ')})`).toBe('αβγδεζηθικλμ');
        }
      }
      relay.settle();
      if (process.env.TRACE) for (const side of sides) console.log(`    final ${sides.indexOf(side)}: ${paragraphs(side).join(' | ')}`);
      const finalDoc = mover.view();
      for (const [i, side] of sides.entries()) {
        expect(side.view().eq(finalDoc), `seed ${seed + run}: sides converge`).toBe(true);
        if (i < typists.length) expect(own(finalDoc.textContent, side.alphabet), `seed ${seed + run}: typist ${i}'s characters`).toBe(expected[i]);
      }
      expect(own(finalDoc.textContent, /[α-ω]/), `seed ${seed + run}: the moved text`).toBe('αβγδεζηθικλμ');
    } catch (e) {
      if (moverCount === 1 || (process.env.SEED !== undefined && !process.env.COLLECT)) throw e;
      failed.push(`${seed + run}: ${(e as Error).message.split('\n')[0]}`);
    } }
    // Two movers: the seeds that still fail (docs/y-prosemirror-patch.md, "Known limitations") must
    // stay the only ones; each is re-runnable alone with SEED=….
    if (failed.length > 0) console.log(`two movers, ${failed.length} of 100 sessions with a known finding:\n${failed.join('\n')}`);
    expect(failed.map((line) => Number(line.split(':')[0])).filter((s) => !KNOWN_TWO_MOVER_FINDINGS.includes(s))).toEqual([]);
  });

});

describe('paragraphs I start after text someone else splits at the same moment stay after it (paragraphOrder.ts)', () => {
  const para = (text: string) => schema.nodes.paragraph!.create(null, text === '' ? null : schema.text(text));
  /** Ada (a-z) wrote "xyz"; everyone has it. `adaLow`: Ada's client id is the lower (Yjs puts her new paragraphs first). */
  function setUp(adaLow: boolean, more: Side[] = []): { ada: Side; grace: Side; relay: Relay } {
    const ada = new Side(/[a-z]/, true, adaLow ? 100 : 300);
    const grace = new Side(/[A-Z]/, true, 200);
    const relay = new Relay([ada, grace, ...more]);
    ada.type(1, 'xyz');
    relay.settle();
    return { ada, grace, relay };
  }

  for (const adaLow of [true, false]) {
    it(`a paste of several paragraphs at the end of a line racing Enter earlier in it (Ada's client id ${adaLow ? 'lower' : 'higher'})`, () => {
      const { ada, grace, relay } = setUp(adaLow);
      // Grace presses Enter after "x" while Ada pastes three paragraphs after "z".
      grace.edit((state) => state.tr.split(2).doc);
      ada.edit((state) => state.tr.replace(4, 4, new Slice(Fragment.from(['gtj', 'ygp', 'nor'].map(para)), 1, 1)).doc);
      relay.settle();
      expect(paragraphs(ada)).toEqual(['x', 'yzgtj', 'ygp', 'nor']);
      expect(ada.view().eq(grace.view())).toBe(true);
    });

    it(`Enter at the end of a line and typing racing Enter earlier in it (Ada's client id ${adaLow ? 'lower' : 'higher'})`, () => {
      const { ada, grace, relay } = setUp(adaLow);
      grace.edit((state) => state.tr.split(2).doc);
      ada.edit((state) => state.tr.split(4).doc);
      ada.type(6, 'abc');
      relay.settle();
      expect(paragraphs(ada)).toEqual(['x', 'yz', 'abc']);
      expect(ada.view().eq(grace.view())).toBe(true);
      // Ada's next key goes after her "abc".
      ada.type(afterMyLast(ada), 'd');
      relay.settle();
      expect(paragraphs(grace)).toEqual(['x', 'yz', 'abcd']);
    });
  }

  it.each([[50, 100], [100, 50], [50, 300], [300, 50], [250, 300], [300, 250]])("a third person pasting paragraphs at the same place: mine still follow the split-off text (Cy's id %i, Ada's %i)", (cyId, adaId) => {
    const ada = new Side(/[a-z]/, true, adaId);
    const grace = new Side(/[A-Z]/, true, 200);
    const cy = new Side(/[0-9]/, true, cyId);
    const relay = new Relay([ada, grace, cy]);
    ada.type(1, 'xyz');
    ada.edit((state) => state.tr.split(4).doc);
    ada.type(6, 'end');
    relay.settle();
    // At the same moment: Grace presses Enter after "x", Ada pastes two paragraphs after "z", Cy
    // pastes two paragraphs at the start of "end".
    grace.edit((state) => state.tr.split(2).doc);
    ada.edit((state) => state.tr.replace(4, 4, new Slice(Fragment.from(['gtj', 'ygp'].map(para)), 1, 1)).doc);
    cy.edit((state) => state.tr.replace(6, 6, new Slice(Fragment.from(['78', '9', ''].map(para)), 1, 1)).doc);
    relay.settle();
    // Ada's and Cy's new paragraphs both follow the split-off text, in the order Yjs gives them
    // (both were made between the same two paragraphs at the same moment).
    const shown = paragraphs(ada);
    expect(shown.slice(0, 2)).toEqual(['x', 'yzgtj']);
    expect(shown.slice(2, 5).sort()).toEqual(['78', '9', 'ygp']);
    expect(shown.indexOf('78')).toBeLessThan(shown.indexOf('9'));
    expect(shown[5]).toBe('end');
    expect(grace.view().eq(ada.view())).toBe(true);
    expect(cy.view().eq(ada.view())).toBe(true);
  });

  it('a paragraph someone else has already typed into stays where they saw it', () => {
    const cy = new Side(/[0-9]/, true, 250);
    const { ada, grace, relay } = setUp(true, [cy]);
    ada.edit((state) => state.tr.replace(4, 4, new Slice(Fragment.from(['gtj', 'ygp'].map(para)), 1, 1)).doc);
    relay.upload(ada);
    grace.edit((state) => state.tr.split(2).doc);
    // Cy types "7" into Ada's new paragraph, and Ada has it before Grace's Enter reaches her.
    relay.download(cy, 1);
    cy.type(11, '7');
    relay.upload(cy);
    relay.upload(grace);
    relay.download(ada, 2);
    expect(paragraphs(ada)).toEqual(['x', 'yg7p', 'yzgtj']);
    relay.settle();
    expect(paragraphs(ada)).toEqual(['x', 'yg7p', 'yzgtj']);
    expect(grace.view().eq(ada.view())).toBe(true);
    expect(cy.view().eq(ada.view())).toBe(true);
  });

  it('an empty paragraph stays where it is (someone may already be typing into it there)', () => {
    const { ada, grace, relay } = setUp(true);
    grace.edit((state) => state.tr.split(2).doc);
    ada.edit((state) => state.tr.split(4).doc);
    relay.settle();
    expect(paragraphs(ada)).toEqual(['x', '', 'yz']);
    expect(ada.view().eq(grace.view())).toBe(true);
  });

  it.each([50, 250, 400])("a third person's key typed into the paragraph before it moved goes with it (their client id %i)", (cyId) => {
    const cy = new Side(/[0-9]/, true, cyId);
    const { ada, grace, relay } = setUp(true, [cy]);
    ada.edit((state) => state.tr.replace(4, 4, new Slice(Fragment.from(['gtj', 'ygp'].map(para)), 1, 1)).doc);
    relay.upload(ada);
    grace.edit((state) => state.tr.split(2).doc);
    relay.upload(grace);
    // Cy has Ada's paste, not yet Grace's Enter, and types "7" after "yg".
    relay.download(cy, 1);
    cy.type(11, '7');
    expect(paragraphs(cy)).toEqual(['xyzgtj', 'yg7p']);
    relay.upload(cy);
    relay.settle();
    expect(paragraphs(ada)).toEqual(['x', 'yzgtj', 'yg7p']);
    expect(grace.view().eq(ada.view())).toBe(true);
    expect(cy.view().eq(ada.view())).toBe(true);
  });
});

describe('a join into a paragraph someone else has just joined away (goneCopies.ts)', () => {
  for (const adaLow of [true, false]) for (const undo of [false, true]) {
    it(`keeps the text both joins moved (Ada's client id ${adaLow ? 'lower' : 'higher'}${undo ? '; undo managers keep the removed line from being collected, as in the editor' : ''})`, () => {
      // Ada (a-z) wrote "ab | cd" and pressed Enter after "a": "a | b | cd", which everyone has.
      const ada = new Side(/[a-z]/, true, adaLow ? 100 : 300);
      const grace = new Side(/[A-Z]/, true, 200);
      const cy = new Side(/[0-9]/, true, 250);
      if (undo) for (const side of [ada, grace, cy]) createUndoManager(side.fragment);
      const relay = new Relay([ada, grace, cy]);
      ada.edit((state) => state.tr.insertText('abcd', 1).split(3).split(2).doc);
      relay.settle();
      expect(paragraphs(grace)).toEqual(['a', 'b', 'cd']);
      // Ada joins "b" back (Backspace at its start) while Grace joins "cd" into "b": Grace's copy of
      // "cd" goes into the paragraph Ada's join deleted.
      ada.edit((state) => state.tr.delete(endOfParagraph(state.doc, 0), endOfParagraph(state.doc, 0) + 2).doc);
      grace.edit((state) => state.tr.delete(endOfParagraph(state.doc, 1), endOfParagraph(state.doc, 1) + 2).doc);
      relay.settle();
      expect(paragraphs(ada)).toEqual(['abcd']);
      expect(grace.view().eq(ada.view())).toBe(true);
      expect(cy.view().eq(ada.view())).toBe(true);
    });
  }
});

describe('a key typed at the start of a line someone joins into a line just joined away', () => {
  for (const adaLow of [true, false]) {
    it(`is kept (Ada's client id ${adaLow ? 'lower' : 'higher'})`, () => {
      // Soak seed 365 (two people; typing, Enter, joins, deletions), its last step in its simplest
      // form. "a | b | CD" (Grace's "CD"). Ada joins "b" into "a" and types "x" at the start of "CD";
      // Grace, having seen neither, joins "CD" into "b". Her copy of "CD" goes into a line gone on
      // Ada's page (goneCopies.ts), and Ada's "x", deleted with the line, has only the "C" to its
      // right to go by, whose place is worked out after the "x" in the same loop: the "x" was lost.
      const ada = new Side(/[a-z]/, true, adaLow ? 100 : 300);
      const grace = new Side(/[A-Z]/, true, 200);
      for (const side of [ada, grace]) createUndoManager(side.fragment);
      const relay = new Relay([ada, grace]);
      ada.edit((state) => state.tr.insertText('ab', 1).split(2).split(5).doc);
      relay.settle();
      grace.type(endOfParagraph(grace.view(), 2), 'CD');
      relay.settle();
      expect(paragraphs(ada)).toEqual(['a', 'b', 'CD']);
      ada.edit((state) => state.tr.delete(endOfParagraph(state.doc, 0), endOfParagraph(state.doc, 0) + 2).doc);
      ada.type(endOfParagraph(ada.view(), 0) + 2, 'x');
      expect(paragraphs(ada)).toEqual(['ab', 'xCD']);
      grace.edit((state) => state.tr.delete(endOfParagraph(state.doc, 1), endOfParagraph(state.doc, 1) + 2).doc);
      relay.settle();
      // Right after the "b" (Grace's page puts her "CD" there at the same moment: Yjs orders the two by client id).
      expect(['abxCD', 'abCDx']).toContain(paragraphs(ada).join('|'));
      expect(ada.view().eq(grace.view())).toBe(true);
    });
  }
});

describe('a line someone joins text into, which another person has just removed as empty', () => {
  for (const adaLow of [true, false]) {
    it(`keeps every key (Ada's client id ${adaLow ? 'lower' : 'higher'})`, () => {
      const ada = new Side(/[a-z]/, true, adaLow ? 100 : 300);
      const grace = new Side(/[A-Z]/, true, 200);
      const relay = new Relay([ada, grace]);
      for (const side of [ada, grace]) createUndoManager(side.fragment);
      // "ab | (empty) | c" by Ada, and Grace's "G" after the "c".
      ada.type(1, 'ab');
      ada.edit((state) => state.tr.split(3).split(5).doc);
      ada.type(endOfParagraph(ada.view(), 2), 'c');
      relay.settle();
      grace.type(endOfParagraph(grace.view(), 2), 'G');
      relay.settle();
      expect(paragraphs(ada)).toEqual(['ab', '', 'cG']);
      // At the same moment: Grace removes the empty line (Backspace in it); Ada types "xy" into it and
      // joins "cG" into it (Backspace at the start of "cG").
      grace.edit((state) => state.tr.delete(endOfParagraph(state.doc, 0), endOfParagraph(state.doc, 0) + 2).doc);
      ada.type(endOfParagraph(ada.view(), 1), 'xy');
      ada.edit((state) => state.tr.delete(endOfParagraph(state.doc, 1), endOfParagraph(state.doc, 1) + 2).doc);
      relay.settle();
      const shown = paragraphs(ada).join('|');
      expect(own(shown, /[A-Z]/)).toBe('G');
      expect(own(shown, /[a-z]/)).toBe('abxyc');
      expect(ada.view().eq(grace.view())).toBe(true);
    });
  }
});

describe("a key typed into a new paragraph at the same moment as someone else's first keys there", () => {
  for (const adaLow of [true, false]) {
    it(`goes along when that person joins the paragraph away (Ada's client id ${adaLow ? 'lower' : 'higher'})`, () => {
      const ada = new Side(/[a-z]/, true, adaLow ? 100 : 300);
      const grace = new Side(/[0-9]/, true, 200);
      const relay = new Relay([ada, grace]);
      ada.type(1, 'ab');
      ada.edit((state) => state.tr.split(3).doc);
      relay.settle();
      // Both type the first keys into the new empty paragraph at once (each binding makes its own
      // text there); Grace then sees Ada's, Ada not yet Grace's, and Ada joins the paragraph back.
      ada.type(endOfParagraph(ada.view(), 1), 'cd');
      grace.type(endOfParagraph(grace.view(), 1), '7');
      relay.upload(ada);
      relay.download(grace);
      ada.edit((state) => state.tr.delete(endOfParagraph(state.doc, 0), endOfParagraph(state.doc, 0) + 2).doc);
      relay.settle();
      expect(own(paragraphs(grace).join('|'), /[0-9]/)).toBe('7');
      expect(['abcd7', 'ab7cd']).toContain(paragraphs(grace).join('|'));
      expect(ada.view().eq(grace.view())).toBe(true);
    });

    it(`keys go along when the other person, not having seen them, types there too and joins the paragraph away (Ada's client id ${adaLow ? 'lower' : 'higher'})`, () => {
      // Soak seed 33 (two people; typing, Enter, joins, deletions), reduced. "ab | (empty) | z": Ada
      // types "cd" into the empty line while Grace types "7" there and joins the line into "ab"
      // (Backspace at its start), neither having seen the other's keys. Grace's join copies her "7"
      // and deletes the line, with Ada's "cd" in a text of its own beside Grace's. With Ada's text
      // first, the "c" (its right neighbour, the "d", not moved) was lost: "abd7".
      const ada = new Side(/[a-z]/, true, adaLow ? 100 : 300);
      const grace = new Side(/[0-9]/, true, 200);
      for (const side of [ada, grace]) createUndoManager(side.fragment);
      const relay = new Relay([ada, grace]);
      ada.type(1, 'ab');
      ada.edit((state) => state.tr.split(3).split(5).insertText('z', 7).doc);
      relay.settle();
      expect(paragraphs(grace)).toEqual(['ab', '', 'z']);
      ada.type(endOfParagraph(ada.view(), 1), 'cd');
      grace.type(endOfParagraph(grace.view(), 1), '7');
      grace.edit((state) => state.tr.delete(endOfParagraph(state.doc, 0), endOfParagraph(state.doc, 0) + 2).doc);
      relay.settle();
      expect(own(paragraphs(ada).join('|'), /[a-z]/)).toBe('abcdz');
      expect(['abcd7|z', 'ab7cd|z']).toContain(paragraphs(ada).join('|'));
      expect(ada.view().eq(grace.view())).toBe(true);
    });
  }
});

describe('sessions of the browserless soak that lost a key (npm run soak:binding)', () => {
  // Two people typing, pressing Enter and joining lines: each seed lost a key before its fix (90:
  // goneCopies.ts; 16: texts side by side; 143: a line removed while still empty; 94: a copy that
  // went too). Other findings (a key shown twice for a moment, out of order) are taken as they are.
  it.each([16, 90, 94, 143])('seed %i loses nothing', (seed) => {
    expect(session(seed, { people: 2, kinds: ['type', 'enter', 'join'], only: 'lost' })).toBeNull();
  });

  // Typing, Enter, joins and deletions: seeds 33 and 311 lost a key (keys typed into an empty line
  // beside someone's first keys there, who joined the line away unseen: the first of them stayed);
  // 121, 134, 224 and 365 a key deleted with its line whose right neighbour was placed after it.
  it.each([33, 311, 121, 134, 224, 365])('seed %i (typing, Enter, joins, deletions) loses nothing', (seed) => {
    expect(session(seed, { people: 2, kinds: ['type', 'enter', 'join', 'del'], only: 'lost' })).toBeNull();
  });

  // Typing, joins and deletions: seed 426 lost a key (both joined the same line at once, one into a
  // line they had emptied); every loss of that soak's 500 sessions (9) was this shape.
  it.each([426, 358, 442])('seed %i (typing, joins, deletions) loses nothing', (seed) => {
    expect(session(seed, { people: 2, kinds: ['type', 'join', 'del'], only: 'lost' })).toBeNull();
  });

  it.each([true, false])(
    'both joining the second line at once, one of them into a first line they had emptied, keeps its text (Ada first: %s)',
    (adaLow) => {
      // Ada wrote "ab" | "c". She deletes "ab" and joins "c" into the empty line: her editor writes that
      // as deleting the empty first paragraph. Grace, not having seen the deletion, joins "c" into
      // "ab": deleting the second paragraph, copying "c" into the first. Both paragraphs were gone.
      const ada = new Side(/[a-z]/, true, adaLow ? 10 : 30);
      const grace = new Side(/[A-Z]/, true, adaLow ? 30 : 10);
      for (const side of [ada, grace]) createUndoManager(side.fragment);
      const relay = new Relay([ada, grace]);
      ada.edit((state) => state.tr.insertText('abc', 1).split(3).doc);
      relay.settle();
      ada.edit((state) => state.tr.delete(1, 3).doc);
      relay.upload(ada);
      grace.edit((state) => state.tr.delete(state.doc.child(0).nodeSize - 1, state.doc.child(0).nodeSize + 1).doc);
      ada.edit((state) => state.tr.delete(state.doc.child(0).nodeSize - 1, state.doc.child(0).nodeSize + 1).doc);
      relay.settle();
      expect(ada.view().textContent).toBe('c');
      expect(ada.view().eq(grace.view())).toBe(true);
    },
  );

  // Seed 279 (typing, Enter, joins, deletions) lost two keys in this shape.
  it('seed 279 (typing, Enter, joins, deletions) loses nothing', () => {
    expect(session(279, { people: 2, kinds: ['type', 'enter', 'join', 'del'], only: 'lost' })).toBeNull();
  });

  for (const adaLow of [true, false]) for (const undo of [false, true]) {
    it(`a key typed into a line someone joins into a line its typist removed as empty goes along (Ada's client id ${adaLow ? 'lower' : 'higher'}${undo ? ', undo managers' : ''})`, () => {
      // "(empty) | b" by Ada. Grace types "G" after the "b" and removes the empty first line
      // (Backspace at the start of "bG": y-prosemirror deletes the empty line). Ada, having seen
      // neither, types "a" into the first line and joins "b" into it: her copy of "b" goes into a
      // line Grace's page has removed, and Grace's "G", which Ada never saw, is deleted with "b"'s line.
      const ada = new Side(/[a-z]/, true, adaLow ? 10 : 30);
      const grace = new Side(/[A-Z]/, true, adaLow ? 30 : 10);
      if (undo) for (const side of [ada, grace]) createUndoManager(side.fragment);
      const relay = new Relay([ada, grace]);
      ada.edit((state) => state.tr.insertText('b', 1).split(1).doc);
      relay.settle();
      expect(paragraphs(grace)).toEqual(['', 'b']);
      grace.type(endOfParagraph(grace.view(), 1), 'G');
      grace.edit((state) => state.tr.delete(endOfParagraph(state.doc, 0), endOfParagraph(state.doc, 0) + 2).doc);
      ada.type(1, 'a');
      ada.edit((state) => state.tr.delete(endOfParagraph(state.doc, 0), endOfParagraph(state.doc, 0) + 2).doc);
      relay.upload(ada);
      relay.download(grace);
      expect(own(paragraphs(grace).join('|'), /[A-Z]/)).toBe('G');
      relay.settle();
      const shown = paragraphs(ada).join('|');
      expect(own(shown, /[A-Z]/)).toBe('G');
      expect(own(shown, /[a-z]/)).toBe('ab');
      expect(shown.indexOf('G')).toBeGreaterThan(shown.indexOf('b'));
      expect(grace.view().eq(ada.view())).toBe(true);
    });
  }

  // Seed 121 (typing, Enter, joins, deletions) lost two keys in this shape.
  it('seed 121 (typing, Enter, joins, deletions) loses nothing', () => {
    expect(session(121, { people: 2, kinds: ['type', 'enter', 'join', 'del'], only: 'lost' })).toBeNull();
  });

  for (const adaLow of [true, false]) for (const undo of [false, true]) {
    it(`keys in two lines joined one after the other into a line their typist removed as empty stay, in order (Ada's client id ${adaLow ? 'lower' : 'higher'}${undo ? ', undo managers' : ''})`, () => {
      // "(empty) | BD | cE", everyone has it. Grace removes the empty first line; Ada, not having
      // seen that, types "a" into it and joins the two lines after it into it, one after the other.
      // On Grace's page the first join's copy of "BD" goes into the removed line: her page puts "BD"
      // at the start of the next line, "cE", which the second join then deletes, never having seen
      // "BD" there (its copy of "cE" goes into the removed line too).
      const ada = new Side(/[a-z]/, true, adaLow ? 10 : 30);
      const grace = new Side(/[A-Z]/, true, adaLow ? 30 : 10);
      if (undo) for (const side of [ada, grace]) createUndoManager(side.fragment);
      const relay = new Relay([ada, grace]);
      ada.edit((state) => state.tr.insertText('c', 1).split(1).split(1).doc);
      relay.settle();
      grace.type(endOfParagraph(grace.view(), 1), 'BD');
      grace.type(endOfParagraph(grace.view(), 2), 'E');
      relay.settle();
      expect(paragraphs(ada)).toEqual(['', 'BD', 'cE']);
      grace.edit((state) => state.tr.delete(endOfParagraph(state.doc, 0), endOfParagraph(state.doc, 0) + 2).doc);
      ada.type(1, 'a');
      ada.edit((state) => state.tr.delete(endOfParagraph(state.doc, 0), endOfParagraph(state.doc, 0) + 2).doc);
      ada.edit((state) => state.tr.delete(endOfParagraph(state.doc, 0), endOfParagraph(state.doc, 0) + 2).doc);
      relay.upload(ada);
      relay.download(grace, 2);
      expect(own(paragraphs(grace).join('|'), /[A-Z]/)).toBe('BDE');
      relay.download(grace);
      expect(own(paragraphs(grace).join('|'), /[A-Z]/)).toBe('BDE');
      relay.settle();
      const shown = paragraphs(ada).join('|');
      expect(own(shown, /[A-Z]/)).toBe('BDE');
      expect(own(shown, /[a-z]/)).toBe('ac');
      expect(grace.view().eq(ada.view())).toBe(true);
    });
  }
  // Seed 367 (typing, Enter, joins, deletions) lost a key in this shape.
  it('seed 367 (typing, Enter, joins, deletions) loses nothing', () => {
    expect(session(367, { people: 2, kinds: ['type', 'enter', 'join', 'del'], only: 'lost' })).toBeNull();
  });

  for (const adaLow of [true, false]) {
    it(`a key after a copy that loses, whose winning copy the same change deleted with its line, stays (Ada's client id ${adaLow ? 'lower' : 'higher'})`, () => {
      // " | ab | c" by Ada, everyone has the empty first line. Ada splits "ab" after the "a" while Grace
      // joins "c" into "ab": on Ada's page Grace's copy of "c" lands after the "b" her split took away
      // ("ac | b"), and Ada joins "b" back after it ("acb"). Grace, having seen neither, types "AB" into
      // the first line and joins her "abc" into it (copying a, b and her "c"). On Ada's page "b" has
      // two copies then, Grace's and Ada's; Ada's, later in the document, stays, but Grace's join has
      // just deleted it with its line. Grace's copy of "c" (Ada's key) was sent after that deleted
      // copy, into the deleted line: lost (`ABab`).
      const ada = new Side(/[a-z]/, true, adaLow ? 10 : 30);
      const grace = new Side(/[A-Z]/, true, adaLow ? 30 : 10);
      for (const side of [ada, grace]) createUndoManager(side.fragment);
      const relay = new Relay([ada, grace]);
      ada.edit((state) => state.tr.insertText('abc', 1).split(3).split(1).doc);
      relay.settle();
      expect(paragraphs(grace)).toEqual(['', 'ab', 'c']);
      grace.edit((state) => state.tr.delete(endOfParagraph(state.doc, 1), endOfParagraph(state.doc, 1) + 2).doc);
      ada.edit((state) => state.tr.split(endOfParagraph(state.doc, 1) - 1).doc);
      grace.type(1, 'AB');
      grace.edit((state) => state.tr.delete(endOfParagraph(state.doc, 0), endOfParagraph(state.doc, 0) + 2).doc);
      expect(paragraphs(grace)).toEqual(['ABabc']);
      relay.upload(grace);
      relay.download(ada, 1);
      ada.edit((state) => state.tr.delete(endOfParagraph(state.doc, 1), endOfParagraph(state.doc, 1) + 2).doc);
      expect(paragraphs(ada)).toEqual(['', 'acb']);
      relay.download(ada);
      expect(paragraphs(ada)).toEqual(['ABacb']);
      relay.settle();
      expect(paragraphs(ada)).toEqual(['ABacb']);
      expect(grace.view().eq(ada.view())).toBe(true);
    });
  }

  // Seeds 380 (typing, Enter, joins, deletions) and 402 (with paste) lost a key that had shown twice:
  // someone deleted one copy and the other went as the losing duplicate (shape below).
  it('seed 380 (typing, Enter, joins, deletions) loses nothing', () => {
    expect(session(380, { people: 2, kinds: ['type', 'enter', 'join', 'del'], only: 'lost' })).toBeNull();
  });
  it('seed 402 (typing, Enter, joins, deletions, paste) loses nothing', () => {
    expect(session(402, { people: 2, kinds: ['type', 'enter', 'join', 'del', 'paste'], only: 'lost' })).toBeNull();
  });

  for (const adaLow of [true, false]) {
    it(`a copy that lost, moved on by its mover before my deletion of it reached them, does not show again (Ada's client id ${adaLow ? 'lower' : 'higher'})`, () => {
      // Ada's "abcdef". One person presses Enter after "abc"; the other, not having seen it, after "ab"
      // and again after "cde" (taking their copy of "f" on to a line of its own). Two splits' new lines
      // are ordered by client id; the second mover is the one with the lower id, so the first mover's
      // copy of "def" stays, and the first mover's page deletes the second's copies as it gets their
      // first Enter. Their second Enter then deletes a copy of "f" already deleted there and makes
      // another: it showed ("ab | c | f | def"), and deleting either "f" lost both (seeds 380, 402).
      const ada = new Side(/[a-z]/, true, adaLow ? 10 : 30);
      const grace = new Side(/[A-Z]/, true, adaLow ? 30 : 10);
      for (const side of [ada, grace]) createUndoManager(side.fragment);
      const relay = new Relay([ada, grace]);
      ada.type(1, 'abcdef');
      relay.settle();
      const [first, second] = adaLow ? [grace, ada] : [ada, grace];
      first.edit((state) => state.tr.split(4).doc);
      second.edit((state) => state.tr.split(3).doc);
      second.edit((state) => state.tr.split(endOfParagraph(state.doc, 1) - 1).doc);
      expect(paragraphs(second)).toEqual(['ab', 'cde', 'f']);
      relay.upload(second);
      relay.download(first, 1);
      expect(own(paragraphs(first).join(''), /[a-z]/)).toBe('abcdef');
      relay.download(first);
      expect(own(paragraphs(first).join(''), /[a-z]/), paragraphs(first).join(' | ')).toBe('abcdef');
      relay.upload(first);
      relay.download(second);
      expect(own(paragraphs(second).join(''), /[a-z]/)).toBe('abcdef');
      relay.settle();
      expect(own(paragraphs(ada).join(''), /[a-z]/)).toBe('abcdef');
      expect(grace.view().eq(ada.view())).toBe(true);
    });
  }

  // Four people, typing, Enter, joins and deletions: every seed here lost a key in the shape below.
  it.each([20, 272, 275, 305])('seed %i (four people; typing, Enter, joins, deletions) loses nothing', (seed) => {
    expect(session(seed, { people: 4, kinds: ['type', 'enter', 'join', 'del'], only: 'lost' })).toBeNull();
  });

  // Client ids: Ada, Grace, Cy (each of them the lowest once).
  for (const ids of [[10, 20, 30], [30, 10, 20], [20, 30, 10]]) {
    // The order the three changes reach the server: the removal last, or between the two keys.
    for (const order of [['ada', 'grace', 'cy'], ['grace', 'ada', 'cy'], ['ada', 'cy', 'grace'], ['grace', 'cy', 'ada']]) {
      it(`two people's first keys in an empty line a third removes at the same moment both stay (ids ${ids.join('/')}, arriving ${order.join(', ')})`, () => {
        // "12 | (empty) | 3" by Cy, everyone has it. Ada types "x" into the empty line, Grace "G", Cy
        // removes the line (Backspace at its start: y-prosemirror deletes the empty paragraph), none
        // having seen the others' change. A page that got the other typist's key before the removal
        // took that key for one the remover had seen, so it did not put its own key anywhere: lost.
        const ada = new Side(/[a-z]/, true, ids[0]);
        const grace = new Side(/[A-Z]/, true, ids[1]);
        const cy = new Side(/[0-9]/, true, ids[2]);
        const sides = { ada, grace, cy };
        for (const side of Object.values(sides)) createUndoManager(side.fragment);
        const relay = new Relay(Object.values(sides));
        cy.edit((state) => state.tr.insertText('12', 1).split(3).split(5).insertText('3', 7).doc);
        relay.settle();
        expect(paragraphs(ada)).toEqual(['12', '', '3']);
        ada.type(endOfParagraph(ada.view(), 1), 'x');
        grace.type(endOfParagraph(grace.view(), 1), 'G');
        cy.edit((state) => state.tr.delete(endOfParagraph(state.doc, 0), endOfParagraph(state.doc, 0) + 2).doc);
        for (const name of order) relay.upload(sides[name as keyof typeof sides]);
        relay.settle();
        // Both at the end of the line the removal kept, in either order (Yjs orders them by client id).
        expect(['12xG|3', '12Gx|3']).toContain(paragraphs(ada).join('|'));
        expect(grace.view().eq(ada.view())).toBe(true);
        expect(cy.view().eq(ada.view())).toBe(true);
      });
    }
  }

  // Four people, typing, Enter, joins and deletions: seed 472 lost a key (with paste: 489) in the
  // shape below; a third page showed it twice, its user deleted one copy, the key's author's page
  // the other as the duplicate.
  it('seed 472 (four people; typing, Enter, joins, deletions) loses nothing', () => {
    expect(session(472, { people: 4, kinds: ['type', 'enter', 'join', 'del'], only: 'lost' })).toBeNull();
  });
  // 48 lost a key with a first version of the fix (a losing copy the rebase deleted, paired with a key it moved).
  it.each([489, 48])('seed %i (four people; typing, Enter, joins, deletions, paste) loses nothing', (seed) => {
    expect(session(seed, { people: 4, kinds: ['type', 'enter', 'join', 'del', 'paste'], only: 'lost' })).toBeNull();
  });

  // Client ids: Ada, Grace, Olga (Ada's below Grace's: Yjs then puts Ada's joined "c" before Grace's "G").
  for (const ids of [[10, 20, 30], [10, 30, 20], [20, 30, 10]]) {
    // Whether Grace's rebase reaches the server before Ada's Enter or after it.
    for (const rebaseFirst of [true, false]) {
      it(`a key its author's rebase moved, which someone's Enter moved too, shows once on a third page (ids ${ids.join('/')}, ${rebaseFirst ? 'rebase' : 'Enter'} first)`, () => {
        // "ab | c" by Ada, everyone has it. Ada joins "c" into "ab"; Grace, not having seen it, types
        // "G" after "b". On Grace's page Yjs puts her "G" after Ada's joined "c", so her rebase moves
        // it before (deleting "G", inserting a new one). Ada, having got only Grace's "G" ("abcG"),
        // presses Enter after "a", moving "bcG", the old "G" too. Olga's page did not take Grace's
        // rebase for a move (it makes no paragraph), so knew one copy of "G" only: it showed
        // "aG | bcG". Olga deleting one of them, Grace's page then deleted the other as the duplicate:
        // lost (seed 472).
        const ada = new Side(/[a-z]/, true, ids[0]);
        const grace = new Side(/[A-Z]/, true, ids[1]);
        const olga = new Side(/[0-9]/, true, ids[2]);
        for (const side of [ada, grace, olga]) createUndoManager(side.fragment);
        const relay = new Relay([ada, grace, olga]);
        ada.edit((state) => state.tr.insertText('abc', 1).split(3).doc);
        relay.settle();
        ada.edit((state) => state.tr.delete(endOfParagraph(state.doc, 0), endOfParagraph(state.doc, 0) + 2).doc);
        relay.upload(ada);
        grace.type(endOfParagraph(grace.view(), 0), 'G');
        relay.upload(grace);
        relay.download(grace);
        expect(paragraphs(grace)).toEqual(['abGc']);
        relay.download(ada);
        expect(paragraphs(ada)).toEqual(['abcG']);
        if (rebaseFirst) relay.upload(grace);
        ada.edit((state) => state.tr.split(2).doc);
        relay.upload(ada);
        relay.upload(grace);
        for (const side of [olga, ada, grace]) {
          relay.download(side);
          expect(own(paragraphs(side).join(''), /[A-Z]/), paragraphs(side).join(' | ')).toBe('G');
        }
        relay.settle();
        expect(own(paragraphs(olga).join(''), /[a-zA-Z]/)).toMatch(/^a(bGc|bcG)$/);
        expect(ada.view().eq(olga.view())).toBe(true);
        expect(grace.view().eq(olga.view())).toBe(true);
      });
    }
  }

  // Two people, typing, Enter, joins and deletions: seed 5024 lost four keys in the shape below.
  it('seed 5024 (typing, Enter, joins, deletions) loses nothing', () => {
    expect(session(5024, { people: 2, kinds: ['type', 'enter', 'join', 'del'], only: 'lost' })).toBeNull();
  });

  // Client ids: Ada, Grace, Olga.
  for (const ids of [[10, 20, 30], [20, 10, 30], [30, 20, 10]]) {
    // Whether Grace's join reaches the server before Ada's keys or after them.
    for (const joinFirst of [true, false]) {
      it(`a key typed before a line's text, which its typist split off and joined back while someone joined the line away, stays with it (ids ${ids.join('/')}, ${joinFirst ? 'join' : 'keys'} first)`, () => {
        // "a | c" by Ada, everyone has it. Grace joins "c" into "a". Ada, not having seen it, types "x"
        // before the "c", presses Enter after the "x" and Backspace ("a | xc"): her copy of "c", made
        // in the line after, is the copy that stays, and Grace's join deleted its line. Ada's page put
        // the "x" before that copy, back into the deleted line, and the copy after the "x": "a".
        const ada = new Side(/[a-z]/, true, ids[0]);
        const grace = new Side(/[A-Z]/, true, ids[1]);
        const olga = new Side(/[0-9]/, true, ids[2]);
        for (const side of [ada, grace, olga]) createUndoManager(side.fragment);
        const relay = new Relay([ada, grace, olga]);
        ada.edit((state) => state.tr.insertText('ac', 1).split(2).doc);
        relay.settle();
        grace.edit((state) => state.tr.delete(endOfParagraph(state.doc, 0), endOfParagraph(state.doc, 0) + 2).doc);
        if (joinFirst) relay.upload(grace);
        ada.type(endOfParagraph(ada.view(), 0) + 2, 'x');
        ada.edit((state) => state.tr.split(endOfParagraph(state.doc, 0) + 3).doc);
        ada.edit((state) => state.tr.delete(endOfParagraph(state.doc, 1), endOfParagraph(state.doc, 1) + 2).doc);
        expect(paragraphs(ada)).toEqual(['a', 'xc']);
        relay.upload(ada);
        relay.upload(grace);
        relay.download(ada);
        expect(paragraphs(ada)).toEqual(['axc']);
        relay.settle();
        for (const side of [grace, olga]) expect(paragraphs(side)).toEqual(['axc']);
      });
    }
  }

  // Four people, typing, Enter, joins and deletions: seeds 5270 and 5372 lost keys (5270 in the
  // shape below).
  it.each([5270, 5372])('seed %i (four people; typing, Enter, joins, deletions) loses nothing', (seed) => {
    expect(session(seed, { people: 4, kinds: ['type', 'enter', 'join', 'del'], only: 'lost' })).toBeNull();
  });

  // Client ids: Ada, Bob, Grace.
  for (const ids of [[10, 20, 30], [30, 20, 10], [20, 30, 10]]) {
    // Whether Grace's join reaches the server before Bob's keys or after them.
    for (const joinFirst of [true, false]) {
      it(`keys typed before someone else's text, split off and joined back by their typist while a third person joined the line away, stay (ids ${ids.join('/')}, ${joinFirst ? 'join' : 'keys'} first)`, () => {
        // "a | c" by Ada, everyone has it. Grace joins "c" into "a". Bob, not having seen it, types
        // "12" before the "c", presses Enter after the "1" and Backspace: his copy of Ada's "c" stays
        // (later in the document), in the line Grace's join deleted. Bob's page put his "1" and "2"
        // before it, back into the deleted line: lost. Ada's page puts her "c" back.
        const ada = new Side(/[a-z]/, true, ids[0]);
        const bob = new Side(/[0-9]/, true, ids[1]);
        const grace = new Side(/[A-Z]/, true, ids[2]);
        for (const side of [ada, bob, grace]) createUndoManager(side.fragment);
        const relay = new Relay([ada, bob, grace]);
        ada.edit((state) => state.tr.insertText('ac', 1).split(2).doc);
        relay.settle();
        grace.edit((state) => state.tr.delete(endOfParagraph(state.doc, 0), endOfParagraph(state.doc, 0) + 2).doc);
        if (joinFirst) relay.upload(grace);
        bob.type(endOfParagraph(bob.view(), 0) + 2, '12');
        bob.edit((state) => state.tr.split(endOfParagraph(state.doc, 0) + 3).doc);
        bob.edit((state) => state.tr.delete(endOfParagraph(state.doc, 1), endOfParagraph(state.doc, 1) + 2).doc);
        expect(paragraphs(bob)).toEqual(['a', '12c']);
        relay.upload(bob);
        relay.upload(grace);
        relay.download(bob);
        expect(own(paragraphs(bob).join(''), /[0-9]/)).toBe('12');
        relay.settle();
        for (const side of [ada, bob, grace]) expect(paragraphs(side)).toEqual(['a12c']);
      });
    }
  }
  // Client ids: Ada, Grace (below Ada's, so her copies stand first), Olga (who only watches).
  for (const ids of [[30, 10, 20], [20, 10, 30], [30, 20, 10]]) {
    // Whether Grace's join reaches the server before Ada's changes or after them.
    for (const joinFirst of [false, true]) {
      it(`copies that stay of a line two people joined at once are not moved after a key the losing copies carried (ids ${ids.join('/')}, ${joinFirst ? 'join' : 'Ada'} first)`, () => {
        // "ab | c" by Ada, everyone has it. Grace types "ABC" before the "c" and presses Enter after
        // the "A" ("ab | A | BCc"). Ada, not having seen it, deletes the "c"; then, having Grace's
        // keys and Enter, joins "BC" back into "A", joins that into "ab" and presses Enter after the
        // "B". Grace, at the same time, joined "BCc" back into "A". On Grace's page both joins'
        // copies end that line, hers first (her copy of the "c" with them, Ada's join had none):
        // hers lose, her "c" follows her losing "C" to Ada's "C", and Ada's copies, standing after
        // that "c", were taken for keys left behind after it: Grace's page moved them after Ada's
        // "C" (a move no other page knew). Ada's next join and Enter copied the old ones, and one
        // "C" was deleted on each page as the duplicate of the other (soak seed 9038).
        const ada = new Side(/[a-z]/, true, ids[0]);
        const grace = new Side(/[A-Z]/, true, ids[1]);
        const olga = new Side(/[0-9]/, true, ids[2]);
        const sides = [ada, grace, olga];
        for (const side of sides) createUndoManager(side.fragment);
        const relay = new Relay(sides);
        ada.edit((state) => state.tr.insertText('abc', 1).split(3).doc);
        relay.settle();
        grace.type(endOfParagraph(grace.view(), 0) + 2, 'ABC');
        grace.edit((state) => state.tr.split(endOfParagraph(state.doc, 0) + 3).doc);
        expect(paragraphs(grace)).toEqual(['ab', 'A', 'BCc']);
        relay.upload(grace);
        ada.edit((state) => state.tr.delete(endOfParagraph(state.doc, 0) + 2, endOfParagraph(state.doc, 0) + 3).doc);
        grace.edit((state) => state.tr.delete(endOfParagraph(state.doc, 1), endOfParagraph(state.doc, 1) + 2).doc);
        expect(paragraphs(grace)).toEqual(['ab', 'ABCc']);
        if (joinFirst) relay.upload(grace);
        relay.download(ada, 2);
        expect(paragraphs(ada)).toEqual(['ab', 'A', 'BC']);
        ada.edit((state) => state.tr.delete(endOfParagraph(state.doc, 1), endOfParagraph(state.doc, 1) + 2).doc);
        ada.edit((state) => state.tr.delete(endOfParagraph(state.doc, 0), endOfParagraph(state.doc, 0) + 2).doc);
        ada.edit((state) => state.tr.split(endOfParagraph(state.doc, 0) - 1).doc);
        expect(paragraphs(ada)).toEqual(['abAB', 'C']);
        // Grace's keys a page has shown, each of which it must go on showing, once.
        const shown = new Map(sides.map((side) => [side, new Set<string>()]));
        const keysKept = (): void => {
          for (const side of sides) {
            const text = paragraphs(side).join('');
            const keys = own(text, /[A-Z]/);
            for (const key of shown.get(side)!) expect(keys).toContain(key);
            expect(new Set(keys).size).toBe(keys.length);
            for (const key of keys) shown.get(side)!.add(key);
            // Ada's deleted "c" may show elsewhere until Ada's page deletes Grace's copy of it.
            expect(own(text, /[abd-z]/)).toBe('ab');
          }
        };
        // One update at a time to each page: every page keeps every key after each.
        for (let round = 0; round < 12; round++) {
          for (const side of sides) relay.upload(side);
          for (const side of [grace, olga, ada]) {
            relay.download(side, 1);
            keysKept();
          }
        }
        relay.settle();
        keysKept();
        for (const side of sides) expect(paragraphs(side)).toEqual(['abAB', 'C']);
      });
    }
  }
  // Client ids: Ada, Grace, Bob. Whether Grace's joins reach the server before Bob's change or after.
  for (const ids of [[30, 10, 20], [10, 20, 30], [20, 30, 10]]) {
    for (const joinsFirst of [true, false]) {
      it(`a copy that shows is not deleted for one gone with its line before (ids ${ids.join('/')}, ${joinsFirst ? 'joins' : 'Bob'} first)`, () => {
        // "ab | c" by Ada, everyone has it. Grace pastes an empty line and "A" before the "c" and
        // presses Enter at the start of "ab" ("(empty) | ab | (empty) | Ac"), then removes the first
        // empty line, the second, and joins "Ac" into "ab". Bob, having her paste and Enter only,
        // types "1" into the second empty line and joins "Ac" into it. On Bob's page Grace's copies
        // of "Ac" lost to his, which stand later but went with the line Grace had removed: his page
        // deleted Grace's copy of Ada's "c", and Ada's page, where Bob's copy arrived into a removed
        // line and the line of the "c" it copied was collected, had nothing to put back (soak seed 5465).
        const ada = new Side(/[a-z]/, true, ids[0]);
        const grace = new Side(/[A-Z]/, true, ids[1]);
        const bob = new Side(/[0-9]/, true, ids[2]);
        const sides = [ada, grace, bob];
        for (const side of sides) createUndoManager(side.fragment);
        const relay = new Relay(sides);
        ada.edit((state) => state.tr.insertText('abc', 1).split(3).doc);
        relay.settle();
        const lines = Fragment.from([schema.nodes.paragraph!.create(), schema.nodes.paragraph!.create(null, schema.text('A'))]);
        grace.edit((state) => state.tr.replace(endOfParagraph(state.doc, 0) + 2, endOfParagraph(state.doc, 0) + 2, new Slice(lines, 1, 1)).doc);
        grace.edit((state) => state.tr.split(1).doc);
        expect(paragraphs(grace)).toEqual(['', 'ab', '', 'Ac']);
        relay.upload(grace);
        for (let join = 0; join < 3; join++) grace.edit((state) => state.tr.delete(endOfParagraph(state.doc, 0), endOfParagraph(state.doc, 0) + 2).doc);
        expect(paragraphs(grace)).toEqual(['abAc']);
        if (joinsFirst) relay.upload(grace);
        relay.download(bob, 2);
        bob.type(endOfParagraph(bob.view(), 2), '1');
        bob.edit((state) => state.tr.delete(endOfParagraph(state.doc, 2), endOfParagraph(state.doc, 2) + 2).doc);
        expect(paragraphs(bob)).toEqual(['', 'ab', '1Ac']);
        // Ada's page shows each of her keys once after each delivery (another page may miss one
        // until her page puts it back).
        const keysKept = (): void => expect(own(paragraphs(ada).join(''), /[a-z]/)).toBe('abc');
        for (let round = 0; round < 12; round++) {
          for (const side of sides) relay.upload(side);
          for (const side of [ada, bob, grace]) {
            relay.download(side, 1);
            keysKept();
          }
        }
        relay.settle();
        keysKept();
        for (const side of sides) expect(own(paragraphs(side).join(''), /[a-z]/)).toBe('abc');
      });
    }
  }

  // Four people with paste, seed 5465 (the shape above); two people, seed 9038 (after the shape
  // before it, Ada's page put back a "c" beside her own copy, she deleted one, and Grace's page then
  // deleted the other for the one Ada's join had taken with the line Grace removed).
  it('seed 5465 (four people; typing, Enter, joins, deletions, paste) loses nothing', () => {
    expect(session(5465, { people: 4, kinds: ['type', 'enter', 'join', 'del', 'paste'], only: 'lost' })).toBeNull();
  });
  it('seed 9038 (two people; typing, Enter, joins, deletions) loses nothing', () => {
    expect(session(9038, { people: 2, kinds: ['type', 'enter', 'join', 'del'], only: 'lost' })).toBeNull();
  });
});

describe('sessions of the browserless soak that doubled a key (npm run soak:binding)', () => {
  for (const adaLow of [true, false]) {
    for (const undo of [false, true]) {
      it(`a key moved into a line that was then joined away, copied again by a later Enter of the mover, shows once (Ada's client id ${adaLow ? 'lower' : 'higher'}${undo ? ', undo managers' : ''})`, () => {
        // Ada types "x" after her "ab". Grace, not having seen it, presses Enter after the "a" and joins
        // the "b" back (Backspace). Ada's page moves the "x" along both times: into Grace's new line,
        // then on into the first line when the join deletes that line, and Yjs collects the deleted
        // line with Ada's first copy of "x" in it. Grace then gets the "x" (after her deleted "b") and
        // presses Enter after the "a" again, copying the original "x" a second time. Ada's page could
        // not tell where its collected copy stood, so it never chose between the copies: "a | bxx"
        // (soak seed 42).
        const ada = new Side(/[a-z]/, true, adaLow ? 10 : 30);
        const grace = new Side(/[A-Z]/, true, adaLow ? 30 : 10);
        if (undo) for (const side of [ada, grace]) createUndoManager(side.fragment);
        const relay = new Relay([ada, grace]);
        ada.type(1, 'ab');
        relay.settle();
        ada.type(3, 'x');
        relay.upload(ada);
        grace.edit((state) => state.tr.split(2).doc);
        grace.edit((state) => state.tr.delete(endOfParagraph(state.doc, 0), endOfParagraph(state.doc, 0) + 2).doc);
        expect(paragraphs(grace)).toEqual(['ab']);
        relay.upload(grace);
        relay.download(ada);
        expect(paragraphs(ada)).toEqual(['abx']);
        // Grace has the "x" (after her deleted "b": with Ada's id the lower, Yjs puts it before her
        // copy of the "b" until Ada's page moves it) and not yet Ada's moves of it.
        relay.download(grace);
        expect(own(paragraphs(grace).join(''), /[a-z]/)).toBe(adaLow ? 'axb' : 'abx');
        grace.edit((state) => state.tr.split(2).doc);
        relay.upload(grace);
        relay.download(ada);
        // Without the fix: "a | bxx" (Ada's id the higher), "a | xbx" (the lower). With Ada's id the
        // lower, the copy that stays is the one Ada's page made (Grace's first new line, where it was
        // made, stands after her second), and the line break lands after the "b": "ab | x".
        expect(paragraphs(ada).join('')).toBe('abx');
        relay.settle();
        expect(paragraphs(ada).join('')).toBe('abx');
        expect(grace.view().eq(ada.view())).toBe(true);
      });
    }
  }

  for (const adaLow of [true, false]) {
    it(`a key someone joined into a line I had removed, which my own join had already moved, is not put back a second time (Ada's client id ${adaLow ? 'lower' : 'higher'}, undo managers)`, () => {
      // Ada's "z | ab | c". She presses Enter after the "a", joins the "a" into "z" (removing its
      // line) and the "c" into the "b". Grace, having seen none of it, joins the "c" into "ab": her
      // copy of "c" arrives into the line Ada removed (a gone copy, kept deleted by Ada's undo
      // manager), and Ada's page put the "c" back after where the "b" now is, next to Ada's own copy
      // of it: "za | bcc" (soak seed 232). Ada's copy stands after Grace's: it stays, nothing is put back.
      const ada = new Side(/[a-z]/, true, adaLow ? 10 : 30);
      const grace = new Side(/[A-Z]/, true, adaLow ? 30 : 10);
      for (const side of [ada, grace]) createUndoManager(side.fragment);
      const relay = new Relay([ada, grace]);
      ada.edit((state) => state.tr.insertText('zabc', 1).split(4).split(2).doc);
      relay.settle();
      expect(paragraphs(grace)).toEqual(['z', 'ab', 'c']);
      ada.edit((state) => state.tr.split(endOfParagraph(state.doc, 1) - 1).doc);
      grace.edit((state) => state.tr.delete(endOfParagraph(state.doc, 1), endOfParagraph(state.doc, 1) + 2).doc);
      ada.edit((state) => state.tr.delete(endOfParagraph(state.doc, 0), endOfParagraph(state.doc, 0) + 2).doc);
      ada.edit((state) => state.tr.delete(endOfParagraph(state.doc, 1), endOfParagraph(state.doc, 1) + 2).doc);
      expect(paragraphs(ada)).toEqual(['za', 'bc']);
      relay.upload(grace);
      relay.download(ada);
      expect(paragraphs(ada)).toEqual(['za', 'bc']);
      relay.settle();
      expect(paragraphs(ada)).toEqual(['za', 'bc']);
      expect(grace.view().eq(ada.view())).toBe(true);
    });
  }

  for (const ids of [[10, 20, 30], [20, 10, 30], [30, 20, 10]]) {
    for (const graceFirst of [true, false]) {
      it(`a key two people joined into the same line at once, whose line the first joiner had already joined on, is not put back beside that join's copy (ids ${ids.join(', ')}; Grace's join reaching the server ${graceFirst ? 'first' : 'last'}; undo managers)`, () => {
        // "ab | A | c | d", Grace's "A". Ada joins "c" into "A" and then "d" into "Ac"; Grace, having
        // seen neither, joins "d" into "c". Her copy of "d" arrives on Ada's page into the "c" line
        // Ada's first join removed (a gone copy; its content collected, the line kept by Ada's undo
        // manager). It stands after Ada's own copy, but every page gets Ada's line removal before her
        // copy, so none deletes that copy for Grace's: Ada's page put the "d" back after the "c" all
        // the same, "Acdd" on every page (soak seed 330).
        const ada = new Side(/[a-z]/, true, ids[0]);
        const grace = new Side(/[A-Z]/, true, ids[1]);
        const olga = new Side(/[0-9]/, true, ids[2]);
        const sides = [ada, grace, olga];
        for (const side of sides) createUndoManager(side.fragment);
        const relay = new Relay(sides);
        ada.edit((state) => state.tr.insertText('abc', 1).split(3).doc);
        relay.settle();
        grace.edit((state) => state.tr.split(3).doc);
        grace.type(5, 'A');
        ada.edit((state) => state.tr.split(endOfParagraph(state.doc, 1)).doc);
        ada.type(endOfParagraph(ada.view(), 2), 'd');
        relay.settle();
        expect(paragraphs(ada)).toEqual(['ab', 'A', 'c', 'd']);
        ada.edit((state) => state.tr.delete(endOfParagraph(state.doc, 1), endOfParagraph(state.doc, 1) + 2).doc);
        grace.edit((state) => state.tr.delete(endOfParagraph(state.doc, 2), endOfParagraph(state.doc, 2) + 2).doc);
        if (graceFirst) relay.upload(grace);
        ada.edit((state) => state.tr.delete(endOfParagraph(state.doc, 1), endOfParagraph(state.doc, 1) + 2).doc);
        expect(paragraphs(ada)).toEqual(['ab', 'Acd']);
        expect(paragraphs(grace)).toEqual(['ab', 'A', 'cd']);
        const keysOnce = (side: Side): void => expect(own(paragraphs(side).join(''), /[a-z]/), `page ${sides.indexOf(side)}: ${paragraphs(side).join(' | ')}`).toBe('abcd');
        for (let round = 0; round < 6; round++) {
          for (const side of sides) relay.upload(side);
          for (const side of sides) {
            relay.download(side, 1);
            // Ada's page shows each of her keys once after each delivery (another page may miss the
            // "d" between her two joins, which her second join puts back).
            keysOnce(ada);
          }
        }
        relay.settle();
        for (const side of sides) keysOnce(side);
        expect(grace.view().eq(ada.view())).toBe(true);
        expect(olga.view().eq(ada.view())).toBe(true);
      });
    }
  }

  for (const ids of [[10, 20, 30], [20, 10, 30], [30, 20, 10]]) {
    for (const graceFirst of [true, false]) {
      it(`a key put back from a gone copy, whose mover then moves that copy on, shows once on its author's page (ids ${ids.join(', ')}; Grace's join reaching the server ${graceFirst ? 'first' : 'last'}; undo managers)`, () => {
        // "b | c | A", Grace's "A". Ada joins "A" into "c" and presses Enter after the "c" again;
        // Grace, having seen neither, joins "c" into "b". On Grace's page Ada's copy of "A" arrives
        // into the "c" line she removed (a gone copy), and her page puts the "A" back after the "c"
        // ("bcA"). Ada's Enter then moves that gone copy on into a new line: Grace's page did not know
        // it as an original, so took the Enter's copy for new text, "bcA | A", to the end (soak seed 345).
        const ada = new Side(/[a-z]/, true, ids[0]);
        const grace = new Side(/[A-Z]/, true, ids[1]);
        const olga = new Side(/[0-9]/, true, ids[2]);
        const sides = [ada, grace, olga];
        for (const side of sides) createUndoManager(side.fragment);
        const relay = new Relay(sides);
        ada.edit((state) => state.tr.insertText('bc', 1).split(2).doc);
        relay.settle();
        grace.edit((state) => state.tr.split(endOfParagraph(state.doc, 1)).doc);
        grace.type(endOfParagraph(grace.view(), 2), 'A');
        relay.settle();
        expect(paragraphs(ada)).toEqual(['b', 'c', 'A']);
        ada.edit((state) => state.tr.delete(endOfParagraph(state.doc, 1), endOfParagraph(state.doc, 1) + 2).doc);
        grace.edit((state) => state.tr.delete(endOfParagraph(state.doc, 0), endOfParagraph(state.doc, 0) + 2).doc);
        if (graceFirst) relay.upload(grace);
        ada.edit((state) => state.tr.split(endOfParagraph(state.doc, 1) - 1).doc);
        expect(paragraphs(ada)).toEqual(['b', 'c', 'A']);
        expect(paragraphs(grace)).toEqual(['bc', 'A']);
        const keysOnce = (): void => expect(own(paragraphs(grace).join(''), /[A-Z]/), paragraphs(grace).join(' | ')).toBe('A');
        for (let round = 0; round < 6; round++) {
          for (const side of sides) {
            relay.upload(side);
            relay.download(side, 1);
            keysOnce();
          }
        }
        relay.settle();
        for (const side of sides) expect(paragraphs(side)).toEqual(['bc', 'A']);
      });
    }
  }

  for (const adaLow of [true, false]) {
    it(`keys I pasted after a copy that goes follow the copy that stays when my rebase had put a key between them (Ada's client id ${adaLow ? 'lower' : 'higher'}, undo managers)`, () => {
      // "aAB | Cb | c | de". Grace joins "de" into "c" and "cde" into "Cb"; Ada, having seen neither,
      // joins "c" into "Cb" and pastes "fg / h / i" after it. Grace's first join's copy of "de" goes
      // into the "c" line Ada removed: Ada's page puts "de" back after her "c", before her "fg".
      // Grace's second join then moves the "c" and that gone copy on: her copies stay, Ada's "c" and
      // put-back "de" go, and "fg", typed after the "c" but now after the "de", was taken for a key
      // Yjs had put after a copy that goes, not left behind: "Cbfgcde" (soak seed 9159, with paste).
      const ada = new Side(/[a-z]/, true, adaLow ? 10 : 20);
      const grace = new Side(/[A-Z]/, true, adaLow ? 20 : 10);
      for (const side of [ada, grace]) createUndoManager(side.fragment);
      const relay = new Relay([ada, grace]);
      ada.edit((state) => state.tr.insertText('abcde', 1).split(3).split(6).doc);
      relay.settle();
      grace.edit((state) => state.tr.insertText('AB', 2).split(4).insertText('C', 6).doc);
      relay.settle();
      expect(paragraphs(ada)).toEqual(['aAB', 'Cb', 'c', 'de']);
      for (const k of [3, 2]) grace.edit((state) => state.tr.delete(endOfParagraph(state.doc, k - 1), endOfParagraph(state.doc, k - 1) + 2).doc);
      ada.edit((state) => state.tr.delete(endOfParagraph(state.doc, 1), endOfParagraph(state.doc, 1) + 2).doc);
      const at = endOfParagraph(ada.view(), 1);
      ada.edit((state) => state.tr.replace(at, at, new Slice(Fragment.from(['fg', 'h', 'i'].map((t) => schema.nodes.paragraph!.create(null, schema.text(t)))), 1, 1)).doc);
      expect(paragraphs(ada)).toEqual(['aAB', 'Cbcfg', 'h', 'i', 'de']);
      expect(paragraphs(grace)).toEqual(['aAB', 'Cbcde']);
      relay.upload(grace);
      relay.download(ada, 1);
      relay.download(ada, 1);
      relay.settle();
      expect(paragraphs(ada)).toEqual(['aAB', 'Cbcdefg', 'h', 'i']);
      expect(grace.view().eq(ada.view())).toBe(true);
    });
  }

  for (const adaLow of [true, false]) {
    for (const graceFirst of [true, false]) {
      it(`a key put back with its line's text, then joined by someone into a line I removed, is not put back again (Ada's client id ${adaLow ? 'lower' : 'higher'}; Grace's first changes reaching the server ${graceFirst ? 'first' : 'last'}; undo managers)`, () => {
        // "(empty) | ab | c". Grace types "A" into the empty line and joins "ab" into it; then "c".
        // Ada, having seen none of it, joins "ab" into the empty line (her editor removes the empty
        // line) and "c" into "ab". On Ada's page Grace's first join takes the "ab" line (with Ada's
        // copy of "c") and copies "ab" into the removed line (gone copies, collected whole): her page
        // puts "abc" back in a new line. Grace's second join's "c" goes the same way: it was put back
        // again, "abcc", on every page (soak seed 9167).
        const ada = new Side(/[a-z]/, true, adaLow ? 10 : 20);
        const grace = new Side(/[A-Z]/, true, adaLow ? 20 : 10);
        for (const side of [ada, grace]) createUndoManager(side.fragment);
        const relay = new Relay([ada, grace]);
        ada.edit((state) => state.tr.insertText('abc', 1).split(3).split(1).doc);
        relay.settle();
        expect(paragraphs(grace)).toEqual(['', 'ab', 'c']);
        const join = (side: Side): PMNode => side.edit((state) => state.tr.delete(endOfParagraph(state.doc, 0), endOfParagraph(state.doc, 0) + 2).doc);
        grace.type(1, 'A');
        join(grace);
        if (graceFirst) relay.upload(grace);
        join(ada);
        join(ada);
        join(grace);
        expect(paragraphs(ada)).toEqual(['abc']);
        expect(paragraphs(grace)).toEqual(['Aabc']);
        const keysOnce = (): void => expect(own(paragraphs(ada).join(''), /[a-z]/), paragraphs(ada).join(' | ')).toBe('abc');
        for (let round = 0; round < 4; round++) {
          for (const side of [ada, grace]) {
            relay.upload(side);
            relay.download(side, 1);
            keysOnce();
          }
        }
        relay.settle();
        keysOnce();
        expect(grace.view().eq(ada.view())).toBe(true);
      });
    }
  }

  for (const adaLow of [true, false]) {
    for (const graceFirst of [true, false]) {
      it(`text joined into an empty line its other joiner removed is not put back beside that joiner's own copy (Ada's client id ${adaLow ? 'lower' : 'higher'}; Grace's changes reaching the server ${graceFirst ? 'first' : 'last'}; undo managers)`, () => {
        // "(empty) | ab | c". Ada presses Enter before "ab", types "d" into the new line, removes the
        // empty line before it (Backspace) and joins "ab" into "d"; Grace, having seen none of it,
        // types "A" into the empty line and joins "ab" into it. On Ada's page Grace's copy of "ab"
        // arrives into the line Ada removed (collected whole, no item left to tell the line by), and
        // her page put "ab" back after her own copy: "dabab" (soak seed 9167).
        const ada = new Side(/[a-z]/, true, adaLow ? 10 : 20);
        const grace = new Side(/[A-Z]/, true, adaLow ? 20 : 10);
        for (const side of [ada, grace]) createUndoManager(side.fragment);
        const relay = new Relay([ada, grace]);
        ada.edit((state) => state.tr.insertText('abc', 1).split(3).split(1).doc);
        relay.settle();
        const join = (side: Side): PMNode => side.edit((state) => state.tr.delete(endOfParagraph(state.doc, 0), endOfParagraph(state.doc, 0) + 2).doc);
        grace.type(1, 'A');
        join(grace);
        if (graceFirst) relay.upload(grace);
        ada.edit((state) => state.tr.split(endOfParagraph(state.doc, 0) + 2).doc);
        ada.type(endOfParagraph(ada.view(), 1), 'd');
        join(ada);
        join(ada);
        expect(paragraphs(ada)).toEqual(['dab', 'c']);
        expect(paragraphs(grace)).toEqual(['Aab', 'c']);
        const keysOnce = (): void => expect(own(paragraphs(ada).join(''), /[a-z]/), paragraphs(ada).join(' | ')).toBe('dabc');
        for (let round = 0; round < 4; round++) {
          for (const side of [ada, grace]) {
            relay.upload(side);
            relay.download(side, 1);
            keysOnce();
          }
        }
        relay.settle();
        keysOnce();
        expect(grace.view().eq(ada.view())).toBe(true);
      });
    }
  }

  // Typing, Enter, joins and deletions: seed 42 is the shape above; 109, 199, 215 and 287 (and with
  // paste 156, 198, 210, 448, 468) are resolved by the same fix.
  // Seed 232 is the shape just above; 8 and 121 (with paste 54, 167, 321, 424, 459, 463) the same fix.
  it.each([42, 109, 199, 215, 287, 232, 8, 121])('seed %i (typing, Enter, joins, deletions) shows no key twice', (seed) => {
    expect(session(seed, { people: 2, kinds: ['type', 'enter', 'join', 'del'], only: 'doubled' })).toBeNull();
  });
  it.each([156, 198, 210, 448, 468, 54, 167, 321, 424, 459, 463])('seed %i (typing, Enter, joins, deletions, paste) shows no key twice', (seed) => {
    expect(session(seed, { people: 2, kinds: ['type', 'enter', 'join', 'del', 'paste'], only: 'doubled' })).toBeNull();
  });
  // Seed 330 is the shape of the gone copy put back beside a copy made after its line was removed;
  // 197, 9038, 9193, 9443 (with paste 277; four people 50) the same fix.
  it.each([330, 197, 9038, 9193, 9443])('seed %i (typing, Enter, joins, deletions) shows no key twice', (seed) => {
    expect(session(seed, { people: 2, kinds: ['type', 'enter', 'join', 'del'], only: 'doubled' })).toBeNull();
  });
  it('seed 277 (typing, Enter, joins, deletions, paste) shows no key twice', () => {
    expect(session(277, { people: 2, kinds: ['type', 'enter', 'join', 'del', 'paste'], only: 'doubled' })).toBeNull();
  });
  it('seed 50 (four people; typing, Enter, joins, deletions) shows no key twice', () => {
    expect(session(50, { people: 4, kinds: ['type', 'enter', 'join', 'del'], only: 'doubled' })).toBeNull();
  });
  // Seed 345's last double is the shape of a key put back from a gone copy whose mover moved that
  // copy on; 17, 474, 9482 (with paste 19, 282, 9147, 9159, 9167, 9210; four people 320) the same fix.
  it.each([17, 474, 9482])('seed %i (typing, Enter, joins, deletions) shows no key twice', (seed) => {
    expect(session(seed, { people: 2, kinds: ['type', 'enter', 'join', 'del'], only: 'doubled' })).toBeNull();
  });
  it.each([19, 282, 9147, 9159, 9167, 9210])('seed %i (typing, Enter, joins, deletions, paste) shows no key twice', (seed) => {
    expect(session(seed, { people: 2, kinds: ['type', 'enter', 'join', 'del', 'paste'], only: 'doubled' })).toBeNull();
  });
  it('seed 320 (four people; typing, Enter, joins, deletions) shows no key twice', () => {
    expect(session(320, { people: 4, kinds: ['type', 'enter', 'join', 'del'], only: 'doubled' })).toBeNull();
  });
  // Gone copies collected whole: the line they went into read from the update (seed 9167's shapes).
  it.each([332, 345])('seed %i (typing, Enter, joins, deletions) shows no key twice', (seed) => {
    expect(session(seed, { people: 2, kinds: ['type', 'enter', 'join', 'del'], only: 'doubled' })).toBeNull();
  });
  it('seed 258 (four people; typing, Enter, joins, deletions) shows no key twice', () => {
    expect(session(258, { people: 4, kinds: ['type', 'enter', 'join', 'del'], only: 'doubled' })).toBeNull();
  });
});

describe('two people moving the same text at once (move rebase: one copy stays)', () => {
  /** Cy wrote `lines` (digits); Ada (a-z) and Grace (A-Z) have it. `adaLow`: Ada's client id is the lower. */
  function setUp(adaLow: boolean, lines: string[]): [Side, Side, Side] {
    const ada = new Side(/[a-z]/, true, adaLow ? 10 : 30);
    const grace = new Side(/[A-Z]/, true, adaLow ? 30 : 10);
    const cy = new Side(/[0-9]/, true, 20);
    connect([ada, grace, cy]);
    cy.type(1, lines[0]!);
    for (const line of lines.slice(1)) {
      cy.edit((state) => state.tr.split(state.doc.content.size - 1).doc);
      cy.type(cy.view().content.size - 1, line);
    }
    syncAll([ada, grace, cy]);
    return [ada, grace, cy];
  }

  /** The document position `offset` characters into paragraph `index`. */
  const at = (side: Side, index: number, offset: number): number => endOfParagraph(side.view(), index) - side.view().child(index).content.size + offset;
  const split = (side: Side, index: number, offset: number) => side.edit((state) => state.tr.split(at(side, index, offset)).doc);
  /** Backspace at the start of paragraph `index`. */
  const join = (side: Side, index: number) => side.edit((state) => state.tr.delete(endOfParagraph(state.doc, index - 1), endOfParagraph(state.doc, index - 1) + 2).doc);
  /** Pastes two paragraphs, `first` and `second`, at `offset` in paragraph `index`. */
  const paste = (side: Side, index: number, offset: number, first: string, second: string) =>
    side.edit((state) => {
      const p = schema.nodes.paragraph!;
      const slice = new Slice(Fragment.from([p.create(null, schema.text(first)), p.create(null, schema.text(second))]), 1, 1);
      return state.tr.replace(at(side, index, offset), at(side, index, offset), slice).doc;
    });

  /** Checks all three agree, and every character is there once, in order. */
  function check(sides: Side[], digits: string, flat?: string): void {
    syncAll(sides);
    const [ada, grace, cy] = sides as [Side, Side, Side];
    const text = ada.view().textContent;
    expect(grace.view().eq(ada.view()), `Grace shows ${paragraphs(grace).join(' | ')}, Ada ${paragraphs(ada).join(' | ')}`).toBe(true);
    expect(cy.view().eq(ada.view()), `Cy shows ${paragraphs(cy).join(' | ')}, Ada ${paragraphs(ada).join(' | ')}`).toBe(true);
    expect(own(text, /[0-9]/), paragraphs(ada).join(' | ')).toBe(digits);
    if (flat !== undefined) expect(text, paragraphs(ada).join(' | ')).toBe(flat);
  }

  for (const adaLow of [true, false]) {
    const ids = adaLow ? "Ada's client id lower" : "Grace's client id lower";
    it(`two Enters in one paragraph at different places, each typing after it (${ids})`, () => {
      const [ada, grace, cy] = setUp(adaLow, ['0123456']);
      split(ada, 0, 3);
      ada.type(at(ada, 1, 0), 'a');
      split(grace, 0, 5);
      grace.type(at(grace, 1, 2), 'A');
      check([ada, grace, cy], '0123456', '012a34' + '56A');
      // Both keep typing where their carets are: after their keys, in whichever copy stayed.
      ada.type(afterMyLast(ada), 'b');
      grace.type(afterMyLast(grace), 'B');
      check([ada, grace, cy], '0123456', '012ab3456AB');
    });

    it(`two Enters at the same place (${ids})`, () => {
      const [ada, grace, cy] = setUp(adaLow, ['0123456']);
      split(ada, 0, 3);
      split(grace, 0, 3);
      grace.type(at(grace, 1, 4), 'A');
      check([ada, grace, cy], '0123456', '0123456A');
    });

    it(`Backspace joining a paragraph that someone splits (${ids})`, () => {
      const [ada, grace, cy] = setUp(adaLow, ['012', '3456']);
      join(ada, 1);
      ada.type(at(ada, 0, 7), 'a');
      split(grace, 1, 2);
      check([ada, grace, cy], '0123456', '0123456a');
    });

    it(`two Backspaces joining the same paragraphs (${ids})`, () => {
      const [ada, grace, cy] = setUp(adaLow, ['012', '3456']);
      join(ada, 1);
      join(grace, 1);
      check([ada, grace, cy], '0123456', '0123456');
      expect(paragraphs(ada)).toEqual(['0123456']);
    });

    it(`a paste of two paragraphs racing an Enter in the text it moves (${ids})`, () => {
      const [ada, grace, cy] = setUp(adaLow, ['0123456']);
      paste(ada, 0, 2, 'xy', 'z');
      split(grace, 0, 4);
      check([ada, grace, cy], '0123456', '01xyz23456');
    });

    it(`text someone moved and then deleted stays deleted when another person moved it at the same time (${ids})`, () => {
      const [ada, grace, cy] = setUp(adaLow, ['0123456']);
      split(ada, 0, 3);
      // Ada deletes the "6" she just moved (Backspace at the end) before Grace's Enter reaches her.
      ada.edit((state) => state.tr.delete(endOfParagraph(state.doc, 1) - 1, endOfParagraph(state.doc, 1)).doc);
      split(grace, 0, 5);
      check([ada, grace, cy], '012345');
    });

    it(`text someone deletes (an undo) while another person's paste moves it stays deleted (${ids})`, () => {
      const [ada, grace, cy] = setUp(adaLow, ['0123456']);
      // Cy deletes "56" while Grace pastes two paragraphs after "01", which moves "23456".
      cy.edit((state) => state.tr.delete(at(cy, 0, 5), at(cy, 0, 7)).doc);
      paste(grace, 0, 2, 'XY', 'Z');
      check([ada, grace, cy], '01234', '01XYZ234');
    });

    it(`a key only one mover had seen, carried by the copy that goes, ends up once, in order (${ids})`, () => {
      const [ada, grace, cy] = setUp(adaLow, ['012', '3456']);
      // Cy types "7" after "4"; Grace has it, Ada not; both join the paragraphs at once. Only Grace's
      // copy holds a copy of the "7" (Grace's item): Cy's page moves it on, Grace's page must not.
      cy.type(at(cy, 1, 2), '7');
      cy.deliver(grace);
      join(ada, 1);
      join(grace, 1);
      check([ada, grace, cy], '01234756', '01234756');
    });

    it(`every key typed at the start of a new paragraph whose copy loses goes before the copy that stays, in order (${ids})`, () => {
      // Both press Enter after "012"; Ada types "ab" and "c" at the start of her new paragraph. When her
      // copy of "3456" is the one that goes, all of "abc" goes before the copy that stays: only the
      // "c" (typed right before her "3") went, and "ab" stayed behind ("012 | ab | c3456", soak seed
      // 21, two people, typing and Enter).
      const [ada, grace, cy] = setUp(adaLow, ['0123456']);
      split(ada, 0, 3);
      ada.type(at(ada, 1, 0), 'ab');
      ada.type(at(ada, 1, 2), 'c');
      split(grace, 0, 3);
      check([ada, grace, cy], '0123456', '012abc3456');
      expect(paragraphs(ada).some((line) => line.includes('abc3456')), paragraphs(ada).join(' | ')).toBe(true);
    });

    it(`a third person's key typed into one copy goes to the one that stays (${ids})`, () => {
      const [ada, grace, cy] = setUp(adaLow, ['0123456']);
      split(ada, 0, 3);
      split(grace, 0, 5);
      // Cy has Grace's Enter only, and types at the end of her new paragraph.
      grace.deliver(cy);
      cy.type(at(cy, 1, 2), '7');
      check([ada, grace, cy], '01234567', '01234567');
    });
  }
});

describe('sessions of the browserless soak that reordered a key (npm run soak:binding)', () => {
  // Two people typing and pressing Enter: keys typed at the start of a new paragraph whose copy lost
  // to another Enter's copy were torn in two, only the last going before the copy that stays.
  it.each([21, 38, 126, 248])('seed %i (typing, Enter) keeps every key in order', (seed) => {
    expect(session(seed, { people: 2, kinds: ['type', 'enter'], only: 'reordered' })).toBeNull();
  });
});

describe('a page that was offline reconnects (sync step 2 from the server)', () => {
  /**
   * Reconnects `page` to `server` as y-websocket and Tandem's server do: the server's step 1 (the page
   * answers with its step 2: what it did offline), the page's step 1, and the server's step 2 (the
   * updates the page lacks, with the whole document's delete set). `serverGotMineFirst`: the server
   * applied the page's step 2 before computing its answer (it answers once its writes settle).
   */
  function reconnect(page: Side, server: Y.Doc, serverGotMineFirst: boolean): void {
    const frame = (write: (encoder: encoding.Encoder) => void): Uint8Array => {
      const encoder = encoding.createEncoder();
      write(encoder);
      return encoding.toUint8Array(encoder);
    };
    /** `bytes` (a sync frame) handled by `doc`'s sync handler; returns its reply (a step 2 for a step 1). */
    const handle = (doc: Y.Doc, bytes: Uint8Array, withDeletes: boolean): Uint8Array => {
      const reply = encoding.createEncoder();
      const decoder = decoding.createDecoder(bytes);
      const read = (): void => void syncProtocol.readSyncMessage(decoder, reply, doc, 'remote');
      if (withDeletes) withIncomingDeletes(decoder, read, doc);
      else read();
      return encoding.toUint8Array(reply);
    };
    // Offline, nothing of the page's reached anyone: what it did goes in its step 2.
    for (const queue of page.outbox.values()) queue.splice(0);
    const pageStep2 = handle(page.doc, frame((e) => syncProtocol.writeSyncStep1(e, server)), true);
    const pageVector = Y.encodeStateVector(page.doc);
    if (serverGotMineFirst) handle(server, pageStep2, false);
    const answer = frame((e) => syncProtocol.writeSyncStep2(e, server, pageVector));
    if (!serverGotMineFirst) handle(server, pageStep2, false);
    handle(page.doc, answer, true);
    // The page's own changes (its step 2, then whatever its rebase wrote) reach the others.
    for (const queue of page.outbox.values()) queue.splice(0);
    const rest = Y.encodeStateAsUpdate(page.doc, Y.encodeStateVector(server));
    Y.applyUpdate(server, rest, 'remote');
  }

  /** Cy wrote `lines`; Ada (a-z), Bob (A-Z) and the server have them. */
  function setUp(lines: string[]): { ada: Side; bob: Side; cy: Side; server: Y.Doc; others: Side[] } {
    const ada = new Side(/[a-z]/, true, 10);
    const bob = new Side(/[A-Z]/, true, 30);
    const cy = new Side(/[0-9]/, true, 20);
    connect([ada, bob, cy]);
    cy.type(1, lines[0]!);
    for (const line of lines.slice(1)) {
      cy.edit((state) => state.tr.split(state.doc.content.size - 1).doc);
      cy.type(cy.view().content.size - 1, line);
    }
    syncAll([ada, bob, cy]);
    const server = new Y.Doc();
    Y.applyUpdate(server, Y.encodeStateAsUpdate(cy.doc));
    return { ada, bob, cy, server, others: [bob, cy] };
  }

  /** The online sides exchange their changes; the server gets them too; then everyone catches up with `page`. */
  function settle(page: Side, others: Side[], server: Y.Doc): void {
    syncAll(others);
    for (const side of others) Y.applyUpdate(server, Y.encodeStateAsUpdate(side.doc, Y.encodeStateVector(server)), 'remote');
    // The server relays what the page sent, and anything since, to the others, as updates.
    for (let round = 0; round < 2; round++) {
      for (const side of others) deliverUpdate(side, Y.encodeStateAsUpdate(server, Y.encodeStateVector(side.doc)));
      for (const side of others) Y.applyUpdate(server, Y.encodeStateAsUpdate(side.doc, Y.encodeStateVector(server)), 'remote');
      deliverUpdate(page, Y.encodeStateAsUpdate(server, Y.encodeStateVector(page.doc)));
      Y.applyUpdate(server, Y.encodeStateAsUpdate(page.doc, Y.encodeStateVector(server)), 'remote');
    }
    for (const side of others) expect(side.view().eq(page.view()), `${paragraphs(side).join(' | ')} vs ${paragraphs(page).join(' | ')}`).toBe(true);
  }

  for (const first of [false, true]) {
    const order = first ? 'the server applied her offline keys before answering' : 'the server answered before applying her offline keys';
    it(`a key typed offline into a paragraph someone joined away meanwhile goes with the joined text (${order})`, () => {
      const { ada, bob, server, others } = setUp(['012', '3456']);
      ada.type(endOfParagraph(ada.view(), 1), 'a');
      // Bob joins the paragraphs (Backspace at the start of the second) while Ada is offline.
      bob.edit((state) => state.tr.delete(endOfParagraph(state.doc, 0), endOfParagraph(state.doc, 0) + 2).doc);
      syncAll(others);
      Y.applyUpdate(server, Y.encodeStateAsUpdate(bob.doc, Y.encodeStateVector(server)), 'remote');
      reconnect(ada, server, first);
      expect(paragraphs(ada)).toEqual(['0123456a']);
      settle(ada, others, server);
    });

    it(`a key typed offline into text someone split meanwhile goes with the moved text (${order})`, () => {
      const { ada, bob, server, others } = setUp(['0123456']);
      ada.type(endOfParagraph(ada.view(), 0) - 2, 'a');
      bob.edit((state) => state.tr.split(4).doc);
      syncAll(others);
      Y.applyUpdate(server, Y.encodeStateAsUpdate(bob.doc, Y.encodeStateVector(server)), 'remote');
      reconnect(ada, server, first);
      expect(paragraphs(ada)).toEqual(['012', '34a56']);
      settle(ada, others, server);
    });
  }

  it('a paragraph of mine someone deleted on purpose (or a restore) while I was offline stays deleted', () => {
    const { ada, bob, server, others } = setUp(['012']);
    // Ada writes a paragraph of her own; everyone has it.
    ada.edit((state) => state.tr.split(4).doc);
    ada.type(6, 'xyz');
    syncAll([ada, ...others]);
    Y.applyUpdate(server, Y.encodeStateAsUpdate(ada.doc, Y.encodeStateVector(server)), 'remote');
    // Ada goes offline; Bob selects her whole paragraph and deletes it.
    bob.edit((state) => state.tr.delete(4, 9).doc);
    syncAll(others);
    Y.applyUpdate(server, Y.encodeStateAsUpdate(bob.doc, Y.encodeStateVector(server)), 'remote');
    reconnect(ada, server, false);
    expect(paragraphs(ada)).toEqual(['012']);
    settle(ada, others, server);
  });
});

describe('a drag (delete and insert in one transaction) racing an Enter in the dragged text', () => {
  const lines = (side: Side): string => {
    const out: string[] = [];
    side.view().forEach((node) => out.push(node.textContent));
    return out.join(' | ');
  };
  /**
   * `xyz | abcd` (or `789 | 0123`, Olga's, when `othersText`); Ada drags the 2nd and 3rd characters of
   * the second line to after the first of the first line while Grace, not having seen it, presses
   * Enter at `enterAt`; both reach the relay in `adaFirst` order, Olga gets both, then all settle.
   */
  function race(ids: [number, number, number], adaFirst: boolean, enterAt: number, othersText = false): string[] {
    const ada = new Side(/[a-z]/, true, ids[0]);
    const grace = new Side(/[A-Z]/, true, ids[1]);
    const olga = new Side(/[0-9]/, true, ids[2]);
    for (const side of [ada, grace, olga]) createUndoManager(side.fragment);
    const relay = new Relay([ada, grace, olga]);
    const [first, second, dragged] = othersText ? ['789', '0123', '12'] : ['xyz', 'abcd', 'bc'];
    (othersText ? olga : ada).edit((s) => s.tr.insertText(first, 1).split(4).insertText(second, 6).doc);
    relay.settle();
    ada.edit((s) => s.tr.delete(7, 9).insertText(dragged, 2).doc);
    grace.edit((s) => s.tr.split(enterAt).doc);
    for (const side of adaFirst ? [ada, grace] : [grace, ada]) relay.upload(side);
    relay.download(olga);
    relay.settle();
    return [ada, grace, olga].map(lines);
  }
  const orders: Array<[number, number, number]> = [
    [10, 20, 30],
    [10, 30, 20],
    [20, 10, 30],
    [20, 30, 10],
    [30, 10, 20],
    [30, 20, 10],
  ];
  const cases: Array<[string, number, boolean, string]> = [
    // Each failed before the fix (but the third): the dragged letters the Enter copied too were gone on
    // every page. The Enter's copy stands later than the drag's: it stays (one copy, as for any two moves).
    ['Enter between the dragged "b" and "c" keeps the "c" once', 8, false, 'xbyz | a | cd'],
    ['Enter just before the dragged text keeps "bc" once', 7, false, 'xyz | a | bcd'],
    // (No loss here before the fix either: the Enter copies only "d", which nobody dragged.)
    ['Enter just after the dragged text keeps "bc" once', 9, false, 'xbcyz | a | d'],
    ["Enter inside a drag of someone else's text keeps the text once", 8, true, '7189 | 0 | 23'],
  ];
  for (const [name, enterAt, othersText, want] of cases) {
    for (const adaFirst of [true, false]) {
      it(`${name} (${adaFirst ? "Ada's" : "Grace's"} change reaching the relay first; every client-id order)`, () => {
        for (const ids of orders) {
          expect(race(ids, adaFirst, enterAt, othersText), `client ids ${ids.join(', ')}`).toEqual([want, want, want]);
        }
      });
    }
  }
});

describe('a drag inside one paragraph is written as a move of the dragged letters, not a retyping of those in between', () => {
  const lines = (side: Side): string => {
    const out: string[] = [];
    side.view().forEach((node) => out.push(node.textContent));
    return out.join(' | ');
  };
  /** Ada's `ab`, Grace's `XY`, Ada's `cd` in one line; `edit` changes it on Ada's page. */
  function line(ids: [number, number, number]) {
    const ada = new Side(/[a-z]/, true, ids[0]);
    const grace = new Side(/[A-Z]/, true, ids[1]);
    const olga = new Side(/[0-9]/, true, ids[2]);
    for (const side of [ada, grace, olga]) createUndoManager(side.fragment);
    const relay = new Relay([ada, grace, olga]);
    ada.type(1, 'ab');
    relay.settle();
    grace.type(3, 'XY');
    relay.settle();
    ada.type(5, 'cd');
    relay.settle();
    return { ada, grace, olga, relay };
  }
  const orders: Array<[number, number, number]> = [
    [10, 20, 30],
    [10, 30, 20],
    [20, 10, 30],
    [20, 30, 10],
    [30, 10, 20],
    [30, 20, 10],
  ];

  it("deletes and inserts only the dragged letter: Grace's letters in between stay hers, and so do Ada's she passed", () => {
    const { ada } = line([10, 20, 30]);
    // How many characters each transaction deletes (its delete set).
    const deleted: number[] = [];
    ada.doc.on('afterTransaction', (tr: Y.Transaction) => {
      let n = 0;
      tr.deleteSet.clients.forEach((ranges) => ranges.forEach((r) => (n += r.len)));
      deleted.push(n);
    });
    // Drag "b" to after "c": aXYcbd (ProseMirror's drop: delete the selection, insert it at the drop point).
    ada.edit((s) => s.tr.delete(2, 3).insertText('b', 5).doc);
    expect(lines(ada)).toBe('aXYcbd');
    expect(deleted).toEqual([1]);
  });

  it("moves the dragger's own letters rather than someone else's as many: Ada's \"cd\" dragged before Grace's \"XY\" leaves Grace's letters as they are", () => {
    const { ada } = line([10, 20, 30]);
    const deletedClients = new Set<number>();
    ada.doc.on('afterTransaction', (tr: Y.Transaction) => tr.deleteSet.clients.forEach((_, client) => deletedClients.add(client)));
    ada.edit((s) => s.tr.delete(5, 7).insertText('cd', 3).doc);
    expect(lines(ada)).toBe('abcdXY');
    expect([...deletedClients]).toEqual([10]);
  });

  // Before, "XYcd" → "cdXY" was written as a move of Grace's "XY" (the first of two as long), so
  // her deletion of the "X", racing it, left the drag's copy of it: the "X" came back on every page.
  for (const adaFirst of [true, false]) {
    it(`a drag of Ada's "cd" before Grace's "XY" racing Grace's deletion of the "X" keeps it deleted (${adaFirst ? "Ada's" : "Grace's"} change reaching the relay first; every client-id order)`, () => {
      for (const ids of orders) {
        const { ada, grace, olga, relay } = line(ids);
        ada.edit((s) => s.tr.delete(5, 7).insertText('cd', 3).doc);
        grace.edit((s) => s.tr.delete(3, 4).doc);
        for (const side of adaFirst ? [ada, grace] : [grace, ada]) relay.upload(side);
        relay.download(olga);
        relay.settle();
        expect([ada, grace, olga].map(lines), `client ids ${ids.join(', ')}`).toEqual(['abcdY', 'abcdY', 'abcdY']);
      }
    });
  }

  // Before: the binding wrote "bXYc" → "XYcb" (the one changed range), so Grace's Enter between "Y" and
  // "c" copied the "c" the drag had also retyped: two copies, and the rebase's duplicate rule deleted
  // one on some pages and the other on others (Ada's "c" gone in one order).
  for (const adaFirst of [true, false]) {
    it(`a drag of "b" past "XYc" racing Grace's Enter between "Y" and "c" keeps every letter once (${adaFirst ? "Ada's" : "Grace's"} change reaching the relay first; every client-id order)`, () => {
      for (const ids of orders) {
        const { ada, grace, olga, relay } = line(ids);
        ada.edit((s) => s.tr.delete(2, 3).insertText('b', 5).doc);
        grace.edit((s) => s.tr.split(5).doc);
        for (const side of adaFirst ? [ada, grace] : [grace, ada]) relay.upload(side);
        relay.download(olga);
        relay.settle();
        expect([ada, grace, olga].map(lines), `client ids ${ids.join(', ')}`).toEqual(['aXY | cbd', 'aXY | cbd', 'aXY | cbd']);
      }
    });
  }
});

describe('a session of the browserless soak that lost a key at the end (npm run soak:binding, seed 9443 reduced)', () => {
  // Ada: "abc", deletes "c", Enter after "a"; Grace types "A" into the empty second line; Ada types
  // "de" before it, joins "b" back, Enter after "ab", types "fg" there, deletes "d", types "h",
  // joins "fgh" up; Grace (having seen part of it) types "B" before "fg"; Ada presses Enter before
  // "h" and joins "eA" into it; Grace joins "eA" into "Bfgh"; Ada joins "heA" up, then (her "A" shown
  // twice a moment) presses Enter before her copy of "A". Grace's page keeps her own copy (the "A"
  // her join copied, put back twice by her rebase, last after Ada's "h") and deletes Ada's; Ada's
  // page took Grace's last put-back for a move of Ada's losing copy (which Grace's rebase deleted in
  // the same change) and deleted it for Ada's Enter's copy: "A" lost on every page.
  type Ev = ['del' | 'enter' | 'type', number, number, number, number?] | ['join', number, number] | ['send', number] | ['recv', number, number];
  const events: Ev[] = [
    ['del', 0, 1, 0], ['enter', 0, 0, 1], ['send', 0], ['recv', 1, 1], ['type', 1, 1, 0, 1], ['send', 1], ['recv', 0, 1],
    ['type', 0, 2, 0, 2], ['join', 0, 1], ['enter', 0, 0, 2], ['send', 0], ['recv', 1, 1], ['type', 0, 1, 0, 2], ['del', 0, 2, 0],
    ['recv', 1, 2], ['type', 0, 1, 2, 1], ['recv', 1, 1], ['join', 0, 1], ['send', 0], ['recv', 1, 2], ['type', 1, 1, 0, 1],
    ['recv', 1, 1], ['send', 1], ['recv', 0, 1], ['enter', 0, 0, 4], ['join', 0, 2], ['join', 1, 2], ['recv', 1, 1], ['join', 0, 2],
    ['send', 1], ['recv', 0, 1], ['recv', 0, 1], ['enter', 0, 0, 8],
  ];
  for (const adaHigh of [true, false]) {
    it(`Grace's put-back of her key is no move of Ada's losing copy her rebase deleted with it (Ada's client id ${adaHigh ? 'higher' : 'lower'}; undo managers)`, () => {
      const ada = new Side(/[a-z]/, true, adaHigh ? 360082735 : 72218720);
      const grace = new Side(/[A-Z]/, true, adaHigh ? 72218720 : 360082735);
      const sides = [ada, grace];
      for (const side of sides) createUndoManager(side.fragment);
      const relay = new Relay(sides);
      const letters = ['abcdefghijklmnopqrstuvwxyz', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'];
      const typed = [0, 0];
      const fresh = (p: number): string => letters[p]![typed[p]!++]!;
      ada.edit((state) => state.tr.insertText(fresh(0) + fresh(0) + fresh(0), 1).split(3).doc);
      relay.settle();
      const startOf = (doc: PMNode, k: number): number => {
        let s = 1;
        for (let j = 0; j < k; j++) s += doc.child(j).nodeSize;
        return s;
      };
      for (const ev of events) {
        const side = sides[ev[1]]!;
        if (ev[0] === 'send') relay.upload(side);
        else if (ev[0] === 'recv') relay.download(side, ev[2]);
        else {
          const doc = side.view();
          const k = Math.min(ev[2], doc.childCount - 1);
          const start = startOf(doc, k);
          const size = doc.child(k).content.size;
          if (ev[0] === 'type') {
            let text = '';
            for (let c = 0; c < ev[4]!; c++) text += fresh(ev[1]);
            side.edit((state) => state.tr.insertText(text, start + Math.min(ev[3], size)).doc);
          } else if (ev[0] === 'enter') side.edit((state) => state.tr.split(start + Math.min(ev[3], size)).doc);
          else if (ev[0] === 'join') side.edit((state) => state.tr.delete(start - 2, start).doc);
          else side.edit((state) => state.tr.delete(start + Math.min(ev[3], size - 1), start + Math.min(ev[3], size - 1) + 1).doc);
        }
      }
      relay.settle();
      expect(own(paragraphs(ada).join(''), /[A-Z]/), paragraphs(ada).join(' | ')).toBe('BA');
      expect(grace.view().eq(ada.view())).toBe(true);
    });
  }
});
