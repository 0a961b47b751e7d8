// Several byte arrays in one buffer, so they cross to a worker thread and back by moving one
// ArrayBuffer instead of being copied by structured clone (a 50 MB document would be copied twice,
// on both threads). Layout: uint32 count, uint32 length of each, then the bytes one after another.

/** Packs `parts` into one new buffer (one copy). */
export function packParts(parts: readonly Uint8Array[]): Uint8Array {
  const packing = startPacking(parts);
  while (packing.step(Infinity));
  return packing.packed;
}

/** Bytes copied per turn of the event loop by packPartsInTurns. */
const TURN_BYTES = 4 * 1024 * 1024;

/**
 * packParts on the event loop's thread, a few MB a turn: the copy of a 50 MB document took the
 * loop 60 ms at once (profiled in L2). The parts must not change meanwhile (stored bytes never do).
 */
export async function packPartsInTurns(parts: readonly Uint8Array[]): Promise<Uint8Array> {
  const packing = startPacking(parts);
  while (packing.step(TURN_BYTES)) await new Promise((resolve) => setImmediate(resolve));
  return packing.packed;
}

/** The buffer with its header written, and `step(bytes)`: copies about that many more bytes; false when done. */
function startPacking(parts: readonly Uint8Array[]): { packed: Uint8Array; step(bytes: number): boolean } {
  const header = 4 * (1 + parts.length);
  const total = parts.reduce((sum, part) => sum + part.length, header);
  const packed = new Uint8Array(total);
  const view = new DataView(packed.buffer);
  view.setUint32(0, parts.length, true);
  parts.forEach((part, i) => view.setUint32(4 * (1 + i), part.length, true));
  let at = header;
  let part = 0;
  let within = 0;
  return {
    packed,
    step(bytes) {
      let budget = bytes;
      while (part < parts.length && budget > 0) {
        const source = parts[part]!;
        const take = Math.min(source.length - within, budget);
        packed.set(take === source.length ? source : source.subarray(within, within + take), at);
        at += take;
        within += take;
        budget -= take;
        if (within === source.length) {
          part++;
          within = 0;
        }
      }
      return part < parts.length;
    },
  };
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
