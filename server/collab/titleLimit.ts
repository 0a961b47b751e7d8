import * as Y from 'yjs';
import { TITLE_TEXT } from '../../shared/docParts.js';
import { bidiControlIndexes, clipEnd, MAX_TITLE_CHARS } from '../../shared/text.js';

/** Origin of the server's own title changes (so that nothing mistakes them for a client's). */
export const TITLE_LIMIT_ORIGIN = Symbol('title limit');

/**
 * Holds the document's live title (the Y.Text TITLE_TEXT) to the rules every other place shows it
 * by (shared/text.ts `cleanTitle`): deletes what is past MAX_TITLE_CHARS and any bidirectional
 * formatting character, in one transaction of the server's own. Only deletions, so the server needs
 * no client id in the document, and concurrent cuts by several processes delete the same items.
 * Resolves to the update that made (to store and relay to every client, the sender included), or
 * null when the title was within the rules and nothing changed.
 */
export function limitTitle(doc: Y.Doc): Uint8Array | null {
  const text = doc.getText(TITLE_TEXT);
  const value = text.toString();
  const cut = clipEnd(value, MAX_TITLE_CHARS);
  const kept = value.slice(0, cut);
  const controls = bidiControlIndexes(kept);
  if (cut === value.length && controls.length === 0) return null;
  const updates: Uint8Array[] = [];
  const capture = (update: Uint8Array): void => void updates.push(update);
  doc.on('update', capture);
  try {
    doc.transact(() => {
      if (cut < value.length) text.delete(cut, value.length - cut);
      // From the end, so that each index still points at its character.
      for (const index of controls.reverse()) text.delete(index, 1);
    }, TITLE_LIMIT_ORIGIN);
  } finally {
    doc.off('update', capture);
  }
  if (updates.length === 0) return null;
  return updates.length === 1 ? updates[0]! : Y.mergeUpdates(updates);
}
