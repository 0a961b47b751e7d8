import { ySyncPluginKey } from 'y-prosemirror';
import * as Y from 'yjs';
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
 * mayUndoDelete as its delete filter.
 */
export function createUndoManager(fragment: Y.XmlFragment): Y.UndoManager {
  return new Y.UndoManager(fragment, {
    trackedOrigins: new Set([ySyncPluginKey]),
    deleteFilter: mayUndoDelete,
    captureTransaction: (transaction) => transaction.meta.get('addToHistory') !== false,
  });
}
