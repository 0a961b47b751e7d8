import * as encoding from 'lib0/encoding';
import { describe, expect, it } from 'vitest';
import * as syncProtocol from 'y-protocols/sync';
import * as Y from 'yjs';
import { CloseCode } from '../../shared/closeCodes.js';
import { MessageType, SyncStep } from '../../shared/protocol.js';
import { connectClient, textOf, whenSynced } from '../helpers/clients.js';
import { openDatabase, rowCounts } from '../helpers/database.js';
import { openRawSocket } from '../helpers/rawSocket.js';
import type { DocStore } from '../../server/store/docStore.js';
import { openSqliteStore } from '../../server/store/sqliteStore.js';
import { readMetrics, startServer, tempDataDir, uniqueDocId } from '../helpers/testServer.js';
import { waitFor } from '../helpers/waitFor.js';

function syncFrame(write: (encoder: encoding.Encoder) => void): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, MessageType.sync);
  write(encoder);
  return encoding.toUint8Array(encoder);
}

describe('a document stored as one row is built only when something needs it', () => {
  it('readers (new and returning) are served from the stored row; the first change builds the doc, and nothing is lost', async () => {
    const dataDir = tempDataDir();
    const server = await startServer({ openDocuments: true, dataDir, unloadGraceMs: 20 });
    const registry = server.app.rooms;
    const docId = uniqueDocId('lazy');

    const writer = connectClient(server.collabUrl, docId);
    await whenSynced(writer);
    writer.doc.getText('title').insert(0, 'Lazy');
    writer.doc.getText('text').insert(0, 'hello');
    // A returning reader: it saw the document up to here, and comes back later.
    const earlier = Y.encodeStateAsUpdate(writer.doc);
    writer.doc.getText('text').insert(5, ' world');
    await waitFor(() => registry.peek(docId)?.doc.getText('text').toString() === 'hello world', 'the server to have the edits');
    writer.destroy();
    await waitFor(() => registry.roomCount === 0, 'the room to unload');
    expect(rowCounts(openDatabase(dataDir), docId)).toEqual({ updates: 0, snapshots: 1 });

    const fresh = connectClient(server.collabUrl, docId);
    await whenSynced(fresh);
    expect(textOf(fresh)).toBe('hello world');
    const returningDoc = new Y.Doc();
    Y.applyUpdate(returningDoc, earlier);
    const returning = connectClient(server.collabUrl, docId, { doc: returningDoc });
    await whenSynced(returning);
    await waitFor(() => textOf(returning) === 'hello world', 'the returning reader to get what it missed');
    const room = registry.peek(docId)!;
    expect(room.isBuilt).toBe(false);
    // The title of an unbuilt room is the recorded one.
    const described = (await (await fetch(`${server.httpUrl}/api/docs/${docId}`)).json()) as { title: string };
    expect(described.title).toBe('Lazy');
    expect(room.isBuilt).toBe(false);

    fresh.doc.getText('text').insert(11, '!');
    await waitFor(() => textOf(returning) === 'hello world!', 'the edit to reach the other reader');
    expect(room.isBuilt).toBe(true);
    expect(room.title).toBe('Lazy');

    await server.close();
    const again = await startServer({ openDocuments: true, dataDir });
    const reader = connectClient(again.collabUrl, docId);
    await whenSynced(reader);
    expect(textOf(reader)).toBe('hello world!');
    expect(textOf(reader, 'title')).toBe('Lazy');
  });

  it('a client whose answer carries its delete set makes the room build the doc to check it, and that changes nothing', async () => {
    const server = await startServer({ openDocuments: true, unloadGraceMs: 20 });
    const registry = server.app.rooms;
    const docId = uniqueDocId('lazy-deletes');
    const writer = connectClient(server.collabUrl, docId);
    await whenSynced(writer);
    writer.doc.getText('text').insert(0, 'abcdef');
    writer.doc.getText('text').delete(1, 2);
    await waitFor(() => registry.peek(docId)?.doc.getText('text').toString() === 'adef', 'the server to have the edits');
    const held = Y.encodeStateAsUpdate(writer.doc);
    writer.destroy();
    await waitFor(() => registry.roomCount === 0, 'the room to unload');

    // A viewer-like raw client: asks with its state vector, answers our step1 with its (same) state.
    const socket = await openRawSocket(`${server.collabUrl}/${docId}`);
    const holder = new Y.Doc();
    Y.applyUpdate(holder, held);
    socket.send(syncFrame((e) => syncProtocol.writeSyncStep1(e, holder)));
    socket.send(syncFrame((e) => syncProtocol.writeSyncStep2(e, holder, Y.encodeStateVector(holder))));
    await waitFor(() => socket.frames.some((frame) => frame[0] === MessageType.sync && frame[1] === SyncStep.step2), 'the answer');
    // Its step2 carried the delete set, so the doc was built to check it; the content is unchanged.
    const room = registry.peek(docId)!;
    expect(room.doc.getText('text').toString()).toBe('adef');

    const other = connectClient(server.collabUrl, docId);
    await whenSynced(other);
    expect(textOf(other)).toBe('adef');
  });

  it('a stored row that decodes but depends on changes it lacks is refused with 4500 when first built', async () => {
    const server = await startServer({ openDocuments: true, unloadGraceMs: 20 });
    const docId = uniqueDocId('lazy-broken');
    await server.app.docStore.appendBatch([{ docId, update: dependentRow() }]);

    const socket = await openRawSocket(`${server.collabUrl}/${docId}`);
    socket.send(anEdit());
    expect((await socket.closed).code).toBe(CloseCode.loadFailed);
    await waitFor(() => server.app.rooms.peek(docId) === undefined || server.app.rooms.peek(docId)!.isDestroyed, 'the room to be dropped');
    // An export of it is refused the same way.
    await server.app.docStore.appendBatch([{ docId: `${docId}-export`, update: dependentRow() }]);
    const reader = await openRawSocket(`${server.collabUrl}/${docId}-export`);
    await waitFor(() => server.app.rooms.peek(`${docId}-export`) !== undefined, 'the room to load, unbuilt');
    const exported = await fetch(`${server.httpUrl}/api/docs/${docId}-export/export`);
    expect(exported.status).toBe(500);
    expect(((await exported.json()) as { error: string }).error).toBe('load_failed');
    expect((await reader.closed).code).toBe(CloseCode.loadFailed);
  });

  it('every connection that shared the load of such a row is refused, not only the one whose edit built it', async () => {
    const dataDir = tempDataDir();
    const inner = openSqliteStore({ dataDir, synchronous: 'normal' });
    let releaseLoad!: () => void;
    const loadHeld = new Promise<void>((resolve) => (releaseLoad = resolve));
    const store: DocStore = {
      ...inner,
      async load(docId) {
        await loadHeld;
        return inner.load(docId);
      },
    };
    const server = await startServer({ openDocuments: true, dataDir, store, unloadGraceMs: 20 });
    const docId = uniqueDocId('lazy-broken-shared');
    await inner.appendBatch([{ docId, update: dependentRow() }]);
    const editor = await openRawSocket(`${server.collabUrl}/${docId}`);
    const reader = await openRawSocket(`${server.collabUrl}/${docId}`);
    editor.send(anEdit());
    // The edit reaches the server (same process) while the load is held; it is replayed when the
    // editor joins, before the reader's turn.
    await waitFor(async () => /tandem_updates_received_total 1\b/.test(await readMetrics(server.httpUrl)), 'the edit to reach the server');
    releaseLoad();
    expect((await editor.closed).code).toBe(CloseCode.loadFailed);
    expect((await reader.closed).code).toBe(CloseCode.loadFailed);
  });

  it('a stored row whose delete set is damaged is refused at load (4500), not served', async () => {
    const server = await startServer({ openDocuments: true, unloadGraceMs: 20 });
    const docId = uniqueDocId('lazy-damaged');
    const doc = new Y.Doc();
    doc.getText('text').insert(0, 'abcdef');
    doc.getText('text').delete(1, 2);
    const whole = Y.encodeStateAsUpdate(doc);
    // The structs are whole; the delete set at the end is cut short.
    await server.app.docStore.appendBatch([{ docId, update: whole.subarray(0, whole.length - 2) }]);
    const socket = await openRawSocket(`${server.collabUrl}/${docId}`);
    socket.send(syncFrame((e) => syncProtocol.writeSyncStep1(e, new Y.Doc())));
    expect((await socket.closed).code).toBe(CloseCode.loadFailed);
    expect(socket.frames.some((frame) => frame[0] === MessageType.sync && frame[1] === SyncStep.step2)).toBe(false);
  });
});

/** A row holding only a second client's insert, which sits after an item the row does not hold. */
function dependentRow(): Uint8Array {
  const first = new Y.Doc();
  first.getText('text').insert(0, 'a');
  const second = new Y.Doc();
  Y.applyUpdate(second, Y.encodeStateAsUpdate(first));
  const before = Y.encodeStateVector(second);
  second.getText('text').insert(1, 'b');
  return Y.encodeStateAsUpdate(second, before);
}

/** A sync update frame inserting one character, as an editor's first keystroke. */
function anEdit(): Uint8Array {
  const edit = new Y.Doc();
  edit.getText('text').insert(0, 'x');
  return syncFrame((e) => syncProtocol.writeUpdate(e, Y.encodeStateAsUpdate(edit)));
}
