import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { CloseCode } from '../../shared/closeCodes.js';
import { connectClient, textOf, whenSynced } from '../helpers/clients.js';
import { openDatabase, rowCounts } from '../helpers/database.js';
import { startServer, tempDataDir, uniqueDocId } from '../helpers/testServer.js';
import { waitFor } from '../helpers/waitFor.js';

describe('durability across restarts', () => {
  it('a restarted app on the same database keeps every document', async () => {
    const dataDir = tempDataDir();
    const first = await startServer({ openDocuments: true, dataDir });
    const docs = [uniqueDocId('keep'), uniqueDocId('keep'), uniqueDocId('keep')];
    for (const [i, docId] of docs.entries()) {
      const client = connectClient(first.collabUrl, docId, { params: { ack: '1' } });
      await whenSynced(client);
      client.doc.getText('text').insert(0, `document ${i}`);
      client.doc.getText('title').insert(0, `Title ${i}`);
    }
    await waitFor(() => first.app.rooms.connectionCount === 3, 'three connections');
    // Let the group commit run (title and text stored for each), then shut down gracefully.
    const db = openDatabase(dataDir);
    await waitFor(() => docs.every((docId) => rowCounts(db, docId).updates === 2), 'every edit to be stored');
    db.close();
    await first.close();

    const second = await startServer({ openDocuments: true, dataDir });
    for (const [i, docId] of docs.entries()) {
      const reader = connectClient(second.collabUrl, docId);
      await whenSynced(reader);
      expect(textOf(reader)).toBe(`document ${i}`);
      expect(textOf(reader, 'title')).toBe(`Title ${i}`);
    }
  });

  it('graceful shutdown commits what is queued and closes clients with 1012', async () => {
    const dataDir = tempDataDir();
    const server = await startServer({ openDocuments: true, dataDir });
    const docId = uniqueDocId('shutdown');
    const client = connectClient(server.collabUrl, docId);
    await whenSynced(client);
    const closes: number[] = [];
    client.provider.on('connection-close', (event) => {
      if (event) closes.push(event.code);
    });
    // Shut down the moment the server has applied the edit, before its group commit has run.
    const room = server.app.rooms.peek(docId)!;
    let closing: Promise<void> | null = null;
    room.doc.on('update', () => {
      closing ??= server.close();
    });
    client.doc.getText('text').insert(0, 'typed just before shutdown');
    await waitFor(() => closing !== null, 'the server to receive the edit');
    await closing;
    await waitFor(() => closes.length > 0, 'the client to see the close');
    expect(closes[0]).toBe(CloseCode.restarting);
    client.destroy();

    const again = await startServer({ openDocuments: true, dataDir });
    const reader = connectClient(again.collabUrl, docId);
    await whenSynced(reader);
    expect(textOf(reader)).toBe('typed just before shutdown');
  });

  it('compacts the update log past its threshold and on unload, with the same content after reload', async () => {
    const dataDir = tempDataDir();
    const server = await startServer({ openDocuments: true, dataDir, compactAfterUpdates: 10, unloadGraceMs: 50 });
    const docId = uniqueDocId('compact');
    const db = openDatabase(dataDir);
    const writer = connectClient(server.collabUrl, docId);
    await whenSynced(writer);
    const text = writer.doc.getText('text');
    for (let i = 0; i < 35; i++) {
      text.insert(text.length, String.fromCharCode(97 + (i % 26)));
      if (i % 3 === 0) text.delete(0, 1);
      await new Promise((resolve) => setImmediate(resolve));
    }
    const expected = textOf(writer);
    await waitFor(() => rowCounts(db, docId).snapshots === 1, 'a snapshot to be written');
    expect(rowCounts(db, docId).updates).toBeLessThan(35);

    writer.destroy();
    await waitFor(() => server.app.rooms.roomCount === 0, 'the room to unload');
    expect(rowCounts(db, docId)).toEqual({ updates: 0, snapshots: 1 });

    const reader = connectClient(server.collabUrl, docId);
    await whenSynced(reader);
    expect(textOf(reader)).toBe(expected);
    // The reloaded state is the writer's state, not merely the same text.
    const stored = new Y.Doc();
    Y.applyUpdate(stored, Y.encodeStateAsUpdate(reader.doc));
    expect(Y.encodeStateVector(stored)).toEqual(Y.encodeStateVector(writer.doc));
  });

  it('a new client is served the whole state, also right after a load from one snapshot and after every change', async () => {
    const server = await startServer({ openDocuments: true, unloadGraceMs: 20 });
    const docId = uniqueDocId('fullstate');
    const author = connectClient(server.collabUrl, docId);
    await whenSynced(author);
    author.doc.getText('text').insert(0, 'stored');
    author.destroy();
    await waitFor(() => server.app.rooms.roomCount === 0, 'the room to unload into one snapshot');
    const first = connectClient(server.collabUrl, docId);
    await whenSynced(first);
    expect(textOf(first)).toBe('stored');
    const second = connectClient(server.collabUrl, docId);
    await whenSynced(second);
    expect(textOf(second)).toBe('stored');
    first.doc.getText('text').insert(6, ' then changed');
    await waitFor(() => textOf(second) === 'stored then changed', 'the change to reach the second client');
    const third = connectClient(server.collabUrl, docId);
    await whenSynced(third);
    expect(textOf(third)).toBe('stored then changed');
    expect(Y.encodeStateVector(third.doc)).toEqual(Y.encodeStateVector(first.doc));
  });
});
