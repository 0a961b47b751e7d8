import * as Y from 'yjs';
import { incomingStructs } from '../sync/incomingDeletes.js';

/**
 * Text someone moved into a paragraph that was already gone here.
 *
 * Ada presses Backspace at the start of a paragraph (a join: its text is copied to the end of the
 * one before, the paragraph deleted) while Grace joins the next paragraph into that same one. Grace's
 * copy of her moved text arrives into a paragraph Ada's page has deleted, and Yjs collects it on
 * arrival: its content is gone from the document before any observer runs (or, where an undo
 * manager keeps the deleted paragraph, it stands there deleted), and the originals are deleted by
 * Grace's change, on purpose as far as her delete set says. The text was lost.
 *
 * The update as its sender wrote it still holds that text and what each piece was put after
 * (incomingStructs). The move rebase pairs the originals the update deleted with these collected
 * copies, and each author's page puts its own characters after where that neighbour lives now.
 */

/** A character the incoming update inserted that Yjs collected on arrival (its parent was gone). */
export interface GoneCopy {
  key: string;
  ch: string;
  /** The key of the character it was inserted after (its origin), null at a text's start. */
  origin: string | null;
}

const keyOf = (client: number, clock: number): string => `${client}:${clock}`;

/**
 * Whether `id` (new in `tr`) arrived into a paragraph already gone: Yjs collected it on arrival (a GC
 * struct or deleted content), or, where the gone paragraph is still kept (an undo manager keeps what
 * it may restore), it stands deleted in a text whose paragraph was deleted before `tr`.
 */
function arrivedGone(tr: Y.Transaction, id: Y.ID): boolean {
  const structs = tr.doc.store.clients.get(id.client);
  if (structs === undefined) return false;
  const struct = structs[Y.findIndexSS(structs, id.clock)];
  if (struct instanceof Y.GC || (struct instanceof Y.Item && struct.content instanceof Y.ContentDeleted)) return true;
  if (!(struct instanceof Y.Item) || !struct.deleted) return false;
  const text = (struct as Y.Item & { parent: Y.AbstractType<any> | null }).parent;
  const paragraph = (text?._item as (Y.Item & { parent: Y.AbstractType<any> | null }) | null)?.parent?._item ?? null;
  return [text?._item ?? null, paragraph].some((item) => item !== null && item.deleted && !Y.isDeleted(tr.deleteSet, item.id));
}

/** The characters the update being applied in `tr` inserted that arrived into a paragraph already gone, in the order written. */
export function goneCopies(tr: Y.Transaction): GoneCopy[] {
  const structs = incomingStructs();
  if (structs === null || tr.local) return [];
  const out: GoneCopy[] = [];
  for (const struct of structs) {
    if (!(struct instanceof Y.Item) || !(struct.content instanceof Y.ContentString)) continue;
    const str = struct.content.str;
    for (let k = 0; k < str.length; k++) {
      const id = Y.createID(struct.id.client, struct.id.clock + k);
      const isNew = id.clock >= (tr.beforeState.get(id.client) ?? 0) && id.clock < (tr.afterState.get(id.client) ?? 0);
      if (!isNew || !arrivedGone(tr, id)) continue;
      const origin = k > 0 ? keyOf(id.client, id.clock - 1) : struct.origin === null ? null : keyOf(struct.origin.client, struct.origin.clock);
      out.push({ key: keyOf(id.client, id.clock), ch: str[k]!, origin });
    }
  }
  return out;
}
