import { TextSelection } from 'prosemirror-state';
import type { EditorView } from 'prosemirror-view';
import { absolutePositionToRelativePosition, relativePositionToAbsolutePosition, ySyncPluginKey } from 'y-prosemirror';
import * as Y from 'yjs';
import { bindMoveRebase, type MoveMap } from './moveRebase.js';

/**
 * The editor's half of the move rebase (moveRebase.ts): my keystrokes follow text someone else moved
 * (a split, join or paste of several paragraphs), and so does my caret. Before each batch of Yjs
 * transactions the character next to the caret (left of it, or right of it at a paragraph's start)
 * is noted; when a remote move took that character, the caret is put next to its copy once the
 * batch is drawn. y-prosemirror alone keeps the caret where the deleted original was, so the next
 * key went into the paragraph the text had left.
 */
export function followMoves(view: EditorView, body: Y.XmlFragment): () => void {
  const doc = body.doc!;
  let caret: { key: string; after: boolean } | null = null;
  let moved: MoveMap | null = null;

  const mapping = (): Map<Y.AbstractType<unknown>, unknown> | null =>
    (ySyncPluginKey.getState(view.state) as { binding?: { mapping: Map<Y.AbstractType<unknown>, unknown> } } | undefined)?.binding?.mapping ?? null;

  const noteCaret = (): void => {
    caret = null;
    moved = null;
    const { selection } = view.state;
    const map = mapping();
    if (!selection.empty || map === null) return;
    const $head = selection.$head;
    if (!$head.parent.isTextblock) return;
    const after = $head.parentOffset > 0;
    if (!after && $head.parentOffset === $head.parent.content.size) return;
    const rel = absolutePositionToRelativePosition(after ? selection.head - 1 : selection.head, body, map as never) as Y.RelativePosition;
    if (rel.item !== null) caret = { key: `${rel.item.client}:${rel.item.clock}`, after };
  };

  const moveCaret = (): void => {
    const target = caret === null || moved === null ? undefined : moved.get(caret.key);
    const after = caret?.after ?? false;
    caret = null;
    moved = null;
    const map = mapping();
    if (target === undefined || map === null) return;
    const rel = Y.createRelativePositionFromJSON({ item: { client: target.id.client, clock: target.id.clock } });
    const pos = relativePositionToAbsolutePosition(doc, body, rel, map as never);
    if (pos === null) return;
    const at = Math.min(pos + (after ? 1 : 0), view.state.doc.content.size);
    const $at = view.state.doc.resolve(at);
    if (!$at.parent.isTextblock) return;
    view.dispatch(view.state.tr.setSelection(TextSelection.create(view.state.doc, at)));
  };

  const unbind = bindMoveRebase(body, (moves) => {
    moved = moved === null ? moves : new Map([...moved, ...moves]);
  });
  doc.on('beforeAllTransactions', noteCaret);
  doc.on('afterAllTransactions', moveCaret);
  return () => {
    unbind();
    doc.off('beforeAllTransactions', noteCaret);
    doc.off('afterAllTransactions', moveCaret);
  };
}
