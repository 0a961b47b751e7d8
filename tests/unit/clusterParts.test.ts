import { describe, expect, it } from 'vitest';
import { decodeClusterMessage, encodeClusterMessage, type ClusterMessage } from '../../server/cluster/clusterMessage.js';
import { SettleGate } from '../../server/collab/settleGate.js';
import { KeyedTokenBuckets, TokenBucket } from '../../server/tokenBucket.js';

describe('cluster message codec', () => {
  it('round-trips every kind', () => {
    const messages: ClusterMessage[] = [
      { kind: 'update', from: 'p1', seq: 2 ** 40, update: new Uint8Array([1, 2, 3]) },
      { kind: 'awareness', from: 'p-2', update: new Uint8Array([9]) },
      { kind: 'alive', from: 'x' },
      { kind: 'bye', from: 'y' },
    ];
    for (const message of messages) expect(decodeClusterMessage(encodeClusterMessage(message))).toEqual(message);
  });
  it('refuses unknown kinds, truncation and trailing bytes', () => {
    const good = encodeClusterMessage({ kind: 'alive', from: 'x' });
    expect(() => decodeClusterMessage(new Uint8Array([9, 1, 120]))).toThrow(/unknown/);
    expect(() => decodeClusterMessage(good.subarray(0, 1))).toThrow();
    expect(() => decodeClusterMessage(new Uint8Array([...good, 0]))).toThrow(/trailing/);
  });
});

describe('token bucket', () => {
  it('allows the burst, then the rate, and refills over time', () => {
    let now = 0;
    const bucket = new TokenBucket(10, 3, () => now);
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, true, false]);
    now += 100; // one token at 10/s
    expect([bucket.take(), bucket.take()]).toEqual([true, false]);
    expect(bucket.isFull).toBe(false);
    now += 10_000;
    expect(bucket.isFull).toBe(true);
  });
  it('gives a token back on refund, never past the burst', () => {
    let now = 0;
    const buckets = new KeyedTokenBuckets(1, 2, () => now);
    expect([buckets.take('a'), buckets.take('a'), buckets.take('a')]).toEqual([true, true, false]);
    buckets.refund('a');
    expect([buckets.take('a'), buckets.take('a')]).toEqual([true, false]);
    buckets.refund('a');
    buckets.refund('a');
    buckets.refund('a');
    expect([buckets.take('a'), buckets.take('a'), buckets.take('a')]).toEqual([true, true, false]);
    buckets.refund('unknown'); // a bucket never used (or forgotten as full) stays full
    expect(buckets.size).toBe(1);
    expect([buckets.take('b'), buckets.take('b'), buckets.take('b')]).toEqual([true, true, false]);
  });
});

describe('settle gate', () => {
  it('runs waiters at once when settled, else once the last uncommitted write closes', () => {
    const gate = new SettleGate<string>();
    const ran: string[] = [];
    gate.whenSettled(() => ran.push('now'));
    gate.opened();
    gate.opened();
    gate.whenSettled(() => ran.push('later'));
    expect(ran).toEqual(['now']);
    gate.closed();
    expect(gate.release()).toEqual([]);
    expect(ran).toEqual(['now']);
    gate.closed();
    gate.release();
    expect(ran).toEqual(['now', 'later']);
  });
  it('holds updates only while someone waits, in order, up to a byte limit', () => {
    const gate = new SettleGate<string>();
    expect(gate.hold('a', new Uint8Array(4), 10)).toBe('apply');
    gate.opened();
    gate.whenSettled(() => {});
    expect(gate.hold('a', new Uint8Array([1, 2, 3, 4]), 10)).toBe('held');
    expect(gate.hold('b', new Uint8Array([5, 6, 7, 8]), 10)).toBe('held');
    expect(gate.hold('c', new Uint8Array(4), 10)).toBe('full');
    gate.closed();
    const held = gate.release();
    expect(held.map((h) => [h.peer, [...h.update]])).toEqual([
      ['a', [1, 2, 3, 4]],
      ['b', [5, 6, 7, 8]],
    ]);
    expect(gate.hold('d', new Uint8Array(4), 10)).toBe('apply');
  });
  it('runs every waiter even when one throws, then rethrows the first error', () => {
    const gate = new SettleGate<string>();
    const ran: string[] = [];
    gate.opened();
    gate.whenSettled(() => ran.push('first'));
    gate.whenSettled(() => {
      throw new Error('this answer failed');
    });
    gate.whenSettled(() => ran.push('third'));
    gate.closed();
    expect(() => gate.release()).toThrow('this answer failed');
    expect(ran).toEqual(['first', 'third']);
  });
});
