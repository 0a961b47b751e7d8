import * as Y from 'yjs';
import { type DeleteSet, incomingDeleteSet, incomingStructs } from '../sync/incomingDeletes.js';
import { isShown, type LedgerChar, MoveLedger } from './moveLedger.js';
import { type GoneCopy, goneCopies } from './goneCopies.js';
import { movedBlockStart, moveParagraphsAfter, paragraphsBehind } from './paragraphOrder.js';

/**
 * Keeps my keystrokes with the text they were typed into when someone else moves that text.
 *
 * y-prosemirror (and Yjs 13, which has no move) represents a paragraph split (Enter in the middle,
 * a paste of several paragraphs) and a join (Backspace at the start, Delete at the end of a
 * paragraph) as deleting the moved text and inserting a copy of it elsewhere. A character I typed
 * into that text before the move reached me was not seen by the mover: Yjs keeps it where its
 * neighbours were, so after a split it stays behind in the first paragraph (reordered), and after a
 * join it sits in the deleted paragraph (lost).
 *
 * Every page therefore looks at each remote transaction for moved text: characters it deleted and
 * characters it inserted into another text, matched in order (an LCS), which is exactly what a
 * split, join or multi-paragraph paste writes. My own characters whose left neighbour (or, for one
 * deleted with its paragraph, right neighbour) was moved are then moved after it, in one local
 * transaction (`MOVE_REBASE_ORIGIN`): deleted where they are if still shown, inserted next to the
 * copy. Each page moves only its own characters, so no two pages move the same one; others'
 * characters left behind count as moved where they will go, so mine typed after them go along.
 * Only a transaction that makes or deletes a paragraph is taken for a move (a page moving its own
 * characters is not followed: what I typed after them I typed where they stood; the ledger notes
 * such a move all the same, for duplicates: noteOthersOwnMoves; and my page notes a drag of mine,
 * in one transaction, as a move too, not as a deletion: ownMovePairs).
 *
 * Two people moving the same text at once (two Enters in one paragraph, Enter racing a join or a
 * paste) both copy it. Each page keeps a ledger of the moves it made and received (moveLedger.ts);
 * when a remote move copies originals it already knows a copy of (the sender's own delete set names
 * them, though Yjs had already deleted them here), one copy stays, decided alike on every page from
 * the document alone, and every page that sees both deletes the others in the same batch (so none
 * draws the duplicate); keys typed after (or just before) a copy that goes follow the one that stays.
 * Text I deleted myself (or undid) that someone moved before my deletion reached them goes too.
 * Not covered: characters of a client that does not run this (they stay where Yjs puts them).
 * See docs/y-prosemirror-patch.md.
 */

/** The origin of the transactions that carry my characters to where the text they were in moved. */
export const MOVE_REBASE_ORIGIN = { moveRebase: true } as const;

/** One character: the text it is in and its Yjs id. */
export interface CharRef {
  text: Y.Text;
  id: Y.ID;
}

/** Moved characters by key (`client:clock`): where each one (original, or a character of mine) went. */
export type MoveMap = Map<string, CharRef>;

const keyOf = (client: number, clock: number): string => `${client}:${clock}`;

interface Char extends CharRef {
  ch: string;
}

/** Items' fields Yjs keeps public at run time but does not type. */
type RawItem = Y.Item & { parent: Y.AbstractType<any> };

/**
 * Adds the parent text of every string item of `client` from clock `from` (inclusive) to `to`
 * (exclusive); returns whether any of them is a type (a paragraph or text made or deleted).
 */
function collectTexts(doc: Y.Doc, client: number, from: number, to: number, into: Set<Y.Text>): boolean {
  const structs = doc.store.clients.get(client);
  let types = false;
  if (structs === undefined || from >= to) return types;
  for (let i = Y.findIndexSS(structs, from); i < structs.length; i++) {
    const struct = structs[i]!;
    if (struct.id.clock >= to) break;
    if (struct instanceof Y.Item && struct.content instanceof Y.ContentType) types = true;
    if (struct instanceof Y.Item && struct.content instanceof Y.ContentString) {
      const parent = (struct as RawItem).parent;
      if (parent instanceof Y.Text) into.add(parent);
    }
  }
  return types;
}

/** Every Y.Text under `root`, in document order, deleted ones included. */
function textsInOrder(root: Y.AbstractType<any>, wanted: Set<Y.Text>, out: Y.Text[] = []): Y.Text[] {
  for (let item = root._start; item !== null; item = item.right) {
    if (!(item.content instanceof Y.ContentType)) continue;
    const type = item.content.type;
    if (type instanceof Y.Text) {
      if (wanted.has(type)) out.push(type);
    } else {
      textsInOrder(type, wanted, out);
    }
  }
  return out;
}

/** Where `id` stands in `text` as an index (a deleted character stands where it was). */
function indexOf(text: Y.Text, id: Y.ID): number {
  let index = 0;
  for (let item = text._start; item !== null; item = item.right) {
    const inside = item.id.client === id.client && id.clock >= item.id.clock && id.clock < item.id.clock + item.length;
    const shown = !item.deleted && item.countable;
    if (inside) return index + (shown ? id.clock - item.id.clock : 0);
    if (shown) index += item.length;
  }
  return index;
}

/**
 * The key of the character left of `item` as its author saw it: the nearest one still there for
 * it (Yjs puts a character typed after the last shown one after any deleted ones that follow it, so
 * its origin can be a long-deleted character).
 */
function shownLeft(tr: Y.Transaction, item: Y.Item, moves: MoveMap, inDeletedParagraph: boolean): string | null {
  for (let left = item.left; left !== null; left = left.left) {
    if (!left.countable) continue;
    for (let k = left.length - 1; k >= 0; k--) {
      const key = keyOf(left.id.client, left.id.clock + k);
      // Deleted by this transaction: moved, or gone with its paragraph (its author may have typed
      // more after it), count; deleted on purpose (its author had seen it) is skipped as if gone.
      if (!left.deleted) return key;
      if (Y.isDeleted(tr.deleteSet, Y.createID(left.id.client, left.id.clock + k)) && (moves.has(key) || inDeletedParagraph)) return key;
    }
  }
  return null;
}

/** Where `id` stands among all of `text`'s characters, deleted ones included (list order). */
function ordinalOf(text: Y.Text, id: Y.ID): number {
  let ordinal = 0;
  for (let item = text._start; item !== null; item = item.right) {
    if (item.id.client === id.client && id.clock >= item.id.clock && id.clock < item.id.clock + item.length) return ordinal + id.clock - item.id.clock;
    ordinal += item.length;
  }
  return ordinal;
}


/**
 * Whether `text` sits in a paragraph `tr` deleted, and every character `tr` deleted in it is mine
 * or one its sender never saw: the other person saw it empty (or only my text) and joined it away.
 * Someone else's characters the sender never saw were typed there at the same time as mine (two
 * people typing the first keys into an empty line a third removes): their author's page puts them
 * at the end of the line the join kept, as mine go. Counting them as the sender's lost my key
 * whenever their key reached my page before the removal (soak seeds 20, 275, 305, four people).
 */
function wholeParagraphOfMine(tr: Y.Transaction, text: Y.Text, me: number): boolean {
  if (!paragraphDeletedBy(tr, text)) return false;
  const sent = incomingDeleteSet();
  // Characters the paragraph's own maker typed into it count as nothing: a line someone made and
  // then removed with what they had typed in it (an undo of their Enter and typing) was empty to
  // them but for their own text, and a key I typed into it at the same time goes on as in a line
  // they saw empty.
  const maker = (text.parent as Y.AbstractType<unknown> | null)?._item?.id.client;
  for (const child of [...siblingsOf(text)]) {
    for (let it = child._start; it !== null; it = it.right) {
      if (!(it.content instanceof Y.ContentString) || it.id.client === me || it.id.client === maker) continue;
      for (let k = 0; k < it.length; k++) {
        const id = Y.createID(it.id.client, it.id.clock + k);
        if (Y.isDeleted(tr.deleteSet, id) && (sent === null || Y.isDeleted(sent, id))) return false;
      }
    }
  }
  return true;
}

/**
 * Whether `tr` deleted the paragraph `text` is in (or `text` itself): then characters deleted with it
 * may be ones its author never saw. Elsewhere a transaction deletes only characters it saw.
 */
function paragraphDeletedBy(tr: Y.Transaction, text: Y.Text): boolean {
  const own = text._item;
  if (own !== null && own.deleted && Y.isDeleted(tr.deleteSet, own.id)) return true;
  const item = (text._item?.parent as Y.AbstractType<any> | undefined)?._item;
  return item !== null && item !== undefined && item.deleted && Y.isDeleted(tr.deleteSet, item.id);
}

/** Whether `text`, or the paragraph it is in, is deleted. */
function inDeletedLine(text: Y.Text): boolean {
  const item = text._item;
  if (item === null) return false;
  if (item.deleted) return true;
  const paragraph = (item.parent as Y.AbstractType<any> | null)?._item;
  return paragraph !== null && paragraph !== undefined && paragraph.deleted;
}

/** Whether the update being applied names `id` in its own delete set (its sender saw and deleted it). */
function deletedBySender(id: Y.ID): boolean {
  const sent = incomingDeleteSet();
  return sent !== null && Y.isDeleted(sent, id);
}

/** The Y.Texts in the same paragraph as `text`. */
function* siblingsOf(text: Y.Text): Generator<Y.Text> {
  const paragraph = text._item?.parent as Y.AbstractType<any> | undefined;
  for (let item = paragraph?._start ?? null; item !== null; item = item.right) {
    if (item.content instanceof Y.ContentType && item.content.type instanceof Y.Text) yield item.content.type;
  }
}

/**
 * The key of the last character of the text before `text` in its paragraph (`side` -1), or of the
 * first of the text after it (1); null when there is none.
 */
function besideInParagraph(text: Y.Text, side: -1 | 1): string | null {
  const texts = [...siblingsOf(text)];
  const other = texts[texts.indexOf(text) + side];
  if (other === undefined) return null;
  let found: string | null = null;
  for (let item = other._start; item !== null; item = item.right) {
    if (!(item.content instanceof Y.ContentString)) continue;
    found = keyOf(item.id.client, side === 1 ? item.id.clock : item.id.clock + item.length - 1);
    if (side === 1) break;
  }
  return found;
}

/**
 * The end of the text of the nearest shown paragraph before the deleted one `text` is in (else the
 * start of the next; else, none being left, a new paragraph where it stood).
 */
function joinedInto(text: Y.Text): { text: Y.Text; index: number } | null {
  const paragraph = (text._item?.parent as Y.AbstractType<any> | undefined)?._item;
  if (paragraph === null || paragraph === undefined) return null;
  for (const [step, atEnd] of [[(i: Y.Item) => i.left, true], [(i: Y.Item) => i.right, false]] as const) {
    for (let item = step(paragraph); item !== null; item = step(item)) {
      if (item.deleted || !(item.content instanceof Y.ContentType) || !(item.content.type instanceof Y.XmlElement)) continue;
      const element = item.content.type;
      const texts = element.toArray().filter((child): child is Y.XmlText => child instanceof Y.XmlText);
      const last = atEnd ? texts[texts.length - 1] : texts[0];
      if (last !== undefined) return { text: last, index: atEnd ? last.length : 0 };
      const fresh = new Y.XmlText();
      element.insert(atEnd ? element.length : 0, [fresh]);
      return { text: fresh, index: 0 };
    }
  }
  // Every paragraph around it is gone: both people joined the same line at once, one of them into
  // a line they had emptied (their join deleted that empty line, the other's deleted this one).
  const root = paragraph.parent;
  if (!(root instanceof Y.XmlFragment) && !(root instanceof Y.XmlElement)) return null;
  const fresh = new Y.XmlText();
  const block = new Y.XmlElement('paragraph');
  block.insert(0, [fresh]);
  root.insertAfter(paragraph, [block]);
  return { text: fresh, index: 0 };
}

/**
 * For a character deleted with its paragraph whose left neighbour did not move: the copy of the
 * nearest moved character to its right (its right origin first), which it goes before. The texts
 * after its own in the paragraph count too, read as one with it (two people's first keys into an
 * empty paragraph make two texts side by side): when I typed "xy" into an empty line while someone
 * typed "G" there and joined the line away without having seen mine, the "x"'s right neighbour is
 * my "y", not moved (yet), and the nearest moved one is the "G" in the text after mine. Looking no
 * further than my own text, the "x" stayed in the deleted line and was lost (soak seed 33).
 */
function nearestMoved(char: CharRef, all: MoveMap, right: string | null): { copy: CharRef; key: string } | undefined {
  const direct = right === null ? undefined : all.get(right);
  if (direct !== undefined) return { copy: direct, key: right! };
  const texts = [...siblingsOf(char.text)];
  const from = texts.indexOf(char.text);
  let passed = false;
  for (const text of from < 0 ? [char.text] : texts.slice(from)) {
    for (let item = text._start; item !== null; item = item.right) {
      if (!(item.content instanceof Y.ContentString)) continue;
      for (let k = 0; k < item.length; k++) {
        const clock = item.id.clock + k;
        if (passed) {
          const key = keyOf(item.id.client, clock);
          const copy = all.get(key);
          if (copy !== undefined) return { copy, key };
        } else if (item.id.client === char.id.client && clock === char.id.clock) {
          passed = true;
        }
      }
    }
  }
  return undefined;
}

/** The character `key` as it stands in `doc` (deleted or not), when its item and text are still there. */
function charAt(doc: Y.Doc, key: string, ch: string): LedgerChar | null {
  const [client, clock] = key.split(':').map(Number) as [number, number];
  const structs = doc.store.clients.get(client);
  if (structs === undefined) return null;
  const struct = structs[Y.findIndexSS(structs, clock)];
  if (!(struct instanceof Y.Item) || !(struct.content instanceof Y.ContentString)) return null;
  const text = (struct as RawItem).parent;
  return text instanceof Y.Text ? { text, id: Y.createID(client, clock), ch } : null;
}

/** The item holding the character `id` here, when Yjs keeps one. */
function itemAt(doc: Y.Doc, id: Y.ID): Y.Item | null {
  const structs = doc.store.clients.get(id.client);
  if (structs === undefined || id.clock >= Y.getState(doc.store, id.client)) return null;
  const struct = structs[Y.findIndexSS(structs, id.clock)];
  return struct instanceof Y.Item ? struct : null;
}

/** The text a gone copy arrived into, when Yjs kept its item there (its content may be collected). */
function ghostTextOf(doc: Y.Doc, key: string): Y.AbstractType<any> | null {
  const [client, clock] = key.split(':').map(Number) as [number, number];
  const structs = doc.store.clients.get(client);
  if (structs === undefined) return null;
  const struct = structs[Y.findIndexSS(structs, clock)];
  if (!(struct instanceof Y.Item)) return null;
  const text = (struct as RawItem).parent;
  return text instanceof Y.AbstractType ? text : null;
}

/**
 * For a gone copy Yjs collected whole (no item left here to tell its line by): the removal of the line
 * it went into, read from the update as its sender wrote it (the first character of a text names the
 * text it is in, and a text the paragraph) or from the gone copy it was put after. Undefined when not
 * known, or when no line around it was removed here before this change.
 */
function goneLineRemoval(doc: Y.Doc, ledger: MoveLedger, ghost: GoneCopy, decoded: (key: string) => Y.Item | undefined): { seen: number; mine: boolean } | undefined {
  const own = decoded(ghost.key);
  if (own === undefined) return undefined;
  const first = own.id.clock === Number(ghost.key.split(':')[1]);
  if (!first || own.origin !== null) return ghost.origin === null ? undefined : ledger.goneLineOf(ghost.origin);
  // Up the items it stands in: the first one removed here before this change.
  let parent: unknown = (own as RawItem).parent;
  for (let depth = 0; depth < 8 && parent instanceof Y.ID; depth++) {
    const id: Y.ID = parent;
    const key = keyOf(id.client, id.clock);
    const removed = ledger.removedBefore(key);
    if (removed !== undefined) return removed;
    const above = decoded(key);
    if (above !== undefined) {
      parent = (above as RawItem).parent;
      continue;
    }
    const structsHere = doc.store.clients.get(id.client);
    const item = structsHere?.[Y.findIndexSS(structsHere, id.clock)];
    parent = item instanceof Y.Item ? ((item as RawItem).parent as Y.AbstractType<any> | null)?._item?.id ?? null : null;
  }
  return undefined;
}

/** Pairs `deleted[i]` with `inserted[j]` along a longest common subsequence of characters in different texts. */
function matchMoves(deleted: Char[], inserted: Char[]): Array<[Char, Char]> {
  const same = (i: number, j: number): boolean => deleted[i]!.ch === inserted[j]!.ch && deleted[i]!.text !== inserted[j]!.text;
  return commonSubsequence(deleted.length, inserted.length, same).map(([i, j]) => [deleted[i]!, inserted[j]!]);
}

/** Index pairs `[i, j]` along a longest common subsequence of two lists of `n` and `m` items where `same(i, j)`. */
function commonSubsequence(n: number, m: number, same: (i: number, j: number) => boolean): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  if (n * m > 4_000_000) {
    // Too large for the table: match greedily in order (a move copies text verbatim).
    let i = 0;
    for (let j = 0; j < m && i < n; j++) {
      let k = i;
      while (k < n && !same(k, j)) k++;
      if (k < n) {
        out.push([k, j]);
        i = k + 1;
      }
    }
    return out;
  }
  const width = m + 1;
  const lcs = new Uint32Array((n + 1) * width);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i * width + j] = same(i, j) ? lcs[(i + 1) * width + j + 1]! + 1 : Math.max(lcs[(i + 1) * width + j]!, lcs[i * width + j + 1]!);
    }
  }
  for (let i = 0, j = 0; i < n && j < m; ) {
    if (same(i, j) && lcs[i * width + j] === lcs[(i + 1) * width + j + 1]! + 1) {
      out.push([i, j]);
      i++;
      j++;
    } else if (lcs[(i + 1) * width + j]! >= lcs[i * width + j + 1]!) i++;
    else j++;
  }
  return out;
}

/**
 * The text the remote transaction `tr` moved under `root`: each moved character's copy, by key; and
 * the texts `tr` deleted from or inserted into, in document order.
 */
export function movesIn(
  tr: Y.Transaction,
  root: Y.AbstractType<any>,
  ledger?: MoveLedger,
): { moves: MoveMap; texts: Y.Text[]; pairs: Array<[Char, Char]>; gone: Map<string, GoneCopy> } {
  const doc = tr.doc;
  const deletedIn = new Set<Y.Text>();
  const insertedIn = new Set<Y.Text>();
  let structural = false;
  tr.deleteSet.clients.forEach((ranges, client) => {
    for (const range of ranges) structural = collectTexts(doc, client, range.clock, range.clock + range.len, deletedIn) || structural;
  });
  // Originals someone else moved before this change reached me, which its sender moved too (its own
  // delete set names them, though Yjs had already deleted them here): a second copy of them.
  const movedAgain = ledger === undefined || tr.local ? new Map<string, LedgerChar & { order: number }>() : alreadyMoved(ledger);
  for (const original of movedAgain.values()) deletedIn.add(original.text);
  // The sender's paragraph change may be one Yjs had already applied here too (two joins of one
  // paragraph): it still moved the text.
  if ([...movedAgain.keys()].some((key) => ledger!.isMoved(key))) structural = true;
  tr.afterState.forEach((after, client) => {
    structural = collectTexts(doc, client, tr.beforeState.get(client) ?? 0, after, insertedIn) || structural;
  });
  // Only a change of the paragraphs (a split, join or paste makes or deletes a paragraph) moves
  // text. Another page moving its own characters after such a move is not followed: whatever I
  // typed after them I typed where they stood then.
  // Text put into a paragraph already gone here moved too, though the change made or deleted no
  // paragraph: an undo putting a key back where it stood before an Enter, into a line someone removed
  // meanwhile (Ada emptied the line and removed it as Grace undid her Enter before Ada's "b": the "b"
  // went back into that line and nothing put it anywhere else; soak seed 375, two people, undo).
  if (deletedIn.size > 0 && !structural && goneCopies(tr).length > 0) structural = true;
  if (deletedIn.size === 0 || !structural) return { moves: new Map(), texts: [], pairs: [], gone: new Map() };
  const texts = textsInOrder(root, new Set([...deletedIn, ...insertedIn]));
  const deleted: Char[] = [];
  const inserted: Char[] = [];
  const sent = tr.local ? null : incomingDeleteSet();
  for (const text of texts) {
    for (let item = text._start; item !== null; item = item.right) {
      const { client, clock } = item.id;
      if (!(item.content instanceof Y.ContentString)) {
        // Collected content of a character deleted earlier: only a known original moved again counts.
        if (item.deleted && movedAgain.size > 0 && item.content instanceof Y.ContentDeleted) {
          for (let k = 0; k < item.length; k++) {
            const again = movedAgain.get(keyOf(client, clock + k));
            if (again !== undefined) deleted.push({ text, id: again.id, ch: again.ch });
          }
        }
        continue;
      }
      const str = item.content.str;
      const newFrom = tr.beforeState.get(client) ?? 0;
      for (let k = 0; k < str.length; k++) {
        const id = Y.createID(client, clock + k);
        // Not a character its sender never saw (deleted here only with its paragraph): no move of
        // theirs copied it. Grace's Ctrl+Z put my "B" back into a line Ada was joining up with the
        // "B" as it stood before Grace's Enter; paired by letter with Ada's copy, Grace's page took
        // her restored "B" for moved and Ada's page deleted that copy as losing to Grace's Enter's:
        // lost on both (soak seed 487, two people, undo).
        if (item.deleted && sent !== null && !Y.isDeleted(sent, id) && !movedAgain.has(keyOf(client, clock + k))) continue;
        if (item.deleted ? (Y.isDeleted(tr.deleteSet, id) || movedAgain.has(keyOf(client, clock + k))) && deletedIn.has(text) : clock + k >= newFrom) {
          (item.deleted ? deleted : inserted).push({ text, id, ch: str[k]! });
        }
      }
    }
  }
  if (movedAgain.size > 0) {
    // Originals whose paragraph is gone from the tree (deleted and collected: a join took it) are
    // not met above; they follow, in the order their copies stand (a move copies text in order).
    const met = new Set(deleted.map((c) => keyOf(c.id.client, c.id.clock)));
    const unmet = ledger!.inOrder([...movedAgain.keys()].filter((key) => !met.has(key)));
    for (const key of unmet) {
      const original = movedAgain.get(key)!;
      deleted.push({ text: original.text, id: original.id, ch: original.ch });
    }
  }
  const pairs = matchMoves(deleted, inserted);
  // Originals whose copy arrived into a paragraph already gone here (goneCopies.ts).
  const gone = new Map<string, GoneCopy>();
  const ghosts = goneCopies(tr);
  if (ledger !== undefined && ghosts.length > 0) {
    // The update's items by client, to read where each gone copy was written (goneLineRemoval).
    const byClient = new Map<number, Y.Item[]>();
    for (const struct of incomingStructs() ?? []) {
      if (!(struct instanceof Y.Item)) continue;
      const list = byClient.get(struct.id.client) ?? [];
      list.push(struct);
      byClient.set(struct.id.client, list);
    }
    const decoded = (key: string): Y.Item | undefined => {
      const [client, clock] = key.split(':').map(Number) as [number, number];
      return byClient.get(client)?.find((struct) => clock >= struct.id.clock && clock < struct.id.clock + struct.length);
    };
    for (const ghost of ghosts) {
      ledger.noteGoneArrival(ghost.key, ghost.ch);
      const removed = goneLineRemoval(doc, ledger, ghost, decoded);
      if (removed !== undefined) ledger.noteGoneLine(ghost.key, removed);
    }
  }
  if (ghosts.length > 0) {
    const paired = new Set([...pairs.map(([from]) => keyOf(from.id.client, from.id.clock)), ...ghosts.map((g) => g.key)]);
    const unpaired = deleted.filter((c) => !paired.has(keyOf(c.id.client, c.id.clock)));
    const usedGhosts = new Set<number>();
    for (const [i, j] of commonSubsequence(unpaired.length, ghosts.length, (i, j) => unpaired[i]!.ch === ghosts[j]!.ch)) {
      gone.set(keyOf(unpaired[i]!.id.client, unpaired[i]!.id.clock), ghosts[j]!);
      usedGhosts.add(j);
    }
    // An undo writes what it restores in no document order (the "c" it put back before the "Bb"
    // before it): copies some move made that are left unpaired go, by letter, with the gone copies
    // left. Grace undid her Enter ("aA / Bbc") as Ada removed the line it would go back into; the
    // "c" (Ada's, which Grace had joined up) was not paired with its restored copy, so Ada's page
    // never put it back: lost (soak seed 375, two people, undo).
    for (const char of unpaired) {
      const key = keyOf(char.id.client, char.id.clock);
      if (gone.has(key) || ledger?.isCopy(key) !== true) continue;
      const j = ghosts.findIndex((ghost, g) => !usedGhosts.has(g) && ghost.ch === char.ch);
      if (j < 0) continue;
      gone.set(key, ghosts[j]!);
      usedGhosts.add(j);
    }
  }
  return { moves: new Map(pairs.map(([from, to]) => [keyOf(from.id.client, from.id.clock), to])), texts, pairs, gone };
}

/**
 * The originals the ledger knows were moved that the update being applied also deleted (its
 * sender's own delete set names them), by key.
 */
function alreadyMoved(ledger: MoveLedger): Map<string, LedgerChar & { order: number }> {
  const out = new Map<string, LedgerChar & { order: number }>();
  const sent = incomingDeleteSet();
  if (sent === null) return out;
  sent.clients.forEach((ranges, client) => {
    for (const range of ranges) {
      for (let clock = range.clock; clock < range.clock + range.len; clock++) {
        const original = ledger.original(keyOf(client, clock));
        if (original !== undefined) out.set(keyOf(client, clock), original);
      }
    }
  });
  return out;
}

/**
 * A change that makes no paragraph, read as its one sender moving their own keys: the sender's own
 * characters (copies someone's move made of them count as theirs) that `sent` (the sender's delete
 * set) names, paired by letter, in order, with the characters the change inserted. Both the sender's
 * page (for its own change: a drag, a cut and paste in one transaction, typing a letter over the same
 * letter) and every other page (noteOthersOwnMoves) read it so, so all their ledgers agree on it.
 * `anyAuthor`: anyone's characters (for my own change only): I dragged Olga's "12" while Grace pressed
 * Enter between them; my page, taking it for a deletion, deleted the Enter's copy of the "2", and the
 * pages that saw the Enter first (knowing the "2" moved, the drag's delete set naming it) deleted my
 * drag's copy as the losing one. Other pages do not read a change of someone else's letters as a move
 * (their author's own page's rebase writes only its own): the drag's page and those that already know
 * the letters moved decide the duplicate, alike.
 */
function ownMovePairs(tr: Y.Transaction, sent: DeleteSet, ledger: MoveLedger, anyAuthor = false): Array<readonly [Char, Char]> {
  // What the change wrote: one person's characters (a rebase writes only its own page's).
  const inserted: Char[] = [];
  let sender: number | null = null;
  tr.afterState.forEach((after, client) => {
    const before = tr.beforeState.get(client) ?? 0;
    if (after <= before) return;
    sender = sender === null ? client : -1;
    const structs = tr.doc.store.clients.get(client) ?? [];
    for (let i = Y.findIndexSS(structs, before); i < structs.length; i++) {
      const item = structs[i]!;
      if (!(item instanceof Y.Item) || item.deleted || !(item.content instanceof Y.ContentString)) continue;
      const text = (item as RawItem).parent;
      if (!(text instanceof Y.Text)) continue;
      for (let k = 0; k < item.length; k++) inserted.push({ text, id: Y.createID(client, item.id.clock + k), ch: item.content.str[k]! });
    }
  });
  if (sender === null || sender === -1 || inserted.length === 0) return [];
  // What it deleted of that person's own keys (copies of them someone's move made count as theirs).
  const deleted: Char[] = [];
  sent.clients.forEach((ranges, client) => {
    const structs = tr.doc.store.clients.get(client);
    if (structs === undefined) return;
    for (const range of ranges) {
      for (let clock = range.clock; clock < range.clock + range.len; clock++) {
        const id = Y.createID(client, clock);
        // Not a losing copy of a duplicate: the sender's rebase deletes those too, moving nothing
        // (paired by letter with the key it did move, the moved key's new copy lost: seed 48, paste).
        if ((!anyAuthor && ledger.authorOf(id) !== sender) || clock >= Y.getState(tr.doc.store, client) || ledger.isLost(keyOf(client, clock))) continue;
        const item = structs[Y.findIndexSS(structs, clock)];
        if (!(item instanceof Y.Item)) continue;
        const text = (item as RawItem).parent;
        // A gone copy's letter is known from its arrival (Yjs collected its content then).
        const ch = item.content instanceof Y.ContentString ? item.content.str[clock - item.id.clock] : (ledger.original(keyOf(client, clock))?.ch ?? ledger.goneLetterOf(keyOf(client, clock)));
        if (ch !== undefined && text instanceof Y.Text) deleted.push({ text, id, ch });
      }
    }
  });
  // A key its sender's rebase put back after the copy of the character its gone copy had followed
  // (a copy of that key went into a line already removed here, after a character a join of this
  // page's has since copied on: the put-back of that gone copy, whose deletion the change does not
  // name, Yjs having deleted it with its line on the sender's page too) is no copy of a key the
  // change deleted (a losing copy of a duplicate its sender's page saw and this page may not have).
  // Paired with that one, it made a second copy of a key this page had moved on, and my copy,
  // standing later, deleted the sender's while the sender deleted mine: lost. Grace's join copied her
  // "A" into a line Ada had joined up; Ada's join of the same "A" was the losing copy, which Ada moved
  // on with an Enter; Grace's rebase deleted Ada's copy and put hers back after Ada's "h" (soak seed
  // 9443, at the end).
  const putBack = new Set<string>();
  if (!anyAuthor) {
    for (const c of inserted) {
      const item = itemAt(tr.doc, c.id);
      const origin = item?.origin ?? null;
      const from = origin === null ? undefined : ledger.copiedFrom(keyOf(origin.client, origin.clock));
      if (from === undefined) continue;
      const [client, clock] = from.split(':').map(Number) as [number, number];
      const left = itemAt(tr.doc, Y.createID(client, clock));
      for (let it = left?.right ?? null; it !== null && it.deleted; it = it.right) {
        // Its letter as written, or as it arrived (Yjs keeps no content for one that arrived into a removed line).
        const ch = it.content instanceof Y.ContentString ? it.content.str[0] : (ledger.goneLetterOf(keyOf(it.id.client, it.id.clock)) ?? c.ch);
        // Only a gone copy (in a line removed here), and only when what the change deleted of that
        // letter are copies others made (the losing copies its page deletes): read so whatever the
        // change deleted, a key was lost at the end in four-person seed 9045 and, with drags, in 51
        // and 349 (not traced).
        const parent = (it as RawItem).parent;
        const goneLine = parent instanceof Y.Text && inDeletedLine(parent);
        const othersOnly = !deleted.some((d) => d.ch === c.ch && d.id.client === sender);
        if (goneLine && othersOnly && it.id.client === sender && it.origin !== null && it.origin.client === client && it.origin.clock === clock && ch === c.ch) {
          putBack.add(keyOf(c.id.client, c.id.clock));
          break;
        }
      }
    }
  }
  if (putBack.size > 0) inserted.splice(0, inserted.length, ...inserted.filter((c) => !putBack.has(keyOf(c.id.client, c.id.clock))));
  return commonSubsequence(deleted.length, inserted.length, (i, j) => deleted[i]!.ch === inserted[j]!.ch).map(([i, j]) => [deleted[i]!, inserted[j]!] as const);
}

/**
 * Another page moving its own keys (its rebase: a change that makes no paragraph, deleting keys of
 * its author and inserting the same letters elsewhere) is not followed, but the ledger notes it: the
 * moved key is an original with a copy, so someone else's split or join that copies the same key
 * (not having seen that move) makes a duplicate every page sees, and one copy stays everywhere.
 * Unnoted, a page other than the key's author's showed the key twice (the author's page deleting one
 * copy as the duplicate only later); its user deleting one of the two, the author's page then
 * deleted the other one as the duplicate: lost (four-person soak seed 472; seed 489 the same on the
 * Enter's own page, where the rebase, naming an original the ledger knew moved, looked like a move
 * but copied nothing into another text). Deletes the copies that lose at once, as for any duplicate,
 * only when the copy that stays shows (one gone with its line is no reason to delete the author's new
 * place: that lost keys, two-person seed 220); returns the losers' moves (to the copy that stays).
 */
function noteOthersOwnMoves(tr: Y.Transaction, ledger: MoveLedger): MoveMap {
  const moves: MoveMap = new Map();
  const sent = incomingDeleteSet();
  if (sent === null) return moves;
  const pairs = ownMovePairs(tr, sent, ledger);
  if (pairs.length === 0) return moves;
  for (const [original, copy] of pairs) ledger.record(original, copy);
  const remove: LedgerChar[] = [];
  for (const dup of ledger.duplicates(pairs.map(([original]) => keyOf(original.id.client, original.id.clock)))) {
    if (dup.winner === null || !isShown(dup.winner.text, dup.winner.id)) continue;
    for (const key of [dup.original, ...dup.redirect]) moves.set(key, dup.winner);
    for (const char of dup.remove) {
      ledger.noteLost(char, dup.winner);
      remove.push(char);
    }
  }
  if (remove.length > 0) {
    tr.doc.transact(() => {
      for (const char of remove) if (isShown(char.text, char.id)) char.text.delete(indexOf(char.text, char.id), 1);
    }, MOVE_REBASE_ORIGIN);
  }
  return moves;
}

/**
 * Moves my characters that `tr` (remote) left behind after text it moved; returns every move, the
 * remote one's and mine, for the caret to follow (empty when nothing moved).
 */
export function rebaseOwnCharacters(tr: Y.Transaction, root: Y.AbstractType<any>, ledger?: MoveLedger): MoveMap {
  const found = movesIn(tr, root, ledger);
  if (ledger === undefined || found.pairs.length > 0) return rebaseMoved(tr, root, found, ledger);
  // No split, join or paste: maybe another page moving its own keys (its sender's delete set naming
  // originals I know were moved makes it look like one, though it copied nothing into another text).
  const theirs = noteOthersOwnMoves(tr, ledger);
  const all = found.texts.length === 0 ? new Map() : rebaseMoved(tr, root, found, ledger);
  for (const [key, to] of theirs) if (!all.has(key)) all.set(key, to);
  return all;
}

/** rebaseOwnCharacters, for what movesIn found. */
function rebaseMoved(tr: Y.Transaction, root: Y.AbstractType<any>, found: ReturnType<typeof movesIn>, ledger?: MoveLedger): MoveMap {
  const { moves, gone } = found;
  let { texts } = found;
  const doc = tr.doc;
  const me = doc.clientID;
  // Text moved by two people at once: one copy stays (moveLedger.ts); the others are deleted, and
  // whatever followed them follows the one that stays.
  const duplicates: LedgerChar[] = [];
  /** The keys of the copies that go (each maps to the one that stays). */
  const losers = new Set<string>();
  /** Copies that go whose winner this change deleted with its line: not left behind, nothing follows them. */
  const settled = new Set<string>();
  if (ledger !== undefined && found.pairs.length > 0) {
    for (const [original, copy] of found.pairs) ledger.record(original, copy);
    const extra = new Set<Y.Text>();
    for (const dup of ledger.duplicates(moves.keys())) {
      // Not to a copy that stays which this very change deleted with its line: the original keeps
      // this change's copy (where the line's text went; deleted at the end as the copy that loses),
      // so a key of mine before it goes there. Mapped to where the copy that stays stood, the key went
      // before it, back into the deleted line: Grace joined "c" into "a" while I typed "x" before the
      // "c", pressed Enter after the "x" and Backspace (my copy of "c", made later in the document,
      // stays): "x" was lost, and "c" with it, put back after the "x" as a key of mine deleted with
      // its line (soak seed 5024). The copy that stays is put back by its author's page (stranded
      // there like any key deleted with its line; four-person seed 5270: a third person's "c").
      const winnerGone = dup.winner !== null && Y.isDeleted(tr.deleteSet, dup.winner.id) && paragraphDeletedBy(tr, dup.winner.text);
      if (dup.winner !== null && !winnerGone) moves.set(dup.original, dup.winner);
      // Not after a copy that stays which was deleted with its line (by this very change, or since):
      // its author's page puts it back, maybe after the very keys that would follow it. Ada split "ab"
      // and joined the "b" back after the "c" Grace had joined in ("acb"); Grace, having seen neither,
      // joined "abc" into the line before: her copy of "c" followed her losing copy of "b", so was
      // sent after Ada's, deleted with Ada's line, and lost (soak seed 367). It stays where it is.
      const winnerGoesWithLine = dup.winner !== null && !isShown(dup.winner.text, dup.winner.id) && inDeletedLine(dup.winner.text);
      for (const key of dup.redirect) {
        if (winnerGoesWithLine) {
          settled.add(key);
          continue;
        }
        moves.set(key, dup.winner!);
        losers.add(key);
      }
      for (const char of dup.remove) {
        // Not when the copy that stays went with its line before this change: nothing shows it here,
        // and its author's page may not put it back (its original's line collected there, it knows
        // no place); the copy that shows is its place. Grace joined "Ac" up while Bob, not having
        // seen it, joined it into a line Grace had removed: Bob's page deleted Grace's copy of Ada's
        // "c" for his gone one, and Ada's page had nothing left to put back (soak seeds 5465, 9038).
        if (winnerGoesWithLine && !winnerGone) continue;
        // Its mover may take it on (an Enter, a join) before my deletion reaches them: that copy loses too.
        ledger.noteLost(char, dup.winner);
        duplicates.push(char);
        extra.add(char.text);
      }
    }
    if (extra.size > 0) texts = textsInOrder(root, new Set([...texts, ...extra]));
  }
  if (moves.size === 0 && gone.size === 0 && !texts.some((text) => wholeParagraphOfMine(tr, text, me))) return moves;
  // Where each run of copied text starts, by the key of its left origin: a character I typed at the
  // same place at the same time (the end of the paragraph a join appends to) belongs before it.
  const runStarts = new Map<string, { start: CharRef; origin: Y.ID | null; rightOrigin: Y.ID | null }>();
  const copies = new Set([...moves.values()].map((c) => keyOf(c.id.client, c.id.clock)));
  for (const copy of moves.values()) {
    for (let item = copy.text._start; item !== null; item = item.right) {
      if (item.id.client !== copy.id.client || item.id.clock !== copy.id.clock) continue;
      const origin = item.origin === null ? 'start' : keyOf(item.origin.client, item.origin.clock);
      if (!copies.has(origin)) runStarts.set(origin, { start: copy, origin: item.origin, rightOrigin: item.rightOrigin });
      break;
    }
  }
  // The characters in the texts the transaction took from or wrote to, in document order: shown,
  // or deleted by this transaction along with their paragraph, and not themselves moved.
  const stranded: Array<{ char: Char; shown: boolean; left: string | null; right: string | null; origin: string | null; rightOrigin: string | null }> = [];
  /** The copies this change made: where their mover put them, never keys left behind. */
  const madeHere = new Set(found.pairs.map(([, copy]) => keyOf(copy.id.client, copy.id.clock)));
  for (const text of texts) {
    for (let item = text._start; item !== null; item = item.right) {
      if (!(item.content instanceof Y.ContentString)) continue;
      const { client } = item.id;
      const str = item.content.str;
      for (let k = 0; k < str.length; k++) {
        const id = Y.createID(client, item.id.clock + k);
        if (moves.has(keyOf(client, id.clock)) || settled.has(keyOf(client, id.clock))) continue;
        // A copy this change made stands where its mover put it, even when Yjs put it after a key
        // its mover never saw: Grace and Ada joined the same line at once, Grace's copies (with a
        // "c" Ada had deleted) first; Grace's "c" followed her losing "C" to Ada's "C", and Ada's
        // copies, after that "c", were moved after Ada's "C" by Grace's page (a move no other page
        // knew): Ada's next Enter made a duplicate each page resolved its own way (soak seed 9038).
        if (madeHere.has(keyOf(client, id.clock)) && !item.deleted) continue;
        // A character deleted before, or by this transaction where it was seen, stays deleted: seen
        // means outside a deleted paragraph, or named in the sender's own delete set (someone
        // deleting a paragraph they read, or a restore, deletes it on purpose).
        const movedIntoGone = gone.has(keyOf(client, id.clock));
        if (!movedIntoGone && item.deleted && (!Y.isDeleted(tr.deleteSet, id) || !paragraphDeletedBy(tr, text) || deletedBySender(id))) continue;
        const origin = k > 0 ? null : item.origin === null ? 'start' : keyOf(item.origin.client, item.origin.clock);
        const inDeleted = paragraphDeletedBy(tr, text);
        // In a paragraph deleted with it, a paragraph's texts side by side read as one (two people's
        // first keys into an empty paragraph make two): the neighbour may be in the text beside it.
        const left = k > 0 ? keyOf(client, id.clock - 1) : (shownLeft(tr, item, moves, inDeleted) ?? (inDeleted ? besideInParagraph(text, -1) : null));
        // Next to a copy that goes without having been typed after it (the copy that stays, made at
        // the same place at the same time, Yjs having put the other first): it is not left behind.
        // Not when what it was typed after goes too: my rebase had put a key between them (a gone
        // copy's key put back after the "c" I had pasted "fg" after, both copies then losing to a
        // join's): "fg" stayed behind, before the join's "cde" (soak seed 9159, with paste).
        if (k === 0 && left !== null && losers.has(left) && origin !== left && !(origin !== null && losers.has(origin))) continue;
        const right =
          k < str.length - 1
            ? keyOf(client, id.clock + 1)
            : item.rightOrigin !== null
              ? keyOf(item.rightOrigin.client, item.rightOrigin.clock)
              : inDeleted && item.right === null
                ? besideInParagraph(text, 1)
                : null;
        // The right neighbour it was typed before (another insertion), for a key typed before a copy that goes.
        const rightOrigin = k === str.length - 1 && item.rightOrigin !== null ? keyOf(item.rightOrigin.client, item.rightOrigin.clock) : null;
        stranded.push({ char: { text, id, ch: str[k]! }, shown: !item.deleted, left, right, origin, rightOrigin });
      }
    }
  }
  const all: MoveMap = new Map(moves);
  /**
   * Keys in `all` that map to the character they will follow rather than to where they now stand
   * (someone else's characters, which their author moves): a key of mine that goes before one of
   * them goes after that character.
   */
  const follows = new Set<string>();
  // Whose key a character is: a copy someone's move made of my key is mine to move on (its author's
  // page, not the mover's, moves it, so only one page does).
  const authorOf = (id: Y.ID): number => ledger?.authorOf(id) ?? id.client;
  // Paragraphs I made after the text someone split, which Yjs put before the split's new paragraph
  // (paragraphOrder.ts). Not when two people moved the same text: the copy that stays decides then.
  const behind = duplicates.length === 0 && losers.size === 0 ? paragraphsBehind(tr, found.pairs, me) : [];
  if (!stranded.some(({ char }) => authorOf(char.id) === me) && duplicates.length === 0 && behind.length === 0) return all;
  /**
   * My keys typed just before a copy that goes, by key: the copy that goes. The one typed right
   * before it (its right origin), as before; and at the start of a paragraph (the new paragraph a
   * losing split made), the first of the keys I typed there before the copy: the rest follow it
   * (their left neighbour moved), so the whole run goes before the copy that stays, in order. Only
   * the last going, the word was torn in two, its start left in the losing paragraph (soak seed 21,
   * two people, typing and Enter: "三上 | …下一"). Keys typed, not copies some move made (a drag's
   * copies there are the dragger's placing, not typing before the copy).
   */
  const beforeLoserOf = new Map<string, string>();
  if (losers.size > 0) {
    const strandedKeys = new Set(stranded.map(({ char }) => keyOf(char.id.client, char.id.clock)));
    for (const { char, shown, rightOrigin } of stranded) {
      if (shown && authorOf(char.id) === me && rightOrigin !== null && losers.has(rightOrigin)) beforeLoserOf.set(keyOf(char.id.client, char.id.clock), rightOrigin);
    }
    for (const text of texts) {
      let first: string | null = null;
      let last: string | null = null;
      scan: for (let item = text._start; item !== null; item = item.right) {
        if (item.deleted || !item.countable) continue;
        for (let k = 0; k < item.length; k++) {
          const key = keyOf(item.id.client, item.id.clock + k);
          if (losers.has(key)) {
            // The last of the run typed before this very copy (not a run the copy was put after).
            if (first !== null && last !== null && beforeLoserOf.get(last) === key) beforeLoserOf.set(first, key);
            break scan;
          }
          const id = Y.createID(item.id.client, item.id.clock + k);
          if (!strandedKeys.has(key) || authorOf(id) !== me || ledger?.isCopy(key) === true) break scan;
          first ??= key;
          last = key;
        }
      }
    }
  }
  /** Whether text in `text`'s paragraph was moved into a paragraph already gone here (a gone copy). */
  // Asked for each stranded key: answered once per paragraph (`gone` does not change here), and at
  // once when no copy went into a gone paragraph at all.
  const goneLineOf = new Map<unknown, boolean>();
  const movedIntoGoneLine = (text: Y.Text): boolean => {
    if (gone.size === 0) return false;
    const known = goneLineOf.get(text.parent);
    if (known !== undefined) return known;
    let found = false;
    for (const sibling of siblingsOf(text)) {
      for (let item = sibling._start; item !== null && !found; item = item.right) {
        for (let k = 0; k < item.length; k++) if (gone.has(keyOf(item.id.client, item.id.clock + k))) found = true;
      }
    }
    goneLineOf.set(text.parent, found);
    return found;
  };
  /** My clock before this rebase writes: characters from it on are ones it put somewhere. */
  const placedFrom = Y.getState(doc.store, me);
  /**
   * `joinedInto`, keeping document order: at the start of the next line, after the characters this
   * rebase has already put there (stranded characters come in document order; each would otherwise
   * go first, before those).
   */
  const joinedIntoInOrder = (text: Y.Text): { text: Y.Text; index: number } | null => {
    const at = joinedInto(text);
    if (at === null || at.index !== 0) return at;
    let index = 0;
    for (let item = at.text._start; item !== null; item = item.right) {
      if (item.deleted || !item.countable) continue;
      if (item.id.client !== me || item.id.clock < placedFrom) break;
      index += item.length;
    }
    return { text: at.text, index };
  };
  doc.transact(() => {
    type Stranded = (typeof stranded)[number];
    const later: Stranded[] = [];
    const placeOne = (entry: Stranded, retry: boolean): void => {
      const { char, shown, left, right, origin } = entry;
      const charKey = keyOf(char.id.client, char.id.clock);
      const ghost = gone.get(charKey);
      if (ghost !== undefined) {
        // Its copy went into a paragraph already gone here: it goes after where the character the
        // copy followed lives now (moved on by an earlier change, or by this one).
        const known = ghost.origin === null ? undefined : (all.get(ghost.origin) ?? ledger?.liveCopy(ghost.origin));
        // Only where it still shows (a copy of it that went too is no place to put anything).
        const anchor = known !== undefined && isShown(known.text, known.id) ? known : undefined;
        if (authorOf(char.id) !== me) {
          if (anchor !== undefined) {
            all.set(charKey, anchor);
            all.set(ghost.key, anchor);
            follows.add(charKey).add(ghost.key);
          }
          return;
        }
        // Already moved by someone else to a copy that shows, which stands after the gone copy (the
        // copy that stays of the two): putting it back made a second one (soak seed 232).
        const ghostChar = charAt(doc, ghost.key, ghost.ch);
        const stays = ghostChar === null ? undefined : ledger?.shownWinnerOver(charKey, ghostChar);
        if (stays !== undefined) {
          all.set(charKey, stays);
          all.set(ghost.key, stays);
          return;
        }
        // Or the gone copy stands later, but the line it went into was removed here before another
        // copy of the key was made, and every page saw that removal first: none deletes that copy
        // for the gone one (a copy that stays gone with its line before is no reason to), so it is
        // the key's place. Put back too, the key showed twice on every page: "ab | A | c | d", I
        // joined "c" into "A" and then "d" into "Ac" while Grace joined "d" into "c"; her copy went
        // into my removed "c" line, and my page put the "d" back after the "c" beside my own copy
        // (soak seed 330). When the other copy came first, a page that showed the gone copy then
        // deleted it as the losing one, and the key is put back as before (four-person seed 122).
        const ghostText = ghostTextOf(doc, ghost.key);
        // Collected whole (no item left to tell its line by): when it was put after an earlier gone
        // copy, its line was gone here before that one arrived, and a copy I made since then is one
        // every page got after the removal (soak seed 9167: Grace joined "ab" and then "c" into a
        // line I had removed; my page put "abc" back, the "c" being my own copy from a join of mine
        // her first join deleted with its line; her second join's "c" was put back again: "abcc").
        // Collected whole with its text too: the line's removal as read from the update (the same
        // rule as keptOverGone). Ada pressed Enter before "ab", typed "d", removed the empty line
        // above and joined "ab" into "d", while Grace typed "A" into that empty line and joined "ab"
        // into it: her copy went into Ada's removed line, and Ada's page put "ab" back after her own
        // copy: "dabab" (soak seed 9167 again, another step).
        const kept =
          ghostText === null
            ? (ledger?.keptOverRemoval(charKey, ledger.goneLineOf(ghost.key)) ?? ledger?.keptOverGoneSince(charKey, ghost.origin))
            : ledger?.keptOverGone(charKey, ghostText);
        if (kept !== undefined) {
          all.set(charKey, kept);
          all.set(ghost.key, kept);
          return;
        }
        // Where that character lives now is not known here yet (its own author moves it), or it is
        // gone: the end of the paragraph the joins kept.
        // When the line it was taken from still shows (an undo putting it back into a line removed
        // meanwhile, its copy deleted from a line that stays), where it stood there.
        const at =
          anchor !== undefined
            ? { text: anchor.text, index: indexOf(anchor.text, anchor.id) + (isShown(anchor.text, anchor.id) ? 1 : 0) }
            : !inDeletedLine(char.text)
              ? { text: char.text, index: indexOf(char.text, char.id) }
              : joinedIntoInOrder(char.text);
        if (at === null) return;
        const id = Y.createID(me, Y.getState(doc.store, me));
        at.text.insert(at.index, char.ch);
        const placed = { text: at.text, id };
        all.set(charKey, placed);
        all.set(ghost.key, placed);
        if (ghostText instanceof Y.Text) {
          // The gone copy is an original too: its mover may move it on (an Enter or a join of the
          // line it went into, still shown on their page) before my put-back reaches them, and that
          // copy and mine are then two copies of one key (one stays). Unknown, the mover's copy
          // showed beside mine: Ada joined my "A" into her "c" and pressed Enter after the "c" again
          // while I joined the "c" into the line before; her copy went into my removed line, I put
          // the "A" back, her Enter moved her copy on: "bcA | A", to the end (soak seed 345). Noted
          // first, so the put-back stays a copy of my key (whose it is: authorOf).
          const [client, clock] = ghost.key.split(':').map(Number) as [number, number];
          ledger?.record({ text: ghostText, id: Y.createID(client, clock), ch: ghost.ch }, { ...placed, ch: char.ch });
          ledger?.noteCopyOf(Y.createID(client, clock), char.id);
        }
        ledger?.record(char, { ...placed, ch: char.ch });
        return;
      }
      const afterLeft = left === null ? undefined : all.get(left);
      // A shown character whose left neighbour stayed is where its author put it, unless moved text
      // was put after that same neighbour in the same text by someone who had not seen it (it
      // stands before the copy's right origin) and Yjs ordered it after that text: it belongs before.
      const run = origin === null ? undefined : runStarts.get(origin);
      const at = (id: Y.ID): number => ordinalOf(char.text, id);
      const beforeRun =
        afterLeft === undefined && shown && run !== undefined && run.start.text === char.text && at(char.id) > at(run.start.id) &&
        (run.rightOrigin === null || at(char.id) < at(run.rightOrigin))
          ? run.start
          : undefined;
      if (authorOf(char.id) !== me) {
        // Someone else's character left behind too (they move it themselves): mine typed after it
        // goes where it will go, after the copy of what it followed (or after what precedes the run).
        const anchor = afterLeft ?? (beforeRun !== undefined && run!.origin !== null ? { text: char.text, id: run!.origin } : undefined);
        if (anchor !== undefined) {
          all.set(keyOf(char.id.client, char.id.clock), anchor);
          follows.add(keyOf(char.id.client, char.id.clock));
        }
        return;
      }
      // One deleted with its paragraph goes before its right neighbour's copy when its left one has none.
      const nearest = afterLeft === undefined && !shown ? nearestMoved(char, all, right) : undefined;
      const beforeRight = nearest?.copy;
      // Typed just before a copy that goes (at the start of the paragraph a losing split made): it
      // goes before the copy that stays.
      const loser = beforeLoserOf.get(charKey);
      const beforeLoser = afterLeft === undefined && beforeRun === undefined && shown && loser !== undefined ? all.get(loser) : undefined;
      const target = afterLeft ?? beforeRun ?? beforeRight ?? beforeLoser;
      // Typed into a block its author moved (paragraphOrder.ts) with nothing around it to follow.
      let place: { text: Y.Text; index: number } | null = target === undefined && !shown ? movedBlockStart(tr, char.text) : null;
      if (place === null && target === undefined && !shown && wholeParagraphOfMine(tr, char.text, me)) {
        // Typed into a paragraph the other person saw empty and joined away (Backspace in an
        // empty paragraph): it goes to the end of the paragraph the join kept.
        place = joinedIntoInOrder(char.text);
      }
      if (place === null && target === undefined && !shown && movedIntoGoneLine(char.text)) {
        // Deleted with a line someone joined into a line I had removed (Backspace in it while I saw
        // it empty), its text's copy gone with the removed line (Yjs collected it, goneCopies.ts),
        // and the joiner never saw my key: typed there, or put there by this rebase when an earlier
        // join's copy went the same way. No copy shows to follow: it goes to the end of the line the
        // joins kept, where the text's authors put theirs (the first key; the rest follow it).
        place = joinedIntoInOrder(char.text);
      }
      if (target === undefined && place === null) {
        // Deleted with its paragraph, nothing moved around it yet: the character to its right may
        // be moved further on in this loop (a key of mine after it, or one whose copy went into a
        // paragraph already gone); tried again once everything else is placed, right to left.
        if (!retry && !shown) later.push(entry);
        return;
      }
      // Taken out first: it may stand before the place it goes to, in the same text.
      if (shown) char.text.delete(indexOf(char.text, char.id), 1);
      if (target !== undefined) {
        const after = afterLeft !== undefined || (target === beforeRight && follows.has(nearest!.key));
        place = { text: target.text, index: indexOf(target.text, target.id) + (after && isShown(target.text, target.id) ? 1 : 0) };
      }
      const id = Y.createID(me, Y.getState(doc.store, me));
      place!.text.insert(place!.index, char.ch);
      all.set(keyOf(char.id.client, char.id.clock), { text: place!.text, id });
      // Moved by me: someone moving that text at the same time copies it too (one copy must stay).
      ledger?.record(char, { text: place!.text, id, ch: char.ch });
    };
    for (const entry of stranded) placeOne(entry, false);
    for (const entry of later.reverse()) placeOne(entry, true);
    for (const char of duplicates) if (isShown(char.text, char.id)) char.text.delete(indexOf(char.text, char.id), 1);
    for (const group of behind) moveParagraphsAfter(group, all, ledger);
  }, MOVE_REBASE_ORIGIN);
  return all;
}

/**
 * Runs `rebaseOwnCharacters` after every remote transaction on `root`'s document; `onMoved` gets
 * each non-empty move map (the editor moves the caret with it). Returns the unbinding function.
 */
export function bindMoveRebase(root: Y.AbstractType<any>, onMoved?: (moves: MoveMap) => void): () => void {
  const doc = root.doc!;
  const ledger = new MoveLedger(root);
  const handler = (tr: Y.Transaction): void => {
    ledger.noteTransaction(tr);
    if (tr.origin === MOVE_REBASE_ORIGIN) return;
    if (tr.local) {
      // My own split, join or paste: the ledger notes what I copied (another page may copy it too).
      const found = movesIn(tr, root);
      // Else maybe a move of text that makes no paragraph (a drag, a cut and paste in one
      // transaction): every other page notes it as one (noteOthersOwnMoves), so mine must too.
      // Noted as my deletion instead, a drag of "bc" racing someone's Enter between "b" and "c" lost
      // the "c": my page deleted every copy of what I had deleted (the Enter's), the others deleted
      // my dragged copy as the losing one of two (the Enter's standing later in the document).
      const pairs = found.pairs.length > 0 ? found.pairs : ownMovePairs(tr, tr.deleteSet, ledger, true);
      for (const [original, copy] of pairs) ledger.record(original, copy);
      ledger.noteMyDeletes(tr, new Set(pairs.map(([original]) => `${original.id.client}:${original.id.clock}`)));
      return;
    }
    const moves = rebaseOwnCharacters(tr, root, ledger);
    if (moves.size > 0) onMoved?.(moves);
  };
  doc.on('afterTransaction', handler);
  return () => doc.off('afterTransaction', handler);
}
