/**
 * The one rule for every URL a document can carry (a link's `href`, an image's `src`): the
 * schema renders and parses only these, the server refuses updates that write others, and exports
 * leave others out. Anything that could run script or reach something other than a web page or a
 * mail program — `javascript:`, `data:`, `vbscript:`, `file:`, `blob:`… — is not a safe URL.
 */

/** Schemes a document's links and images may use. Everything else is refused. */
export const SAFE_URL_SCHEMES = ['http', 'https', 'mailto'] as const;

/** Attribute and object keys that hold a URL wherever they appear in a document (marks, nodes). */
export const URL_KEYS = ['href', 'src'] as const;

/** A scheme as the WHATWG URL parser reads one: a letter, then letters, digits, "+", "-" or ".", then ":". */
const SCHEME = /^([a-z][a-z0-9+.-]*):/i;

/** ASCII control characters, which browsers strip (tab, newline) or skip (leading C0) while parsing. */
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Whether `value` is a URL a document may carry: a string without control characters that is
 * either http:, https: or mailto: (any case), or relative — a path, `?query`, `#fragment` or
 * `//host/…` (which a page resolves to its own http(s) scheme). Leading and trailing spaces are
 * ignored, as browsers do. Anything else — another scheme, a non-string, a string with control
 * characters (browsers drop tabs and newlines, so `java\nscript:` would become `javascript:`) —
 * returns false. A relative URL's first segment (up to the first "/", "?" or "#") may not contain
 * a backslash or "&" either: a Markdown reader unescapes `javascript\:` and decodes
 * `javascript&colon;` into a scheme.
 */
export function isSafeUrl(value: unknown): value is string {
  if (typeof value !== 'string' || CONTROL.test(value)) return false;
  const url = value.trim();
  const scheme = SCHEME.exec(url);
  if (scheme !== null) return (SAFE_URL_SCHEMES as readonly string[]).includes((scheme[1] ?? '').toLowerCase());
  const firstSegment = /^[^/?#]*/.exec(url)?.[0] ?? '';
  return !/[\\&]/.test(firstSegment);
}

/** `value` when it is a safe URL (see isSafeUrl), else null. */
export function safeUrlOrNull(value: unknown): string | null {
  return isSafeUrl(value) ? value : null;
}
