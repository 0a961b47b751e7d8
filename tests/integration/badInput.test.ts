import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { CloseCode } from '../../shared/closeCodes.js';
import { encodeSyncStep2, encodeSyncUpdate } from '../../shared/codec.js';
import { connectClient, textOf, type Transport, whenSynced } from '../helpers/clients.js';
import { openDatabase, rowCounts } from '../helpers/database.js';
import { openRawSocket } from '../helpers/rawSocket.js';
import { bystander } from '../helpers/bystander.js';
import { startServer, uniqueDocId } from '../helpers/testServer.js';
import { waitFor } from '../helpers/waitFor.js';

/** Two updates where the second depends on the first: sending only the second leaves it pending. */
function orphanUpdate(): Uint8Array {
  const doc = new Y.Doc();
  const updates: Uint8Array[] = [];
  doc.on('update', (u: Uint8Array) => updates.push(u));
  doc.getText('text').insert(0, 'first');
  doc.getText('text').insert(5, ' second');
  return updates[1]!;
}

describe.each<Transport>(['websocket', 'http', 'longpoll'])('bad input (%s) is refused with a named close code, and nothing else is disturbed', (transport) => {
  const cases: Array<{ name: string; frame: Uint8Array | string; code: number }> = [
    { name: 'a text frame', frame: 'hello', code: CloseCode.unsupportedData },
    { name: 'an empty frame', frame: new Uint8Array(0), code: CloseCode.badMessage },
    { name: 'an unknown message type', frame: new Uint8Array([42, 1, 2]), code: CloseCode.badMessage },
    { name: 'an unknown sync step', frame: new Uint8Array([0, 9, 0]), code: CloseCode.badMessage },
    { name: 'a truncated sync message', frame: new Uint8Array([0, 2]), code: CloseCode.badMessage },
    { name: 'a length field larger than the frame', frame: new Uint8Array([0, 2, 50, 1, 2]), code: CloseCode.badMessage },
    { name: 'trailing bytes after the message', frame: new Uint8Array([3, 0]), code: CloseCode.badMessage },
    { name: 'a varint that overflows', frame: new Uint8Array([0, 2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]), code: CloseCode.badMessage },
    { name: 'a server-only message type', frame: new Uint8Array([100, 5]), code: CloseCode.badMessage },
    { name: 'a garbage update in a well-formed sync message', frame: encodeSyncUpdate(new Uint8Array([1, 200, 3, 4, 5, 6, 7])), code: CloseCode.updateRejected },
    { name: 'a garbage step2', frame: encodeSyncStep2(new Uint8Array([5, 5, 5, 5])), code: CloseCode.updateRejected },
    { name: 'an update whose dependencies never arrive', frame: encodeSyncUpdate(orphanUpdate()), code: CloseCode.updateRejected },
    { name: 'awareness with invalid JSON', frame: new Uint8Array([1, 6, 1, 7, 1, 2, 123, 120]), code: CloseCode.badMessage },
    { name: 'awareness claiming a huge count', frame: new Uint8Array([1, 4, 0xff, 0xff, 0xff, 0x0f]), code: CloseCode.badMessage },
  ];

  for (const { name, frame, code } of cases) {
    it(`${name} → ${code}`, async () => {
      const server = await startServer({ openDocuments: true, pendingUpdateTimeoutMs: 200 });
      const other = await bystander(server);
      const docId = uniqueDocId('bad');
      const db = openDatabase(server.config.dataDir);
      const socket = await openRawSocket(`${server.collabUrl}/${docId}`, {}, transport);
      socket.send(frame);
      const closed = await socket.closed;
      expect(closed.code).toBe(code);
      expect(closed.reason.length).toBeGreaterThan(0);
      expect(rowCounts(db, docId).updates).toBe(0);
      await other.stillServed();
      // The refused document still works, and serves nothing of the refused frame.
      const client = connectClient(server.collabUrl, docId);
      await whenSynced(client);
      expect(textOf(client)).toBe('');
      expect(client.doc.store.pendingStructs).toBeNull();
    });
  }

  it('an update with missing dependencies is never stored or served, while the good part of the stream is', async () => {
    const server = await startServer({ openDocuments: true, pendingUpdateTimeoutMs: 200 });
    const docId = uniqueDocId('poison');
    const good = new Y.Doc();
    let goodUpdate: Uint8Array | null = null;
    good.on('update', (u: Uint8Array) => (goodUpdate = u));
    good.getText('text').insert(0, 'kept');
    const socket = await openRawSocket(`${server.collabUrl}/${docId}`, {}, transport);
    socket.send(encodeSyncUpdate(goodUpdate!));
    socket.send(encodeSyncUpdate(orphanUpdate()));
    expect((await socket.closed).code).toBe(CloseCode.updateRejected);
    const late = connectClient(server.collabUrl, docId);
    await whenSynced(late);
    expect(textOf(late)).toBe('kept');
    expect(late.doc.store.pendingStructs).toBeNull();
    // And after a reload from storage.
    late.destroy();
    await waitFor(() => server.app.rooms.roomCount === 0, 'the room to unload');
    const reloaded = connectClient(server.collabUrl, docId);
    await whenSynced(reloaded);
    expect(textOf(reloaded)).toBe('kept');
    expect(reloaded.doc.store.pendingStructs).toBeNull();
  });

  it('an invalid document id is closed with 1008', async () => {
    const server = await startServer({ openDocuments: true, pendingUpdateTimeoutMs: 200 });
    const other = await bystander(server);
    for (const bad of ['a.b', '..%2F..%2Fetc', 'x'.repeat(65), '%00', 'sp%20ace']) {
      const socket = await openRawSocket(`${server.collabUrl}/${bad}`, {}, transport);
      const closed = await socket.closed;
      expect(closed.code, bad).toBe(CloseCode.policy);
    }
    await other.stillServed();
  });

  it('a frame over the size limit is closed with 1009', async () => {
    const server = await startServer({ openDocuments: true, maxFrameBytes: 4096 });
    const other = await bystander(server);
    const socket = await openRawSocket(`${server.collabUrl}/${uniqueDocId('big')}`, {}, transport);
    socket.send(encodeSyncUpdate(new Uint8Array(8192)));
    expect((await socket.closed).code).toBe(CloseCode.tooBig);
    await other.stillServed();
  });
});
