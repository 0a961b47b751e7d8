import type { DecorationAttrs } from 'prosemirror-view';
import { sanitizeIdentity } from './identity.js';
import { isGuest } from './presence.js';

/**
 * Remote cursor and selection rendering for y-prosemirror's yCursorPlugin, following its
 * `.ProseMirror-yjs-cursor` / `.ProseMirror-yjs-selection` conventions. Unlike its defaults, these
 * treat the peer's `user` field as untrusted: the colour must be `#rrggbb` (anything else would be
 * pasted into a style attribute) and the name is set as text.
 */

/** A caret in the user's colour with their name on a label above it. */
export function buildCursor(user: unknown, clientId: number): HTMLElement {
  const identity = sanitizeIdentity(user) ?? { name: `Guest ${clientId}`, color: '#6b7280' };
  const cursor = document.createElement('span');
  cursor.className = 'ProseMirror-yjs-cursor';
  cursor.style.borderColor = identity.color;
  const label = document.createElement('div');
  label.style.backgroundColor = identity.color;
  label.textContent = isGuest(user) ? `${identity.name} (guest)` : identity.name;
  // Word joiners keep the caret from creating a line-break opportunity around it.
  cursor.append('\u2060', label, '\u2060');
  return cursor;
}

/** The highlight of a remote selection: the user's colour at about 25% opacity. */
export function buildSelection(user: unknown): DecorationAttrs {
  const identity = sanitizeIdentity(user);
  const color = identity?.color ?? '#6b7280';
  return { style: `background-color: ${color}40`, class: 'ProseMirror-yjs-selection' };
}
