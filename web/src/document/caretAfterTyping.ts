import type { EditorView } from 'prosemirror-view';
import { Plugin, TextSelection, type EditorState, type Transaction } from 'prosemirror-state';
import { ReplaceStep } from 'prosemirror-transform';
import { ySyncPluginKey } from 'y-prosemirror';

/**
 * The first key typed into an empty textblock lands where the person's caret is, and the caret
 * goes after it.
 *
 * Traced in the browser suite with both cores busy (every key event with the DOM selection, every
 * transaction with the DOM before and after): right after ProseMirror redrew a block empty — an
 * input rule turned "# " into a heading or "- " into a list, Enter made a new paragraph — Chrome,
 * with its selection correctly at `<p>` offset 0 before the trailing `<br>`, sometimes typed the
 * key and left its selection in front of it (`<h1>P<br></h1>`, caret at h1 offset 0), or typed it
 * into the enclosing `<ul>` (`<ul>f<li>…`). ProseMirror read what the DOM said: every next key
 * went before the first ("# Plan" became "lanP", and Enter then split the heading instead of
 * ending it), or a new list item appeared in front of the caret's. Nothing in the DOM before the key
 * tells it apart from a good keystroke, so the first key into an empty textblock is not left to the
 * browser at all: ProseMirror inserts it, as its own keypress handler does whenever the selection
 * is not a plain text caret (input rules still see it). Keys into a non-empty block stay native
 * (spellcheck, input methods), and so do keys while composing.
 *
 * And as ProseMirror does for old Edge ("doesn't move the cursor forward when you start typing in an
 * empty block", prosemirror-view's readDOMChange), a local insertion of text at an empty caret that
 * leaves the caret in front of it — as a character read from the DOM that way does — gets the caret
 * moved after it.
 */
export function caretAfterTyping(): Plugin {
  return new Plugin({
    props: { handleKeyPress: typeAtCaret },
    appendTransaction(transactions, oldState, newState) {
      if (transactions.length !== 1) return null;
      const at = leftBehind(transactions[0]!, oldState);
      if (at === null || !newState.selection.empty || newState.selection.head !== at.from) return null;
      return newState.tr.setSelection(TextSelection.create(newState.doc, at.from + at.size));
    },
  });
}

/** Where `tr` inserted text at the old empty caret without moving it, or null for any other transaction. */
export function leftBehind(tr: Transaction, before: EditorState): { from: number; size: number } | null {
  if (tr.steps.length !== 1 || tr.getMeta(ySyncPluginKey) !== undefined || tr.getMeta('uiEvent') !== undefined) return null;
  const step = tr.steps[0];
  if (!(step instanceof ReplaceStep) || step.from !== step.to) return null;
  const { slice } = step;
  if (slice.openStart !== 0 || slice.openEnd !== 0 || slice.size === 0) return null;
  let textOnly = true;
  slice.content.forEach((node) => {
    if (!node.isText) textOnly = false;
  });
  if (!textOnly) return null;
  const caret = before.selection;
  if (!caret.empty || caret.head !== step.from) return null;
  if (!tr.selection.empty || tr.selection.head !== step.from) return null;
  return { from: step.from, size: slice.size };
}

/**
 * handleKeyPress: types a printable key with a ProseMirror transaction (and preventDefault) when the
 * caret is in an empty textblock and the browser's caret is in it too, not composing; otherwise
 * leaves the key to the browser. (An earlier version also took keys whenever the browser's caret
 * was outside ProseMirror's caret's block; in one CI run of the history restore-while-typing test a
 * person's keys typed after a restore went to the document's start. Not proven to be that branch,
 * but keys belong where the page shows the caret, so it is gone.)
 */
export function typeAtCaret(view: EditorView, event: KeyboardEvent): boolean {
  if (view.composing || event.ctrlKey || event.metaKey || event.altKey || event.isComposing || event.key.length !== 1 || /[\r\n]/.test(event.key)) return false;
  const { selection } = view.state;
  if (!(selection instanceof TextSelection) || !selection.empty || !selection.$from.parent.isTextblock || selection.$from.parent.content.size > 0) return false;
  // Only where the browser's caret is that same block: a caret the browser shows elsewhere (a
  // remote change moved ProseMirror's, the DOM not redrawn yet) is where the person is typing.
  const anchor = view.dom.ownerDocument.getSelection()?.anchorNode;
  const block = view.nodeDOM(selection.$from.before());
  if (!anchor || !(block instanceof HTMLElement) || !block.contains(anchor)) return false;
  const text = event.key;
  const { from, to } = selection;
  const deflt = () => view.state.tr.insertText(text, from, to).scrollIntoView();
  if (!view.someProp('handleTextInput', (f) => f(view, from, to, text, deflt))) view.dispatch(deflt());
  return true;
}
