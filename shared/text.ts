/**
 * Limits on the text people write that others are shown (titles, notification excerpts), and the
 * one way every such text is cleaned: defined once, used by the server where it stores, lists and
 * sends them, and by the web app's inputs.
 */

/**
 * Longest document title, in UTF-16 code units (what Y.Text and `String.length` count). The server
 * cuts the live title back to it, and never records, lists or sends a longer one.
 */
export const MAX_TITLE_CHARS = 200;
/** Longest excerpt of a chat message a mention notification carries, in characters. */
export const MAX_EXCERPT_CHARS = 140;

/**
 * Unicode's explicit bidirectional formatting characters: embeddings and overrides (U+202A–U+202E)
 * and isolates (U+2066–U+2069). An override (U+202E) in a name or title shown beside others' text
 * reverses how it reads ("txt.exe" shown as "exe.txt"); nothing people write here needs them.
 */
const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/g;

/** Where `text` holds a bidirectional formatting character (UTF-16 indexes, ascending; [] for none). */
export function bidiControlIndexes(text: string): number[] {
  return [...text.matchAll(BIDI_CONTROLS)].map((match) => match.index!);
}

/** `text` without bidirectional formatting characters. */
export function stripBidiControls(text: string): string {
  return text.replace(BIDI_CONTROLS, '');
}

/**
 * The end (≤ max) at which to cut `text` to at most `max` UTF-16 code units without splitting a
 * surrogate pair (an emoji is kept whole or dropped whole).
 */
export function clipEnd(text: string, max: number): number {
  if (text.length <= max) return text.length;
  const last = text.charCodeAt(max - 1);
  return last >= 0xd800 && last <= 0xdbff ? max - 1 : max;
}

/** `text` cut to at most `max` UTF-16 code units, never inside a surrogate pair. */
export function clipText(text: string, max: number): string {
  return text.slice(0, clipEnd(text, max));
}

/** A title as it is recorded, listed and sent: no bidirectional controls, at most MAX_TITLE_CHARS. */
export function cleanTitle(title: string): string {
  return clipText(stripBidiControls(title), MAX_TITLE_CHARS);
}

/** How many characters (code points) `text` has: an emoji counts one, as people count. */
export function charCount(text: string): number {
  let count = 0;
  for (const _ of text) count += 1;
  return count;
}

/** The first `max` characters of `text` with whitespace runs as one space, ending in "…" when cut. */
export function excerptOf(text: string, max: number): string {
  const points = [...text.replace(/\s+/g, ' ')];
  return points.length <= max ? points.join('') : `${points.slice(0, max - 1).join('')}…`;
}
