import { describe, expect, it } from 'vitest';
import { type ReplicaHost, RoomReplica } from '../../server/collab/roomReplica.js';
import type { RoomCluster } from '../../server/collab/roomContracts.js';
import { StoredLog } from '../../server/collab/storedLog.js';
import { openMemoryStore } from '../../server/store/memoryStore.js';
import { fakeLog } from '../helpers/roomFakes.js';
import { waitFor } from '../helpers/waitFor.js';

/** A room as its replica sees it: updates are numbered by their first byte; one it has is a no-op, one after a gap does not apply. */
function fakeHost() {
  const applied: number[] = [];
  const presence: string[] = [];
  const host: ReplicaHost & { applied: number[]; presence: string[]; destroyed: boolean } = {
    docId: 'd',
    destroyed: false,
    get isDestroyed() {
      return this.destroyed;
    },
    applied,
    presence,
    applyStored(update) {
      if (update[0]! <= applied.length) return true;
      if (update[0] !== applied.length + 1) return false;
      applied.push(update[0]!);
      return true;
    },
    applyRemotePresence: (processId) => presence.push(processId),
  };
  return host;
}

function replica() {
  const host = fakeHost();
  const store = openMemoryStore();
  const log = new StoredLog({ updates: [], lastSeq: 0 });
  const published: string[] = [];
  const cluster: RoomCluster = {
    publishUpdate: (docId, seq) => published.push(`${docId} update ${seq}`),
    publishAwareness: (docId) => published.push(`${docId} awareness`),
    repairIntervalMs: 60_000,
  };
  const part = new RoomReplica(host, log, store, fakeLog(), cluster);
  return { host, store, log, published, part };
}

describe('RoomReplica', () => {
  it("publishes this process's commits and presence under its document", () => {
    const { part, published } = replica();
    part.publishUpdate(7, new Uint8Array([1]));
    part.publishAwareness(new Uint8Array([1]));
    expect(published).toEqual(['d update 7', 'd awareness']);
    part.stop();
  });

  it('applies what others publish, and reads the store when a published update does not apply', async () => {
    const { part, host, store, log } = replica();
    await store.appendBatch([1, 2, 3].map((n) => ({ docId: 'd', update: new Uint8Array([n]) })));
    part.receive({ kind: 'update', from: 'p2', seq: 1, update: new Uint8Array([1]) });
    expect(host.applied).toEqual([1]);
    // Update 2 was dropped by the bus: 3 does not apply, so the store is read.
    part.receive({ kind: 'update', from: 'p2', seq: 3, update: new Uint8Array([3]) });
    await waitFor(() => log.confirmedSeq === 3, 'the repair to read through row 3');
    // Row 1 is read again (applied from the bus, it was not confirmed): a no-op for the host.
    expect(host.applied).toEqual([1, 2, 3]);
    part.receive({ kind: 'awareness', from: 'p2', update: new Uint8Array([0]) });
    expect(host.presence).toEqual(['p2']);
    host.destroyed = true;
    part.receive({ kind: 'awareness', from: 'p3', update: new Uint8Array([0]) });
    expect(host.presence).toEqual(['p2']);
    part.stop();
  });

  it("leaves this process's own commits out of a read, and is confirmed through them once it is done", async () => {
    const { part, host, store, log } = replica();
    // Rows 1 and 3 are another process's, 2 and 4 this one's (already in the doc, published here).
    const seqs = await store.appendBatch([1, 2, 3, 4].map((n) => ({ docId: 'd', update: new Uint8Array([n]) })));
    host.applied.push(1, 2, 3, 4);
    part.publishUpdate(seqs[1]!, new Uint8Array([2]));
    part.publishUpdate(seqs[3]!, new Uint8Array([4]));
    const asked: Array<readonly number[] | undefined> = [];
    const loadSince = store.loadSince.bind(store);
    let fail = true;
    store.loadSince = async (docId, afterSeq, except) => {
      asked.push(except);
      if (fail) throw new Error('the store is down');
      const since = await loadSince(docId, afterSeq, except);
      // Only the other process's rows come back.
      expect(since.updates.map((u) => u[0])).toEqual([1, 3]);
      return since;
    };
    // A failed read keeps them for the next one.
    await expect(part.repair()).rejects.toThrow('the store is down');
    fail = false;
    await part.repair();
    expect(asked).toEqual([[seqs[1], seqs[3]], [seqs[1], seqs[3]]]);
    expect(log.confirmedSeq).toBe(seqs[3]);
    // Nothing new since: the next read leaves nothing out and starts after row 4.
    store.loadSince = async (docId, afterSeq, except) => {
      asked.push(except);
      expect(afterSeq).toBe(seqs[3]);
      return loadSince(docId, afterSeq, except);
    };
    await part.repair();
    expect(asked.at(-1)).toEqual([]);
    part.stop();
  });

  it('shares one read between concurrent repairs', async () => {
    const { part, store } = replica();
    let reads = 0;
    const loadSince = store.loadSince.bind(store);
    store.loadSince = (docId, afterSeq) => {
      reads++;
      return loadSince(docId, afterSeq);
    };
    await Promise.all([part.repair(), part.repair()]);
    expect(reads).toBe(1);
    part.stop();
  });
});
