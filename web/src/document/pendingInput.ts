import { Plugin, type Transaction } from 'prosemirror-state';
import type { EditorView } from 'prosemirror-view';

/**
 * Makes ProseMirror read what the browser changed in the editor and ProseMirror has not read yet (a
 * caret the browser moved, text it typed), before a change from someone else is drawn.
 *
 * ProseMirror learns of a caret move from the `selectionchange` event, which the browser fires in a
 * task of its own after the key; a frame from the server can be handled in between. y-prosemirror
 * then draws the remote change (or a remote caret) by dispatching a transaction, and ProseMirror,
 * redrawing, writes the selection it knows — the one before the key — back into the DOM: the move is
 * undone. Measured in the browser with someone typing in another paragraph: 13 of 150 ArrowLeft
 * presses moved nothing; in the suite a person's keys went in one character off, after arrows.
 *
 * ProseMirror reads the DOM (mutations and selection) in its DOM observer's flush, which it runs on
 * its own events; it has no public call for it, so the observer is reached through the view.
 */
export function readPendingInput(view: EditorView): void {
  const observer = (view as unknown as { domObserver?: { flush(): void } }).domObserver;
  if (view.isDestroyed || observer === undefined) return;
  observer.flush();
}

/**
 * The same read at the two other moments a caret move could still be unread:
 *
 * - **A key.** Chrome gives key events priority over other tasks, so under load the next key can
 *   come before the `selectionchange` of the last arrow press or click: a key ProseMirror handles
 *   itself (Enter, Backspace, Ctrl+B…) then acted at the old caret: Enter right after arrow presses
 *   split the line 2 to 8 characters off in 5 of 6 runs. Keys read it first (not while an input
 *   method composes: keyCode 229).
 * - **A transaction that only carries news** (no change to the document, no selection): remote
 *   carets are drawn by one that y-prosemirror dispatches from a timer (its `setMeta` defers by a
 *   `setTimeout(0)`), after the awareness frame that asked for it; a key in between was undone by
 *   that redraw. Traced in the arrow-press browser test with the caret placed by the editor: 2–3 of
 *   100 presses lost in 2 of 3 runs, each undone by that timer's transaction. Such a transaction now
 *   reads the DOM first and carries the caret it read.
 *
 * Returns the view's `dispatchTransaction` and a plugin for the keys.
 */
export function readInputFirst(): { plugin: Plugin; dispatchTransaction: (this: EditorView, tr: Transaction) => void } {
  const plugin = new Plugin({
    props: {
      handleKeyDown(view, event) {
        if (!view.composing && event.keyCode !== 229) readPendingInput(view);
        return false;
      },
    },
  });
  function dispatchTransaction(this: EditorView, tr: Transaction): void {
    if (!tr.docChanged && !tr.selectionSet) {
      readPendingInput(this);
      tr = onto(this, tr);
    }
    this.updateState(this.state.apply(tr));
  }
  return { plugin, dispatchTransaction };
}

/** `tr` (no steps) as a transaction on the view's state, after a read that may have moved the caret or typed text. */
function onto(view: EditorView, tr: Transaction): Transaction {
  const { state } = view;
  if (state.doc === tr.doc) return state.selection.eq(tr.selection) ? tr : tr.setSelection(state.selection);
  // Text typed meanwhile was read: the same news on the state that holds it. A transaction's
  // metadata has no public copy, so its field is read.
  const fresh = state.tr;
  Object.assign((fresh as unknown as { meta: object }).meta, (tr as unknown as { meta: object }).meta);
  return fresh;
}
