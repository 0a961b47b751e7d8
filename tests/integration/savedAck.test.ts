import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { decodeSavedAck, encodeSyncStep1, encodeSyncStep2, encodeSyncUpdate } from '../../shared/codec.js';
import { MessageType } from '../../shared/protocol.js';
import { connectClient, textOf, whenSynced } from '../helpers/clients.js';
import { openDatabase, rowCounts } from '../helpers/database.js';
import { openRawSocket } from '../helpers/rawSocket.js';
import { startServer, uniqueDocId } from '../helpers/testServer.js';
import { waitFor } from '../helpers/waitFor.js';

describe('saved acknowledgement', () => {
  it('arrives only after the acknowledged updates are committed, counting frames in order', async () => {
    const server = await startServer({ openDocuments: true });
    const docId = uniqueDocId('ack');
    const db = openDatabase(server.config.dataDir);
    const socket = await openRawSocket(`${server.collabUrl}/${docId}?ack=1`);

    // Every time an ack arrives, look at the database at that very moment.
    const observations: Array<{ acked: number; storedRows: number }> = [];
    socket.ws.on('message', (data: Buffer) => {
      const frame = new Uint8Array(data);
      if (frame[0] === MessageType.saved) {
        observations.push({ acked: decodeSavedAck(frame), storedRows: rowCounts(db, docId).updates });
      }
    });

    const doc = new Y.Doc();
    const updates: Uint8Array[] = [];
    doc.on('update', (update: Uint8Array) => updates.push(update));
    const text = doc.getText('text');
    text.insert(0, 'hello');
    socket.send(encodeSyncStep2(updates[0]!));
    for (let i = 0; i < 20; i++) {
      text.insert(text.length, String(i % 10));
      socket.send(encodeSyncUpdate(updates[updates.length - 1]!));
      if (i % 5 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await waitFor(() => observations.at(-1)?.acked === 21, 'all 21 frames to be acknowledged');
    for (const { acked, storedRows } of observations) expect(storedRows).toBeGreaterThanOrEqual(acked);
    // Acks only move forward.
    const counts = observations.map((o) => o.acked);
    expect([...counts].sort((a, b) => a - b)).toEqual(counts);
  });

  it('is never sent to a client that did not ask for it', async () => {
    const server = await startServer({ openDocuments: true });
    const docId = uniqueDocId('noack');
    const socket = await openRawSocket(`${server.collabUrl}/${docId}`);
    const doc = new Y.Doc();
    let update: Uint8Array | null = null;
    doc.on('update', (u: Uint8Array) => (update = u));
    doc.getText('text').insert(0, 'x');
    socket.send(encodeSyncUpdate(update!));
    // A stock client on the same doc sees the update, so it has been committed and relayed.
    const reader = connectClient(server.collabUrl, docId);
    await waitFor(() => textOf(reader) === 'x', 'reader to see the update');
    // An ack for 'x' would be sent at its commit, before a later update is committed and relayed to
    // the same socket: the reader's next edit, arriving there, ends the window.
    const before = socket.frames.length;
    reader.doc.getText('text').insert(1, 'y');
    await waitFor(() => socket.frames.slice(before).some((frame) => frame[0] === MessageType.sync), "the reader's edit to reach the socket");
    expect(socket.frames.some((frame) => frame[0] === MessageType.saved)).toBe(false);
  });

  it('a relayed update is already stored when another client receives it', async () => {
    const server = await startServer({ openDocuments: true });
    const docId = uniqueDocId('relay');
    const db = openDatabase(server.config.dataDir);
    const writer = connectClient(server.collabUrl, docId);
    const reader = connectClient(server.collabUrl, docId);
    await Promise.all([whenSynced(writer), whenSynced(reader)]);
    const seen: Array<{ length: number; storedRows: number }> = [];
    reader.doc.on('update', () => {
      seen.push({ length: textOf(reader).length, storedRows: rowCounts(db, docId).updates });
    });
    for (let i = 0; i < 10; i++) {
      writer.doc.getText('text').insert(i, 'a');
      await new Promise((resolve) => setImmediate(resolve));
    }
    await waitFor(() => textOf(reader).length === 10, 'reader to receive all ten');
    for (const { length, storedRows } of seen) expect(storedRows).toBeGreaterThanOrEqual(length);
  });

  it('an update that arrives before the changes it depends on waits for them, then both are stored, relayed and acked in order', async () => {
    const server = await startServer({ openDocuments: true });
    const docId = uniqueDocId('outoforder');
    const db = openDatabase(server.config.dataDir);
    const reader = connectClient(server.collabUrl, docId);
    await whenSynced(reader);
    const doc = new Y.Doc();
    const updates: Uint8Array[] = [];
    doc.on('update', (u: Uint8Array) => updates.push(u));
    doc.getText('text').insert(0, 'offline ');
    doc.getText('text').insert(8, 'then online');
    const socket = await openRawSocket(`${server.collabUrl}/${docId}?ack=1`);
    const acks = () => socket.frames.filter((f) => f[0] === MessageType.saved).map(decodeSavedAck);
    // As a reconnecting client does: its newest edit first, its step2 with the older one after.
    socket.send(encodeSyncUpdate(updates[1]!));
    // The window ends on a marker that must come after: once the server has answered a step1 sent
    // behind the frame (so it has handled it), the reader edits another type; that edit is committed
    // after, and relayed to the socket after, anything the waiting frame would wrongly have caused.
    const answered = socket.frames.length;
    socket.send(encodeSyncStep1(Y.encodeStateVector(new Y.Doc())));
    await waitFor(() => socket.frames.length > answered, 'the answer to the step1');
    const beforeMarker = socket.frames.length;
    reader.doc.getText('marker').insert(0, 'm');
    await waitFor(() => socket.frames.slice(beforeMarker).some((frame) => frame[0] === MessageType.sync), "the reader's marker edit to reach the socket");
    expect(acks()).toEqual([]);
    expect(textOf(reader)).toBe('');
    expect(rowCounts(db, docId).updates).toBe(1); // the marker alone
    socket.send(encodeSyncStep2(updates[0]!));
    await waitFor(() => acks().at(-1) === 2, 'both frames to be acknowledged');
    expect(acks().every((n) => n === 2)).toBe(true); // never "1" alone: frame 1 was the waiting one
    await waitFor(() => textOf(reader) === 'offline then online', 'the reader to get both, in the right order');
    expect(rowCounts(db, docId).updates).toBe(3); // the marker and both
  });
});
