import type * as Y from 'yjs';

/** Transaction origin of title edits typed in this window's `<input>`. */
const TITLE_INPUT_ORIGIN = Symbol('title-input');

/** One splice: delete `deleteCount` characters at `index`, then insert `insert` there. */
export interface Splice {
  index: number;
  deleteCount: number;
  insert: string;
}

/**
 * The smallest single splice turning `before` into `after`: everything between their common prefix
 * and common suffix. Never splits a UTF-16 surrogate pair. Returns null when they are equal.
 */
export function minimalSplice(before: string, after: string): Splice | null {
  if (before === after) return null;
  const maxPrefix = Math.min(before.length, after.length);
  let prefix = 0;
  while (prefix < maxPrefix && before.charCodeAt(prefix) === after.charCodeAt(prefix)) prefix++;
  if (prefix > 0 && isHighSurrogate(before.charCodeAt(prefix - 1))) prefix--;
  const maxSuffix = maxPrefix - prefix;
  let suffix = 0;
  while (
    suffix < maxSuffix &&
    before.charCodeAt(before.length - 1 - suffix) === after.charCodeAt(after.length - 1 - suffix)
  ) suffix++;
  if (suffix > 0 && isLowSurrogate(before.charCodeAt(before.length - suffix))) suffix--;
  return {
    index: prefix,
    deleteCount: before.length - prefix - suffix,
    insert: after.slice(prefix, after.length - suffix),
  };
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/** A Y.Text change as YTextEvent.delta reports it. */
export type TextDelta = ReadonlyArray<{ insert?: unknown; delete?: number; retain?: number }>;

/**
 * Where a caret at `index` in the old text belongs after `delta`. Text inserted exactly at the
 * caret goes after it (the caret stays put); deleted text around the caret pulls it back.
 */
export function mapIndexThroughDelta(index: number, delta: TextDelta): number {
  let oldPos = 0;
  let mapped = index;
  for (const op of delta) {
    if (op.retain !== undefined) {
      oldPos += op.retain;
    } else if (op.insert !== undefined) {
      const length = typeof op.insert === 'string' ? op.insert.length : 1;
      if (oldPos < index) mapped += length;
    } else if (op.delete !== undefined) {
      if (oldPos < index) mapped -= Math.min(op.delete, index - oldPos);
      oldPos += op.delete;
    }
    if (oldPos >= index) break;
  }
  return mapped;
}

/**
 * Binds `input` to `text` both ways until the page goes away:
 * - typing replaces the changed span of `text` in one transaction (minimalSplice), so concurrent
 *   edits by others elsewhere in the title merge instead of being overwritten;
 * - a change from anyone else updates the input, keeping the caret on the same character;
 * - while an input method composes (accents, CJK), nothing is written and the input is left alone
 *   (setting its value would end the composition); at its end the composed text is written where
 *   it belongs after the changes that arrived meanwhile, and those are shown.
 * `onTitle` is called with the current title at once and after every change.
 */
export function bindTitle(input: HTMLInputElement, text: Y.Text, onTitle: (title: string) => void): void {
  /** The title as the input last showed it: what local edits are measured against. */
  let shown = text.toString();
  /** Others' changes not shown yet (they arrived during a composition), oldest first. */
  let unshown: TextDelta[] = [];
  let composing = false;
  input.value = shown;
  onTitle(shown);

  const mapThroughUnshown = (index: number): number => unshown.reduce((at, delta) => mapIndexThroughDelta(at, delta), index);
  const writeLocal = (): void => {
    const splice = minimalSplice(shown, input.value);
    let caret = mapThroughUnshown(input.selectionStart ?? input.value.length);
    if (splice !== null) {
      const from = mapThroughUnshown(splice.index);
      const to = Math.max(from, mapThroughUnshown(splice.index + splice.deleteCount));
      text.doc?.transact(() => {
        if (to > from) text.delete(from, to - from);
        if (splice.insert !== '') text.insert(from, splice.insert);
      }, TITLE_INPUT_ORIGIN);
      caret = from + splice.insert.length;
    }
    if (unshown.length > 0) {
      // Show what arrived during the composition, with the caret after what was composed.
      unshown = [];
      shown = text.toString();
      input.value = shown;
      if (document.activeElement === input) input.setSelectionRange(caret, caret);
    } else if (splice !== null) {
      shown = input.value;
    } else {
      return;
    }
    onTitle(shown);
  };

  input.addEventListener('compositionstart', () => {
    composing = true;
  });
  input.addEventListener('compositionend', () => {
    composing = false;
    writeLocal();
  });
  input.addEventListener('input', (event) => {
    if (composing || (event as InputEvent).isComposing) return;
    writeLocal();
  });
  text.observe((event) => {
    if (event.transaction.origin === TITLE_INPUT_ORIGIN) return;
    if (composing) {
      unshown.push(event.delta as TextDelta);
      return;
    }
    const value = text.toString();
    shown = value;
    if (input.value !== value) {
      const focused = document.activeElement === input;
      const start = input.selectionStart;
      const end = input.selectionEnd;
      const direction = input.selectionDirection ?? undefined;
      input.value = value;
      if (focused && start !== null && end !== null) {
        const delta = event.delta as TextDelta;
        input.setSelectionRange(mapIndexThroughDelta(start, delta), mapIndexThroughDelta(end, delta), direction);
      }
    }
    onTitle(value);
  });
}
