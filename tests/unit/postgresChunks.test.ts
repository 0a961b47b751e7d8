import { expect, it } from 'vitest';
import { insertChunkSizes } from '../../server/store/postgresStore.js';

it('splits a batch into insert statements of power-of-two sizes, largest first, at most 8,192 rows each', () => {
  expect(insertChunkSizes(0)).toEqual([]);
  expect(insertChunkSizes(1)).toEqual([1]);
  expect(insertChunkSizes(37)).toEqual([32, 4, 1]);
  expect(insertChunkSizes(8_192)).toEqual([8_192]);
  expect(insertChunkSizes(20_000)).toEqual([8_192, 8_192, 2_048, 1_024, 512, 32]);
  for (let n = 1; n < 3_000; n++) {
    const sizes = insertChunkSizes(n);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(n);
    expect(sizes.every((size) => Number.isInteger(Math.log2(size)))).toBe(true);
  }
});
