import type { CDPSession, Page } from 'playwright-core';

/**
 * The typists' scripts: what a person does in the editor, as seeded random steps, performed with
 * real input (playwright's keyboard and mouse, and the Chrome DevTools Protocol for key events with
 * non-ASCII text and for IME composition). Each page types only characters of its own alphabet, so
 * the oracle knows who typed every character; spaces are shared and counted.
 */

/** Page k types TYPED[k] (keys) and COMPOSED[k] (through composition); ALPHABETS[k] is their union. */
export const TYPED = ['abcdefghijklmnopqrstuvwxyz', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', '0123456789', 'αβγδεζηθικλμνξοπρστυφχψω'];
export const COMPOSED = ['áéíóúàèìòù', 'ÁÉÍÓÚÀÈÌÒÙ', '中文字漢語日本', 'жщюяфцш'];
export const ALPHABETS = TYPED.map((keys, index) => keys + COMPOSED[index]);

export { seededRandom } from '../../helpers/seededRandom.js';

export type Random = () => number;
export const pick = <T>(rng: Random, items: readonly T[]): T => items[Math.floor(rng() * items.length)]!;
export const between = (rng: Random, low: number, high: number): number => low + Math.floor(rng() * (high - low + 1));
export const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface Typist {
  page: Page;
  cdp: CDPSession;
  /** Which alphabet this page types. */
  index: number;
  name: string;
  /** What the script entered so far: own characters in order, and spaces. */
  typed: string;
  spaces: number;
  keystrokes: number;
  steps: number;
}

/** Types one own character (or a space) as a person does on this page's keyboard. */
export async function typeChar(t: Typist, ch: string): Promise<void> {
  t.keystrokes++;
  if (ch === ' ') {
    t.spaces++;
    await t.page.keyboard.press('Space');
    return;
  }
  t.typed += ch;
  if (t.index === 1) {
    // Upper case with Shift held, as a person types it.
    await t.page.keyboard.press(`Shift+Key${ch}`);
  } else if (t.index === 3) {
    // A key of a Greek layout: a real key event whose text is not ASCII.
    await t.cdp.send('Input.dispatchKeyEvent', { type: 'keyDown', key: ch, text: ch, unmodifiedText: ch });
    await t.cdp.send('Input.dispatchKeyEvent', { type: 'keyUp', key: ch });
  } else {
    await t.page.keyboard.type(ch);
  }
}

/** Types `text` key by key with 0–`maxDelayMs` ms between keys. */
export async function typeRun(t: Typist, rng: Random, text: string, maxDelayMs = 30): Promise<void> {
  for (const ch of text) {
    await typeChar(t, ch);
    const delay = between(rng, 0, maxDelayMs);
    if (delay > 0) await pause(delay);
  }
}

/**
 * What an input method shows while converting (Bopomofo): in no page's alphabet, so the oracle
 * ignores it wherever it appears.
 */
export const READING = 'ㄅㄆㄇㄈㄉㄊㄋㄌㄍㄎㄏㄐㄑㄒㄓㄔㄕㄖㄗㄘㄙ';

/**
 * Text entered through an input method, as Chromium receives it from one (`Input.imeSetComposition`
 * for each preedit update, `Input.insertText` to commit), 0–30 ms between updates as between keys.
 * Two shapes: `grow` — the preedit grows character by character (an accent or Hangul input method);
 * `convert` — each character is first spelled in READING (one or two keys), then converted, as a
 * pinyin or kana input method does, so the preedit replaces text it showed before.
 */
export async function compose(t: Typist, rng: Random, text: string, shape: 'grow' | 'convert' = 'grow'): Promise<void> {
  const chars = [...text];
  const update = async (preedit: string): Promise<void> => {
    await t.cdp.send('Input.imeSetComposition', { text: preedit, selectionStart: preedit.length, selectionEnd: preedit.length });
    const delay = between(rng, 0, 30);
    if (delay > 0) await pause(delay);
  };
  for (let k = 1; k <= chars.length; k++) {
    const done = chars.slice(0, k - 1).join('');
    if (shape === 'convert') {
      let spelled = '';
      for (let n = between(rng, 1, 2); n > 0; n--) {
        spelled += pick(rng, [...READING]);
        await update(done + spelled);
      }
    }
    await update(done + chars[k - 1]);
  }
  await t.cdp.send('Input.insertText', { text });
  t.typed += text;
  t.keystrokes += chars.length;
}

/** A paste of several paragraphs (a real `paste` event carrying text/plain, as the browser sends one). */
export async function paste(t: Typist, paragraphs: string[]): Promise<void> {
  const text = paragraphs.join('\n');
  await t.page.evaluate((data) => {
    const transfer = new DataTransfer();
    transfer.setData('text/plain', data);
    const target = document.querySelector('#editor .ProseMirror')!;
    target.dispatchEvent(new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true, cancelable: true }));
  }, text);
  t.typed += paragraphs.join('');
  t.keystrokes++;
}

export type ClickTarget = 'char' | 'start' | 'end' | 'empty' | 'remote' | 'bold';

/**
 * Viewport coordinates of a place to click in the editor, chosen with `r` in [0, 1): before a
 * character, the start or end of a textblock, an empty textblock, another person's caret (the end of
 * the paragraph it is in: e.g. one they just created), or a character inside a bold run. Null when
 * there is no such place. Runs in the page.
 */
function clickPoint({ kind, r }: { kind: ClickTarget; r: number }): { x: number; y: number } | null {
  type PMNode = {
    isTextblock: boolean;
    isText: boolean;
    nodeSize: number;
    content: { size: number };
    marks: Array<{ type: { name: string } }>;
    descendants(f: (node: PMNode, pos: number) => boolean | void): void;
  };
  type View = {
    state: { doc: PMNode };
    coordsAtPos(pos: number): { left: number; top: number; bottom: number };
  };
  const view = (window as unknown as { tandem: { view: View } }).tandem.view;
  const positions: number[] = [];
  const blocks: Array<{ start: number; end: number; empty: boolean }> = [];
  view.state.doc.descendants((node, pos) => {
    if (node.isTextblock) blocks.push({ start: pos + 1, end: pos + 1 + node.content.size, empty: node.content.size === 0 });
    if (node.isText && (kind === 'char' || node.marks.some((mark) => mark.type.name === 'strong'))) {
      for (let i = kind === 'bold' ? 1 : 0; i < node.nodeSize; i++) positions.push(pos + i);
    }
  });
  const at = <T>(items: T[]): T | undefined => items[Math.floor(r * items.length)];
  let x: number;
  let y: number;
  const point = (pos: number, dx: number): void => {
    let coords = view.coordsAtPos(pos);
    if (coords.top < 60 || coords.bottom > window.innerHeight - 10) {
      window.scrollBy(0, coords.top - window.innerHeight / 2);
      coords = view.coordsAtPos(pos);
    }
    x = coords.left + dx;
    y = (coords.top + coords.bottom) / 2;
  };
  if (kind === 'char' || kind === 'bold') {
    const pos = at(positions);
    if (pos === undefined) return null;
    point(pos, 0.5);
  } else if (kind === 'start' || kind === 'end' || kind === 'empty') {
    const block = at(kind === 'empty' ? blocks.filter((b) => b.empty) : blocks);
    if (block === undefined) return null;
    point(kind === 'end' ? block.end : block.start, kind === 'end' ? 0 : 1);
    if (kind === 'end') {
      // Right of the line's end, as a person clicks after the last word.
      const line = document.elementFromPoint(x!, y!)?.closest('p, li, h1, h2, h3, h4, h5, h6, blockquote');
      if (line) x = Math.min(line.getBoundingClientRect().right - 4, x! + 200);
    }
  } else {
    const cursors = [...document.querySelectorAll('#editor .ProseMirror-yjs-cursor')];
    const cursor = at(cursors);
    if (cursor === undefined) return null;
    const rect = cursor.getBoundingClientRect();
    if (rect.top < 60 || rect.bottom > window.innerHeight - 10) return null;
    const line = cursor.closest('p, li, h1, h2, h3, h4, h5, h6');
    x = line ? line.getBoundingClientRect().right - 4 : rect.left;
    y = (rect.top + rect.bottom) / 2;
  }
  return { x: x!, y: y! };
}

/** Clicks a place of `kind` (falling back to any character); returns what was clicked, or null when nothing fit. */
export async function clickAt(t: Typist, rng: Random, kind: ClickTarget): Promise<string | null> {
  for (const k of [kind, 'char'] as ClickTarget[]) {
    const target = await t.page.evaluate(clickPoint, { kind: k, r: rng() });
    if (target !== null) {
      await t.page.mouse.click(target.x, target.y);
      return k;
    }
  }
  return null;
}

/** Sets the step label the probe attaches to the changes it records. */
export function label(page: Page, step: string): Promise<void> {
  return page.evaluate((s) => {
    (window as unknown as { __typingProbe: { step: string } }).__typingProbe.step = s;
  }, step);
}

const STEP_WEIGHTS: Array<[string, number]> = [
  ['type', 34],
  ['enter', 6],
  ['backspace', 6],
  ['delete', 3],
  ['click', 14],
  ['arrows', 8],
  ['bold', 5],
  ['undo', 4],
  ['redo', 2],
  ['paste', 3],
  ['compose', 6],
  ['select', 4],
];
/** Every step kind a script can take. */
export const STEP_KINDS = STEP_WEIGHTS.map(([kind]) => kind);
/**
 * The step kinds `npm test` runs by default: the shapes for which no keystroke is lost, doubled or
 * reordered today. Enter, Backspace and Delete (paragraph splits and joins) and paste racing with
 * another page's typing are much improved by the move rebase (web/src/document/moveRebase.ts) and,
 * for two pages moving the same text at once, its ledger (moveLedger.ts: one copy stays), but a soak
 * of them is not clean yet (20 runs: doubled 1, reordered 10, in 3 runs; README, "The keystroke
 * guarantee"): `TYPING_STEPS=all` (what the soak runs) includes them.
 * Composition (an input method's preedit, growing or converted) is in: racing with typing in its
 * paragraph is fixed by the hold (web/src/document/compositionHold.ts), and composing next to
 * someone's caret right after Ctrl+B by the prosemirror-view patch (docs/prosemirror-view-patch.md);
 * seeds 7000–7069 over these kinds were clean with both (doubled 1 before the patch).
 * Selecting and typing or composing over the selection (`select`) is not in yet: 30 runs of these
 * kinds with it (BASE_SEED=777000) had one finding, seed 777003's "reordered 2", where one remote batch
 * held a triple-click replace deleting Linus's digits and another page's undo putting back other
 * digits of his it had typed over; the oracle counts characters, not Yjs items, and reads that as a
 * move. Until it tells them apart, `select` runs in the soak only.
 */
export const GUARANTEED_STEP_KINDS = ['type', 'click', 'arrows', 'bold', 'undo', 'redo', 'compose'];
const requested = process.env['TYPING_STEPS']?.trim();
const allowed =
  requested === undefined || requested === ''
    ? GUARANTEED_STEP_KINDS
    : requested === 'all'
      ? STEP_KINDS
      : requested.split(',').map((kind) => kind.trim());
for (const kind of allowed) if (!STEP_KINDS.includes(kind)) throw new Error(`TYPING_STEPS: unknown step ${kind}; known: ${STEP_KINDS.join(', ')}`);
const weights = STEP_WEIGHTS.filter(([kind]) => allowed.includes(kind));
const TOTAL_WEIGHT = weights.reduce((sum, [, w]) => sum + w, 0);

function stepKind(rng: Random): string {
  let roll = rng() * TOTAL_WEIGHT;
  for (const [kind, weight] of weights) {
    roll -= weight;
    if (roll < 0) return kind;
  }
  return 'type';
}

/** A run of own characters: one letter repeated, distinct letters, or letters with spaces between. */
function typedRun(rng: Random, keys: string): string {
  const length = between(rng, 1, 8);
  const shape = pick(rng, ['repeated', 'distinct', 'spaced'] as const);
  if (shape === 'repeated') return pick(rng, [...keys]).repeat(length);
  let out = '';
  for (let i = 0; i < length; i++) {
    out += shape === 'spaced' && i > 0 && rng() < 0.3 && !out.endsWith(' ') ? ' ' : pick(rng, [...keys]);
  }
  return out;
}

/**
 * Performs `count` random steps on the typist's page, with 0–30 ms between steps. The caller has
 * focused the editor.
 */
export async function runScript(t: Typist, rng: Random, count: number): Promise<void> {
  const keys = TYPED[t.index]!;
  for (let i = 0; i < count; i++) {
    const kind = stepKind(rng);
    t.steps++;
    let name: string = kind;
    if (kind === 'click') name = `click ${pick(rng, ['char', 'char', 'start', 'end', 'empty', 'remote', 'remote', 'bold'] as const)}`;
    await label(t.page, `${i}:${name}`);
    switch (kind) {
      case 'type':
        await typeRun(t, rng, typedRun(rng, keys));
        break;
      case 'enter':
        t.keystrokes++;
        await t.page.keyboard.press('Enter');
        break;
      case 'backspace':
      case 'delete':
        for (let n = between(rng, 1, 3); n > 0; n--) {
          t.keystrokes++;
          await t.page.keyboard.press(kind === 'backspace' ? 'Backspace' : 'Delete');
        }
        break;
      case 'click':
        await clickAt(t, rng, name.split(' ')[1] as ClickTarget);
        break;
      case 'arrows': {
        const key = pick(rng, ['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown', 'Home', 'End']);
        for (let n = between(rng, 1, 4); n > 0; n--) await t.page.keyboard.press(key);
        break;
      }
      case 'bold': {
        const key = pick(rng, ['Shift+ArrowLeft', 'Shift+ArrowRight']);
        for (let n = between(rng, 1, 5); n > 0; n--) await t.page.keyboard.press(key);
        await t.page.keyboard.press('Control+b');
        // Then move on, as a person does, rather than type over the selection.
        await t.page.keyboard.press(pick(rng, ['ArrowLeft', 'ArrowRight']));
        break;
      }
      case 'undo':
        await t.page.keyboard.press('Control+z');
        break;
      case 'redo':
        await t.page.keyboard.press('Control+Shift+z');
        break;
      case 'paste': {
        const paragraphs = Array.from({ length: between(rng, 2, 3) }, () =>
          Array.from({ length: between(rng, 2, 6) }, () => pick(rng, [...keys])).join(''),
        );
        await paste(t, paragraphs);
        break;
      }
      case 'compose': {
        const text = Array.from({ length: between(rng, 1, 3) }, () => pick(rng, [...COMPOSED[t.index]!])).join('');
        await compose(t, rng, text, pick(rng, ['grow', 'convert'] as const));
        break;
      }
      case 'select': {
        // Select part of a line (to its start or end, a few characters, or the whole line with a
        // triple click) and type or compose over it, as a person replaces text.
        const how = pick(rng, ['Shift+Home', 'Shift+End', 'Shift+ArrowLeft', 'triple'] as const);
        await label(t.page, `${i}:select ${how}`);
        if (how === 'triple') {
          const target = await t.page.evaluate(clickPoint, { kind: 'char' as ClickTarget, r: rng() });
          if (target !== null) await t.page.mouse.click(target.x, target.y, { clickCount: 3 });
        } else {
          for (let n = how === 'Shift+ArrowLeft' ? between(rng, 1, 4) : 1; n > 0; n--) await t.page.keyboard.press(how);
        }
        if (rng() < 0.5) await typeRun(t, rng, typedRun(rng, keys));
        else await compose(t, rng, Array.from({ length: between(rng, 1, 3) }, () => pick(rng, [...COMPOSED[t.index]!])).join(''), pick(rng, ['grow', 'convert'] as const));
        break;
      }
    }
    const delay = between(rng, 0, 30);
    if (delay > 0) await pause(delay);
  }
  await label(t.page, 'done');
}
