import http from 'node:http';
import type net from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { CloseCode } from '../../shared/closeCodes.js';
import { connectClient, textOf, whenSynced } from '../helpers/clients.js';
import { postgresDatabases } from '../helpers/postgres.js';
import { startRedis } from '../helpers/redisServer.js';
import { startServer, type TestServer, uniqueDocId } from '../helpers/testServer.js';
import { waitFor } from '../helpers/waitFor.js';

const databases = postgresDatabases();

/** Two Tandem apps on one PostgreSQL database and one Redis: a two-process cluster in one test. */
async function twoProcesses(): Promise<[TestServer, TestServer]> {
  const redis = await startRedis();
  const common = { databaseUrl: await databases.create(), redisUrl: redis.url, clusterRepairIntervalMs: 200, unloadGraceMs: 100, openDocuments: true };
  return [await startServer(common), await startServer(common)];
}

/**
 * An HTTP load balancer on 127.0.0.1 that sends each request to the process `route` names at the
 * moment the request arrives (responses stream through, so an SSE stream stays on its process).
 */
async function startBalancer(servers: TestServer[], route: (request: http.IncomingMessage) => number) {
  const sockets = new Set<net.Socket>();
  const seen: Array<{ method: string; path: string; to: number; status: number }> = [];
  const balancer = http.createServer((request, response) => {
    const to = route(request);
    const target = new URL(servers[to]!.httpUrl);
    const upstream = http.request({ host: '127.0.0.1', port: Number(target.port), method: request.method, path: request.url, headers: request.headers }, (answer) => {
      seen.push({ method: request.method ?? '', path: (request.url ?? '').split('?')[0]!, to, status: answer.statusCode ?? 0 });
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      response.flushHeaders();
      answer.pipe(response);
    });
    upstream.on('error', () => response.destroy());
    response.on('close', () => upstream.destroy());
    request.pipe(upstream);
  });
  balancer.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => balancer.listen(0, '127.0.0.1', resolve));
  onTestFinished(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => balancer.close(resolve));
  });
  const { port } = balancer.address() as net.AddressInfo;
  return { collabUrl: `ws://127.0.0.1:${port}/collab`, seen };
}

describe('cluster mode over the HTTP transport', () => {
  it("a request that lands on a process without its session is answered 4101; the client opens a new session there at once, losing and doubling nothing", async () => {
    const [a, b] = await twoProcesses();
    let sendTo = 0;
    const balancer = await startBalancer([a, b], () => sendTo);
    const docId = uniqueDocId('cluster-http');
    const ada = connectClient(balancer.collabUrl, docId, { transport: 'http' });
    const onA = connectClient(a.collabUrl, docId);
    const onB = connectClient(b.collabUrl, docId);
    const closes: number[] = [];
    ada.provider.on('connection-close', (event) => {
      if (event) closes.push(event.code);
    });
    await Promise.all([whenSynced(ada, 'Ada through the balancer'), whenSynced(onA), whenSynced(onB)]);
    const text = ada.doc.getText('text');
    text.insert(0, 'on A. ');
    await waitFor(() => textOf(onA) === 'on A. ' && textOf(onB) === 'on A. ', 'the first words to reach both processes');

    // The balancer now sends Ada's requests to B (it does not route by session, or A was drained):
    // her next frames POST names a session B never opened.
    sendTo = 1;
    for (const word of ['then ', 'B ', 'too.']) text.insert(text.length, word);
    const expected = 'on A. then B too.';
    await waitFor(() => [ada, onA, onB].every((client) => textOf(client) === expected), 'every word, once, on both processes');
    expect(closes).toContain(CloseCode.sessionUnknown);
    const refused = balancer.seen.filter((request) => request.to === 1 && request.status === 404);
    expect(refused.length).toBeGreaterThan(0);
    // The new session was opened on B, and Ada is synced through it.
    expect(balancer.seen.some((request) => request.to === 1 && request.method === 'POST' && request.path === `/collab/${docId}/http` && request.status === 201)).toBe(true);
    await whenSynced(ada, 'Ada on her new session');

    // Presence crosses from her new session on B to a client on A.
    ada.provider.awareness.setLocalStateField('user', { name: 'Ada' });
    await waitFor(() => [...onA.provider.awareness.getStates().values()].some((state) => state.user?.name === 'Ada'), 'Ada’s presence to reach A');
  });

  it('behind a balancer that keeps each client on one process (a sticky cookie, ip_hash), clients on HTTP never reconnect', async () => {
    const [a, b] = await twoProcesses();
    // Each client carries the balancer's stickiness mark (here a header; a cookie or the address in production).
    const balancer = await startBalancer([a, b], (request) => Number(request.headers['x-sticky'] ?? 0) % 2);
    const docId = uniqueDocId('cluster-sticky');
    const clients = [0, 1, 2, 3].map((i) => connectClient(balancer.collabUrl, docId, { transport: 'http', httpOptions: { headers: { 'x-sticky': String(i) } } }));
    const closes: number[] = [];
    for (const client of clients) {
      client.provider.on('connection-close', (event) => {
        if (event) closes.push(event.code);
      });
    }
    await Promise.all(clients.map((client) => whenSynced(client)));
    clients.forEach((client, i) => client.doc.getText('text').insert(0, `c${i} `));
    await waitFor(() => clients.every((client) => textOf(client).length === 'c0 '.length * 4 && textOf(client) === textOf(clients[0]!)), 'all four to converge');
    expect(closes).toEqual([]);
    expect(new Set(balancer.seen.map((request) => request.to))).toEqual(new Set([0, 1]));
    expect(balancer.seen.filter((request) => request.status === 404)).toEqual([]);
  });
});
