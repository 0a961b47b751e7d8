import net from 'node:net';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import * as awarenessProtocol from 'y-protocols/awareness';
import * as Y from 'yjs';
import { CloseCode } from '../../shared/closeCodes.js';
import { SLOW_READER_STALL_MS } from '../../server/collab/connection.js';
import { encodeAwarenessFrame, encodeSyncUpdate } from '../../shared/codec.js';
import { HTTP_TRANSPORT_SEGMENT } from '../../shared/httpTransport.js';
import { connectClient, textOf, type Transport, TRANSPORTS, whenSynced } from '../helpers/clients.js';
import { openDatabase, rowCounts } from '../helpers/database.js';
import { openRawSocket } from '../helpers/rawSocket.js';
import { spawnServer } from '../helpers/serverProcess.js';
import { bystander } from '../helpers/bystander.js';
import { readMetrics, startServer, tempDataDir, TEST_METRICS_TOKEN, uniqueDocId } from '../helpers/testServer.js';
import { waitFor } from '../helpers/waitFor.js';

/** `count` successive one-character updates of one Y.Doc, each a complete sync update frame. */
function updateFrames(count: number, chunk = 'x'): Uint8Array[] {
  const doc = new Y.Doc();
  const frames: Uint8Array[] = [];
  doc.on('update', (u: Uint8Array) => frames.push(encodeSyncUpdate(u)));
  for (let i = 0; i < count; i++) doc.getText('text').insert(0, chunk);
  return frames;
}

/** Tries a WebSocket upgrade; resolves to 101 on success or the HTTP status it was refused with. */
function upgradeStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.on('open', () => {
      ws.close();
      resolve(101);
    });
    ws.on('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 0);
      ws.terminate();
    });
    ws.on('error', (error) => {
      if (!/Unexpected server response/.test(String(error))) reject(error);
    });
  });
}

/**
 * Opens a connection of `transport` (opening is one request for streaming and long-polling alike):
 * 101 when opened (an HTTP session's 201 too), else the HTTP status it was refused with.
 */
async function openStatus(transport: Exclude<Transport, 'longpoll'>, url: string, headers: Record<string, string> = {}): Promise<number> {
  if (transport === 'websocket') return upgradeStatus(url, headers);
  const response = await fetch(`${url.replace(/^ws/, 'http')}/${HTTP_TRANSPORT_SEGMENT}`, { method: 'POST', headers });
  if (response.status !== 201) return response.status;
  const { session } = (await response.json()) as { session: string };
  await fetch(`${url.replace(/^ws/, 'http')}/${HTTP_TRANSPORT_SEGMENT}/${session}`, { method: 'DELETE', headers });
  return 101;
}

// Over the HTTP transport too (streaming and long-polling): the same frames reach the same limits.
// Not here, as WebSocket-protocol-specific: upgrades answered without an upgrade (no upgrade over
// HTTP), pings (a WebSocket frame; a session instead expires unseen, tests/integration/httpTransport),
// a stalled socket's send buffer (a stream is replayed from REPLAY_BUFFER_BYTES kept instead), and
// header floods (the same Node HTTP parser answers every request, upgrade or not).
describe.each<Transport>(TRANSPORTS)('limits (%s)', (transport) => {
  it('a connection flooding updates is closed with 4429; others carry on', async () => {
    const server = await startServer({ openDocuments: true, updatesPerSecond: 10, updateBurst: 20 });
    const { stillServed } = await bystander(server);
    const socket = await openRawSocket(`${server.collabUrl}/${uniqueDocId('flood')}`, {}, transport);
    for (const frame of updateFrames(100)) socket.send(frame);
    expect((await socket.closed).code).toBe(CloseCode.rateLimited);
    await stillServed();
  });

  it('a connection flooding awareness is closed with 4429', async () => {
    const server = await startServer({ openDocuments: true, awarenessPerSecond: 10, awarenessBurst: 20 });
    const socket = await openRawSocket(`${server.collabUrl}/${uniqueDocId('awareflood')}`, {}, transport);
    const awareness = new awarenessProtocol.Awareness(new Y.Doc());
    for (let i = 0; i < 100; i++) {
      awareness.setLocalState({ cursor: i });
      socket.send(encodeAwarenessFrame(awarenessProtocol.encodeAwarenessUpdate(awareness, [awareness.clientID])));
    }
    awareness.destroy();
    expect((await socket.closed).code).toBe(CloseCode.rateLimited);
  });

  it('a document over its size cap refuses the update with 4413 and stores nothing of it', async () => {
    const server = await startServer({ openDocuments: true, maxDocBytes: 4096 });
    const docId = uniqueDocId('cap');
    const db = openDatabase(server.config.dataDir);
    const small = connectClient(server.collabUrl, docId);
    await whenSynced(small);
    small.doc.getText('text').insert(0, 'fits');
    await waitFor(() => rowCounts(db, docId).updates === 1, 'the small update to be stored');
    const socket = await openRawSocket(`${server.collabUrl}/${docId}`, {}, transport);
    socket.send(updateFrames(1, 'z'.repeat(8000))[0]!);
    expect((await socket.closed).code).toBe(CloseCode.docTooLarge);
    expect(rowCounts(db, docId).updates).toBe(1);
    const reader = connectClient(server.collabUrl, docId);
    await whenSynced(reader);
    expect(textOf(reader)).toBe('fits');
  });

  it('a frame far past the size limit (past what a request body may carry, too) is closed with 1009; others carry on', async () => {
    const server = await startServer({ openDocuments: true, maxFrameBytes: 4096 });
    const { stillServed } = await bystander(server);
    const socket = await openRawSocket(`${server.collabUrl}/${uniqueDocId('huge')}`, {}, transport);
    socket.send(encodeSyncUpdate(new Uint8Array(1536 * 1024)));
    expect((await socket.closed).code).toBe(CloseCode.tooBig);
    await waitFor(() => server.app.rooms.connectionCount === 2, 'the refused connection to be gone'); // the bystander's two
    await stillServed();
  });
});

// Opening over HTTP is one request, the same for streaming and long-polling.
describe.each<Exclude<Transport, 'longpoll'>>(['websocket', 'http'])('opening a connection (%s)', (transport) => {
  it('too many new connections from one address get HTTP 429 before they open', async () => {
    const server = await startServer({ openDocuments: true, connectionsPerSecondPerIp: 1, connectionBurstPerIp: 3 });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push(await openStatus(transport, `${server.collabUrl}/${uniqueDocId('ip')}`));
    expect(statuses.slice(0, 3)).toEqual([101, 101, 101]);
    expect(statuses.slice(3)).toContain(429);
  });

  it('checks the Origin: same origin and allowed origins pass, others get 403', async () => {
    const server = await startServer({ openDocuments: true, allowedOrigins: ['https://docs.example.com'] });
    const url = `${server.collabUrl}/${uniqueDocId('origin')}`;
    const host = new URL(server.httpUrl).host;
    expect(await openStatus(transport, url, { Origin: `http://${host}` })).toBe(101);
    expect(await openStatus(transport, url, { Origin: 'https://docs.example.com' })).toBe(101);
    expect(await openStatus(transport, url)).toBe(101); // not a browser
    expect(await openStatus(transport, url, { Origin: 'https://evil.example' })).toBe(403);
    expect(await openStatus(transport, url, { Origin: 'null' })).toBe(403);
  });
});

describe('limits', () => {
  it('an upgrade request answered without an upgrade (unknown path, refused Origin) has its socket closed', async () => {
    const server = await startServer({ openDocuments: true });
    const { port } = server.app.server.address() as { port: number };
    const answers: string[] = [];
    const refused = [['/nope', null], [`/collab/${uniqueDocId('refused')}`, 'https://evil.example'], ['/live', 'https://evil.example']] as const;
    for (const [path, origin] of refused) {
      const socket = net.connect(port, '127.0.0.1');
      let received = '';
      socket.on('data', (chunk) => (received += chunk.toString()));
      const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${origin ? `Origin: ${origin}\r\n` : ''}\r\n`,
      );
      await closed;
      answers.push(received.split('\r\n')[0]!);
    }
    expect(answers).toEqual(['HTTP/1.1 404 Not Found', 'HTTP/1.1 403 Forbidden', 'HTTP/1.1 403 Forbidden']);
    // An accepted upgrade stays open.
    const keptDoc = uniqueDocId('kept');
    const client = connectClient(server.collabUrl, keptDoc);
    await whenSynced(client);
    // A socket ended after the upgrade's answer could carry nothing the server sends later: another
    // client's edit, relayed to this one afterwards, ends the window.
    const other = connectClient(server.collabUrl, keptDoc);
    await whenSynced(other);
    other.doc.getText('text').insert(0, 'later');
    await waitFor(() => textOf(client) === 'later', 'a later edit to reach the first client');
    expect(client.provider.wsconnected).toBe(true);
  });

  it('drops a client that stops answering pings, and removes its presence', async () => {
    const server = await startServer({ openDocuments: true, heartbeatIntervalMs: 100, heartbeatTimeoutMs: 1_000 });
    const docId = uniqueDocId('heartbeat');
    const watcher = connectClient(server.collabUrl, docId);
    await whenSynced(watcher);
    // A client that neither answers pings nor sends anything after its presence.
    const silent = new WebSocket(`${server.collabUrl}/${docId}`, { autoPong: false });
    await new Promise((resolve) => silent.once('open', resolve));
    const awareness = new awarenessProtocol.Awareness(new Y.Doc());
    awareness.setLocalState({ user: { name: 'Silent' } });
    silent.send(encodeAwarenessFrame(awarenessProtocol.encodeAwarenessUpdate(awareness, [awareness.clientID])));
    awareness.destroy();
    await waitFor(() => watcher.provider.awareness.getStates().has(awareness.clientID), 'the watcher to see the silent client');
    const closed = new Promise<number>((resolve) => silent.once('close', (code) => resolve(code)));
    expect(await closed).toBe(1006); // terminated: no close frame
    await waitFor(() => !watcher.provider.awareness.getStates().has(awareness.clientID), 'its presence to be removed');
    // The provider answers pings by itself, so the watcher is still connected.
    expect(watcher.provider.wsconnected).toBe(true);
  });

  it('drops a client that stops reading: past the send limit and taking nothing for a while; others are unaffected', async () => {
    // 2 MB: far less than the 16 MB sent. A reading client may lag past it on a busy machine; it is
    // never dropped for that, as it keeps taking bytes.
    const server = await startServer({ openDocuments: true, maxSendBufferBytes: 2 * 1024 * 1024, updatesPerSecond: 10_000, updateBurst: 10_000 });
    const docId = uniqueDocId('backpressure');
    const reader = connectClient(server.collabUrl, docId);
    await whenSynced(reader);
    // Without compression: the 'w's below would deflate to almost nothing and never fill a buffer.
    const stalled = new WebSocket(`${server.collabUrl}/${docId}`, { perMessageDeflate: false });
    await new Promise((resolve) => stalled.once('open', resolve));
    const stalledClosed = new Promise<void>((resolve) => stalled.once('close', () => resolve()));
    (stalled as unknown as { _socket: net.Socket })._socket.pause(); // stop reading
    const writer = await openRawSocket(`${server.collabUrl}/${docId}`);
    const written = new Y.Doc();
    written.on('update', (update: Uint8Array) => writer.send(encodeSyncUpdate(update)));
    // 16 MB: more than the loopback socket buffers absorb, so the server's own send buffer grows.
    for (let i = 0; i < 160; i++) written.getText('text').insert(0, 'w'.repeat(100_000));
    // The document keeps changing: at a frame for it, the stalled client is found to have taken
    // nothing for SLOW_READER_STALL_MS.
    const typing = setInterval(() => written.getText('text').insert(0, 'k'), 100);
    try {
      await waitFor(() => server.app.rooms.connectionCount === 2, 'the stalled client to be dropped', SLOW_READER_STALL_MS + 15_000);
    } finally {
      clearInterval(typing);
    }
    await waitFor(() => textOf(reader).length === written.getText('text').length, 'the reader to get everything', 20_000);
    (stalled as unknown as { _socket: net.Socket })._socket.resume();
    await stalledClosed;
    expect(writer.ws.readyState).toBe(WebSocket.OPEN);
    const metrics = await readMetrics(server.httpUrl);
    expect(metrics).toMatch(/^tandem_frames_refused_total\{reason="slowReader"\} 1$/m); // the stalled client only
  });

  it('sends a document larger than the send limit to a client that joins while it is being edited', async () => {
    const server = await startServer({ openDocuments: true, maxSendBufferBytes: 1024 * 1024, updatesPerSecond: 10_000, updateBurst: 10_000 });
    const docId = uniqueDocId('large-join');
    const writer = await openRawSocket(`${server.collabUrl}/${docId}`);
    const written = new Y.Doc();
    written.on('update', (update: Uint8Array) => writer.send(encodeSyncUpdate(update)));
    for (let i = 0; i < 8; i++) written.getText('text').insert(0, 'L'.repeat(1024 * 1024));
    // Frames keep following the joiner's 8 MB sync step 2 while it is still being read.
    const typing = setInterval(() => written.getText('text').insert(0, 'k'), 10);
    try {
      const joiner = connectClient(server.collabUrl, docId);
      await whenSynced(joiner);
      await waitFor(() => textOf(joiner).length >= 8 * 1024 * 1024, 'the joiner to hold the document', 20_000);
    } finally {
      clearInterval(typing);
    }
    const metrics = await readMetrics(server.httpUrl);
    expect(metrics).not.toMatch(/reason="slowReader"/);
  });

  it('refuses a request with thousands of headers (431) and keeps serving', async () => {
    const server = await startServer({ openDocuments: true });
    const { port } = new URL(server.httpUrl);
    const response = await new Promise<string>((resolve) => {
      const socket = net.connect(Number(port), '127.0.0.1', () => {
        let request = `GET /collab/${uniqueDocId('headers')} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n`;
        for (let i = 0; i < 5000; i++) request += `X-Filler-${i}: ${i}\r\n`;
        socket.write(`${request}\r\n`);
      });
      let data = '';
      socket.on('data', (chunk) => (data += chunk.toString()));
      socket.on('close', () => resolve(data));
      socket.on('error', () => resolve(data));
    });
    expect(response).toMatch(/^HTTP\/1\.1 431/);
    expect((await fetch(`${server.httpUrl}/healthz`)).status).toBe(200);
  });
});

describe('metrics', () => {
  it('exposes connections, rooms, updates, relays, commit latency and refusals by reason', async () => {
    const server = await startServer({ openDocuments: true });
    const docId = uniqueDocId('metrics');
    const a = connectClient(server.collabUrl, docId);
    const b = connectClient(server.collabUrl, docId);
    await Promise.all([whenSynced(a), whenSynced(b)]);
    a.doc.getText('text').insert(0, 'counted');
    await waitFor(() => textOf(b) === 'counted', 'the relay');
    const bad = await openRawSocket(`${server.collabUrl}/${docId}`);
    bad.send(new Uint8Array([42]));
    await bad.closed;
    const response = await fetch(`${server.httpUrl}/metrics`, { headers: { authorization: `Bearer ${TEST_METRICS_TOKEN}` } });
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    expect(text).toMatch(/^tandem_connections 2$/m);
    expect(text).toMatch(/^tandem_rooms 1$/m);
    expect(text).toMatch(/^tandem_updates_received_total [1-9]/m);
    expect(text).toMatch(/^tandem_frames_relayed_total [1-9]/m);
    expect(text).toMatch(/^tandem_commit_duration_seconds_count [1-9]/m);
    expect(text).toMatch(/^tandem_frames_refused_total\{reason="badMessage"\} 1$/m);
    expect(text).toMatch(/^tandem_seconds_since_last_commit /m);
    expect(text).toMatch(/^tandem_process_/m);
  });
});

describe('logs', () => {
  it('every line about a connection names the document and the connection', async () => {
    const server = await spawnServer({ DATA_DIR: tempDataDir(), LOG_LEVEL: 'info', OPEN_DOCUMENTS: 'true' });
    const docId = uniqueDocId('logged');
    const socket = await openRawSocket(`ws://127.0.0.1:${server.port}/collab/${docId}`);
    socket.send(new Uint8Array([42]));
    await socket.closed;
    await waitFor(() => server.output().includes('refused client frame'), 'the refusal to be logged');
    const lines = server
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const refusal = lines.find((line) => line.msg === 'refused client frame')!;
    expect(refusal).toMatchObject({ docId, code: CloseCode.badMessage, reason: 'unknown message type 42' });
    expect(refusal.reqId).toEqual(expect.any(String));
    await server.stop();
  });
});
