import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { MAX_SEGMENT_BYTES } from '../../shared/protocol.js';
import { BODY_FRAGMENT as FRAGMENT } from '../../shared/schema.js';
import { connectClient, type TestClient } from '../helpers/clients.js';
import { startServer, type TestServer, uniqueDocId } from '../helpers/testServer.js';
import { waitFor } from '../helpers/waitFor.js';

// Issue #18: a big document whose stored rows were never compacted (or whose rows after the stored
// snapshot are big) is still served to a joining client in segments of at most MAX_SEGMENT_BYTES,
// and the final sync step 2 carries only what the segments lack.

/** Frames may carry a few bytes of header beside their segment. */
const FRAME_MARGIN = 64;

/** `blocks` pasted paragraphs of about `blockBytes` of prose each, one update (one stored row) per paste. */
function pastedBlocks(doc: Y.Doc, blocks: number, blockBytes: number, label: string): Uint8Array[] {
  const updates: Uint8Array[] = [];
  const record = (update: Uint8Array) => updates.push(update);
  doc.on('update', record);
  const body = doc.getXmlFragment(FRAGMENT);
  for (let i = 0; i < blocks; i++) {
    let text = '';
    for (let n = 0; text.length < blockBytes; n++) text += `${label} block ${i}, sentence ${n}: the quick brown fox ${(n * 7919) % 1000} jumps. `;
    const paragraph = new Y.XmlElement('paragraph');
    paragraph.insert(0, [new Y.XmlText(text)]);
    body.insert(body.length, [paragraph]);
  }
  doc.off('update', record);
  return updates;
}

/** A WebSocket class that records the size of every message it receives. */
function recordingSocket(sizes: number[]): typeof WebSocket {
  return class extends WebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      this.on('message', (data: ArrayBuffer | Buffer) => sizes.push(data.byteLength));
    }
  } as typeof WebSocket;
}

function bodyOf(doc: Y.Doc): string {
  return doc.getXmlFragment(FRAGMENT).toString();
}

/** A bare client joins: every frame it receives is at most a segment, and it ends with `expected`. */
async function joinAndCheck(server: TestServer, docId: string, expected: Y.Doc): Promise<{ client: TestClient; sizes: number[] }> {
  const sizes: number[] = [];
  const client = connectClient(server.collabUrl, docId, { WebSocketClass: recordingSocket(sizes) });
  await waitFor(() => client.provider.synced, 'the client to sync', 60_000);
  expect(bodyOf(client.doc)).toBe(bodyOf(expected));
  expect(Math.max(...sizes)).toBeLessThanOrEqual(MAX_SEGMENT_BYTES + FRAME_MARGIN);
  return { client, sizes };
}

describe('big documents not compacted (#18)', () => {
  it('a join to a document of many never-compacted rows gets segments of at most 1 MB and a small step 2', async () => {
    const server = await startServer({ openDocuments: true, compactAfterUpdates: 100_000 });
    const docId = uniqueDocId('rows');
    const doc = new Y.Doc();
    const updates = pastedBlocks(doc, 40, 100_000, 'Rows');
    await server.app.docStore.create(docId);
    for (const update of updates) await server.app.docStore.appendBatch([{ docId, update }]);
    // The first client keeps the room loaded (not compacted): the second join is served from the loaded room.
    const { client: holder, sizes } = await joinAndCheck(server, docId, doc);
    expect(sizes.filter((size) => size > 100_000).length).toBeGreaterThanOrEqual(3);
    // Cut on a worker thread (past WORKER_ABOVE_BYTES), not on the event loop.
    expect(server.app.bigDocs.workers.threads.length).toBeGreaterThanOrEqual(1);
    ((holder.doc.getXmlFragment(FRAGMENT).get(0) as Y.XmlElement).get(0) as Y.XmlText).insert(0, 'typed ');
    await waitFor(() => server.app.rooms.peek(docId)?.uncommittedCount === 0 && bodyOf(server.app.rooms.peek(docId)!.doc) === bodyOf(holder.doc), 'the typing to be stored');
    expect((await server.app.docStore.load(docId)).snapshotSegments ?? 0).toBeLessThanOrEqual(1);
    const { client: second } = await joinAndCheck(server, docId, holder.doc);
    second.destroy();
    holder.destroy();
  }, 120_000);

  it('a join to a document whose rows after a stored segmented snapshot are big gets segments only', async () => {
    const server = await startServer({ openDocuments: true, compactAfterUpdates: 100_000 });
    const docId = uniqueDocId('after');
    const doc = new Y.Doc();
    const first = pastedBlocks(doc, 25, 100_000, 'Snapshot');
    await server.app.docStore.create(docId);
    for (const update of first) await server.app.docStore.appendBatch([{ docId, update }]);
    // Loaded, left: the unload compaction stores a snapshot in segments.
    const opener = connectClient(server.collabUrl, docId);
    await waitFor(() => opener.provider.synced, 'the opener to sync', 60_000);
    opener.destroy();
    await waitFor(async () => server.app.rooms.peek(docId) === undefined && ((await server.app.docStore.load(docId)).snapshotSegments ?? 0) > 1, 'a segmented snapshot', 60_000);
    // Then many rows after it, never compacted.
    for (const update of pastedBlocks(doc, 40, 100_000, 'After')) await server.app.docStore.appendBatch([{ docId, update }]);
    (await joinAndCheck(server, docId, doc)).client.destroy();
  }, 120_000);
});
