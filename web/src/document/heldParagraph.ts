import type { Mark, Node as PMNode } from 'prosemirror-model';
import { TextSelection } from 'prosemirror-state';
import type { EditorView } from 'prosemirror-view';
import { absolutePositionToRelativePosition, ySyncPluginKey, type ProsemirrorBinding } from 'y-prosemirror';
import * as Y from 'yjs';

/**
 * The Yjs half of the composition hold (compositionHold.ts): the paragraph being composed, taken
 * with a Yjs anchor for each of its positions when the hold begins (`capture`), and the
 * composition's change written into the Y.Doc at those anchors when it ends (`writeHeld`).
 */

/** The composed paragraph as it was when the hold began, with a Yjs anchor for each of its positions. */
export interface Hold {
  /** The ProseMirror document when the hold began (equal to the Y.Doc then). */
  before: PMNode;
  /** Start and end of the paragraph's content in `before`. */
  from: number;
  to: number;
  /** The paragraph in Yjs. */
  yBlock: Y.XmlElement;
  /** One entry per position of the paragraph's content (characters and inline nodes). */
  units: Unit[];
}

type Unit = { kind: 'char'; text: Y.XmlText; at: Y.RelativePosition; after: Y.RelativePosition } | { kind: 'node'; element: Y.XmlElement };

/** Whether the Yjs transaction changed `block` or anything inside it, or deleted it. */
export function touches(transaction: Y.Transaction, block: Y.XmlElement): boolean {
  const type = block as unknown as Parameters<typeof transaction.changed.has>[0];
  return transaction.changedParentTypes.has(type) || transaction.changed.has(type) || isDeleted(block);
}

/** Whether `type` or one of its ancestors is deleted. */
function isDeleted(type: Y.XmlElement): boolean {
  for (let item = type._item; item !== null; item = (item.parent as Y.AbstractType<unknown>)._item) {
    if (item.deleted) return true;
  }
  return false;
}

/**
 * The paragraph holding the caret, with a Yjs anchor for each position of its content; null when
 * the caret is not a collapsed text caret or the paragraph cannot be found in Yjs as ProseMirror
 * shows it (then nothing is held and remote changes are drawn as before).
 */
export function capture(binding: ProsemirrorBinding, view: EditorView): Hold | null {
  const { selection, doc } = view.state;
  if (!(selection instanceof TextSelection) || !selection.empty || !selection.$head.parent.isTextblock) return null;
  const $head = selection.$head;
  const blockNode = $head.parent;
  let yBlock: Y.XmlElement | null = null;
  for (const [type, node] of binding.mapping) {
    if (node === blockNode && type instanceof Y.XmlElement) yBlock = type;
  }
  if (yBlock === null && blockNode.content.size > 0) {
    // Not drawn from this very node (an equal one): find the paragraph through its first position
    // (its text, compared below, tells it from its neighbours).
    const at = Y.createAbsolutePositionFromRelativePosition(absolutePositionToRelativePosition($head.start(), binding.type, binding.mapping), binding.doc);
    const found = at === null ? null : at.type instanceof Y.XmlText ? at.type.parent : at.type;
    if (found instanceof Y.XmlElement) yBlock = found;
  }
  if (yBlock === null) return null;
  const units: Unit[] = [];
  let inYjs = '';
  for (const child of yBlock.toArray()) {
    if (child instanceof Y.XmlText) {
      const text = plainText(child);
      for (let i = 0; i < text.length; i++) {
        units.push({ kind: 'char', text: child, at: Y.createRelativePositionFromTypeIndex(child, i, 0), after: Y.createRelativePositionFromTypeIndex(child, i + 1, -1) });
      }
      inYjs += text;
    } else if (child instanceof Y.XmlElement) {
      const size = (binding.mapping.get(child) as PMNode | undefined)?.nodeSize ?? 1;
      for (let i = 0; i < size; i++) units.push({ kind: 'node', element: child });
      inYjs += '\ufffc'.repeat(size);
    }
  }
  // Yjs and ProseMirror must agree on this paragraph, character for character.
  if (inYjs !== blockNode.textBetween(0, blockNode.content.size, '', '\ufffc')) return null;
  return { before: doc, from: $head.start(), to: $head.end(), yBlock, units };
}

/** The text of a Y.XmlText, one character per position (an embed, which y-prosemirror never writes, as U+FFFC). */
function plainText(text: Y.XmlText): string {
  return (text.toDelta() as Array<{ insert: unknown }>).map((op) => (typeof op.insert === 'string' ? op.insert : '\ufffc')).join('');
}

/**
 * Writes into the Y.Doc what the composition changed in the held paragraph since `hold` began
 * (`now` is the document as shown; `head` the caret in it). Returns where the caret belongs, as a
 * Yjs position (or null), and `orphan`: the composed text when the paragraph was deleted meanwhile
 * (nothing is written then; the caller inserts it as an ordinary edit). A change outside the
 * paragraph (never made while composing) is not written: it is logged, and the paragraph shows the
 * Y.Doc.
 */
export function writeHeld(binding: ProsemirrorBinding, hold: Hold, now: PMNode, head: number): { caret: Y.RelativePosition | null; orphan: PMNode[] } {
  const start = hold.before.content.findDiffStart(now.content);
  if (start === null) return { caret: head >= hold.from && head <= hold.to ? anchorAt(hold, head - hold.from) : null, orphan: [] };
  const end = hold.before.content.findDiffEnd(now.content)!;
  let endBefore = end.a;
  let endNow = end.b;
  const overlap = start - Math.min(endBefore, endNow);
  if (overlap > 0) {
    endBefore += overlap;
    endNow += overlap;
  }
  const grown = endNow - endBefore;
  const inserted: PMNode[] = [];
  let representable = start >= hold.from && endBefore <= hold.to;
  if (representable) {
    const $start = now.resolve(start);
    representable = $start.parent.isTextblock && $start.start() === hold.from && $start.end() === hold.to + grown;
    if (representable) {
      $start.parent.content.cut(start - hold.from, endNow - hold.from).forEach((node) => {
        if (!node.isText || node.marks.some((mark) => !mark.type.excludes(mark.type))) representable = false;
        inserted.push(node);
      });
    }
  }
  if (!representable) {
    console.warn(`composition: a change outside the composed paragraph (${start}–${endBefore}) was not written`);
    return { caret: null, orphan: [] };
  }
  if (isDeleted(hold.yBlock)) return { caret: null, orphan: inserted };
  const offset = start - hold.from;
  const removed = hold.units.slice(offset, endBefore - hold.from);
  let caret: Y.RelativePosition | null = null;
  binding.mux(() => {
    binding.doc.transact(() => {
      for (const unit of removed) deleteUnit(binding.doc, unit);
      const text = inserted.map((node) => node.text!).join('');
      if (text !== '') {
        const target = insertionPoint(hold, offset);
        let index = target.index;
        for (const node of inserted) {
          target.text.insert(index, node.text!, attributesOf(node.marks));
          index += node.text!.length;
        }
        caret = Y.createRelativePositionFromTypeIndex(target.text, index, -1);
      }
      // A caret elsewhere than after the composed text (rare) is found again through its neighbours.
      const headOffset = head - hold.from;
      if (caret === null || headOffset !== offset + text.length) caret = anchorAt(hold, headOffset <= offset ? headOffset : headOffset - grown);
    }, ySyncPluginKey);
  });
  return { caret, orphan: [] };
}

/** Deletes one character or inline node of the held paragraph, unless someone already did. */
function deleteUnit(doc: Y.Doc, unit: Unit): void {
  if (unit.kind === 'char') {
    const item = Y.getItem(doc.store, unit.at.item!);
    if (item.deleted) return;
    const abs = Y.createAbsolutePositionFromRelativePosition(unit.at, doc);
    if (abs !== null) (abs.type as Y.XmlText).delete(abs.index, 1);
  } else if (unit.element._item !== null && !unit.element._item.deleted) {
    const parent = unit.element.parent as Y.XmlElement;
    const index = parent.toArray().indexOf(unit.element);
    if (index >= 0) parent.delete(index, 1);
  }
}

/**
 * Where text typed at `offset` of the held paragraph goes: right after the character before it,
 * else right before the character after it, else into a new Y.XmlText at that place.
 */
function insertionPoint(hold: Hold, offset: number): { text: Y.XmlText; index: number } {
  const doc = hold.yBlock.doc!;
  const before = hold.units[offset - 1];
  const after = hold.units[offset];
  for (const [unit, position] of [
    [before, before?.kind === 'char' ? before.after : null],
    [after, after?.kind === 'char' ? after.at : null],
  ] as const) {
    if (unit?.kind !== 'char' || position === null) continue;
    const abs = Y.createAbsolutePositionFromRelativePosition(position, doc);
    if (abs !== null && abs.type === unit.text) return { text: unit.text, index: abs.index };
  }
  const text = new Y.XmlText();
  const children = hold.yBlock.toArray();
  const neighbour = before?.kind === 'node' ? children.indexOf(before.element) + 1 : after?.kind === 'node' ? children.indexOf(after.element) : children.length;
  hold.yBlock.insert(Math.max(0, neighbour), [text]);
  return { text, index: 0 };
}

/** A Yjs position that stays with the paragraph's content at `offset` (of the paragraph when the hold began). */
function anchorAt(hold: Hold, offset: number): Y.RelativePosition | null {
  const before = hold.units[offset - 1];
  if (before?.kind === 'char') return before.after;
  const after = hold.units[offset];
  if (after?.kind === 'char') return after.at;
  return null;
}

/** The Y.XmlText attributes of `marks`, as y-prosemirror writes them (marks that exclude themselves). */
function attributesOf(marks: readonly Mark[]): Record<string, unknown> {
  const attributes: Record<string, unknown> = {};
  for (const mark of marks) attributes[mark.type.name] = mark.attrs;
  return attributes;
}
