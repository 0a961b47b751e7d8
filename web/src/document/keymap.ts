import { baseKeymap, chainCommands, exitCode, toggleMark } from 'prosemirror-commands';
import {
  inputRules,
  textblockTypeInputRule,
  undoInputRule,
  wrappingInputRule,
} from 'prosemirror-inputrules';
import { keymap } from 'prosemirror-keymap';
import type { Command, Plugin } from 'prosemirror-state';
import { liftListItem, sinkListItem, splitListItem } from 'prosemirror-schema-list';
import { redo, undo } from 'y-prosemirror';
import { marks, nodes } from './schemaTypes.js';

/**
 * Undo/redo through y-prosemirror's UndoManager, which only reverts this window's own changes.
 * They always report "handled": falling through would let the browser run its native undo on the
 * contenteditable, which knows nothing of Yjs.
 */
export const undoChange: Command = (state, dispatch) => {
  if (dispatch) undo(state);
  return true;
};
export const redoChange: Command = (state, dispatch) => {
  if (dispatch) redo(state);
  return true;
};

const insertHardBreak: Command = chainCommands(exitCode, (state, dispatch) => {
  dispatch?.(state.tr.replaceSelectionWith(nodes.hardBreak.create()).scrollIntoView());
  return true;
});

/**
 * The editor's keymaps, most specific first, ending with prosemirror-commands' baseKeymap.
 * Tab outside a list is not handled, so it still moves focus out of the editor.
 */
export function editorKeymaps(): Plugin[] {
  return [
    keymap({
      'Mod-z': undoChange,
      'Mod-y': redoChange,
      'Mod-Shift-z': redoChange,
      'Mod-b': toggleMark(marks.strong),
      'Mod-i': toggleMark(marks.em),
      'Mod-`': toggleMark(marks.code),
      'Shift-Enter': insertHardBreak,
      'Mod-Enter': insertHardBreak,
      Backspace: undoInputRule,
    }),
    keymap({
      Enter: splitListItem(nodes.listItem),
      Tab: sinkListItem(nodes.listItem),
      'Shift-Tab': liftListItem(nodes.listItem),
    }),
    keymap(baseKeymap),
  ];
}

/** Markdown-like shortcuts typed at the start of a block: `# `…`###### `, `- `/`* `, `1. `, `> `. */
export function editorInputRules(): Plugin {
  const { heading, bulletList, orderedList, blockquote } = nodes;
  return inputRules({
    rules: [
      textblockTypeInputRule(/^(#{1,6})\s$/, heading, (match) => ({ level: (match[1] ?? '#').length })),
      wrappingInputRule(/^\s*([-*])\s$/, bulletList),
      wrappingInputRule(
        /^(\d+)\.\s$/,
        orderedList,
        (match) => ({ order: Number(match[1]) }),
        (match, node) => node.childCount + (node.attrs['order'] as number) === Number(match[1]),
      ),
      wrappingInputRule(/^\s*>\s$/, blockquote),
    ],
  });
}
