// Several byte arrays in one buffer, so they cross to a worker thread and back by moving one
// ArrayBuffer instead of being copied by structured clone (a 50 MB document would be copied twice,
// on both threads). Layout: uint32 count, uint32 length of each, then the bytes one after another.

/** Packs `parts` into one new buffer (one copy). */
export function packParts(parts: readonly Uint8Array[]): Uint8Array {
  const header = 4 * (1 + parts.length);
  const total = parts.reduce((sum, part) => sum + part.length, header);
  const packed = new Uint8Array(total);
  const view = new DataView(packed.buffer);
  view.setUint32(0, parts.length, true);
  let at = header;
  parts.forEach((part, i) => {
    view.setUint32(4 * (1 + i), part.length, true);
    packed.set(part, at);
    at += part.length;
  });
  return packed;
}

/** The parts of a packed buffer, as views into it (no copy). Throws on a buffer that is not one. */
export function unpackParts(packed: Uint8Array): Uint8Array[] {
  const view = new DataView(packed.buffer, packed.byteOffset, packed.byteLength);
  const count = view.getUint32(0, true);
  let at = 4 * (1 + count);
  const parts: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const length = view.getUint32(4 * (1 + i), true);
    if (at + length > packed.byteLength) throw new Error('packed parts are truncated');
    parts.push(packed.subarray(at, at + length));
    at += length;
  }
  return parts;
}
