import { afterEach, describe, expect, it } from 'vitest';
import * as awarenessProtocol from 'y-protocols/awareness';
import * as Y from 'yjs';
import { CloseCode } from '../../shared/closeCodes.js';
import { CommitQueue } from '../../server/collab/commitQueue.js';
import { encodeAwarenessFrame, encodeSyncStep1, encodeSyncStep2, encodeSyncUpdate } from '../../shared/codec.js';
import { Room } from '../../server/collab/room.js';
import type { RoomCluster, RoomDeps } from '../../server/collab/roomContracts.js';
import type { StoredDoc } from '../../server/store/docStore.js';
import { clientDoc, FakePeer, fakeLog, fakeMetrics, flakyStore, turns } from '../helpers/roomFakes.js';
import { waitFor } from '../helpers/waitFor.js';

// Room with small fakes: peers that record frames, a memory store that can refuse writes, the real
// CommitQueue (group commit on setImmediate). No server, no sockets.

const rooms: Room[] = [];
afterEach(() => {
  for (const room of rooms.splice(0)) room.destroy();
});

function makeRoom(stored: StoredDoc = { updates: [], lastSeq: 0 }, cluster?: RoomCluster) {
  const store = flakyStore();
  const log = fakeLog();
  const queue = new CommitQueue(store, log, fakeMetrics());
  const emptied: Room[] = [];
  const deps: RoomDeps<Room> = {
    queue,
    store,
    log,
    metrics: fakeMetrics(),
    cluster,
    pendingUpdateTimeoutMs: 60_000,
    compactAfterUpdates: 1000,
    compactAfterBytes: 1 << 30,
    maxDocBytes: 1 << 20,
    maxUnsavedBytes: 1 << 20,
    onEmpty: (room) => emptied.push(room),
  };
  const room = new Room('doc', stored, deps);
  rooms.push(room);
  const join = (peer = new FakePeer()) => {
    peer.onClose = () => room.leave(peer);
    room.join(peer);
    return peer;
  };
  return { room, store, queue, join, emptied, log };
}

describe('Room', () => {
  it('asks a joining peer for what it holds, and relays and acks an update only once it is committed', async () => {
    const { room, store, join } = makeRoom();
    const a = join();
    const b = join();
    expect(a.kinds()).toEqual(['step1']);
    const client = clientDoc(1);
    room.receive(a, encodeSyncUpdate(client.type('hi')));
    expect(b.relays()).toHaveLength(0);
    expect(a.acks()).toEqual([]);
    expect(room.uncommittedCount).toBe(1);
    await turns();
    expect(store.appended).toBe(1);
    expect(a.acks()).toEqual([1]);
    expect(a.relays()).toHaveLength(0); // never its own update back
    expect(b.relays()).toEqual([client.updates[0]]);
    expect(room.doc.getText('body').toString()).toBe('hi');
  });

  it('answers a step1 only once nothing is uncommitted', async () => {
    const { room, join } = makeRoom();
    const a = join();
    const c = join();
    const client = clientDoc(1);
    room.receive(a, encodeSyncUpdate(client.type('x')));
    room.receive(c, encodeSyncStep1(Y.encodeStateVector(new Y.Doc())));
    expect(c.kinds()).toEqual(['step1']);
    await turns();
    const step2 = c.seen().find((seen) => seen.kind === 'step2');
    const reader = new Y.Doc();
    Y.applyUpdate(reader, (step2 as { payload: Uint8Array }).payload);
    expect(reader.getText('body').toString()).toBe('x');
  });

  it('while storage refuses writes: says so, acks and relays nothing, and catches up once it stores again', async () => {
    const { room, store, join } = makeRoom();
    const a = join();
    const b = join();
    store.failing = true;
    room.receive(a, encodeSyncUpdate(clientDoc(1).type('kept')));
    await waitFor(() => a.seen().some((seen) => seen.kind === 'storage' && seen.failing), 'the storage status');
    expect(a.acks()).toEqual([]);
    expect(b.relays()).toEqual([]);
    // A peer joining meanwhile is told at once.
    const late = join();
    expect(late.seen().at(-1)).toEqual({ kind: 'storage', failing: true });
    store.failing = false;
    await waitFor(() => a.acks().length === 1, 'the ack after the retry');
    expect(a.seen().filter((seen) => seen.kind === 'storage')).toEqual([
      { kind: 'storage', failing: true },
      { kind: 'storage', failing: false },
    ]);
    expect(b.relays()).toHaveLength(1);
  });

  it("refuses a viewer's change (never applied or relayed) but counts the frame for its ack", async () => {
    const { room, join } = makeRoom();
    const viewer = join(new FakePeer(false));
    const other = join();
    room.receive(viewer, encodeSyncUpdate(clientDoc(1).type('nope')));
    expect(viewer.refused).toBe(1);
    expect(viewer.acks()).toEqual([1]);
    await turns();
    expect(other.relays()).toEqual([]);
    expect(room.doc.getText('body').toString()).toBe('');
  });

  it('serves a one-row document from its stored bytes and builds it only at the first change', async () => {
    const source = clientDoc(1);
    source.type('stored text');
    const row = Y.encodeStateAsUpdate(source.doc);
    const { room, join } = makeRoom({ updates: [row], lastSeq: 1 });
    const a = join();
    expect(room.isBuilt).toBe(false);
    expect(room.title).toBeNull();
    expect(a.seen()[0]).toEqual({ kind: 'step1', payload: Y.encodeStateVector(source.doc) });
    room.receive(a, encodeSyncStep1(Y.encodeStateVector(new Y.Doc())));
    expect(a.seen()[1]).toEqual({ kind: 'step2', payload: row }); // the stored bytes themselves
    room.receive(a, encodeSyncStep2(new Uint8Array([0, 0]))); // nothing new: still unbuilt
    expect(room.isBuilt).toBe(false);
    const editor = clientDoc(2);
    Y.applyUpdate(editor.doc, row);
    room.receive(a, encodeSyncUpdate(editor.type('!')));
    expect(room.isBuilt).toBe(true);
    await turns();
    expect(a.acks()).toEqual([2]);
    expect(room.doc.getText('body').toString()).toBe('stored text!');
  });

  it('refuses a stored row that does not decode, and closes everyone with 4500 when a row fails to build', () => {
    expect(() => makeRoom({ updates: [new Uint8Array([1, 2, 3])], lastSeq: 1 })).toThrow(/cannot be decoded/);
    // A row that decodes but depends on changes it lacks: checked only when first built.
    const base = clientDoc(1);
    base.type('a');
    const later = base.type('b');
    const { room, join, log } = makeRoom({ updates: [later], lastSeq: 1 });
    const a = join();
    const b = join();
    expect(() => room.receive(a, encodeSyncUpdate(clientDoc(2).type('x')))).toThrow(/could not be loaded/);
    expect(a.closedWith?.code).toBe(CloseCode.loadFailed);
    expect(b.closedWith?.code).toBe(CloseCode.loadFailed);
    expect(room.isDestroyed).toBe(true);
    expect(log.lines.some((line) => line.level === 'error' && line.msg === 'document could not be loaded')).toBe(true);
  });

  it('holds an update whose dependencies are missing, then acks both in frame order once they arrive', async () => {
    const { room, join } = makeRoom();
    const a = join();
    const b = join();
    const client = clientDoc(1);
    const first = client.type('1');
    const second = client.type('2');
    room.receive(a, encodeSyncUpdate(second)); // frame 1: waits for `first`
    await turns();
    expect(a.acks()).toEqual([]);
    expect(b.relays()).toEqual([]);
    room.receive(a, encodeSyncUpdate(first)); // frame 2
    await turns();
    expect(a.acks()).toEqual([2]);
    expect(b.relays()).toEqual([first, second]);
    expect(room.doc.getText('body').toString()).toBe('12');
  });

  it('binds presence to its peer, relays it to everyone (at the end of the turn), and announces its removal when the peer leaves', async () => {
    const { room, join, emptied } = makeRoom();
    const a = join();
    const b = join();
    const doc = new Y.Doc();
    const awareness = new awarenessProtocol.Awareness(doc);
    awareness.setLocalState({ user: { name: 'Ada' } });
    const update = awarenessProtocol.encodeAwarenessUpdate(awareness, [doc.clientID]);
    awareness.destroy();
    room.receive(a, encodeAwarenessFrame(update));
    expect(b.kinds().at(-1)).not.toBe('awareness'); // queued: it goes out with anything else of this turn
    await turns();
    expect(a.kinds().at(-1)).toBe('awareness'); // the sender's echo too
    expect(b.kinds().at(-1)).toBe('awareness');
    expect(() => room.receive(b, encodeAwarenessFrame(update))).not.toThrow(); // same clock: changes nothing
    room.leave(a);
    await turns();
    const removal = b.seen().at(-1) as { kind: string; payload: Uint8Array };
    expect(removal.kind).toBe('awareness');
    expect(room.presence.awareness.getStates().size).toBe(0);
    expect(emptied).toEqual([]);
    room.leave(b);
    room.leave(b); // twice is safe
    expect(emptied).toEqual([room]);
  });

  it('sends a keystroke and the cursor move that follows it in the same turn to each peer in one write', async () => {
    const { room, join } = makeRoom();
    const a = join();
    const b = join();
    await turns();
    const before = b.sharedWrites.length;
    const doc = new Y.Doc();
    const awareness = new awarenessProtocol.Awareness(doc);
    awareness.setLocalState({ user: { name: 'Ada' }, cursor: 1 });
    room.receive(a, encodeSyncUpdate(clientDoc(1).type('x')));
    room.receive(a, encodeAwarenessFrame(awarenessProtocol.encodeAwarenessUpdate(awareness, [doc.clientID])));
    awareness.destroy();
    await turns();
    // In the order they were queued: presence as it came, the update once committed (as before: the
    // cursor never waited for the commit).
    expect(b.sharedWrites.slice(before)).toEqual([['awareness', 'update']]);
    expect(b.relays()).toHaveLength(1);
  });

  it('in a cluster: publishes commits after they are stored and presence as it comes, and applies what others publish', async () => {
    const published: Array<[string, number]> = [];
    const cluster: RoomCluster = {
      publishUpdate: (docId, seq) => published.push([docId, seq]),
      publishAwareness: (docId) => published.push([docId, -1]),
      repairIntervalMs: 60_000,
    };
    const { room, join } = makeRoom(undefined, cluster);
    const a = join();
    room.receive(a, encodeSyncUpdate(clientDoc(1).type('mine')));
    expect(published).toEqual([]);
    await turns();
    expect(published).toEqual([['doc', 1]]);
    const elsewhere = clientDoc(2).type('theirs');
    room.receiveRemote({ kind: 'update', from: 'p2', seq: 2, update: elsewhere });
    await turns();
    expect(a.relays().at(-1)).toEqual(elsewhere);
    expect(room.doc.getText('body').toString()).toMatch(/mine|theirs/);
    expect(room.doc.getText('body').length).toBe(10);
  });
});
