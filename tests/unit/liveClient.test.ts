import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ChatMessage, Person } from '../../shared/api.js';
import { CloseCode } from '../../shared/closeCodes.js';
import { LiveClient, LiveSendError, type LiveSocket, type LiveState } from '../../web/src/live/liveClient.js';

/** A socket the test drives: it records what the client sends and delivers what the "server" says. */
class FakeSocket implements LiveSocket {
  readyState = 0;
  sent: unknown[] = [];
  closedWith: number | null = null;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason?: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  send(data: string): void {
    if (this.readyState !== 1) throw new Error('not open');
    this.sent.push(JSON.parse(data));
  }
  close(code?: number): void {
    this.closedWith = code ?? 1000;
    this.readyState = 3;
  }
  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }
  deliver(message: unknown): void {
    this.onmessage?.({ data: JSON.stringify(message) });
  }
  serverClose(code: number): void {
    this.readyState = 3;
    this.onclose?.({ code });
  }
}

const me = { id: 'u1', name: 'ann' };
const hello = { type: 'hello', user: me, people: [], unreadNotifications: 2 };
function chatMessage(id: number, text: string): ChatMessage {
  return { id, conversationId: 'c1', author: me, text, createdAt: 1_000 + id };
}

let sockets: FakeSocket[];
let delays: number[];
let nonces: number;
function makeClient(sendTimeoutMs = 5_000): LiveClient {
  return new LiveClient({
    url: 'ws://test/live',
    openSocket: () => {
      const socket = new FakeSocket();
      sockets.push(socket);
      return socket;
    },
    delayFor: (attempt) => {
      delays.push(attempt);
      return attempt * 100;
    },
    sendTimeoutMs,
    newNonce: () => `n${++nonces}`,
  });
}
function connected(): { client: LiveClient; socket: FakeSocket } {
  const client = makeClient();
  client.start();
  const socket = sockets.at(-1)!;
  socket.open();
  socket.deliver(hello);
  return { client, socket };
}

beforeEach(() => {
  vi.useFakeTimers();
  sockets = [];
  delays = [];
  nonces = 0;
});
afterEach(() => {
  vi.useRealTimers();
});

describe('LiveClient', () => {
  it('is open only after hello, and keeps the hello', () => {
    const client = makeClient();
    const states: LiveState[] = [];
    client.on('state', (s) => states.push(s));
    client.start();
    sockets[0]!.open();
    expect(client.isOpen).toBe(false);
    sockets[0]!.deliver(hello);
    expect(client.isOpen).toBe(true);
    expect(client.hello?.unreadNotifications).toBe(2);
    expect(states).toEqual(['open']);
  });

  it('resolves a send with the stored message when "sent" carries its nonce, and tells message listeners', async () => {
    const { client, socket } = connected();
    const seen: ChatMessage[] = [];
    client.on('message', (m) => seen.push(m));
    const first = client.send('c1', 'hello');
    const second = client.send('c1', 'again');
    expect(socket.sent).toEqual([
      { type: 'send', nonce: 'n1', conversationId: 'c1', text: 'hello' },
      { type: 'send', nonce: 'n2', conversationId: 'c1', text: 'again' },
    ]);
    expect(client.pendingSends).toBe(2);
    // Answers may come in any order; each goes to its own nonce.
    socket.deliver({ type: 'sent', nonce: 'n2', message: chatMessage(8, 'again') });
    socket.deliver({ type: 'sent', nonce: 'n1', message: chatMessage(7, 'hello') });
    await expect(first).resolves.toMatchObject({ id: 7, text: 'hello' });
    await expect(second).resolves.toMatchObject({ id: 8, text: 'again' });
    expect(seen.map((m) => m.id)).toEqual([8, 7]);
    expect(client.pendingSends).toBe(0);
  });

  it('rejects a send with the server\'s code and sentence on "refused"', async () => {
    const { client, socket } = connected();
    const sending = client.send('c1', 'x'.repeat(3000));
    socket.deliver({ type: 'refused', nonce: 'n1', error: 'too_long', message: 'Messages may have at most 2000 characters.' });
    const error = await sending.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LiveSendError);
    expect(error).toMatchObject({ code: 'too_long', message: 'Messages may have at most 2000 characters.' });
  });

  it('ignores answers for nonces it did not send', async () => {
    const { client, socket } = connected();
    const sending = client.send('c1', 'mine');
    socket.deliver({ type: 'refused', nonce: 'other', error: 'empty', message: 'no' });
    socket.deliver({ type: 'sent', nonce: 'n1', message: chatMessage(1, 'mine') });
    await expect(sending).resolves.toMatchObject({ id: 1 });
  });

  it('rejects a send that gets no answer in time, and forgets it', async () => {
    const { client } = connected();
    const sending = client.send('c1', 'hello');
    vi.advanceTimersByTime(5_001);
    await expect(sending).rejects.toMatchObject({ code: 'timeout' });
    expect(client.pendingSends).toBe(0);
  });

  it('rejects every unanswered send when the connection closes, then reconnects with a growing attempt count', async () => {
    const { client, socket } = connected();
    const sending = client.send('c1', 'hello');
    socket.serverClose(1006);
    await expect(sending).rejects.toMatchObject({ code: 'closed' });
    expect(client.state).toBe('reconnecting');
    expect(delays).toEqual([1]);
    vi.advanceTimersByTime(100);
    expect(sockets).toHaveLength(2);
    sockets[1]!.serverClose(1006);
    expect(delays).toEqual([1, 2]);
    vi.advanceTimersByTime(200);
    expect(sockets).toHaveLength(3);
    sockets[2]!.open();
    sockets[2]!.deliver(hello);
    expect(client.state).toBe('open');
    // After a greeting, attempts start over.
    sockets[2]!.serverClose(CloseCode.restarting);
    expect(delays).toEqual([1, 2, 1]);
  });

  it('refuses to send while not connected, without sending anything', async () => {
    const client = makeClient();
    client.start();
    await expect(client.send('c1', 'hi')).rejects.toMatchObject({ code: 'not_connected' });
    expect(client.markRead('c1', 3)).toBe(false);
  });

  for (const [code, why] of [
    [CloseCode.unauthenticated, 'the session ended, or the link no longer admits a guest'],
    [CloseCode.noAccess, "a guest's document is not open to it"],
    [CloseCode.docDeleted, "a guest's document was deleted"],
  ] as const) {
    it(`stops for good after ${code} (${why})`, () => {
      const { client, socket } = connected();
      socket.serverClose(code);
      expect(client.state).toBe('stopped');
      vi.advanceTimersByTime(60_000);
      expect(sockets).toHaveLength(1);
      client.connectNow();
      expect(sockets).toHaveLength(1);
    });
  }

  it('reconnects at once, without counting an attempt, after 4100 (moving to a WebSocket) and 4101 (a session another process holds)', () => {
    const { socket } = connected();
    socket.serverClose(CloseCode.transportSwitch);
    expect(sockets).toHaveLength(2);
    sockets[1]!.open();
    sockets[1]!.deliver(hello);
    sockets[1]!.serverClose(CloseCode.sessionUnknown);
    expect(sockets).toHaveLength(3);
    expect(delays).toEqual([]);
    // Again before a hello (a balancer spreading this client over processes): it waits as after any close.
    sockets[2]!.serverClose(CloseCode.sessionUnknown);
    expect(sockets).toHaveLength(3);
    expect(delays).toEqual([1]);
  });

  it('connects at once on connectNow() when a reconnect is waiting', () => {
    const { client, socket } = connected();
    socket.serverClose(1006);
    expect(sockets).toHaveLength(1);
    client.connectNow();
    expect(sockets).toHaveLength(2);
    vi.advanceTimersByTime(60_000);
    expect(sockets).toHaveLength(2);
  });

  it('hands presence, notifications, conversations and access changes to their listeners', () => {
    const { client, socket } = connected();
    const got: string[] = [];
    client.on('presence', (p: Person) => got.push(`presence ${p.name} ${p.online}`));
    client.on('notification', (n) => got.push(`notification ${n.kind}`));
    client.on('conversation', (c) => got.push(`conversation ${c.id}`));
    client.on('conversationGone', (id) => got.push(`gone ${id}`));
    client.on('access', ({ docId, role }) => got.push(`access ${docId} ${role}`));
    socket.deliver({ type: 'presence', person: { id: 'u2', name: 'bob', online: true, lastSeenAt: 5 } });
    socket.deliver({ type: 'notification', notification: { kind: 'share', id: 1, docId: 'd', docTitle: 'T', role: 'editor', actor: me, createdAt: 1, readAt: null } });
    socket.deliver({ type: 'conversation', conversation: { id: 'g1', kind: 'group', title: 'G', members: [], unread: 0, lastMessageAt: null } });
    socket.deliver({ type: 'conversationGone', conversationId: 'g1' });
    socket.deliver({ type: 'access', docId: 'd', role: null });
    socket.onmessage?.({ data: 'not json' });
    socket.deliver({ type: 'unknown' });
    expect(got).toEqual(['presence bob true', 'notification share', 'conversation g1', 'gone g1', 'access d null']);
  });

  it('marks read over the socket while open', () => {
    const { client, socket } = connected();
    expect(client.markRead('c1', 42)).toBe(true);
    expect(socket.sent).toEqual([{ type: 'read', conversationId: 'c1', messageId: 42 }]);
  });

  it('close() ends the socket, fails what waits and never reconnects', async () => {
    const { client, socket } = connected();
    const sending = client.send('c1', 'x');
    client.close();
    await expect(sending).rejects.toBeInstanceOf(LiveSendError);
    expect(socket.closedWith).toBe(1000);
    vi.advanceTimersByTime(60_000);
    expect(sockets).toHaveLength(1);
    expect(client.state).toBe('stopped');
  });
});
