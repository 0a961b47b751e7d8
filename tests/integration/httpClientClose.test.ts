import { type AddressInfo, Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { connectClient, textOf, whenSynced, type Transport } from '../helpers/clients.js';
import { startServer, type TestServer } from '../helpers/testServer.js';
import { waitFor } from '../helpers/waitFor.js';
import { createDoc, registerUser, uniqueName } from '../helpers/accounts.js';
import { HttpSocket } from '../../web/src/sync/httpSocket.js';

/**
 * A client of the HTTP transport that closes its socket itself (a tab closed, a provider destroyed)
 * must leave the server able to shut down: app.close() settles instead of waiting on a connection
 * the client keeps. The wait is bounded so that a server that hangs fails here, clearly, rather than
 * holding the suite until the hook timeout.
 */
const SHUTDOWN_BOUND_MS = 10_000;

async function closesPromptly(server: TestServer): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    server.close().then(() => 'closed' as const),
    new Promise<'hung'>((resolve) => (timer = setTimeout(() => resolve('hung'), SHUTDOWN_BOUND_MS))),
  ]);
  clearTimeout(timer);
  if (outcome === 'hung') {
    // What holds it: the connections still open, and whether each ever sent a byte (a request).
    const held = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles()
      .filter((handle): handle is Socket => handle instanceof Socket && handle.localPort === serverPort(server))
      .map((socket) => `:${socket.remotePort} (${socket.bytesRead} bytes read)`);
    server.app.server.closeAllConnections();
    expect.fail(`app.close() did not settle within ${SHUTDOWN_BOUND_MS} ms; held by the connection(s) ${held.join(', ')}`);
  }
}

function serverPort(server: TestServer): number {
  return (server.app.server.address() as AddressInfo | null)?.port ?? Number(new URL(server.httpUrl).port);
}

describe.each<Transport>(['http', 'longpoll'])('a client that closes its HTTP transport socket itself (%s)', (transport) => {
  it('/live, signed in: the server still shuts down', async () => {
    const server = await startServer({ passwordHashCost: 12 });
    const ann = await registerUser(server, uniqueName('ann'));
    const LiveSocket = HttpSocket.withOptions({ headers: { cookie: ann.cookie }, longPoll: transport === 'longpoll' });
    const socket = new LiveSocket(`${server.httpUrl.replace('http', 'ws')}/live`);
    const messages: Array<{ type: string }> = [];
    let closed: { code: number } | null = null;
    socket.onmessage = (event) => messages.push(JSON.parse(event.data as string) as { type: string });
    socket.onclose = (event) => (closed = event);
    await waitFor(() => messages.some((m) => m.type === 'hello'), 'the hello');
    socket.close();
    await waitFor(() => closed !== null, 'the socket to close');
    expect(closed!.code).toBe(1000);
    await closesPromptly(server);
  });

  it('a document, signed in: the server still shuts down', async () => {
    const server = await startServer({ passwordHashCost: 12 });
    const ann = await registerUser(server, uniqueName('ann'));
    const docId = await createDoc(server, ann);
    const client = connectClient(server.collabUrl, docId, { transport, cookie: ann.cookie });
    await whenSynced(client);
    client.doc.getText('text').insert(0, 'typed');
    await waitFor(() => client.provider.wsconnected && textOf(client) === 'typed', 'the edit');
    client.destroy();
    await closesPromptly(server);
  });
});
