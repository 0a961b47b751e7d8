import * as Y from 'yjs';
import type { LedgerChar, MoveLedger } from './moveLedger.js';

/**
 * Keeps my new paragraphs after the text they continue when someone else splits that text.
 *
 * Someone presses Enter (or pastes several paragraphs) in a paragraph P; y-prosemirror writes that as
 * a new paragraph N inserted right after P, holding a copy of P's tail. If I had meanwhile made
 * paragraphs of my own after P (Enter at a later point of P, or a paste of several paragraphs there)
 * that the splitter had not seen, Yjs orders N and mine, both inserted right after P, by client id:
 * one time in two mine stand before N, so the text I typed after P's tail shows before that tail
 * (`x | ygp | yzgtj` for `x | yzgtj | ygp`). The move rebase (moveRebase.ts) already puts my
 * characters left in P's tail after the copy in N; this moves my paragraphs after N as well.
 *
 * Only the page that made those paragraphs moves them (each page moves only its own), as a copy
 * inserted after N, the originals deleted, in the rebase's transaction: other pages see a move like
 * any split and carry their own keys typed into the paragraphs along.
 *
 * A trade: someone who saw my paragraphs before N and typed into them in that moment sees their keys
 * go along below N. So paragraphs still empty, or that someone else has already typed into (as far
 * as this page knows), stay. Measured with `npm run soak:binding` (four people, 500 sessions; the
 * note of the change has the figures): fewer findings over every kind, a few more with only Enter.
 */

/** Block items of mine to move after `after`. */
export interface ParagraphsBehind {
  after: Y.Item;
  mine: Y.Item[];
}

type ParentedItem = Y.Item & { parent: Y.AbstractType<any> | null };

const keyOf = (id: Y.ID): string => `${id.client}:${id.clock}`;

/** The item of the block (paragraph, heading, list item…) the text `text` is a child of. */
function blockOf(text: Y.Text): ParentedItem | null {
  const block = (text._item as ParentedItem | null)?.parent;
  return ((block?._item ?? null) as ParentedItem | null);
}

/**
 * For the remote transaction `tr` and the characters it moved (`pairs`: original, copy): each block
 * it moved text out of into a later sibling, with the blocks of mine that Yjs put between the two.
 * Those are mine, unseen by the mover (one that saw them would have put its new block before them):
 * made right after the moved-from block, or after one of them. Anything else between (someone
 * else's block) leaves the order alone.
 */
export function paragraphsBehind(tr: Y.Transaction, pairs: Array<[{ text: Y.Text }, { text: Y.Text }]>, me: number): ParagraphsBehind[] {
  const furthest = new Map<ParentedItem, ParentedItem>();
  for (const [original, copy] of pairs) {
    const from = blockOf(original.text);
    const to = blockOf(copy.text);
    if (from === null || to === null || from === to || from.parent !== to.parent) continue;
    const known = furthest.get(from);
    if (known === undefined || comesBefore(known, to)) furthest.set(from, to);
  }
  const out: ParagraphsBehind[] = [];
  for (const [from, to] of furthest) {
    if (!comesBefore(from, to)) continue;
    const chain = new Set([keyOf(from.id)]);
    const mine: Y.Item[] = [];
    let blocked = false;
    for (let item = from.right; item !== null && item !== to; item = item.right) {
      const madeByTr = item.id.clock >= (tr.beforeState.get(item.id.client) ?? 0);
      if (item.deleted || madeByTr) continue;
      if (item.id.client === me && item.origin !== null && chain.has(keyOf(item.origin)) && item.content instanceof Y.ContentType) {
        chain.add(keyOf(item.id));
        mine.push(item);
        continue;
      }
      blocked = true;
      break;
    }
    // Empty ones stay: nothing typed in them is out of order yet, and someone who saw them before the
    // new block may already be typing into them there.
    // Nor do ones someone else has typed into: they saw them where they are (and built on that).
    const chars = mine.flatMap((item) => charsUnder((item.content as Y.ContentType).type));
    if (!blocked && chars.length > 0 && chars.every((char) => char.id.client === me)) out.push({ after: to, mine });
  }
  return out;
}

/** Whether `a` stands before `b` among their parent's items. */
function comesBefore(a: Y.Item, b: Y.Item): boolean {
  for (let item = a.right; item !== null; item = item.right) if (item === b) return true;
  return false;
}

/**
 * A copy of `type` (element or text, attributes and formatting kept). Yjs's own `clone()` keeps only
 * string attributes; y-prosemirror stores others (a heading's level is a number).
 */
function copyOf(type: Y.XmlElement | Y.XmlText): Y.XmlElement | Y.XmlText {
  if (type instanceof Y.XmlText) {
    const text = new Y.XmlText();
    text.applyDelta(type.toDelta());
    return text;
  }
  const element = new Y.XmlElement(type.nodeName);
  for (const [key, value] of Object.entries(type.getAttributes() as Record<string, unknown>)) element.setAttribute(key, value as string);
  element.insert(
    0,
    type.toArray().flatMap((child) => (child instanceof Y.XmlElement || child instanceof Y.XmlText ? [copyOf(child)] : [])),
  );
  return element;
}

/** Every shown character under `type`, in order. */
function charsUnder(type: Y.AbstractType<any>, out: LedgerChar[] = []): LedgerChar[] {
  for (let item = type._start; item !== null; item = item.right) {
    if (item.deleted) continue;
    if (item.content instanceof Y.ContentString && type instanceof Y.Text) {
      const str = item.content.str;
      for (let k = 0; k < str.length; k++) out.push({ text: type, id: Y.createID(item.id.client, item.id.clock + k), ch: str[k]! });
    } else if (item.content instanceof Y.ContentType) {
      charsUnder(item.content.type, out);
    }
  }
  return out;
}

/**
 * Moves `behind.mine` (in order) to right after `behind.after`, inside the caller's transaction;
 * notes every moved character in `moved` (key → where it went) and in the ledger.
 */
export function moveParagraphsAfter(behind: ParagraphsBehind, moved: Map<string, { text: Y.Text; id: Y.ID }>, ledger?: MoveLedger): void {
  const parent = (behind.after as ParentedItem).parent as Y.XmlFragment | Y.XmlElement;
  const types = behind.mine.map((item) => (item.content as Y.ContentType).type as Y.XmlElement | Y.XmlText);
  const before = types.map((type) => charsUnder(type));
  const copies = types.map(copyOf);
  for (const type of types) parent.delete(parent.toArray().indexOf(type), 1);
  const anchor = (behind.after.content as Y.ContentType).type;
  parent.insert(parent.toArray().indexOf(anchor as Y.XmlElement) + 1, copies);
  copies.forEach((copy, i) => {
    const after = charsUnder(copy);
    before[i]!.forEach((original, k) => {
      const now = after[k];
      if (now === undefined || now.ch !== original.ch) return;
      moved.set(keyOf(original.id), { text: now.text, id: now.id });
      ledger?.record(original, now);
    });
  });
}

/**
 * Where a key of mine goes that was typed into a block someone moved with `moveParagraphsAfter`
 * before my key reached them (the remote `tr` deleted the block and inserted its copy), when no
 * character around it tells (the block was empty, or held only my keys): the start of the copy.
 * Blocks deleted and inserted by `tr` of the block's own author pair up in order; null when they
 * do not (a join, a split, a paste over other blocks).
 */
export function movedBlockStart(tr: Y.Transaction, text: Y.Text): { text: Y.Text; index: number } | null {
  const block = blockOf(text);
  if (block === null || !block.deleted || !Y.isDeleted(tr.deleteSet, block.id) || block.parent === null) return null;
  const deleted: Y.Item[] = [];
  const inserted: Y.Item[] = [];
  for (let item = block.parent._start; item !== null; item = item.right) {
    if (!(item.content instanceof Y.ContentType) || item.id.client !== block.id.client) continue;
    if (item.deleted) {
      if (Y.isDeleted(tr.deleteSet, item.id)) deleted.push(item);
    } else if (item.id.clock >= (tr.beforeState.get(item.id.client) ?? 0)) {
      inserted.push(item);
    }
  }
  if (deleted.length !== inserted.length) return null;
  const copy = (inserted[deleted.indexOf(block)]?.content as Y.ContentType | undefined)?.type;
  if (!(copy instanceof Y.XmlElement)) return null;
  const first = copy.toArray().find((child): child is Y.XmlText => child instanceof Y.XmlText);
  if (first !== undefined) return { text: first, index: 0 };
  const fresh = new Y.XmlText();
  copy.insert(0, [fresh]);
  return { text: fresh, index: 0 };
}
