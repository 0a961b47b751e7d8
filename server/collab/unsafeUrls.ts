import * as Y from 'yjs';
import { CloseCode } from '../../shared/closeCodes.js';
import { isSafeUrl, URL_KEYS } from '../../shared/safeUrl.js';
import { ProtocolError } from '../protocolError.js';

/**
 * Refuses (ProtocolError 4422) an update from an editor that would write an unsafe URL (see
 * findUnsafeUrl): it is never applied, stored or relayed. Refused whole rather than stripped, so an
 * update that is accepted is still stored and relayed exactly as it came (the durability contract);
 * Tandem's own editor never writes one (shared/safeUrl.ts is its rule too). A malformed update is
 * refused the same way (4422), as applying it would.
 */
export function refuseUnsafeUrls(update: Uint8Array): void {
  let found: string | null;
  try {
    found = findUnsafeUrl(update);
  } catch {
    throw new ProtocolError(CloseCode.updateRejected, 'update could not be applied');
  }
  if (found !== null) {
    throw new ProtocolError(CloseCode.updateRejected, 'update carries a link or image address that is not http, https, mailto or relative');
  }
}

/**
 * Finds a URL an update would write into a document that shared/safeUrl.ts does not allow, without
 * a Y.Doc: the update's own structs are read (Y.decodeUpdate). Wherever a key of `URL_KEYS`
 * ("href", "src") is set — a map entry or XML attribute (an image's `src`), a key of a formatting
 * attribute's value (y-prosemirror's link mark: `{ link: { href } }`), a key inside any JSON value
 * an update inserts — its value must be a safe URL, null or absent. Everything else is left alone.
 *
 * Returns the first offending value, shortened for logs, or null when the update writes no unsafe
 * URL. Throws what Y.decodeUpdate throws for a malformed update.
 *
 * Cost: updates whose bytes contain neither "href" nor "src" (nearly every keystroke) are not
 * decoded. In the V1 encoding y-websocket sends, every key (a format's key, an attribute name, an
 * object key inside a JSON value) is written as its UTF-8 bytes, so an update without those bytes
 * cannot set either key.
 */
export function findUnsafeUrl(update: Uint8Array): string | null {
  const bytes = Buffer.from(update.buffer, update.byteOffset, update.byteLength);
  if (!URL_KEYS.some((key) => bytes.includes(key))) return null;
  for (const struct of Y.decodeUpdate(update).structs) {
    if (!(struct instanceof Y.Item)) continue;
    const content = struct.content;
    const parentSub = struct.parentSub;
    if (parentSub !== null && isUrlKey(parentSub)) {
      for (const value of valuesOf(content)) {
        if (!isAllowed(value)) return shown(value);
      }
    }
    for (const value of valuesOf(content)) {
      const found = unsafeInside(value);
      if (found !== null) return found;
    }
  }
  return null;
}

function isUrlKey(key: string): boolean {
  return (URL_KEYS as readonly string[]).includes(key);
}

/** A URL-holding key's value may be a safe URL, or nothing. */
function isAllowed(value: unknown): boolean {
  return value === null || value === undefined || isSafeUrl(value);
}

/**
 * The values an item's content holds, as a map entry or attribute would read them. Content that is
 * not a plain value (a nested type, binary, a subdocument) is returned as a marker object, so a
 * URL key holding it is refused (it would reach the page as "[object Object]" at best).
 */
function valuesOf(content: Y.Item['content']): unknown[] {
  if (content instanceof Y.ContentAny || content instanceof Y.ContentJSON) return content.arr;
  if (content instanceof Y.ContentString) return [content.str];
  if (content instanceof Y.ContentFormat) return [{ [content.key]: content.value }];
  if (content instanceof Y.ContentEmbed) return [content.embed];
  if (content instanceof Y.ContentDeleted) return [];
  return [NOT_A_VALUE];
}

const NOT_A_VALUE = { notAValue: true };

/** The first unsafe value of a URL key anywhere inside `root` (objects and arrays), or null. */
function unsafeInside(root: unknown): string | null {
  // A work list, not recursion: a deeply nested value must not overflow the stack.
  const work: unknown[] = [root];
  while (work.length > 0) {
    const value = work.pop();
    if (value === null || typeof value !== 'object') continue;
    if (Array.isArray(value)) {
      for (const item of value) work.push(item);
      continue;
    }
    if (value instanceof Uint8Array) continue;
    for (const [key, inner] of Object.entries(value)) {
      if (isUrlKey(key) && !isAllowed(inner)) return shown(inner);
      work.push(inner);
    }
  }
  return null;
}

function shown(value: unknown): string {
  const text = typeof value === 'string' ? value : value === NOT_A_VALUE ? '(not a value)' : JSON.stringify(value) ?? typeof value;
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}
