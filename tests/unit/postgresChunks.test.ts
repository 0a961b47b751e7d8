import { expect, it } from 'vitest';
import { insertChunkSizes } from '../../server/store/postgresStore.js';

it('inserts a batch of up to 16 rows in one statement, a larger one in power-of-two chunks (at most 8,192 rows) and the rest', () => {
  expect(insertChunkSizes(0)).toEqual([]);
  expect(insertChunkSizes(1)).toEqual([1]);
  expect(insertChunkSizes(7)).toEqual([7]);
  expect(insertChunkSizes(16)).toEqual([16]);
  expect(insertChunkSizes(17)).toEqual([16, 1]);
  expect(insertChunkSizes(37)).toEqual([32, 5]);
  expect(insertChunkSizes(8_192)).toEqual([8_192]);
  expect(insertChunkSizes(20_000)).toEqual([8_192, 8_192, 2_048, 1_024, 512, 32]);
  const statements = new Set<number>();
  for (let n = 1; n < 20_000; n++) {
    const sizes = insertChunkSizes(n);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(n);
    expect(sizes.every((size) => size <= 16 || Number.isInteger(Math.log2(size)))).toBe(true);
    for (const size of sizes) statements.add(size);
  }
  // Named statements a connection may hold: 1..16 and the powers of two from 32 to 8,192.
  expect(statements.size).toBe(16 + 9);
});
