import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { decodeLoadProgress } from '../../shared/codec.js';
import { MAX_SEGMENT_BYTES, MessageType } from '../../shared/protocol.js';
import { BODY_FRAGMENT as FRAGMENT } from '../../shared/schema.js';
import { connectClient, type TestClient } from '../helpers/clients.js';
import { readMetrics, startServer, type TestServer, uniqueDocId } from '../helpers/testServer.js';
import { startThrottledProxy } from '../helpers/throttledProxy.js';
import { waitFor } from '../helpers/waitFor.js';
import { registerUser } from '../helpers/accounts.js';

// Big documents: the segmented first sync, compression, and compaction on a worker thread.
// BIG_DOCS=1 runs the full-size case: a 32 MB document over a 1 MB/s link (over 30 s, the stock
// provider's message timeout); npm test runs the same at 3 MB.
const FULL = process.env.BIG_DOCS === '1';

/** A document of `megabytes` paragraphs of about 1 MB of text each, as separate updates of its writer. */
function bigDocument(megabytes: number): { doc: Y.Doc; updates: Uint8Array[] } {
  const doc = new Y.Doc();
  const updates: Uint8Array[] = [];
  doc.on('update', (update: Uint8Array) => updates.push(update));
  const body = doc.getXmlFragment(FRAGMENT);
  for (let i = 0; i < megabytes; i++) {
    const paragraph = new Y.XmlElement('paragraph');
    // Text that compresses as prose does, not as one repeated byte.
    let text = '';
    for (let n = 0; text.length < 1_000_000; n++) text += `Paragraph ${i}, sentence ${n}: the quick brown fox ${(n * 7919) % 1000} jumps. `;
    paragraph.insert(0, [new Y.XmlText(text)]);
    body.insert(body.length, [paragraph]);
  }
  doc.getText('title').insert(0, 'A big one');
  return { doc, updates };
}

/** A WebSocket class that records the size of every message it receives, and may refuse deflate. */
function recordingSocket(sizes: number[], deflate = true): typeof WebSocket {
  return class extends WebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols, { perMessageDeflate: deflate });
      this.on("message", (data: ArrayBuffer | Buffer) => sizes.push(data.byteLength));
    }
  } as typeof WebSocket;
}

/**
 * Stores `updates` as a document's log, then lets one client open it and leave, so the room
 * unloads and compacts: the big snapshot is stored in segments (on a worker thread).
 */
async function storeSegmented(server: TestServer, docId: string, updates: Uint8Array[]): Promise<void> {
  await server.app.docStore.create(docId);
  for (const update of updates) await server.app.docStore.appendBatch([{ docId, update }]);
  const first = connectClient(server.collabUrl, docId);
  await waitFor(() => first.provider.synced, 'the first client to sync', 60_000);
  first.destroy();
  await waitFor(async () => server.app.rooms.peek(docId) === undefined && ((await server.app.docStore.load(docId)).snapshotSegments ?? 0) > 1, 'the room to unload and store its snapshot in segments', 60_000);
}

function portOf(server: TestServer): number {
  return (server.app.server.address() as { port: number }).port;
}

function bodyOf(doc: Y.Doc): string {
  return doc.getXmlFragment(FRAGMENT).toString();
}

describe('big documents', () => {
  it(`the stock provider opens a ${FULL ? 32 : 3} MB document over a slow link in segments, without a reconnect`, async () => {
    const megabytes = FULL ? 32 : 3;
    const server = await startServer({ openDocuments: true });
    const docId = uniqueDocId('big');
    const { doc, updates } = bigDocument(megabytes);
    await storeSegmented(server, docId, updates);
    const stored = await server.app.docStore.load(docId);
    for (const segment of stored.updates) expect(segment.length).toBeLessThanOrEqual(MAX_SEGMENT_BYTES);

    const proxy = await startThrottledProxy(portOf(server), 1024 * 1024);
    const sizes: number[] = [];
    const client = connectClient(`ws://127.0.0.1:${proxy.port}/collab`, docId, { connect: false, WebSocketClass: recordingSocket(sizes) });
    let closes = 0;
    client.provider.on('connection-close', () => closes++);
    client.provider.connect();
    await waitFor(() => client.provider.synced, 'the stock client to sync', (megabytes + 30) * 1000);
    expect(closes).toBe(0);
    expect(bodyOf(client.doc)).toBe(bodyOf(doc));
    expect(client.doc.getText('title').toString()).toBe('A big one');
    // Every frame was at most a segment (and its header); the document came in several.
    expect(Math.max(...sizes)).toBeLessThanOrEqual(MAX_SEGMENT_BYTES + 16);
    expect(sizes.filter((size) => size > 100_000).length).toBeGreaterThanOrEqual(megabytes);
  }, FULL ? 180_000 : 60_000);

  it('a client that takes our messages hears the size of what follows first; compressed and uncompressed clients converge', async () => {
    const server = await startServer({ openDocuments: true });
    const docId = uniqueDocId('big');
    const { doc, updates } = bigDocument(2);
    await storeSegmented(server, docId, updates);
    const port = portOf(server);
    const plainProxy = await startThrottledProxy(port, 64 * 1024 * 1024);
    const deflateProxy = await startThrottledProxy(port, 64 * 1024 * 1024);

    const frames: Uint8Array[] = [];
    const withAck = connectClient(server.collabUrl, docId, { params: { ack: '1' } });
    withAck.provider.messageHandlers[MessageType.loadProgress] = (_encoder, decoder) => frames.push(decoder.arr);
    const connect = (proxyPort: number, deflate: boolean): TestClient => {
      return connectClient(`ws://127.0.0.1:${proxyPort}/collab`, docId, { WebSocketClass: recordingSocket([], deflate) });
    };
    const plain = connect(plainProxy.port, false);
    const deflated = connect(deflateProxy.port, true);
    await waitFor(() => [withAck, plain, deflated].every((client) => client.provider.synced), 'the three clients to sync', 30_000);
    const total = decodeLoadProgress(frames[0]!);
    const stored = await server.app.docStore.load(docId);
    expect(total).toBeGreaterThanOrEqual(stored.updates.reduce((sum, update) => sum + update.length, 0));
    // Prose compresses: the compressed client's join took far fewer bytes.
    expect(deflateProxy.bytesDown).toBeLessThan(plainProxy.bytesDown / 2);

    // Both type; everyone converges.
    const paragraph = (client: TestClient) => (client.doc.getXmlFragment(FRAGMENT).get(0) as Y.XmlElement).get(0) as Y.XmlText;
    for (let i = 0; i < 20; i++) {
      paragraph(plain).insert(0, 'p');
      paragraph(deflated).insert(0, 'd');
    }
    const typed = (client: TestClient) => paragraph(client).toString().slice(0, 40);
    await waitFor(() => [plain, deflated, withAck].every((client) => bodyOf(client.doc) === bodyOf(plain.doc) && /^[pd]{40}$/.test(typed(client))), 'all three to converge', 30_000);
    expect(bodyOf(plain.doc).length).toBe(bodyOf(doc).length + 40);
  }, 60_000);

  it('a worker killed mid-compaction loses nothing; the room keeps serving; the next compaction stores the snapshot', async () => {
    const server = await startServer({ openDocuments: true, compactAfterUpdates: 5, workerAboveBytes: 0 });
    const docId = uniqueDocId('big');
    const { doc, updates } = bigDocument(2);
    await server.app.docStore.create(docId);
    for (const update of updates) await server.app.docStore.appendBatch([{ docId, update }]);
    const writer = connectClient(server.collabUrl, docId);
    await waitFor(() => writer.provider.synced, 'the writer to sync', 30_000);
    const text = () => ((writer.doc.getXmlFragment(FRAGMENT).get(0) as Y.XmlElement).get(0) as Y.XmlText);
    // The join's segments were cut on a thread that stays idle a while: ended first, so the one
    // thread below is the compaction's.
    const workers = server.app.bigDocs.workers;
    await Promise.all(workers.threads.map((thread) => thread.terminate()));
    await waitFor(() => workers.threads.length === 0, 'the idle worker thread to end');
    // Typing passes COMPACT_AFTER_UPDATES: a compaction starts on a worker thread, which is killed.
    for (let i = 0; i < 6; i++) text().insert(0, 'k');
    const thread = await waitFor(() => workers.threads[0], 'a worker thread to take the compaction', 30_000);
    await thread.terminate();
    // Nothing was replaced: every row is still stored.
    expect((await server.app.docStore.load(docId)).snapshotSegments).toBe(0);
    // The room keeps serving: more typing, and a new client gets all of it.
    for (let i = 0; i < 3; i++) text().insert(0, 'm');
    const reader = connectClient(server.collabUrl, docId);
    await waitFor(() => bodyOf(reader.doc) === bodyOf(writer.doc) && bodyOf(writer.doc).length === bodyOf(doc).length + 9, 'a new reader to get everything', 30_000);
    // Leaving unloads the room: that compaction (a fresh thread) stores the snapshot in segments.
    writer.destroy();
    reader.destroy();
    await waitFor(async () => server.app.rooms.peek(docId) === undefined && ((await server.app.docStore.load(docId)).snapshotSegments ?? 0) > 1, 'the unload compaction to store segments', 60_000);
    const copy = new Y.Doc();
    for (const update of (await server.app.docStore.load(docId)).updates) Y.applyUpdate(copy, update);
    expect(bodyOf(copy)).toBe(bodyOf(reader.doc));
  }, 90_000);

  it('a big Markdown import and its export run on a worker thread, and give back the same text', async () => {
    const server = await startServer({ workerAboveBytes: 1024 });
    const { cookie } = await registerUser(server);
    let markdown = '# Thesis\n\n';
    // Characters of several UTF-8 lengths, more than 256 KiB of them: the body and its length survive the worker.
    for (let i = 0; markdown.length < 300_000; i++) markdown += `Paragraph ${i} with **bold** and *italic* text — café, 語, 🙂 — and a [link](https://example.com/${i}).\n\n`;
    const imported = await fetch(`${server.httpUrl}/api/docs/import`, { method: 'POST', headers: { cookie, 'content-type': 'text/markdown' }, body: markdown });
    expect(imported.status).toBe(201);
    expect(server.app.bigDocs.workers.threads.length).toBe(1);
    const { id, title } = (await imported.json()) as { id: string; title: string };
    expect(title).toBe('Thesis');
    const exported = await fetch(`${server.httpUrl}/api/docs/${id}/export?format=md`, { headers: { cookie } });
    expect(exported.status).toBe(200);
    const bytes = new Uint8Array(await exported.arrayBuffer());
    expect(bytes.byteLength).toBeGreaterThan(256 * 1024);
    expect(Number(exported.headers.get('content-length'))).toBe(bytes.byteLength);
    expect(new TextDecoder().decode(bytes).trim()).toBe(markdown.trim());
  }, 60_000);

  it('many exports of a big document at once: past EXPORTS_IN_FLIGHT refused with 503 busy and Retry-After, not queued in memory; then served again', async () => {
    const server = await startServer({ workerAboveBytes: 1024, exportsInFlight: 1 });
    const { cookie } = await registerUser(server);
    let markdown = '# Big\n\n';
    for (let i = 0; markdown.length < 100_000; i++) markdown += `Paragraph ${i} with **bold** text.\n\n`;
    const imported = await fetch(`${server.httpUrl}/api/docs/import`, { method: 'POST', headers: { cookie, 'content-type': 'text/markdown' }, body: markdown });
    expect(imported.status).toBe(201);
    const { id } = (await imported.json()) as { id: string };
    const answers = await Promise.all(
      Array.from({ length: 10 }, async () => {
        const response = await fetch(`${server.httpUrl}/api/docs/${id}/export?format=html`, { headers: { cookie } });
        return { status: response.status, retryAfter: response.headers.get('retry-after'), body: await response.text() };
      }),
    );
    const busy = answers.filter((a) => a.status === 503);
    expect(busy.length).toBeGreaterThan(0);
    expect(answers.every((a) => a.status === 200 || a.status === 503)).toBe(true);
    for (const refused of busy) {
      expect(JSON.parse(refused.body)).toMatchObject({ error: 'busy' });
      expect(refused.retryAfter).toBe('1');
    }
    const again = await fetch(`${server.httpUrl}/api/docs/${id}/export?format=md`, { headers: { cookie } });
    expect(again.status).toBe(200);
    expect((await again.text()).trim()).toBe(markdown.trim());
  }, 60_000);

  it('a document past DOC_WARN_BYTES is counted in /metrics and shown to its owner as approaching MAX_DOC_BYTES', async () => {
    const server = await startServer({ docWarnBytes: 2048, maxDocBytes: 1024 * 1024 });
    const owner = await registerUser(server);
    const other = await registerUser(server);
    const imported = await fetch(`${server.httpUrl}/api/docs/import`, { method: 'POST', headers: { cookie: owner.cookie, 'content-type': 'text/markdown' }, body: 'words '.repeat(1000) });
    const { id } = (await imported.json()) as { id: string };
    const details = async (cookie: string) => ((await (await fetch(`${server.httpUrl}/api/docs/${id}`, { headers: { cookie } })).json()) as { sizeLimitBytes: number | null });
    expect((await details(owner.cookie)).sizeLimitBytes).toBe(1024 * 1024);
    expect((await details(other.cookie)).sizeLimitBytes).toBeNull();
    const reader = connectClient(server.collabUrl, id, { cookie: owner.cookie });
    await waitFor(() => reader.provider.synced, 'the owner to open it');
    expect(await readMetrics(server.httpUrl)).toMatch(/^tandem_large_documents 1$/m);
  });
});
