import { expect, it } from 'vitest';
import { packParts, packPartsInTurns, unpackParts } from '../../server/bigdocs/packedParts.js';
import { seededRandom } from '../helpers/seededRandom.js';

const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);

it('packs parts in turns of the event loop into the same bytes as at once, whatever their sizes (empty, past a turn, random; seed printed)', async () => {
  const seed = Number(process.env['SEED'] ?? Math.floor(Math.random() * 2 ** 31));
  console.info(`packedParts seed ${seed}`);
  const random = seededRandom(seed);
  const sizes = [0, 1, 4 * 1024 * 1024 - 3, 9 * 1024 * 1024, 0, ...Array.from({ length: 20 }, () => Math.floor(random() * 300_000))];
  const parts = sizes.map((size) => {
    const part = new Uint8Array(size);
    for (let i = 0; i < size; i += 997) part[i] = Math.floor(random() * 256);
    return part;
  });
  // Turns the event loop takes while the parts are packed (other work runs between the pieces).
  let turns = 0;
  let packing = true;
  void (async () => {
    while (packing) {
      turns++;
      await new Promise((resolve) => setImmediate(resolve));
    }
  })();
  const packed = await packPartsInTurns(parts);
  packing = false;
  expect(same(packed, packParts(parts))).toBe(true);
  const unpacked = unpackParts(packed);
  expect(unpacked.map((p) => p.length)).toEqual(sizes);
  expect(unpacked.every((p, i) => same(p, parts[i]!))).toBe(true);
  expect(turns).toBeGreaterThanOrEqual(3); // about 14 MB, 4 MB a turn
  expect(same(await packPartsInTurns([]), packParts([]))).toBe(true);
});
