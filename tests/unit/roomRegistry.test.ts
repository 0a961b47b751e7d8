import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { CloseCode } from '../../shared/closeCodes.js';
import type { Connection } from '../../server/collab/connection.js';
import { encodeSyncUpdate } from '../../shared/codec.js';
import type { Room } from '../../server/collab/room.js';
import { RoomRegistry } from '../../server/collab/roomRegistry.js';
import { clientDoc, FakePeer, fakeLog, fakeMetrics, flakyStore, turns } from '../helpers/roomFakes.js';
import { waitFor } from '../helpers/waitFor.js';

/** What the registry uses of a Connection: its document, attach and close (a FakePeer otherwise). */
class FakeConnection extends FakePeer {
  room: Room | null = null;
  constructor(readonly docId: string) {
    super();
    this.onClose = () => this.room?.leave(this);
  }
  attach(room: Room): void {
    if (this.closedWith) return;
    this.room = room;
    room.join(this);
  }
}

function registry(store = flakyStore()) {
  const log = fakeLog();
  const rooms = new RoomRegistry({
    bus: null,
    repairIntervalMs: 60_000,
    store,
    log,
    metrics: fakeMetrics(),
    unloadGraceMs: 5,
    pendingUpdateTimeoutMs: 60_000,
    compactAfterUpdates: 1000,
    compactAfterBytes: 1 << 30,
    maxDocBytes: 1 << 20,
    maxUnsavedBytes: 1 << 20,
  });
  const connect = async (docId: string) => {
    const connection = new FakeConnection(docId);
    await rooms.connect(connection as unknown as Connection);
    return connection;
  };
  return { rooms, store, log, connect };
}

describe('RoomRegistry', () => {
  it('lets concurrent first connections to a document share one load', async () => {
    const { rooms, store, connect } = registry();
    const [a, b] = await Promise.all([connect('d'), connect('d')]);
    expect(store.loads).toBe(1);
    expect(a.room).toBe(b.room);
    expect(rooms.roomCount).toBe(1);
    expect(rooms.connectionCount).toBe(2);
    await rooms.shutdown();
  });

  it('refuses every connection of a failed load with 4500 and caches nothing', async () => {
    const store = flakyStore();
    const load = store.load;
    store.load = async () => {
      throw new Error('disk unavailable');
    };
    const { rooms, log, connect } = registry(store);
    const [a, b] = await Promise.all([connect('d'), connect('d')]);
    expect([a.closedWith?.code, b.closedWith?.code]).toEqual([CloseCode.loadFailed, CloseCode.loadFailed]);
    expect(log.lines.filter((line) => line.msg === 'document could not be loaded')).toHaveLength(2); // one per connection
    store.load = load;
    const c = await connect('d');
    expect(c.closedWith).toBeNull();
    expect(rooms.roomCount).toBe(1);
    await rooms.shutdown();
  });

  it('compacts and unloads a room once its last connection left, and the next one loads it as one row', async () => {
    const { rooms, store, connect } = registry();
    const a = await connect('d');
    const client = clientDoc(1);
    a.room!.receive(a, encodeSyncUpdate(client.type('one')));
    a.room!.receive(a, encodeSyncUpdate(client.type(' two')));
    await turns();
    a.close(1000, 'bye');
    expect(rooms.unloadTimerCount).toBe(1);
    await waitFor(() => rooms.roomCount === 0, 'the room to unload');
    expect((await store.load('d')).updates).toHaveLength(1);
    const b = await connect('d');
    expect(b.room!.isBuilt).toBe(false);
    expect(b.room!.doc.getText('body').toString()).toBe('one two');
    // A connection coming back within the grace period keeps the room.
    b.close(1000, 'bye');
    const c = await connect('d');
    expect(c.room).toBe(b.room);
    expect(rooms.unloadTimerCount).toBe(0);
    await rooms.shutdown();
  });

  it('at shutdown commits what is queued, closes every connection with 1012 and refuses new ones', async () => {
    const { rooms, store, connect } = registry();
    const a = await connect('d');
    a.room!.receive(a, encodeSyncUpdate(clientDoc(1).type('last words')));
    await rooms.shutdown();
    expect(a.closedWith?.code).toBe(CloseCode.restarting);
    const doc = new Y.Doc();
    for (const update of (await store.load('d')).updates) Y.applyUpdate(doc, update);
    expect(doc.getText('body').toString()).toBe('last words');
    expect(rooms.roomCount).toBe(0);
    expect((await connect('d')).closedWith?.code).toBe(CloseCode.restarting);
  });

  it('removes a document: closes its connections with 4410 and deletes it from the store', async () => {
    const { rooms, store, connect } = registry();
    const a = await connect('d');
    a.room!.receive(a, encodeSyncUpdate(clientDoc(1).type('x')));
    await rooms.remove('d');
    expect(a.closedWith?.code).toBe(CloseCode.docDeleted);
    expect(await store.load('d')).toEqual({ updates: [], lastSeq: 0, snapshotSegments: 0 });
    expect(rooms.roomCount).toBe(0);
    await rooms.shutdown();
  });
});
