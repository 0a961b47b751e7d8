import type { Node as PMNode } from 'prosemirror-model';
import { Plugin, TextSelection } from 'prosemirror-state';
import type { EditorView } from 'prosemirror-view';
import { relativePositionToAbsolutePosition, yCursorPluginKey, ySyncPluginKey, type ProsemirrorBinding } from 'y-prosemirror';
import type * as Y from 'yjs';
import { capture, type Hold, touches, writeHeld } from './heldParagraph.js';

/**
 * Keeps an input method's composition (accents, CJK) intact while others edit the same paragraph.
 *
 * Chromium ends a composition without telling anyone when a script rewrites the DOM text node being
 * composed; the input method's next update then starts a new composition and inserts the whole
 * preedit again (seen in the typing suite: "語" then "語本" → "語語本"). y-prosemirror draws every
 * remote change by re-rendering the changed paragraph, and ProseMirror writes the new text into the
 * same text node, so a keystroke of someone else in the paragraph being composed broke the
 * composition every time.
 *
 * So, while this window composes and a change from anywhere else arrives for the paragraph being
 * composed (the hold):
 * - the Y.Doc receives it as always; only drawing it into ProseMirror waits (and the remote carets,
 *   which would be drawn inside the composed text);
 * - the composition's own edits are not written into the Y.Doc either (y-prosemirror would write
 *   the paragraph as shown, deleting the change not drawn yet); the status says "Saving…";
 * - when the composition ends, what it changed in the paragraph since the hold began is written into
 *   the Y.Doc at the characters it was typed next to (Yjs relative positions taken when the hold
 *   began, so others' concurrent insertions stay where they are and only the composition's own
 *   deletions delete), then the document is drawn from the Y.Doc and the caret put after the
 *   composed text.
 * Remote changes to other paragraphs are drawn at once (they do not touch the composed text node).
 * Local edits made while holding are written as one change of the paragraph; one that reaches
 * beyond it (ProseMirror makes none while composing) cannot be placed among others' changes: it is
 * logged and dropped, and the document shows the Y.Doc.
 *
 * Reaches into y-prosemirror 1.3.7's binding (its observer, `_prosemirrorChanged`, `_forceRerender`,
 * `mapping`, `mux`): they are the only way to defer drawing without losing the change.
 */

/** Called with true when the window starts holding a composition back from the Y.Doc, false when it is written. */
export type HeldListener = (held: boolean) => void;

/**
 * The hold as a ProseMirror plugin; list it after ySyncPlugin (its view takes over the binding's
 * observer and writer when the editor view starts). `onHeld` says when the window starts and stops
 * showing a composition that is not in the Y.Doc.
 */
export function compositionHold(onHeld: HeldListener): Plugin {
  let view: EditorView | null = null;
  let hold: Hold | null = null;
  /** Taken at the start of a Y transaction while composing, used if that transaction touches the paragraph. */
  let candidate: Hold | null = null;
  let cursorsStale = false;

  const bindingOf = (v: EditorView): ProsemirrorBinding => ySyncPluginKey.getState(v.state).binding as ProsemirrorBinding;

  const release = (): void => {
    if (view === null || view.composing) return;
    const v = view;
    const binding = bindingOf(v);
    if (hold !== null) {
      const held = hold;
      hold = null;
      const { caret, orphan } = writeHeld(binding, held, v.state.doc, v.state.selection.head);
      // Draw the document from the Y.Doc (it holds others' changes and now the composition).
      binding._forceRerender();
      if (orphan.length > 0) {
        // The paragraph was deleted meanwhile (someone joined it to another): keep the composed
        // text, at the caret as it now stands, as an ordinary edit.
        const at = v.state.selection.from;
        if (v.state.doc.resolve(at).parent.inlineContent) v.dispatch(v.state.tr.insert(at, orphan));
      } else if (caret !== null) {
        const pos = relativePositionToAbsolutePosition(binding.doc, binding.type, caret, binding.mapping);
        if (pos !== null && pos <= v.state.doc.content.size) v.dispatch(v.state.tr.setSelection(TextSelection.near(v.state.doc.resolve(pos))));
      }
      cursorsStale = false;
      onHeld(false);
    }
    if (cursorsStale) {
      cursorsStale = false;
      v.dispatch(v.state.tr.setMeta(yCursorPluginKey, { awarenessUpdated: true }));
    }
  };
  const releaseSoon = (): void => {
    // After ProseMirror has read the composition's last DOM change (its compositionend handler,
    // registered before this one, flushes in a microtask).
    if (hold !== null || cursorsStale) queueMicrotask(release);
  };

  return new Plugin({
    props: {
      handleDOMEvents: {
        // A composition the browser ended without a compositionend (Chromium, composing next to a
        // remote caret's label, was seen to start one over the label's text and drop it): ProseMirror
        // would count every later key as composed and the hold would keep others' changes from this
        // page, and its own from the document, for good (typing seed 465296035 in CI: the page
        // diverged). A key pressed outside any composition (isComposing false, not keyCode 229, which
        // every key during one has) proves the browser is not composing: ProseMirror is told the
        // composition ended before it handles the key.
        keydown(editorView, event) {
          if (editorView.composing && !event.isComposing && event.keyCode !== 229) {
            editorView.dom.dispatchEvent(new CompositionEvent('compositionend', { data: '' }));
          }
          return false;
        },
      },
    },
    filterTransaction(tr) {
      if (view === null || !view.composing && hold === null) return true;
      // Remote carets are drawn as widgets; one drawn inside the composed text splits its node.
      const cursors = tr.getMeta(yCursorPluginKey) as { awarenessUpdated?: boolean } | undefined;
      if (cursors?.awarenessUpdated && !tr.docChanged) {
        cursorsStale = true;
        return false;
      }
      return true;
    },
    view(editorView) {
      view = editorView;
      const binding = bindingOf(editorView);
      const drawChange = binding._typeChanged.bind(binding);
      const observer = (events: Array<Y.YEvent<Y.AbstractType<unknown>>>, transaction: Y.Transaction): void => {
        const started = candidate;
        candidate = null;
        if (hold === null && started !== null && touches(transaction, started.yBlock)) {
          hold = started;
          onHeld(true);
        }
        if (hold === null) drawChange(events, transaction);
      };
      binding.type.unobserveDeep(binding._observeFunction);
      binding._observeFunction = observer;
      binding.type.observeDeep(observer);
      const write = binding._prosemirrorChanged.bind(binding);
      binding._prosemirrorChanged = (doc: PMNode) => {
        if (hold === null) write(doc);
      };
      const beforeTransaction = (transaction: Y.Transaction): void => {
        candidate = null;
        if (hold !== null || !editorView.composing || transaction.origin === ySyncPluginKey) return;
        candidate = capture(binding, editorView);
      };
      binding.doc.on('beforeTransaction', beforeTransaction);
      editorView.dom.addEventListener('compositionend', releaseSoon);
      editorView.dom.addEventListener('focusout', releaseSoon);
      return {
        // ProseMirror can also end a composition without an event (a stored mark, a key).
        update: () => {
          if (!editorView.composing) releaseSoon();
        },
        destroy: () => {
          binding.doc.off('beforeTransaction', beforeTransaction);
          editorView.dom.removeEventListener('compositionend', releaseSoon);
          editorView.dom.removeEventListener('focusout', releaseSoon);
          view = null;
        },
      };
    },
  });
}
