import { afterEach, describe, expect, it, vi } from 'vitest';
import { ParkedUpdates } from '../../server/collab/parkedUpdates.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('ParkedUpdates', () => {
  const limits = { timeoutMs: 1000, maxUpdates: 2, maxBytes: 10 };

  it('holds copies up to its limits, and retries oldest first until a pass resolves none', () => {
    const parked = new ParkedUpdates<string>(limits, () => {});
    const update = new Uint8Array([1, 2, 3]);
    expect(parked.park('a', update, 1)).toBe(true);
    update[0] = 9; // the frame's buffer is ws's: the held copy must not change
    expect(parked.park('b', new Uint8Array(8), 2)).toBe(false); // 3 + 8 bytes > 10
    expect(parked.park('b', new Uint8Array(4), 2)).toBe(true);
    expect(parked.park('c', new Uint8Array(1), 3)).toBe(false); // 2 updates at most
    const tried: string[] = [];
    // The older 'a' can only go once the newer 'b' went: a second pass picks it up; then none is left.
    let bDone = false;
    parked.retry((entry) => {
      tried.push(`${entry.peer}${entry.frameNo}[${entry.update[0]}]`);
      if (entry.peer === 'a') return bDone ? 'done' : 'waiting';
      bDone = true;
      return 'done';
    });
    expect(tried).toEqual(['a1[1]', 'b2[0]', 'a1[1]']);
    expect(parked.size).toBe(0);
    parked.park('c', new Uint8Array(1), 3);
    parked.retry(() => 'waiting'); // a pass that resolves none ends the retry
    expect(parked.size).toBe(1);
    parked.clear();
    expect(parked.size).toBe(0);
  });

  it("expires what waits too long (refusing its peer), and drops a leaving peer's updates", () => {
    vi.useFakeTimers();
    const expired: string[] = [];
    const parked = new ParkedUpdates<string>(limits, (entry) => expired.push(entry.peer));
    parked.park('a', new Uint8Array(1), 1);
    parked.park('b', new Uint8Array(1), 1);
    parked.dropPeer('b');
    vi.advanceTimersByTime(999);
    expect(expired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(expired).toEqual(['a']);
    expect(parked.size).toBe(0);
  });
});
