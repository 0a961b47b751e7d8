import { describe, expect, it } from 'vitest';
import * as awarenessProtocol from 'y-protocols/awareness';
import * as Y from 'yjs';
import { CloseCode } from '../../shared/closeCodes.js';
import { MessageType } from '../../shared/protocol.js';
import { decodeSavedAck, encodeAwarenessFrame, encodeSyncUpdate } from '../../shared/codec.js';
import type { DocStore } from '../../server/store/docStore.js';
import { openSqliteStore } from '../../server/store/sqliteStore.js';
import { openDatabase } from '../helpers/database.js';
import { connectClient, textOf, whenSynced } from '../helpers/clients.js';
import { openRawSocket } from '../helpers/rawSocket.js';
import { readMetrics, startServer, tempDataDir, uniqueDocId } from '../helpers/testServer.js';
import { waitFor } from '../helpers/waitFor.js';

/** The real SQLite store with a switch that makes appends fail and a count of loads. */
function instrumentedStore(dataDir: string) {
  const inner = openSqliteStore({ dataDir, synchronous: 'normal' });
  const control = { failAppends: false, loads: new Map<string, number>() };
  const store: DocStore = {
    ...inner,
    async load(docId) {
      control.loads.set(docId, (control.loads.get(docId) ?? 0) + 1);
      return inner.load(docId);
    },
    async appendBatch(entries) {
      if (control.failAppends) throw new Error('injected: disk full');
      return inner.appendBatch(entries);
    },
  };
  return { store, control };
}

function oneUpdate(text: string): Uint8Array {
  const doc = new Y.Doc();
  let update: Uint8Array | null = null;
  doc.on('update', (u: Uint8Array) => (update = u));
  doc.getText('text').insert(0, text);
  return update!;
}

describe('storage faults and loading', () => {
  it('concurrent first connections to a document share one load', async () => {
    const dataDir = tempDataDir();
    const { store, control } = instrumentedStore(dataDir);
    const server = await startServer({ openDocuments: true, dataDir, store });
    const docId = uniqueDocId('oneload');
    const clients = Array.from({ length: 20 }, () => connectClient(server.collabUrl, docId));
    await Promise.all(clients.map((c) => whenSynced(c)));
    expect(control.loads.get(docId)).toBe(1);
  });

  it('a connection waiting for its document to finish unloading when shutdown begins gets 1012, and nothing is loaded after', async () => {
    const dataDir = tempDataDir();
    const { store: counted, control } = instrumentedStore(dataDir);
    let releaseCompaction!: () => void;
    const compactionHeld = new Promise<void>((resolve) => (releaseCompaction = resolve));
    let compactions = 0;
    const store: DocStore = {
      ...counted,
      async compact(docId, snapshot, throughSeq) {
        compactions += 1;
        await compactionHeld;
        return counted.compact(docId, snapshot, throughSeq);
      },
    };
    const server = await startServer({ openDocuments: true, dataDir, store, unloadGraceMs: 20 });
    const docId = uniqueDocId('unloading');
    const writer = connectClient(server.collabUrl, docId);
    await whenSynced(writer);
    writer.doc.getText('text').insert(0, 'kept');
    await waitFor(() => server.app.rooms.peek(docId)?.uncommittedCount === 0 && server.app.rooms.pendingWrites === 0, 'the edit committed');
    writer.destroy();
    await waitFor(() => compactions === 1, 'the empty room to start compacting on unload');
    // Opened while the unload is held: it waits for the unload before loading the document anew.
    const late = await openRawSocket(`${server.collabUrl}/${docId}`);
    const closing = server.close();
    await waitFor(() => server.app.rooms.isShuttingDown, 'shutdown to begin');
    releaseCompaction();
    await closing;
    expect((await late.closed).code).toBe(CloseCode.restarting);
    expect(control.loads.get(docId)).toBe(1);
    expect(compactions).toBe(1);
    expect(server.app.rooms.roomCount).toBe(0);
  });

  it('shutdown with storage refusing writes does not wait for a room whose unload waits on them', async () => {
    const dataDir = tempDataDir();
    const { store, control } = instrumentedStore(dataDir);
    const server = await startServer({ openDocuments: true, dataDir, store, unloadGraceMs: 20 });
    const docId = uniqueDocId('unsaved-unload');
    const writer = connectClient(server.collabUrl, docId);
    await whenSynced(writer);
    control.failAppends = true;
    writer.doc.getText('text').insert(0, 'not stored');
    await waitFor(() => server.app.rooms.pendingWrites > 0, 'the refused write to be kept');
    writer.destroy();
    // The empty room's unload starts, and waits for its write to be committed, which storage keeps refusing.
    const registry = server.app.rooms;
    await waitFor(() => registry.connectionCount === 0 && registry.unloadTimerCount === 0, 'the unload to start');
    expect(registry.roomCount).toBe(1);
    await server.close();
    expect(server.app.rooms.roomCount).toBe(0);
  });

  it('a failed write is kept, never acknowledged or relayed; the client is told; nothing unloads; writing resumes when the fault clears', async () => {
    const dataDir = tempDataDir();
    const { store, control } = instrumentedStore(dataDir);
    const server = await startServer({ openDocuments: true, dataDir, store, unloadGraceMs: 20 });
    const docId = uniqueDocId('diskfull');
    const reader = connectClient(server.collabUrl, docId);
    await whenSynced(reader);
    const writer = await openRawSocket(`${server.collabUrl}/${docId}?ack=1`);
    await waitFor(() => server.app.rooms.connectionCount === 2, 'both connections');

    control.failAppends = true;
    writer.send(encodeSyncUpdate(oneUpdate('kept in memory')));
    const storageStatus = (failing: number) => writer.frames.some((f) => f[0] === MessageType.storageStatus && f[1] === failing);
    await waitFor(() => storageStatus(1), 'the writer to be told that storage is failing');
    // Several retries fail; meanwhile nothing is acknowledged or relayed, and the room stays.
    await waitFor(async () => Number(/tandem_storage_failures_total (\d+)/.exec(await readMetrics(server.httpUrl))?.[1] ?? 0) >= 3, 'three failed attempts');
    // Markers through the same sockets end the window: presence from each side is relayed at once, so
    // a wrongly sent ack or relay of the failed write would have arrived before it.
    const writerPresence = new awarenessProtocol.Awareness(new Y.Doc());
    writerPresence.setLocalState({ marker: 1 });
    writer.send(encodeAwarenessFrame(awarenessProtocol.encodeAwarenessUpdate(writerPresence, [writerPresence.clientID])));
    await waitFor(() => reader.provider.awareness.getStates().has(writerPresence.clientID), "the writer's presence to reach the reader");
    const writerFramesBefore = writer.frames.length;
    reader.provider.awareness.setLocalStateField('marker', 1);
    await waitFor(() => writer.frames.slice(writerFramesBefore).some((f) => f[0] === MessageType.awareness), "the reader's presence to reach the writer");
    writerPresence.destroy();
    expect(writer.frames.some((f) => f[0] === MessageType.saved)).toBe(false);
    expect(textOf(reader)).toBe('');
    reader.destroy();
    await waitFor(() => server.app.rooms.connectionCount === 1, "the reader's leaving to be handled");
    expect(server.app.rooms.roomCount).toBe(1);
    const metrics = await readMetrics(server.httpUrl);
    expect(metrics).toMatch(/tandem_storage_failures_total [1-9]/);
    expect(metrics).toMatch(/tandem_pending_writes 1/);

    control.failAppends = false;
    await waitFor(() => writer.frames.some((f) => f[0] === MessageType.saved && decodeSavedAck(f) === 1), 'the ack once storage works');
    await waitFor(() => storageStatus(0), 'the writer to be told storage works again');
    const late = connectClient(server.collabUrl, docId);
    await whenSynced(late);
    expect(textOf(late)).toBe('kept in memory');
    writer.ws.close();
    late.destroy();
    await waitFor(() => server.app.rooms.roomCount === 0, 'the room to unload once saved');
    const again = connectClient(server.collabUrl, docId);
    await whenSynced(again);
    expect(textOf(again)).toBe('kept in memory');
  });

  it('a document whose stored rows cannot be loaded is refused (4500), kept as it is, and others keep working', async () => {
    const dataDir = tempDataDir();
    const server = await startServer({ openDocuments: true, dataDir });
    const broken = uniqueDocId('corrupt');
    const healthy = uniqueDocId('healthy');
    await server.app.docStore.appendBatch([
      { docId: broken, update: new Uint8Array([1, 200, 7, 7, 7, 7]) },
      { docId: healthy, update: oneUpdate('fine') },
    ]);
    const socket = await openRawSocket(`${server.collabUrl}/${broken}`);
    expect((await socket.closed).code).toBe(CloseCode.loadFailed);

    const client = connectClient(server.collabUrl, healthy);
    await whenSynced(client);
    expect(textOf(client)).toBe('fine');
    expect(server.app.rooms.peek(broken)).toBeUndefined();
    const rows = openDatabase(dataDir).prepare('SELECT data FROM updates WHERE doc_id = ?').all(broken) as Array<{ data: Buffer }>;
    expect(rows.map((r) => [...r.data])).toEqual([[1, 200, 7, 7, 7, 7]]);
  });
});
