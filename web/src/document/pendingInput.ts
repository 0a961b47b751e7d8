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
