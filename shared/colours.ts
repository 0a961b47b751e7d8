/** Pleasant, distinct colours that keep white label text readable (`#rrggbb`, the only form y-prosemirror's cursors accept). */
export const PALETTE = [
  '#c2410c', '#b45309', '#4d7c0f', '#15803d', '#0f766e', '#0e7490',
  '#1d4ed8', '#4338ca', '#6d28d9', '#a21caf', '#be185d', '#b91c1c',
] as const;

/** A colour of the palette picked by `seed` (an account id): the same every time, on every device and server. */
export function colorFor(seed: string): string {
  let hash = 0;
  for (const ch of seed) hash = (hash * 31 + (ch.codePointAt(0) ?? 0)) >>> 0;
  return PALETTE[hash % PALETTE.length] as string;
}
