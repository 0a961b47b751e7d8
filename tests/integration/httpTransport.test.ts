import { describe, expect, it } from 'vitest';
import { CloseCode } from '../../shared/closeCodes.js';
import { decodeSavedAck } from '../../shared/codec.js';
import { connectClient, textOf, whenSynced, type Transport } from '../helpers/clients.js';
import { startServer, uniqueDocId } from '../helpers/testServer.js';
import { waitFor } from '../helpers/waitFor.js';
import { startHostileProxy } from '../helpers/hostileProxy.js';
import { api, createDoc, registerUser, setLinkAccess, uniqueName } from '../helpers/accounts.js';
import { encodeClientFrames, PRESENCE_AWAY_MS } from '../../shared/httpTransport.js';
import { HttpSocket } from '../../web/src/sync/httpSocket.js';
import { threadsPath } from '../../shared/comments.js';
import { guestLivePath } from '../../shared/live.js';
import { anchorIn } from '../helpers/commentAnchor.js';

describe.each<Transport>(['http', 'longpoll'])('the HTTP transport (%s)', (transport) => {
  it('a client over HTTP and one over a WebSocket edit one document together', async () => {
    const server = await startServer({ openDocuments: true });
    const docId = uniqueDocId('http');
    const a = connectClient(server.collabUrl, docId, { transport });
    const b = connectClient(server.collabUrl, docId);
    await whenSynced(a, 'http client');
    await whenSynced(b, 'ws client');
    a.doc.getText('text').insert(0, 'over http ');
    b.doc.getText('text').insert(0, 'over ws ');
    await waitFor(() => textOf(a) === textOf(b) && textOf(a).length === 'over http over ws '.length, 'both to converge');
    // Presence crosses too.
    a.provider.awareness.setLocalStateField('user', { name: 'A' });
    await waitFor(() => [...b.provider.awareness.getStates().values()].some((state) => state.user?.name === 'A'), 'B to see A');
    b.provider.awareness.setLocalStateField('user', { name: 'B' });
    await waitFor(() => [...a.provider.awareness.getStates().values()].some((state) => state.user?.name === 'B'), 'A to see B');
  });

  it("a client that vanishes without saying it leaves (a tab closed, its leaving request lost) stops being shown within PRESENCE_AWAY_MS, and shows again when it comes back", async () => {
    const server = await startServer({ openDocuments: true });
    const docId = uniqueDocId('away');
    const a = connectClient(server.collabUrl, docId, { transport });
    const b = connectClient(server.collabUrl, docId);
    await whenSynced(a, 'http client');
    await whenSynced(b, 'ws client');
    const seesA = () => [...b.provider.awareness.getStates().values()].some((state) => state.user?.name === 'A');
    a.provider.awareness.setLocalStateField('user', { name: 'A' });
    await waitFor(seesA, 'B to see A');
    // A's network goes: its stream or poll ends and no request of it reaches the server any more.
    const socket = a.provider.ws as unknown as { request: (...args: unknown[]) => Promise<Response>; aborts: Set<AbortController> };
    const request = socket.request;
    socket.request = () => new Promise<Response>(() => {});
    for (const abort of socket.aborts) abort.abort();
    // Long before the session would expire (SESSION_EXPIRY_MS) or the awareness time out (30 s).
    // (That a session is not away before PRESENCE_AWAY_MS is the unit test's, on fake timers.)
    await waitFor(() => !seesA(), "A's presence to go", PRESENCE_AWAY_MS + 5_000);
    // Its network comes back: it shows again (resumed, or reconnected after giving up).
    socket.request = request;
    await waitFor(seesA, 'B to see A again', 20_000);
  });

  it('saved acks arrive, and a refusal closes with the same code as over a WebSocket', async () => {
    const server = await startServer({ openDocuments: true });
    const docId = uniqueDocId('ack');
    const client = connectClient(server.collabUrl, docId, { transport, params: { ack: '1' } });
    const acks: number[] = [];
    client.provider.messageHandlers[100] = (_encoder, decoder) => {
      acks.push(decodeSavedAck(new Uint8Array([100, ...decoder.arr.subarray(decoder.pos)])));
    };
    await whenSynced(client);
    client.doc.getText('text').insert(0, 'x');
    await waitFor(() => acks.length > 0 && acks.at(-1)! >= 1, 'a saved ack');
    const closes: number[] = [];
    const refused = connectClient(server.collabUrl, 'not..valid', { transport });
    refused.provider.on('connection-close', (event) => {
      if (event) closes.push(event.code);
    });
    await waitFor(() => closes.length > 0, 'the refusal');
    expect(closes[0]).toBe(CloseCode.policy);
  });
});

describe('the HTTP transport behind a proxy that buffers responses', () => {
  it('finds its stream held back and long-polls instead, losing nothing', async () => {
    const server = await startServer({ openDocuments: true });
    const proxy = await startHostileProxy(Number(new URL(server.httpUrl).port), 'buffer');
    const docId = uniqueDocId('buffered');
    let switched = 0;
    const a = connectClient(`${proxy.base.replace('http', 'ws')}/collab`, docId, { transport: 'http', httpOptions: { streamOpenTimeoutMs: 500, onLongPoll: () => switched++ } });
    const b = connectClient(server.collabUrl, docId);
    await whenSynced(a, 'the client behind the proxy');
    await whenSynced(b);
    a.doc.getText('text').insert(0, 'from behind ');
    b.doc.getText('text').insert(0, 'from outside ');
    await waitFor(() => textOf(a) === textOf(b) && textOf(a).length === 'from behind from outside '.length, 'both to converge');
    expect(switched).toBeGreaterThan(0);
  });
});

describe('the HTTP transport is guarded as the WebSocket is', () => {
  it('a session id is worth nothing without the cookie that opened it; foreign Origins are refused', async () => {
    const server = await startServer({ passwordHashCost: 12 });
    const ann = await registerUser(server, uniqueName('ann'));
    const eve = await registerUser(server, uniqueName('eve'));
    const docId = await createDoc(server, ann);
    const base = `${server.httpUrl}/collab/${docId}/http`;
    const opened = await fetch(`${base}?ack=1`, { method: 'POST', headers: { cookie: ann.cookie } });
    expect(opened.status).toBe(201);
    const { session } = (await opened.json()) as { session: string };
    const frames = encodeClientFrames([{ data: new Uint8Array([3]), text: false }]);
    const post = (headers: Record<string, string>) =>
      fetch(`${base}/${session}?seq=0`, { method: 'POST', headers: { 'content-type': 'application/octet-stream', ...headers }, body: frames as BodyInit });
    // Without the cookie, or with someone else's: as if there were no such session.
    expect((await post({})).status).toBe(404);
    expect((await post({ cookie: eve.cookie })).status).toBe(404);
    expect((await fetch(`${base}/${session}?poll=1`, { headers: { cookie: eve.cookie } })).status).toBe(404);
    // From another origin, with the right cookie: refused.
    expect((await post({ cookie: ann.cookie, origin: 'https://evil.example' })).status).toBe(403);
    expect((await fetch(`${base}/${session}?poll=1`, { headers: { cookie: ann.cookie, origin: 'https://evil.example' } })).status).toBe(403);
    expect((await fetch(`${base}`, { method: 'POST', headers: { cookie: ann.cookie, origin: 'https://evil.example' } })).status).toBe(403);
    // Its owner is served.
    expect((await post({ cookie: ann.cookie })).status).toBe(200);
    // Resuming after an event never sent (it would drop the events the client never got) is refused at once.
    const ahead = await fetch(`${base}/${session}?poll=1&lastEventId=999999`, { headers: { cookie: ann.cookie }, signal: AbortSignal.timeout(5_000) });
    expect(ahead.status).toBe(400);
    expect(await ahead.json()).toMatchObject({ code: CloseCode.badMessage });
    const fromStart = await fetch(`${base}/${session}?poll=1&lastEventId=0`, { headers: { cookie: ann.cookie }, signal: AbortSignal.timeout(5_000) });
    expect(fromStart.status).toBe(200);
    expect((await fromStart.text()).length).toBeGreaterThan(0);
    // New documents admit visitors by link; once the owner makes it members-only, a visitor's open
    // is refused with 4401's status and code.
    await api(server, 'PATCH', `/api/docs/${docId}/access`, { cookie: ann.cookie, body: { linkAccess: 'none' } });
    const visitor = await fetch(base, { method: 'POST' });
    expect(visitor.status).toBe(401);
    expect(((await visitor.json()) as { code: number }).code).toBe(CloseCode.unauthenticated);
  });
});

describe('/live over the HTTP transport', () => {
  it('greets, answers a chat frame, refuses a malformed one with 4400, and without a session closes with 4401', async () => {
    const server = await startServer({ passwordHashCost: 12 });
    const ann = await registerUser(server, uniqueName('ann'));
    const url = `${server.httpUrl.replace('http', 'ws')}/live`;
    const Socket = HttpSocket.withOptions({ headers: { cookie: ann.cookie } });
    const socket = new Socket(url);
    const messages: Array<{ type: string }> = [];
    let closed: { code: number } | null = null;
    socket.onmessage = (event) => messages.push(JSON.parse(event.data as string) as { type: string });
    socket.onclose = (event) => (closed = event);
    await waitFor(() => messages.some((m) => m.type === 'hello'), 'the hello');
    socket.send(JSON.stringify({ type: 'send', nonce: 'n1', conversationId: 'doc:nope', text: 'hi' }));
    await waitFor(() => messages.some((m) => m.type === 'refused'), 'the refusal of a message to a conversation I am not in');
    socket.send('not json');
    await waitFor(() => closed !== null, 'the close');
    expect(closed!.code).toBe(CloseCode.badMessage);
    const visitor = new HttpSocket(url);
    let visitorClosed: { code: number } | null = null;
    visitor.onclose = (event) => (visitorClosed = event);
    await waitFor(() => visitorClosed !== null, 'the visitor to be refused');
    expect(visitorClosed!.code).toBe(CloseCode.unauthenticated);
  });

  it("a guest's /live (?doc=) works over it too: greeted as a guest, told of the document's comment changes", async () => {
    const server = await startServer({ passwordHashCost: 12 });
    const ann = await registerUser(server, uniqueName('ann'));
    const docId = await createDoc(server, ann);
    const guest = new HttpSocket(`${server.httpUrl.replace('http', 'ws')}${guestLivePath(docId)}`);
    const messages: Array<{ type: string; user?: { guest?: boolean } }> = [];
    guest.onmessage = (event) => messages.push(JSON.parse(event.data as string) as { type: string });
    await waitFor(() => messages.some((m) => m.type === 'hello' && m.user?.guest === true), "the guest's hello");
    const made = await api(server, 'POST', threadsPath(docId), { cookie: ann.cookie, body: { body: 'hi', anchor: anchorIn('hello', 0, 5) } });
    expect(made.status).toBe(201);
    await waitFor(() => messages.some((m) => m.type === 'comments'), 'the comment change');
    // The link stops admitting visitors: the server closes the guest's socket.
    let closed: { code: number } | null = null;
    guest.onclose = (event) => (closed = event);
    await setLinkAccess(server, docId, ann, 'none');
    await waitFor(() => closed !== null, 'the guest socket to be closed');
    expect(closed!.code).toBe(CloseCode.unauthenticated);
  });
});
