import { Plugin, TextSelection } from 'prosemirror-state';
import type { EditorView } from 'prosemirror-view';

/**
 * An input method's composition over a selection that holds someone else's caret: ProseMirror
 * deletes the selection before the browser composes.
 *
 * Remote carets are widgets (contenteditable=false, with the person's name as text). A caret at a
 * paragraph's start is drawn as its first child, and a selection starting there starts in front of
 * it (`<p>` offset 0). Composing over such a selection — select a line with Shift+Home or a triple
 * click, then type with an input method — Chromium fired `compositionstart` with the widget's text in
 * its data ("⁠Grace⁠hello world"), replaced nothing, put the first preedit character at the
 * selection's end and never sent another update or a `compositionend`: the preedit reading stayed
 * in the document, the composed text was lost, and so was every later composition on that page until
 * a key was pressed (the typing suite: CI seed 311559035; a triple click from three quick clicks
 * near each other then a composition; 3 of 3 in a browser test, 0 when no caret is at the start).
 *
 * So when a composition starts over a text selection that holds an uneditable element, ProseMirror
 * deletes the selection first (as it does itself for a selection spanning blocks), and the browser
 * composes at the collapsed caret that is left, which it handles. Selections without a widget are
 * left to the browser.
 */
export function composeOverSelection(): Plugin {
  return new Plugin({
    props: {
      handleDOMEvents: {
        compositionstart(view) {
          const range = view.composing ? null : selectionOverUneditable(view);
          if (range !== null) {
            // Read from the DOM: ProseMirror may not have read the latest selection change yet
            // (Shift+Home, then at once a composition).
            const { state } = view;
            view.dispatch(state.tr.setSelection(TextSelection.between(state.doc.resolve(range.anchor), state.doc.resolve(range.head))).deleteSelection().scrollIntoView());
          }
          // ProseMirror's own compositionstart handling runs next, on the collapsed caret.
          return false;
        },
      },
    },
  });
}

/**
 * The browser's selection as document positions, when it is a range inside the editor that holds an
 * uneditable element (a widget); otherwise null.
 */
function selectionOverUneditable(view: EditorView): { anchor: number; head: number } | null {
  const domSelection = view.dom.ownerDocument.getSelection();
  if (domSelection === null || domSelection.rangeCount === 0 || domSelection.isCollapsed) return null;
  const { anchorNode, anchorOffset, focusNode, focusOffset } = domSelection;
  if (anchorNode === null || focusNode === null || !view.dom.contains(anchorNode) || !view.dom.contains(focusNode)) return null;
  const range = domSelection.getRangeAt(0);
  const holds = [...view.dom.querySelectorAll('[contenteditable="false"]')].some((element) => range.intersectsNode(element));
  if (!holds) return null;
  const anchor = view.posAtDOM(anchorNode, anchorOffset);
  const head = view.posAtDOM(focusNode, focusOffset);
  return anchor === head ? null : { anchor, head };
}
