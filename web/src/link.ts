import type { Command, EditorState } from 'prosemirror-state';
import { isSafeUrl } from '../../shared/safeUrl.js';
import { schema } from '../../shared/schema.js';
import { marks } from './schemaTypes.js';

const linkType = marks.link;

/**
 * Turns what a person typed into a safe link target, or null to refuse it: http(s) and mailto
 * URLs, site-relative paths and fragments are kept; a bare "example.com" becomes https://…; any
 * other scheme (javascript:, data:…) is refused — the rule of shared/safeUrl.ts, which the server
 * also enforces (an update carrying another link would close the connection with 4422).
 */
export function normalizeHref(input: string): string | null {
  const href = input.trim();
  if (href === '') return null;
  const candidate = href.startsWith('/') || href.startsWith('#') || /^[a-z][a-z0-9+.-]*:/i.test(href) ? href : `https://${href}`;
  return isSafeUrl(candidate) ? candidate : null;
}

/** The document range of the link mark around the cursor or selection start, or null if none. */
function linkRangeAt(state: EditorState): { from: number; to: number } | null {
  const { $from, from, to, empty } = state.selection;
  if (!empty) return state.doc.rangeHasMark(from, to, linkType) ? { from, to } : null;
  const mark = linkType.isInSet($from.marks());
  if (mark === undefined) return null;
  // Widen to the run of adjacent text nodes carrying this same link that contains the cursor.
  const pos = $from.pos;
  const start = $from.start();
  let found: { from: number; to: number } | null = null;
  let run: { from: number; to: number } | null = null;
  const closeRun = (): void => {
    if (found === null && run !== null && run.from <= pos && pos <= run.to) found = run;
    run = null;
  };
  $from.parent.forEach((child, offset) => {
    const childFrom = start + offset;
    if (!mark.isInSet(child.marks)) return closeRun();
    if (run === null) run = { from: childFrom, to: childFrom };
    run.to = childFrom + child.nodeSize;
  });
  closeRun();
  return found;
}

/**
 * The toolbar's Link button: inside a link, removes it; otherwise asks for a URL and links the
 * selected text (or, with nothing selected, inserts the URL as linked text). Not applicable where
 * links are not allowed (e.g. code blocks).
 */
export const linkCommand: Command = (state, dispatch) => {
  const existing = linkRangeAt(state);
  if (existing !== null) {
    dispatch?.(state.tr.removeMark(existing.from, existing.to, linkType));
    return true;
  }
  const { $from, from, to, empty } = state.selection;
  if (!$from.parent.type.allowsMarkType(linkType)) return false;
  if (!empty && !state.doc.rangeHasMark(from, to, linkType) && !canMark(state)) return false;
  if (dispatch === undefined) return true;
  const answer = window.prompt('Link address (URL):', 'https://');
  if (answer === null) return false;
  const href = normalizeHref(answer);
  if (href === null) {
    window.alert('Only web (http, https) and mailto links are allowed.');
    return false;
  }
  const mark = linkType.create({ href });
  dispatch(
    empty
      ? state.tr.replaceSelectionWith(schema.text(href, [mark]), false)
      : state.tr.addMark(from, to, mark),
  );
  return true;
};

function canMark(state: EditorState): boolean {
  let allowed = false;
  state.doc.nodesBetween(state.selection.from, state.selection.to, (node) => {
    if (allowed) return false;
    allowed = node.inlineContent && node.type.allowsMarkType(linkType);
    return true;
  });
  return allowed;
}
