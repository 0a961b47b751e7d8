/**
 * Converts an integer column to a number: PostgreSQL's bigint arrives from `pg` as a string (it may
 * pass 2^53), SQLite's INTEGER as a number. Throws rather than rounding when the value is beyond
 * Number.MAX_SAFE_INTEGER (or not an integer at all); `what` names the column in the message.
 */
export function toSafeNumber(value: string | number, what: string): number {
  const number = Number(value);
  if (!Number.isSafeInteger(number)) {
    throw new Error(`${what} ${String(value)} is beyond Number.MAX_SAFE_INTEGER; the store cannot represent it`);
  }
  return number;
}

/** toSafeNumber, with null kept as null (a column that may be empty). */
export function toSafeNumberOrNull(value: string | number | null, what: string): number | null {
  return value === null ? null : toSafeNumber(value, what);
}
