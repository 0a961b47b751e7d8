import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { checkpointState } from '../../server/history/historyCompute.js';
import { HistoryThread } from '../../server/history/historyThread.js';

// The history thread gives way to a late event loop (server/history/pacing.ts): a real worker thread
// replays a long log while this test's event loop is held busy, and the thread is seen to pause —
// and still answers what the same work answers on the event loop.

/** A log of `n` small updates: someone typing one character at a time. */
function typingLog(n: number): Uint8Array[] {
  const doc = new Y.Doc();
  const updates: Uint8Array[] = [];
  doc.on('update', (update: Uint8Array) => updates.push(update));
  const text = doc.getText('t');
  for (let i = 0; i < n; i++) text.insert(i % 50 === 0 ? 0 : text.length, String.fromCharCode(97 + (i % 26)));
  doc.destroy();
  return updates;
}

/** Holds the event loop for `ms` (a synchronous stretch of relays, as a busy core would). */
function holdEventLoop(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // busy
  }
}

let thread: HistoryThread | null = null;
afterEach(async () => {
  await thread?.close();
  thread = null;
});

describe('the history thread paces itself against the event loop', () => {
  it('pauses while the event loop is held, and its answer is the same as unpaced', async () => {
    thread = new HistoryThread();
    const log = typingLog(40_000);
    // Started and warm: the replay below begins at once.
    await thread.run({ kind: 'checkpoint', updates: log.slice(0, 100) });
    const before = thread.pauses();
    const replay = thread.run({ kind: 'checkpoint', updates: log });
    // Held long enough for the thread to reach its first checks while the stamp goes stale.
    holdEventLoop(400);
    const paced = await replay;
    expect(thread.pauses()).toBeGreaterThan(before);
    expect(Buffer.from(paced).equals(Buffer.from(checkpointState(log)))).toBe(true);
  });

  it('keeps no timer once nothing is in flight (an idle server stays idle)', async () => {
    thread = new HistoryThread();
    await thread.run({ kind: 'checkpoint', updates: typingLog(10) });
    const clock = (thread as unknown as { clock: { timer: unknown } }).clock;
    expect(clock.timer).toBeNull();
  });
});
