import { describe, expect, it, onTestFinished } from 'vitest';
import WebSocket from 'ws';
import type { PeopleList } from '../../shared/api.js';
import { CloseCode } from '../../shared/closeCodes.js';
import { MAX_LIVE_FRAME_BYTES } from '../../shared/live.js';
import { LIVE_FRAME_BURST } from '../../server/live/liveRoute.js';
import { api, createDoc, liveUrl, openLive, openLiveReady, registerUser, share, uniqueName } from '../helpers/accounts.js';
import { startServer } from '../helpers/testServer.js';
import { waitFor } from '../helpers/waitFor.js';

describe('/live: the per-user socket', () => {
  it('greets with who I am, everyone with their presence, and my unread notification count', async () => {
    const server = await startServer({ passwordHashCost: 12 });
    const ann = await registerUser(server, uniqueName('ann'));
    const bob = await registerUser(server, uniqueName('bob'));
    const live = await openLiveReady(server, ann);
    const hello = live.all('hello')[0]!;
    expect(live.messages[0]!.type).toBe('hello');
    expect(hello.user).toEqual({ id: ann.id, name: ann.name });
    expect(hello.unreadNotifications).toBe(0);
    const byId = new Map(hello.people.map((p) => [p.id, p]));
    expect(byId.get(ann.id)).toMatchObject({ name: ann.name, online: true });
    expect(byId.get(ann.id)!.lastSeenAt).toEqual(expect.any(Number));
    expect(byId.get(bob.id)).toEqual({ id: bob.id, name: bob.name, online: false, lastSeenAt: null });

    // A share notification waits for Bob: his hello counts it.
    const docId = await createDoc(server, ann);
    await share(server, docId, ann, bob, 'viewer');
    const bobLive = await openLiveReady(server, bob);
    expect(bobLive.all('hello')[0]!.unreadNotifications).toBe(1);
  });

  it('broadcasts presence: online with the first connection, offline (last seen kept) when the last one closes', async () => {
    const server = await startServer({ passwordHashCost: 12 });
    const ann = await registerUser(server, uniqueName('ann'));
    const bob = await registerUser(server, uniqueName('bob'));
    const watcher = await openLiveReady(server, ann);

    const first = await openLiveReady(server, bob);
    const online = await watcher.next('presence', (m) => m.person.id === bob.id && m.person.online, 'Bob online');
    expect(online.person).toMatchObject({ name: bob.name, lastSeenAt: expect.any(Number) });
    const second = await openLiveReady(server, bob);

    // Closing one of two connections changes nothing.
    await first.close();
    await waitFor(() => server.app.people.online.connectionCount(bob.id) === 1, 'one of Bob’s connections to remain');
    expect(watcher.all('presence').filter((m) => m.person.id === bob.id && !m.person.online)).toHaveLength(0);

    const before = Date.now();
    await second.close();
    const offline = await watcher.next('presence', (m) => m.person.id === bob.id && !m.person.online, 'Bob offline');
    expect(offline.person.lastSeenAt).toBeGreaterThanOrEqual(before);

    // Kept: the people list and a new hello say when Bob was last seen.
    const people = await api<PeopleList>(server, 'GET', '/api/people', { cookie: ann.cookie });
    expect(people.status).toBe(200);
    expect(people.body.people.map((p) => p.name)).toEqual([ann.name, bob.name].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase())));
    expect(people.body.people.find((p) => p.id === bob.id)).toEqual({ id: bob.id, name: bob.name, online: false, lastSeenAt: offline.person.lastSeenAt });
    const again = await openLiveReady(server, ann);
    expect(again.all('hello')[0]!.people.find((p) => p.id === bob.id)).toMatchObject({ online: false, lastSeenAt: offline.person.lastSeenAt });

    // Someone registering appears too.
    const carol = await registerUser(server, uniqueName('carol'));
    await watcher.next('presence', (m) => m.person.id === carol.id && !m.person.online && m.person.name === carol.name, 'Carol registered');
  });

  it('refuses a connection without a session with 4401, and closes it with 4401 when the session ends', async () => {
    const server = await startServer({ passwordHashCost: 12 });
    const anonymous = await openLive(server, null);
    expect(anonymous.refusedStatus).toBeNull();
    const refused = await anonymous.closed;
    expect(refused.code).toBe(CloseCode.unauthenticated);
    expect(refused.reason).toMatch(/sign in/);

    const ann = await registerUser(server, uniqueName('ann'));
    const live = await openLiveReady(server, ann);
    const other = await registerUser(server, uniqueName('bob'));
    const bystander = await openLiveReady(server, other);
    expect((await api(server, 'DELETE', '/api/session', { cookie: ann.cookie })).status).toBe(204);
    expect((await live.closed).code).toBe(CloseCode.unauthenticated);
    // Only that session's sockets.
    expect(bystander.ws.readyState).toBe(bystander.ws.OPEN);

    // The ended session's cookie is refused too.
    const stale = await openLive(server, ann);
    const closed = await stale.closed;
    expect(closed.code).toBe(CloseCode.unauthenticated);
    expect(closed.reason).toMatch(/session has ended/);
    expect(stale.all('hello')).toHaveLength(0);
  });

  it('refuses a foreign Origin before the upgrade (403) and accepts an allowed one', async () => {
    const server = await startServer({ passwordHashCost: 12, allowedOrigins: ['https://docs.example.com'] });
    const ann = await registerUser(server, uniqueName('ann'));
    const foreign = await openLive(server, ann, { origin: 'https://evil.example.com' });
    expect(foreign.refusedStatus).toBe(403);
    const allowed = await openLive(server, ann, { origin: 'https://docs.example.com' });
    expect(allowed.refusedStatus).toBeNull();
    await allowed.next('hello');
    // A plain GET is not a WebSocket.
    const plain = await fetch(liveUrl(server).replace(/^ws/, 'http'));
    expect(plain.status).toBe(426);
  });

  const badFrames: Array<{ name: string; frame: () => unknown; code: number }> = [
    { name: 'malformed JSON', frame: () => '{"type": "send", ', code: CloseCode.badMessage },
    { name: 'an unknown message type', frame: () => ({ type: 'shout', text: 'hi' }), code: CloseCode.badMessage },
    { name: 'a send without a nonce', frame: () => ({ type: 'send', conversationId: 'x', text: 'hi' }), code: CloseCode.badMessage },
    { name: 'a binary frame', frame: () => new Uint8Array([1, 2, 3]), code: CloseCode.unsupportedData },
    { name: 'a frame over the size limit', frame: () => JSON.stringify({ type: 'send', nonce: 'n', conversationId: 'x', text: 'a'.repeat(MAX_LIVE_FRAME_BYTES) }), code: CloseCode.tooBig },
  ];
  for (const { name, frame, code } of badFrames) {
    it(`closes on ${name} with ${code}, and no one else is disturbed`, async () => {
      const server = await startServer({ passwordHashCost: 12 });
      const ann = await registerUser(server, uniqueName('ann'));
      const bob = await registerUser(server, uniqueName('bob'));
      const other = await openLiveReady(server, bob);
      const live = await openLiveReady(server, ann);
      live.send(frame());
      expect((await live.closed).code).toBe(code);
      await other.next('presence', (m) => m.person.id === ann.id && !m.person.online, 'Ann to go offline');
      expect(other.ws.readyState).toBe(other.ws.OPEN);
    });
  }

  it('closes a socket that sends frames faster than its limit with 4429', async () => {
    const server = await startServer({ passwordHashCost: 12 });
    const ann = await registerUser(server, uniqueName('ann'));
    const live = await openLiveReady(server, ann);
    for (let i = 0; i < LIVE_FRAME_BURST + 50; i++) live.send({ type: 'read', conversationId: 'nothing', messageId: i });
    expect((await live.closed).code).toBe(CloseCode.rateLimited);
  });

  it('tells a person live when their access to a document changes or the document is deleted', async () => {
    const server = await startServer({ passwordHashCost: 12 });
    const ann = await registerUser(server, uniqueName('ann'));
    const bob = await registerUser(server, uniqueName('bob'));
    const live = await openLiveReady(server, bob);
    const docId = await createDoc(server, ann);
    await share(server, docId, ann, bob, 'editor');
    await live.next('access', (m) => m.docId === docId && m.role === 'editor', 'access: editor');
    const shared = await live.next('notification', (m) => m.notification.kind === 'share', 'a share notification');
    expect(shared.notification).toMatchObject({ kind: 'share', docId, role: 'editor', actor: { id: ann.id, name: ann.name }, readAt: null });

    expect((await api(server, 'PATCH', `/api/docs/${docId}/members/${bob.id}`, { cookie: ann.cookie, body: { role: 'viewer' } })).status).toBe(200);
    await live.next('access', (m) => m.docId === docId && m.role === 'viewer', 'access: viewer');
    expect((await api(server, 'DELETE', `/api/docs/${docId}`, { cookie: ann.cookie })).status).toBe(204);
    await live.next('access', (m) => m.docId === docId && m.role === null, 'access: none (deleted)');
  });

  it('pings every socket and drops one that stops answering', async () => {
    const server = await startServer({ passwordHashCost: 12, heartbeatIntervalMs: 50, heartbeatTimeoutMs: 300 });
    const ann = await registerUser(server, uniqueName('ann'));
    const bob = await registerUser(server, uniqueName('bob'));
    const answering = await openLiveReady(server, ann);
    const silent = new WebSocket(liveUrl(server), { headers: { cookie: bob.cookie }, autoPong: false });
    onTestFinished(() => silent.terminate());
    const silentClosed = new Promise<number>((resolve) => silent.on('close', (code) => resolve(code)));
    await waitFor(() => server.app.people.online.isOnline(bob.id), 'Bob online');
    expect(await silentClosed).toBe(1006); // terminated, no close frame
    await answering.next('presence', (m) => m.person.id === bob.id && !m.person.online, 'Bob dropped');
    expect(answering.ws.readyState).toBe(answering.ws.OPEN);
  });

  it('closes live sockets with 1012 when the server shuts down', async () => {
    const server = await startServer({ passwordHashCost: 12 });
    const ann = await registerUser(server, uniqueName('ann'));
    const live = await openLiveReady(server, ann);
    await server.close();
    expect((await live.closed).code).toBe(CloseCode.restarting);
  });
});
