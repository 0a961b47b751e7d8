import { setBlockType, toggleMark } from 'prosemirror-commands';
import type { MarkType, NodeType } from 'prosemirror-model';
import { Plugin, type Command, type EditorState } from 'prosemirror-state';
import { liftListItem, wrapInList } from 'prosemirror-schema-list';
import type { EditorView } from 'prosemirror-view';
import { yUndoPluginKey } from 'y-prosemirror';
import { marks, nodes } from './schemaTypes.js';
import { linkCommand } from './link.js';
import { redoChange, undoChange } from './keymap.js';

/** One toolbar button: what it runs, whether it is "on" here, and whether it can run at all. */
interface ToolSpec {
  id: string;
  label: string;
  /** Visible text of the button (short); `label` is its accessible name and tooltip. */
  text: string;
  shortcut?: string;
  run: Command;
  /** Omitted for actions (undo, redo) that have no on/off state. */
  isActive?: (state: EditorState) => boolean;
  /** Whether the button can do something now; defaults to a dry run of `run`. */
  isEnabled?: (state: EditorState) => boolean;
}

function markActive(state: EditorState, type: MarkType): boolean {
  const { from, $from, to, empty } = state.selection;
  if (empty) return type.isInSet(state.storedMarks ?? $from.marks()) !== undefined;
  return state.doc.rangeHasMark(from, to, type);
}

function blockActive(state: EditorState, type: NodeType, attrs?: Record<string, unknown>): boolean {
  const { $from, to } = state.selection;
  if (to > $from.end() || $from.parent.type !== type) return false;
  return attrs === undefined || Object.entries(attrs).every(([key, value]) => $from.parent.attrs[key] === value);
}

function inList(state: EditorState, type: NodeType): boolean {
  const { $from } = state.selection;
  for (let depth = $from.depth; depth > 0; depth--) {
    const node = $from.node(depth);
    if (node.type === type) return true;
    if (node.type === nodes.bulletList || node.type === nodes.orderedList) return false;
  }
  return false;
}

/** Wraps the selection in a list of `type`, or lifts it out when it already is in one. */
function toggleList(type: NodeType): Command {
  return (state, dispatch, view) =>
    inList(state, type)
      ? liftListItem(nodes.listItem)(state, dispatch, view)
      : wrapInList(type)(state, dispatch, view);
}

const { strong, em, code, link } = marks;
const { paragraph, heading, bulletList, orderedList } = nodes;

const TOOLS: ToolSpec[] = [
  { id: 'bold', label: 'Bold', text: 'B', shortcut: 'Mod-B', run: toggleMark(strong), isActive: (s) => markActive(s, strong) },
  { id: 'italic', label: 'Italic', text: 'I', shortcut: 'Mod-I', run: toggleMark(em), isActive: (s) => markActive(s, em) },
  { id: 'code', label: 'Code', text: '</>', shortcut: 'Mod-`', run: toggleMark(code), isActive: (s) => markActive(s, code) },
  { id: 'paragraph', label: 'Paragraph', text: '¶', run: setBlockType(paragraph), isActive: (s) => blockActive(s, paragraph) },
  { id: 'h1', label: 'Heading 1', text: 'H1', run: setBlockType(heading, { level: 1 }), isActive: (s) => blockActive(s, heading, { level: 1 }) },
  { id: 'h2', label: 'Heading 2', text: 'H2', run: setBlockType(heading, { level: 2 }), isActive: (s) => blockActive(s, heading, { level: 2 }) },
  { id: 'bullet-list', label: 'Bullet list', text: '• List', run: toggleList(bulletList), isActive: (s) => inList(s, bulletList) },
  { id: 'ordered-list', label: 'Numbered list', text: '1. List', run: toggleList(orderedList), isActive: (s) => inList(s, orderedList) },
  { id: 'link', label: 'Link', text: 'Link', run: linkCommand, isActive: (s) => markActive(s, link) },
  { id: 'undo', label: 'Undo', text: '↶', shortcut: 'Mod-Z', run: undoChange, isEnabled: canUndo },
  { id: 'redo', label: 'Redo', text: '↷', shortcut: 'Mod-Shift-Z', run: redoChange, isEnabled: canRedo },
];

function canUndo(state: EditorState): boolean {
  return (yUndoPluginKey.getState(state)?.undoManager.undoStack.length ?? 0) > 0;
}

function canRedo(state: EditorState): boolean {
  return (yUndoPluginKey.getState(state)?.undoManager.redoStack.length ?? 0) > 0;
}

const isMac = typeof navigator !== 'undefined' && /Mac|iP(hone|[oa]d)/.test(navigator.platform);

function shortcutText(shortcut: string): string {
  return shortcut.replace('Mod', isMac ? '⌘' : 'Ctrl').replace(/-/g, '+');
}

/**
 * Fills `container` (a role="toolbar" element) with the formatting buttons and returns a plugin that
 * keeps their pressed/disabled state in step with the editor. Buttons do not take focus from the
 * editor on click; one that cannot act here has aria-disabled="true"; arrow keys move between them (one tab stop for the whole toolbar).
 */
export function toolbarPlugin(container: HTMLElement, isReadOnly: () => boolean = () => false): Plugin {
  const buttons = TOOLS.map((tool) => {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = `tool tool-${tool.id}`;
    button.dataset['tool'] = tool.id;
    button.textContent = tool.text;
    const hint = tool.shortcut === undefined ? tool.label : `${tool.label} (${shortcutText(tool.shortcut)})`;
    button.title = hint;
    button.setAttribute('aria-label', tool.label);
    if (tool.isActive !== undefined) button.setAttribute('aria-pressed', 'false');
    button.tabIndex = -1;
    return button;
  });
  if (buttons[0] !== undefined) buttons[0].tabIndex = 0;
  container.replaceChildren(...buttons);
  container.addEventListener('keydown', (event) => moveFocus(event, buttons));

  return new Plugin({
    view(view) {
      buttons.forEach((button, i) => {
        const tool = TOOLS[i] as ToolSpec;
        button.addEventListener('mousedown', (event) => event.preventDefault());
        button.addEventListener('click', () => {
          if (button.getAttribute('aria-disabled') === 'true' || isReadOnly()) return;
          tool.run(view.state, view.dispatch, view);
          view.focus();
        });
      });
      const refresh = (): void => update(view);
      const undoManager = yUndoPluginKey.getState(view.state)?.undoManager;
      undoManager?.on('stack-item-added', refresh);
      undoManager?.on('stack-item-popped', refresh);
      undoManager?.on('stack-cleared', refresh);
      const update = (current: EditorView): void => {
        const state = current.state;
        const readOnly = isReadOnly();
        container.setAttribute('aria-disabled', String(readOnly));
        buttons.forEach((button, i) => {
          const tool = TOOLS[i] as ToolSpec;
          if (tool.isActive !== undefined) button.setAttribute('aria-pressed', String(tool.isActive(state)));
          const enabled = !readOnly && (tool.isEnabled ? tool.isEnabled(state) : tool.run(state, undefined, current));
          // aria-disabled rather than disabled: a disabled button cannot take focus, which would
          // break arrow-key movement through the toolbar.
          button.setAttribute('aria-disabled', String(!enabled));
        });
      };
      update(view);
      return {
        update,
        destroy() {
          undoManager?.off('stack-item-added', refresh);
          undoManager?.off('stack-item-popped', refresh);
          undoManager?.off('stack-cleared', refresh);
        },
      };
    },
  });
}

/** Left/Right/Home/End move focus among the buttons (WAI-ARIA toolbar pattern). */
function moveFocus(event: KeyboardEvent, buttons: HTMLButtonElement[]): void {
  const current = buttons.indexOf(event.target as HTMLButtonElement);
  if (current < 0) return;
  let next = current;
  if (event.key === 'ArrowRight') next = (current + 1) % buttons.length;
  else if (event.key === 'ArrowLeft') next = (current - 1 + buttons.length) % buttons.length;
  else if (event.key === 'Home') next = 0;
  else if (event.key === 'End') next = buttons.length - 1;
  else return;
  event.preventDefault();
  for (const button of buttons) button.tabIndex = -1;
  const target = buttons[next] as HTMLButtonElement;
  target.tabIndex = 0;
  target.focus();
}
