import * as Y from 'yjs';

/**
 * What a page knows of the text moved in its document (moveRebase.ts): for every original character
 * a split, join or paste moved, the copies it was moved to, by whom ever moved it. Yjs 13 has no move,
 * so two people moving the same text at once (two Enters in one paragraph, Enter while someone joins
 * or pastes into it) each delete the originals and each insert a copy: both copies stay. The ledger
 * is how a page sees that: an original with two copies.
 *
 * Which copy stays is decided by the document alone, so every page decides alike without asking:
 * the one that stands later in the document (every page has both copies at the same place, Yjs
 * having ordered them). That keeps the text in order in every shape: two splits of one paragraph put
 * their new paragraphs side by side and the later one holds the shorter tail (the earlier one keeps
 * what precedes it); a split racing a join leaves the joined copy before the split's new paragraph.
 * Every page that sees both copies deletes the other ones, in the batch that brought the second
 * copy, so the duplicate is never drawn anywhere (deleting a character twice is the same as once in
 * Yjs). Kept in memory for the page's life: a page knows the moves it made and received.
 */

/** One character: the text it is in, its Yjs id and what it is. */
export interface LedgerChar {
  text: Y.Text;
  id: Y.ID;
  ch: string;
}

const keyOf = (id: Y.ID): string => `${id.client}:${id.clock}`;

/** Where `id` stands among all of `text`'s items' characters, deleted ones included; -1 if absent. */
function ordinalOf(text: Y.Text, id: Y.ID): number {
  let ordinal = 0;
  for (let item = text._start; item !== null; item = item.right) {
    if (item.id.client === id.client && id.clock >= item.id.clock && id.clock < item.id.clock + item.length) return ordinal + id.clock - item.id.clock;
    ordinal += item.length;
  }
  return -1;
}

/**
 * The position of `char` in the document as a path of list ordinals from `root` (deleted items
 * included, so it never changes once both are integrated); null when its text is no longer in the
 * document's tree (a deleted paragraph whose content Yjs has collected).
 */
function pathOf(root: Y.AbstractType<any>, char: LedgerChar): number[] | null {
  const inText = ordinalOf(char.text, char.id);
  if (inText < 0) return null;
  const path = [inText];
  let type: Y.AbstractType<any> = char.text;
  while (type !== root) {
    const item = type._item;
    if (item === null) return null;
    const parent = (item as Y.Item & { parent: Y.AbstractType<any> | null }).parent;
    if (parent === null || !(parent instanceof Y.AbstractType)) return null;
    let ordinal = 0;
    let found = false;
    for (let it = parent._start; it !== null; it = it.right) {
      if (it === item) {
        found = true;
        break;
      }
      ordinal += 1;
    }
    if (!found) return null;
    path.unshift(ordinal);
    type = parent;
  }
  return path;
}

/**
 * Where `char` stood, as far as the document still shows it when its text's content is gone (a
 * paragraph deleted and collected; Yjs keeps the paragraph's own item in its parent's list): the path
 * of the nearest ancestor still in the tree, a prefix of the path `char` had. Null when none is.
 */
function standingOf(root: Y.AbstractType<any>, char: LedgerChar): number[] | null {
  for (let type: Y.AbstractType<any> = char.text; type !== root; ) {
    const item = type._item;
    if (item === null) return null;
    const parent = (item as Y.Item & { parent: Y.AbstractType<any> | null }).parent;
    if (parent === null || !(parent instanceof Y.AbstractType)) return null;
    const path: number[] = [];
    let inner: Y.AbstractType<any> = type;
    while (inner !== root) {
      const own = inner._item;
      const above = (own as (Y.Item & { parent: Y.AbstractType<any> | null }) | null)?.parent;
      if (own === null || above === null || above === undefined || !(above instanceof Y.AbstractType)) break;
      let ordinal = 0;
      let it = above._start;
      for (; it !== null && it !== own; it = it.right) ordinal += 1;
      if (it === null) break;
      path.unshift(ordinal);
      inner = above;
    }
    if (inner === root) return path;
    type = parent;
  }
  return null;
}

/** Negative when path `a` comes before `b` in the document. */
function comparePaths(a: number[], b: number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** Whether the character `id` of `text` is shown (there and not deleted). */
export const isShown = (text: Y.Text, id: Y.ID): boolean => {
  for (let item = text._start; item !== null; item = item.right) {
    if (item.id.client === id.client && id.clock >= item.id.clock && id.clock < item.id.clock + item.length) return !item.deleted;
  }
  return false;
};

const shown = (char: LedgerChar): boolean => isShown(char.text, char.id);

/** A duplicate found: the copy that stays (as it now stands) and those to delete (shown ones). */
export interface Duplicate {
  original: string;
  /** Null when no copy stays: I had deleted mine. */
  winner: LedgerChar | null;
  /** Each losing copy's key (as first made, and as it now stands) to the winner. */
  redirect: string[];
  remove: LedgerChar[];
}

export class MoveLedger {
  /** Original key → its copies, in the order learned. */
  private readonly copies = new Map<string, LedgerChar[]>();
  /** Original key → the original character (its text, id, what it is), in the order first moved. */
  private readonly originals = new Map<string, LedgerChar & { order: number }>();

  /**
   * Characters I deleted myself (Backspace, Delete, typing over a selection, cut, undo; not a move
   * of mine), by key: someone who moved them before my deletion reached them made a copy of them,
   * which goes too.
   */
  private readonly deletedByMe = new Map<string, LedgerChar & { order: number }>();

  /**
   * Copies this page deleted as the losing copy of a duplicate, by key, with the copy that stayed
   * (null: none, I had deleted the text): whoever made such a copy may move it on before my deletion
   * reaches them (an Enter or a join taking it along), and their new copy of it loses too.
   */
  private readonly lostTo = new Map<string, { loser: LedgerChar & { order: number }; winner: LedgerChar | null }>();

  /** Notes that `loser` is deleted as a duplicate, `winner` being the copy that stays. */
  noteLost(loser: LedgerChar, winner: LedgerChar | null): void {
    this.lostTo.set(keyOf(loser.id), { loser: { ...loser, order: Number.MAX_SAFE_INTEGER }, winner });
  }

  /** Whether the copy `key` was deleted here as the losing copy of a duplicate. */
  isLost(key: string): boolean {
    return this.lostTo.has(key);
  }

  /** Notes the characters my own edit `tr` deleted (not moved: `moved` holds what it moved, by key). */
  noteMyDeletes(tr: Y.Transaction, moved: Set<string>): void {
    tr.deleteSet.clients.forEach((ranges, client) => {
      for (const range of ranges) {
        const structs = tr.doc.store.clients.get(client);
        if (structs === undefined) continue;
        for (let i = Y.findIndexSS(structs, range.clock); i < structs.length; i++) {
          const struct = structs[i]!;
          if (struct.id.clock >= range.clock + range.len) break;
          if (!(struct instanceof Y.Item) || !(struct.content instanceof Y.ContentString)) continue;
          const text = (struct as Y.Item & { parent: Y.AbstractType<any> }).parent;
          if (!(text instanceof Y.Text)) continue;
          const str = struct.content.str;
          for (let k = 0; k < str.length; k++) {
            const clock = struct.id.clock + k;
            const key = `${client}:${clock}`;
            if (clock < range.clock || clock >= range.clock + range.len || moved.has(key)) continue;
            this.deletedByMe.set(key, { text, id: Y.createID(client, clock), ch: str[k]!, order: Number.MAX_SAFE_INTEGER });
          }
        }
      }
    });
  }

  constructor(private readonly root: Y.AbstractType<any>) {}

  /** Copy key → the key of the character it is a copy of. */
  private readonly copyOf = new Map<string, string>();

  /**
   * Whose keystroke the character `id` is: its client, or for a copy someone's move made (a copy is
   * the mover's item), the client of the character first typed, as far as this page knows.
   */
  authorOf(id: Y.ID): number {
    let key = keyOf(id);
    let client = id.client;
    for (let depth = 0; depth < 32; depth++) {
      const from = this.copyOf.get(key);
      if (from === undefined) break;
      key = from;
      client = Number(from.slice(0, from.indexOf(':')));
    }
    return client;
  }

  /** The character `key` is a copy of (one move back), when it is a copy some move made. */
  copiedFrom(key: string): string | undefined {
    return this.copyOf.get(key);
  }

  /** Whether the character `key` is a copy some move made (of a key typed elsewhere first). */
  isCopy(key: string): boolean {
    return this.copyOf.has(key);
  }

  /** How many transactions this page has seen (local and remote): when each copy was made, each paragraph removed. */
  private seen = 0;
  /** Copy key → the transaction it was noted in (`seen`), and whether this page made it (its maker saw all before). */
  private readonly madeAt = new Map<string, { seen: number; mine: boolean }>();
  /** Removed paragraphs and texts → the transaction that removed them here, and whether it was this page's. */
  private readonly removedAt = new WeakMap<Y.AbstractType<any>, { seen: number; mine: boolean }>();
  /** The same by their item's key (a removed paragraph's content may be collected since). */
  private readonly removedItemAt = new Map<string, { seen: number; mine: boolean }>();
  /** Gone copies collected whole, by key → the removal of the line they went into, when known. */
  private readonly goneLine = new Map<string, { seen: number; mine: boolean }>();

  /** Counts the transaction `tr` and notes the paragraphs and texts it removed (before anything else reads it). */
  noteTransaction(tr: Y.Transaction): void {
    this.seen += 1;
    tr.deleteSet.clients.forEach((ranges, client) => {
      const structs = tr.doc.store.clients.get(client);
      if (structs === undefined) return;
      for (const range of ranges) {
        for (let i = Y.findIndexSS(structs, range.clock); i < structs.length; i++) {
          const struct = structs[i]!;
          if (struct.id.clock >= range.clock + range.len) break;
          if (struct instanceof Y.Item && struct.content instanceof Y.ContentType && !this.removedAt.has(struct.content.type)) {
            this.removedAt.set(struct.content.type, { seen: this.seen, mine: tr.local });
            // Not one deleted on arrival (it came into a paragraph already removed: that removal counts).
            const arrived = struct.id.clock >= (tr.beforeState.get(client) ?? 0);
            if (!arrived && !this.removedItemAt.has(keyOf(struct.id))) this.removedItemAt.set(keyOf(struct.id), { seen: this.seen, mine: tr.local });
          }
        }
      }
    });
  }

  /**
   * For an original `key` whose new copy arrived into the text `goneText`, already removed here (a
   * gone copy, goneCopies.ts): a copy of it the ledger knows that shows (as it now stands) and that
   * no page deletes for the gone one, when there is one. Every page saw `goneText`'s paragraph
   * removed before that copy arrived (the copy was made by this page after the removal, or arrived
   * after a removal this page got from the relay, which passes changes on in one order): a copy that
   * stays which went with its line before the copy that shows arrived is no reason to delete it
   * (rebaseMoved), so the gone copy is no place to put the key back either: it would show twice.
   */
  keptOverGone(key: string, goneText: Y.AbstractType<any>): LedgerChar | undefined {
    const paragraph = (goneText._item as (Y.Item & { parent: Y.AbstractType<any> | null }) | null)?.parent ?? null;
    const removed = [goneText, paragraph].map((type) => (type === null ? undefined : this.removedAt.get(type))).find((at) => at !== undefined);
    return this.keptOverRemoval(key, removed);
  }

  /** Gone copies (goneCopies.ts) by key → the transaction that brought them (their line was removed here before). */
  private readonly goneArrival = new Map<string, number>();

  /** Gone copies by key → their letter (Yjs may collect their content: a later change deleting them names no letter). */
  private readonly goneLetter = new Map<string, string>();

  /** Notes that the gone copy `key` (the letter `ch`) arrived with the transaction being handled. */
  noteGoneArrival(key: string, ch: string): void {
    if (!this.goneArrival.has(key)) this.goneArrival.set(key, this.seen);
    if (!this.goneLetter.has(key)) this.goneLetter.set(key, ch);
  }

  /** The letter of the gone copy `key`, when one arrived here. */
  goneLetterOf(key: string): string | undefined {
    return this.goneLetter.get(key);
  }

  /**
   * keptOverGone for a gone copy Yjs collected whole (its text unknown) that was put after the gone
   * copy `origin`, which arrived earlier into the same line: that line was removed here before then,
   * so a copy this page made since is one every page got after the removal. A shown copy of `key`
   * this page made since then, when there is one.
   */
  keptOverGoneSince(key: string, origin: string | null): LedgerChar | undefined {
    const since = origin === null ? undefined : this.goneArrival.get(origin);
    const list = this.copies.get(key);
    if (since === undefined || since >= this.seen || list === undefined || this.lostTo.has(key) || this.deletedByMe.has(key)) return undefined;
    for (const copy of list) {
      // The copy that shows as it now stands (my put-back of a copy of mine that went with its line).
      const live = this.live(copy);
      const made = this.madeAt.get(keyOf(live.id));
      if (made === undefined || !made.mine || made.seen < since) continue;
      if (shown(live)) return live;
    }
    return undefined;
  }

  /** When the paragraph or text item `key` was removed here, if before the transaction being handled. */
  removedBefore(key: string): { seen: number; mine: boolean } | undefined {
    const at = this.removedItemAt.get(key);
    return at !== undefined && at.seen < this.seen ? at : undefined;
  }

  /** Notes the removal of the line the gone copy `key` (collected whole) went into; reads it back. */
  noteGoneLine(key: string, removed: { seen: number; mine: boolean }): void {
    if (!this.goneLine.has(key)) this.goneLine.set(key, removed);
  }
  goneLineOf(key: string): { seen: number; mine: boolean } | undefined {
    return this.goneLine.get(key);
  }

  /** keptOverGone given the removal of the gone copy's line (also for a gone copy collected whole, `noteGoneLine`). */
  keptOverRemoval(key: string, removed: { seen: number; mine: boolean } | undefined): LedgerChar | undefined {
    const list = this.copies.get(key);
    if (removed === undefined || list === undefined || this.lostTo.has(key) || this.deletedByMe.has(key)) return undefined;
    for (const copy of list) {
      const made = this.madeAt.get(keyOf(copy.id));
      if (made === undefined || made.seen <= removed.seen || (removed.mine && !made.mine)) continue;
      const live = this.live(copy);
      if (shown(live)) return live;
    }
    return undefined;
  }

  /** Notes that `copy` is a copy of `original` (whose key it is), without counting it among its copies. */
  noteCopyOf(copy: Y.ID, original: Y.ID): void {
    if (!this.copyOf.has(keyOf(copy))) this.copyOf.set(keyOf(copy), keyOf(original));
  }

  /** Notes that the original `original` was copied to `copy`. */
  record(original: LedgerChar, copy: LedgerChar): void {
    const key = keyOf(original.id);
    if (!this.madeAt.has(keyOf(copy.id))) this.madeAt.set(keyOf(copy.id), { seen: this.seen, mine: copy.id.client === copy.text.doc?.clientID });
    this.copyOf.set(keyOf(copy.id), key);
    if (!this.originals.has(key)) this.originals.set(key, { text: original.text, id: original.id, ch: original.ch, order: this.originals.size });
    const list = this.copies.get(key) ?? [];
    if (!list.some((c) => c.id.client === copy.id.client && c.id.clock === copy.id.clock)) list.push(copy);
    this.copies.set(key, list);
  }

  /** Whether the character `key` is known to have been moved (not only deleted by me). */
  isMoved(key: string): boolean {
    return this.originals.has(key);
  }

  /** The original character with key `key`, when it is known to have been moved or deleted by me. */
  original(key: string): (LedgerChar & { order: number }) | undefined {
    return this.originals.get(key) ?? this.deletedByMe.get(key) ?? this.lostTo.get(key)?.loser;
  }

  /**
   * Sorts originals (by key) into the order they stood in, as far as the document still shows it:
   * by where their first copy stands (a move copies text in order), else in the order first moved.
   */
  inOrder(keys: string[]): string[] {
    const placed = keys.map((key) => {
      const first = this.copies.get(key)?.[0];
      return { key, path: first === undefined ? null : pathOf(this.root, first), order: this.originals.get(key)?.order ?? 0 };
    });
    placed.sort((a, b) => (a.path !== null && b.path !== null ? comparePaths(a.path, b.path) || a.order - b.order : a.order - b.order));
    return placed.map((p) => p.key);
  }

  /** Where a copy now stands: itself while shown, else (moved on) the copy that stays of it. */
  live(char: LedgerChar, depth = 0): LedgerChar {
    if (depth > 32 || shown(char)) return char;
    const next = this.copies.get(keyOf(char.id));
    if (next === undefined || next.length === 0) return char;
    return this.live(this.winnerOf(next) ?? next[next.length - 1]!, depth + 1);
  }

  /** Where the original `key` stands now, when it is known to have been moved: the live copy that stays. */
  liveCopy(key: string): LedgerChar | undefined {
    const list = this.copies.get(key);
    if (list === undefined || list.length === 0) return undefined;
    return this.live(this.winnerOf(list) ?? list[list.length - 1]!);
  }

  /**
   * The copy that stays among `list`: the one standing last in the document (null if one cannot be
   * placed). A copy in a paragraph Yjs has since collected (deleted by a later join, its content
   * gone) still stands where that paragraph's item stands: Grace pressed Enter and joined the line
   * back before my key typed into it reached her; my page moved the key along both times, and
   * collected her line with my first copy of it. Her next Enter in that text, not having seen my
   * copies, copied the original again: a duplicate my page could not place, so it was never
   * resolved and my key showed twice (soak seed 42). Where the copy was made, not where it has moved
   * on to, is what every page sees alike (the live copy of a copy its mover has moved on stands
   * elsewhere on that mover's page only).
   */
  private winnerOf(list: LedgerChar[]): LedgerChar | null {
    let best: { char: LedgerChar; path: number[]; whole: boolean } | null = null;
    for (const char of list) {
      const full = pathOf(this.root, char);
      const path = full ?? standingOf(this.root, char);
      if (path === null) return null;
      const whole = full !== null;
      if (best !== null) {
        // Compared as far as both paths go: in the same collected paragraph as the other, no telling.
        const order = comparePaths(path.slice(0, best.path.length), best.path.slice(0, path.length));
        if (order === 0 && (!whole || !best.whole)) return null;
        if ((order === 0 ? comparePaths(path, best.path) : order) <= 0) continue;
      }
      best = { char, path, whole };
    }
    return best?.char ?? null;
  }

  /**
   * For an original `key` whose new copy `other` arrived into a paragraph already gone here: the live
   * copy that stays of the copies the ledger knows, when it stands after `other` (it wins over it) and
   * shows; else undefined (no other copy, or `other` wins, or no telling).
   */
  shownWinnerOver(key: string, other: LedgerChar): LedgerChar | undefined {
    const list = this.copies.get(key);
    if (list === undefined || list.length === 0 || this.lostTo.has(key) || this.deletedByMe.has(key)) return undefined;
    const winner = this.winnerOf([other, ...list]);
    if (winner === null || winner === other) return undefined;
    const live = this.live(winner);
    return shown(live) ? live : undefined;
  }

  /** For the originals `keys`: those with more than one copy, which stays and which go. */
  duplicates(keys: Iterable<string>): Duplicate[] {
    const out: Duplicate[] = [];
    for (const key of keys) {
      const list = this.copies.get(key);
      const lost = this.lostTo.get(key);
      if (lost !== undefined && list !== undefined) {
        // A copy of a copy that lost (its mover moved it on, not having seen my deletion of it): it
        // loses too, to the same winner as it now stands. Not recognised, it showed as a second copy
        // (two Enters in one paragraph, one of them followed by another Enter in the text it moved),
        // and deleting either copy lost both (soak seeds 380, 402).
        const stays = lost.winner === null ? null : this.live(lost.winner);
        const redirect: string[] = [];
        const remove: LedgerChar[] = [];
        for (const copy of list) {
          const now = this.live(copy);
          if (stays !== null) redirect.push(keyOf(copy.id), ...(now !== copy ? [keyOf(now.id)] : []));
          if (now !== stays && shown(now)) remove.push(now);
        }
        out.push({ original: key, winner: stays, redirect, remove });
        continue;
      }
      if (list === undefined || (list.length < 2 && !this.deletedByMe.has(key))) continue;
      if (this.deletedByMe.has(key) || list.some((copy) => this.deletedByMe.has(keyOf(copy.id)) || this.deletedByMe.has(keyOf(this.live(copy).id)))) {
        // I deleted it, or my copy of it, before the move reached me: the copies go too.
        const remove = list.map((copy) => this.live(copy)).filter(shown);
        out.push({ original: key, winner: null, redirect: [], remove });
        continue;
      }
      const winner = this.winnerOf(list);
      if (winner === null) continue;
      const stays = this.live(winner);
      const redirect: string[] = [];
      const remove: LedgerChar[] = [];
      for (const copy of list) {
        if (copy === winner) continue;
        const now = this.live(copy);
        redirect.push(keyOf(copy.id));
        if (now !== copy) redirect.push(keyOf(now.id));
        if (now !== stays && shown(now)) remove.push(now);
      }
      out.push({ original: key, winner: stays, redirect, remove });
    }
    return out;
  }
}
