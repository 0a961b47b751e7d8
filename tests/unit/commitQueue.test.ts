import { describe, expect, it } from 'vitest';
import { type CommitListener, CommitQueue, type PendingWrite } from '../../server/collab/commitQueue.js';
import { fakeLog, fakeMetrics, flakyStore, turns } from '../helpers/roomFakes.js';
import { waitFor } from '../helpers/waitFor.js';

/** A listener that writes down what it is told, in order. */
function listener(name: string, events: string[], throwOnCommit = false): CommitListener {
  return {
    committed(write: PendingWrite, seq: number) {
      events.push(`${name} ${String(write.context)} @${seq}`);
      if (throwOnCommit) throw new Error('listener bug');
    },
    batchDone: () => events.push(`${name} done`),
    storageTrouble: (failing) => events.push(`${name} ${failing ? 'failing' : 'ok'}`),
  };
}

const write = (docId: string, to: CommitListener, context: string, update: Uint8Array | null = new Uint8Array([1])): PendingWrite => ({
  docId,
  listener: to,
  update,
  context,
});

describe('CommitQueue', () => {
  it('commits what one turn queued in one batch, then reports each write in order and each listener once', async () => {
    const store = flakyStore();
    const queue = new CommitQueue(store, fakeLog(), fakeMetrics());
    const events: string[] = [];
    const a = listener('a', events);
    const b = listener('b', events);
    queue.enqueue(write('d1', a, 'w1'));
    queue.enqueue(write('d2', b, 'w2'));
    queue.enqueue(write('d1', a, 'w3', null)); // changed nothing: no row, still reported in turn
    expect(queue.pendingCount).toBe(3);
    expect(events).toEqual([]);
    await turns();
    expect(store.appended).toBe(2);
    expect(events).toEqual(['a w1 @1', 'b w2 @2', 'a w3 @0', 'a done', 'b done']);
    expect(queue.pendingCount).toBe(0);
  });

  it('keeps a refused batch at the head of the queue, tells its listeners, and retries until it is stored', async () => {
    const store = flakyStore();
    const log = fakeLog();
    const metrics = fakeMetrics();
    const queue = new CommitQueue(store, log, metrics);
    const events: string[] = [];
    const a = listener('a', events);
    store.failing = true;
    queue.enqueue(write('d', a, 'first'));
    expect(await queue.flush()).toBe(false);
    expect(events).toEqual(['a failing']);
    queue.enqueue(write('d', a, 'second')); // queued during the fault: after the first
    const failures = async () => (await metrics.storageFailures.get()).values[0]?.value ?? 0;
    await waitFor(async () => (await failures()) >= 2, 'the first retry (after 100 ms) to fail too');
    expect(events).toEqual(['a failing']); // told once
    store.failing = false;
    await waitFor(() => events.includes('a ok'), 'the retry to succeed');
    expect(events).toEqual(['a failing', 'a first @1', 'a second @2', 'a done', 'a ok']);
    expect(log.lines.some((line) => line.level === 'error' && /retried/.test(line.msg))).toBe(true);
    queue.close();
  });

  it('reports the rest of a batch when one listener throws', async () => {
    const log = fakeLog();
    const queue = new CommitQueue(flakyStore(), log, fakeMetrics());
    const events: string[] = [];
    queue.enqueue(write('d1', listener('bad', events, true), 'w1'));
    queue.enqueue(write('d2', listener('good', events), 'w2'));
    await queue.flush();
    expect(events).toEqual(['bad w1 @1', 'good w2 @2', 'bad done', 'good done']);
    expect(log.lines.some((line) => line.msg === 'commit listener threw')).toBe(true);
  });

  it('schedules nothing once closed; a flush still commits', async () => {
    const store = flakyStore();
    const queue = new CommitQueue(store, fakeLog(), fakeMetrics());
    queue.close();
    const events: string[] = [];
    queue.enqueue(write('d', listener('a', events), 'w'));
    await turns();
    expect(events).toEqual([]);
    expect(await queue.flush()).toBe(true);
    expect(events).toEqual(['a w @1', 'a done']);
  });
});
