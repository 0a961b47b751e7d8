import { ySyncPluginKey } from 'y-prosemirror';
import * as Y from 'yjs';
import type { DeleteSet } from '../sync/incomingDeletes.js';
import { schema } from '../../../shared/schema.js';

/** Names of the elements that hold text directly (paragraphs, headings, code blocks). */
const TEXTBLOCKS = new Set(Object.values(schema.nodes).filter((type) => type.isTextblock).map((type) => type.name));

/**
 * Whether an undo (or redo) may delete `item`, one of the items the undone change inserted.
 *
 * y-prosemirror's default lets an undo delete a Y.Text once it is empty and a paragraph once it has
 * no children, judged after the undo has deleted the characters inside: so undoing the first
 * keystrokes typed into a new paragraph deleted the Y.XmlText, and with it whatever someone else was
 * typing into it at that moment (their keystroke was lost everywhere). Here a Y.XmlText is never
 * deleted by an undo (an empty one shows as nothing, and others' concurrent typing survives in it).
 * A textblock is, once it shows nothing (no child, or only Y.XmlTexts without a character: others'
 * characters that reached this page keep it), unless it is the last block its parent shows (the
 * document's one line stays, empty, as a new document shows it). Keeping every textblock that held a
 * Y.XmlText left the line an Enter made, once typed in, on the page after the undo, empty, for good;
 * and undoing a heading left an empty heading above the paragraph it restored. A key someone typed
 * into such a line before the undo reached them is moved on by their page (moveRebase.ts,
 * wholeParagraphOfMine: a line its maker removed with their own text in it).
 */
export function mayUndoDelete(item: Y.Item | Y.GC): boolean {
  if (!(item instanceof Y.Item) || !(item.content instanceof Y.ContentType)) return true;
  const type = item.content.type;
  if (type instanceof Y.Text) return false;
  if (type instanceof Y.XmlElement && TEXTBLOCKS.has(type.nodeName)) return showsNothing(type) && !onlyBlockOf(item);
  return true;
}

/** Whether the textblock holds nothing shown: no child, or only Y.XmlTexts without a character. */
function showsNothing(block: Y.XmlElement): boolean {
  for (let child = block._start; child !== null; child = child.right) {
    if (child.deleted) continue;
    if (!(child.content instanceof Y.ContentType) || !(child.content.type instanceof Y.XmlText) || child.content.type._length > 0) return false;
  }
  return true;
}

/** Whether `item` is the only child its parent still shows (the document's one line stays, empty). */
function onlyBlockOf(item: Y.Item): boolean {
  const parent = item.parent as Y.AbstractType<unknown>;
  for (let sibling = parent._start; sibling !== null; sibling = sibling.right) if (sibling !== item && !sibling.deleted) return false;
  return true;
}

/**
 * The undo manager for the editor's body `fragment`, as y-prosemirror's yUndoPlugin makes it
 * (tracks the binding's own changes, skips those marked `addToHistory: false`) but with
 * mayUndoDelete as its delete filter, and keeping others' keys the undone step moved and cannot
 * restore (keepOthersCopies).
 */
export function createUndoManager(fragment: Y.XmlFragment): Y.UndoManager {
  /** The step being undone or redone, while it is (its deletions name what it may not restore). */
  let popping: Popping | null = null;
  const manager = new Y.UndoManager(fragment, {
    trackedOrigins: new Set([ySyncPluginKey]),
    deleteFilter: (item) => mayUndoDelete(item) && (popping === null || keepOthersCopies(item, popping)),
    captureTransaction: (transaction) => transaction.meta.get('addToHistory') !== false,
  });
  for (const [name, stack] of [['undo', () => manager.undoStack], ['redo', () => manager.redoStack]] as const) {
    const run = manager[name].bind(manager);
    manager[name] = () => {
      // Yjs pops on past steps that change nothing (what they would restore is gone): the step at
      // work is the one past the stack's end, in the stack as it was.
      const steps = [...stack()];
      let orphans: Map<string, number> | null = null;
      let of: unknown = null;
      popping = {
        orphans: (make) => {
          const step = steps[stack().length] ?? null;
          if (orphans === null || of !== step) [orphans, of] = [make(step), step];
          return orphans;
        },
      };
      try {
        return run();
      } finally {
        popping = null;
      }
    };
  }
  return manager;
}

/** The undo or redo at work: the others' keys the step at work cannot restore (counted once per step, then used up). */
interface Popping {
  orphans: (make: (step: { deletions: DeleteSet } | null) => Map<string, number>) => Map<string, number>;
}

/**
 * Keeps, of a character `item` the undo deletes, the part that is a copy of someone else's key it
 * cannot restore (deleting the rest itself); true when nothing is to be kept. A step that made a line
 * (Enter) and moved it away again (Backspace at its start, a join) holds, as its own insertion, the
 * copy of a key someone typed into that line meanwhile; the key's original is in the line the step
 * made, which the undo does not restore (Yjs never restores what the same step inserted). Deleting
 * the copy took the key from every page (soak seeds 323, 438: Ada split a line, Linus typed into the
 * new one, Ada joined it back and pressed Ctrl+Z). The copy stays where the join put it.
 */
function keepOthersCopies(item: Y.Item | Y.GC, popping: Popping): boolean {
  if (!(item instanceof Y.Item) || !(item.content instanceof Y.ContentString)) return true;
  const doc = (item.parent as Y.AbstractType<unknown> | null)?.doc ?? null;
  const tr = doc?._transaction ?? null;
  if (doc === null || tr === null) return true;
  // Others' characters the step deleted that this undo did not restore, and that show nowhere.
  const orphans = popping.orphans((step) => {
    const found = new Map<string, number>();
    if (step === null) return found;
    Y.iterateDeletedStructs(tr, step.deletions, (struct) => {
      if (!(struct instanceof Y.Item) || !(struct.content instanceof Y.ContentString) || struct.id.client === doc.clientID) return;
      if (!struct.deleted || struct.redone !== null) return;
      for (const ch of struct.content.str.split('')) found.set(ch, (found.get(ch) ?? 0) + 1);
    });
    return found;
  });
  const str = item.content.str;
  const keep = str.split('').map((ch) => {
    const n = orphans.get(ch) ?? 0;
    if (n === 0) return false;
    orphans.set(ch, n - 1);
    return true;
  });
  if (!keep.some(Boolean)) return true;
  // One item per character, so the kept ones stay and the others go.
  const { client, clock } = item.id;
  const pieces: Y.Item[] = [item];
  for (let k = 1; k < str.length; k++) pieces.push(Y.getItemCleanStart(tr, Y.createID(client, clock + k)));
  pieces.forEach((piece, k) => {
    if (!keep[k]) piece.delete(tr);
  });
  return false;
}
