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
 * deleted by an undo (an empty one shows as nothing, and others' concurrent typing survives in it),
 * and a textblock only while it holds no child at all, as before.
 */
export function mayUndoDelete(item: Y.Item | Y.GC): boolean {
  if (!(item instanceof Y.Item) || !(item.content instanceof Y.ContentType)) return true;
  const type = item.content.type;
  if (type instanceof Y.Text) return false;
  if (type instanceof Y.XmlElement && TEXTBLOCKS.has(type.nodeName)) return type._length === 0;
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
