/** Document ids: URL-safe, 1–64 characters. Anything else is refused before it reaches a room. */
export const DOC_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** Whether `value` is a valid document id (a string matching DOC_ID_PATTERN). */
export function isValidDocId(value: unknown): value is string {
  return typeof value === 'string' && DOC_ID_PATTERN.test(value);
}
