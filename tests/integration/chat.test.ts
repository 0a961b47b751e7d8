import { describe, expect, it } from 'vitest';
import { MAX_CHAT_MESSAGE_CHARS } from '../../shared/accounts.js';
import type { ChatMessage, Conversation, ConversationList, MessagePage, NotificationList } from '../../shared/api.js';
import type { LiveServerMessage } from '../../shared/live.js';
import { api, createDoc, openLiveReady, registerUser, setLinkAccess, share, type TestUser, uniqueName } from '../helpers/accounts.js';
import { openDatabase } from '../helpers/database.js';
import { startServer, type TestServer } from '../helpers/testServer.js';
import { waitFor } from '../helpers/waitFor.js';

interface MessageRow {
  id: number;
  conversation_id: string;
  author_id: string;
  text: string;
  created_at: number;
}

async function people(server: TestServer, ...labels: string[]): Promise<TestUser[]> {
  const users: TestUser[] = [];
  for (const label of labels) users.push(await registerUser(server, uniqueName(label)));
  return users;
}

async function direct(server: TestServer, from: TestUser, to: TestUser): Promise<Conversation> {
  const answer = await api<Conversation>(server, 'POST', '/api/conversations', { cookie: from.cookie, body: { kind: 'direct', userId: to.id } });
  expect([200, 201]).toContain(answer.status);
  return answer.body;
}

function post(server: TestServer, user: TestUser, conversationId: string, body: unknown) {
  return api<ChatMessage & { error?: string }>(server, 'POST', `/api/conversations/${encodeURIComponent(conversationId)}/messages`, { cookie: user.cookie, body });
}

describe('chat', () => {
  it('acknowledges a live message to its sender only once stored, and delivers it to members only', async () => {
    const server = await startServer({ passwordHashCost: 12 });
    const [ann, bob, carol] = await people(server, 'ann', 'bob', 'carol');
    const conversation = await direct(server, ann!, bob!);
    const annLive = await openLiveReady(server, ann!);
    const bobLive = await openLiveReady(server, bob!);
    const carolLive = await openLiveReady(server, carol!);
    const db = openDatabase(server.config.dataDir);

    // Checked the moment 'sent' arrives: the row must be in the file already.
    let storedWhenAcked: MessageRow | undefined | null = null;
    annLive.ws.on('message', (data) => {
      const message = JSON.parse(data.toString()) as LiveServerMessage;
      if (message.type === 'sent') storedWhenAcked = db.prepare('SELECT * FROM messages WHERE id = ?').get(message.message.id) as MessageRow | undefined;
    });
    annLive.send({ type: 'send', nonce: 'n-1', conversationId: conversation.id, text: '  hello Bob  ', author: { id: bob!.id, name: bob!.name } });
    const sent = await annLive.next('sent', (m) => m.nonce === 'n-1');
    expect(sent.message).toMatchObject({ conversationId: conversation.id, text: 'hello Bob', author: { id: ann!.id, name: ann!.name } });
    expect(storedWhenAcked).toMatchObject({ id: sent.message.id, author_id: ann!.id, text: 'hello Bob', conversation_id: conversation.id });
    expect(Math.abs(sent.message.createdAt - Date.now())).toBeLessThan(10_000);

    const delivered = await bobLive.next('message', (m) => m.message.id === sent.message.id, 'Bob to receive it');
    expect(delivered.message).toEqual(sent.message);
    expect(bobLive.all('sent')).toHaveLength(0);
    // A later message reaches Carol, so anything for her from before has arrived: nothing did.
    const other = await direct(server, ann!, carol!);
    annLive.send({ type: 'send', nonce: 'n-2', conversationId: other.id, text: 'hi Carol' });
    await carolLive.next('message', (m) => m.message.text === 'hi Carol');
    expect(carolLive.all('message').map((m) => m.message.text)).toEqual(['hi Carol']);

    // Carol cannot post into, read, or see Ann and Bob's conversation.
    carolLive.send({ type: 'send', nonce: 'c-1', conversationId: conversation.id, text: 'let me in' });
    const refused = await carolLive.next('refused', (m) => m.nonce === 'c-1');
    expect(refused.error).toBe('no_such_conversation');
    expect((await api(server, 'GET', `/api/conversations/${conversation.id}/messages`, { cookie: carol!.cookie })).status).toBe(404);
    expect((await api(server, 'GET', `/api/conversations/${conversation.id}`, { cookie: carol!.cookie })).status).toBe(404);
    const count = db.prepare('SELECT count(*) AS n FROM messages WHERE conversation_id = ?').get(conversation.id) as { n: number };
    expect(count.n).toBe(1);
  });

  it('stamps the author from the session: an author in the body is ignored', async () => {
    const server = await startServer({ passwordHashCost: 12 });
    const [ann, bob] = await people(server, 'ann', 'bob');
    const conversation = await direct(server, ann!, bob!);
    const answer = await post(server, ann!, conversation.id, { text: 'I am Bob', author: { id: bob!.id, name: bob!.name }, authorId: bob!.id, createdAt: 1 });
    expect(answer.status).toBe(201);
    expect(answer.body.author).toEqual({ id: ann!.id, name: ann!.name });
    expect(answer.body.createdAt).toBeGreaterThan(1_000_000);
    const db = openDatabase(server.config.dataDir);
    const row = db.prepare('SELECT * FROM messages WHERE id = ?').get(answer.body.id) as MessageRow;
    expect(row.author_id).toBe(ann!.id);
    const page = await api<MessagePage>(server, 'GET', `/api/conversations/${conversation.id}/messages`, { cookie: bob!.cookie });
    expect(page.body.messages.map((m) => m.author.id)).toEqual([ann!.id]);
    // No session, no posting.
    expect((await api(server, 'POST', `/api/conversations/${conversation.id}/messages`, { body: { text: 'anonymous' } })).status).toBe(401);
  });

  it('refuses empty and too-long messages (never cut), over REST and live', async () => {
    const server = await startServer({ passwordHashCost: 12 });
    const [ann, bob] = await people(server, 'ann', 'bob');
    const conversation = await direct(server, ann!, bob!);
    const tooLong = await post(server, ann!, conversation.id, { text: 'é'.repeat(MAX_CHAT_MESSAGE_CHARS + 1) });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error).toBe('too_long');
    const longest = await post(server, ann!, conversation.id, { text: '😀'.repeat(MAX_CHAT_MESSAGE_CHARS) });
    expect(longest.status).toBe(201);
    expect([...longest.body.text]).toHaveLength(MAX_CHAT_MESSAGE_CHARS);
    expect((await post(server, ann!, conversation.id, { text: ' \n\t ' })).body.error).toBe('empty');
    expect((await post(server, ann!, conversation.id, { text: 42 })).status).toBe(400);
    expect((await post(server, ann!, conversation.id, 'just text')).status).toBe(400);

    const live = await openLiveReady(server, ann!);
    live.send({ type: 'send', nonce: 'long', conversationId: conversation.id, text: 'x'.repeat(MAX_CHAT_MESSAGE_CHARS + 1) });
    live.send({ type: 'send', nonce: 'empty', conversationId: conversation.id, text: '   ' });
    expect((await live.next('refused', (m) => m.nonce === 'long')).error).toBe('too_long');
    expect((await live.next('refused', (m) => m.nonce === 'empty')).error).toBe('empty');
    const db = openDatabase(server.config.dataDir);
    expect((db.prepare('SELECT count(*) AS n FROM messages').get() as { n: number }).n).toBe(1);
  });

  it('rate-limits each person: over the burst is refused as rate_limited and nothing is stored', async () => {
    const server = await startServer({ passwordHashCost: 12, chatMessagesPerSecond: 1, chatBurst: 3 });
    const [ann, bob] = await people(server, 'ann', 'bob');
    const conversation = await direct(server, ann!, bob!);
    const live = await openLiveReady(server, ann!);
    for (let i = 0; i < 5; i++) live.send({ type: 'send', nonce: `n${i}`, conversationId: conversation.id, text: `message ${i}` });
    await waitFor(() => live.all('sent').length + live.all('refused').length === 5, 'five answers');
    expect(live.all('sent').map((m) => m.nonce)).toEqual(['n0', 'n1', 'n2']);
    expect(live.all('refused').map((m) => [m.nonce, m.error])).toEqual([['n3', 'rate_limited'], ['n4', 'rate_limited']]);
    // REST draws on the same bucket.
    const rest = await post(server, ann!, conversation.id, { text: 'via REST' });
    expect(rest.status).toBe(429);
    expect(rest.body.error).toBe('rate_limited');
    const db = openDatabase(server.config.dataDir);
    const rows = db.prepare('SELECT text FROM messages ORDER BY id').all() as Array<{ text: string }>;
    expect(rows.map((r) => r.text)).toEqual(['message 0', 'message 1', 'message 2']);
    // Bob has a bucket of his own.
    expect((await post(server, bob!, conversation.id, { text: 'my turn' })).status).toBe(201);
  });

  it('pages history backwards, oldest first within a page', async () => {
    const server = await startServer({ passwordHashCost: 12, chatBurst: 100 });
    const [ann, bob] = await people(server, 'ann', 'bob');
    const conversation = await direct(server, ann!, bob!);
    for (let i = 1; i <= 7; i++) expect((await post(server, i % 2 ? ann! : bob!, conversation.id, { text: `m${i}` })).status).toBe(201);
    const path = `/api/conversations/${conversation.id}/messages`;
    const first = await api<MessagePage>(server, 'GET', `${path}?limit=3`, { cookie: ann!.cookie });
    expect(first.body.messages.map((m) => m.text)).toEqual(['m5', 'm6', 'm7']);
    expect(first.body.hasMore).toBe(true);
    expect(first.body.messages[0]!.author).toEqual({ id: ann!.id, name: ann!.name });
    const second = await api<MessagePage>(server, 'GET', `${path}?limit=3&before=${first.body.messages[0]!.id}`, { cookie: ann!.cookie });
    expect(second.body.messages.map((m) => m.text)).toEqual(['m2', 'm3', 'm4']);
    expect(second.body.hasMore).toBe(true);
    const last = await api<MessagePage>(server, 'GET', `${path}?limit=3&before=${second.body.messages[0]!.id}`, { cookie: ann!.cookie });
    expect(last.body).toEqual({ messages: [expect.objectContaining({ text: 'm1' })], hasMore: false });
    const whole = await api<MessagePage>(server, 'GET', path, { cookie: bob!.cookie });
    expect(whole.body.messages).toHaveLength(7);
    for (const bad of ['limit=0', 'limit=101', 'limit=abc', 'before=-1', 'before=1.5']) {
      expect((await api(server, 'GET', `${path}?${bad}`, { cookie: ann!.cookie })).status).toBe(400);
    }
  });

  it('finds or creates one direct conversation per pair, from either side, titled by the other person', async () => {
    const server = await startServer({ passwordHashCost: 12 });
    const [ann, bob] = await people(server, 'ann', 'bob');
    const bobLive = await openLiveReady(server, bob!);
    const created = await api<Conversation>(server, 'POST', '/api/conversations', { cookie: ann!.cookie, body: { kind: 'direct', userId: bob!.id } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ kind: 'direct', title: bob!.name, unread: 0, lastMessageAt: null });
    expect(created.body.members.map((m) => m.id).sort()).toEqual([ann!.id, bob!.id].sort());
    const pushed = await bobLive.next('conversation', (m) => m.conversation.id === created.body.id, 'Bob told of the new conversation');
    expect(pushed.conversation.title).toBe(ann!.name);

    const found = await api<Conversation>(server, 'POST', '/api/conversations', { cookie: bob!.cookie, body: { kind: 'direct', userId: ann!.id } });
    expect(found.status).toBe(200);
    expect(found.body.id).toBe(created.body.id);
    expect(found.body.title).toBe(ann!.name);
    const again = await api<Conversation>(server, 'POST', '/api/conversations', { cookie: ann!.cookie, body: { kind: 'direct', userId: bob!.id } });
    expect(again.body.id).toBe(created.body.id);

    // Both list it, with unread counts and the last message's time.
    await post(server, ann!, created.body.id, { text: 'one' });
    await post(server, ann!, created.body.id, { text: 'two' });
    const bobs = await api<ConversationList>(server, 'GET', '/api/conversations', { cookie: bob!.cookie });
    expect(bobs.body.conversations).toEqual([expect.objectContaining({ id: created.body.id, title: ann!.name, unread: 2, lastMessageAt: expect.any(Number) })]);
    const anns = await api<ConversationList>(server, 'GET', '/api/conversations', { cookie: ann!.cookie });
    expect(anns.body.conversations[0]).toMatchObject({ id: created.body.id, unread: 0 });

    const refusals: Array<[unknown, number, string]> = [
      [{ kind: 'direct', userId: ann!.id }, 400, 'invalid_user'],
      [{ kind: 'direct', userId: 'nobody' }, 404, 'no_such_user'],
      [{ kind: 'direct' }, 400, 'bad_request'],
      [{ kind: 'direct', userId: 'x'.repeat(500) }, 400, 'bad_request'],
      [{ kind: 'other' }, 400, 'bad_request'],
      [[1, 2], 400, 'bad_request'],
    ];
    for (const [body, status, error] of refusals) {
      const answer = await api<{ error: string }>(server, 'POST', '/api/conversations', { cookie: ann!.cookie, body });
      expect([answer.status, answer.body.error]).toEqual([status, error]);
    }
  });

  it('marks conversations read over REST and live', async () => {
    const server = await startServer({ passwordHashCost: 12 });
    const [ann, bob] = await people(server, 'ann', 'bob');
    const conversation = await direct(server, ann!, bob!);
    const ids: number[] = [];
    for (const text of ['a', 'b', 'c']) ids.push((await post(server, ann!, conversation.id, { text })).body.id);
    const unread = async () => (await api<Conversation>(server, 'GET', `/api/conversations/${conversation.id}`, { cookie: bob!.cookie })).body.unread;
    expect(await unread()).toBe(3);
    expect((await api(server, 'POST', `/api/conversations/${conversation.id}/read`, { cookie: bob!.cookie, body: { messageId: ids[0] } })).status).toBe(204);
    expect(await unread()).toBe(2);
    expect((await api(server, 'POST', `/api/conversations/${conversation.id}/read`, { cookie: bob!.cookie, body: { messageId: 'x' } })).status).toBe(400);
    // A mark past the newest message does not swallow later ones.
    const live = await openLiveReady(server, bob!);
    live.send({ type: 'read', conversationId: conversation.id, messageId: ids[2]! + 1000 });
    await waitFor(async () => (await unread()) === 0, 'the live read mark');
    await post(server, ann!, conversation.id, { text: 'd' });
    expect(await unread()).toBe(1);
  });

  it('groups: create, add, join, leave, each told live', async () => {
    const server = await startServer({ passwordHashCost: 12 });
    const [ann, bob, carol, dave] = await people(server, 'ann', 'bob', 'carol', 'dave');
    const annLive = await openLiveReady(server, ann!);
    const bobLive = await openLiveReady(server, bob!);
    const carolLive = await openLiveReady(server, carol!);
    const daveLive = await openLiveReady(server, dave!);
    const created = await api<Conversation>(server, 'POST', '/api/conversations', {
      cookie: ann!.cookie,
      body: { kind: 'group', title: '  Reading club ', memberIds: [bob!.id, bob!.id] },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ kind: 'group', title: 'Reading club', unread: 0 });
    expect(created.body.members.map((m) => m.id).sort()).toEqual([ann!.id, bob!.id].sort());
    const group = created.body.id;
    await bobLive.next('conversation', (m) => m.conversation.id === group, 'Bob told of the group');
    await annLive.next('conversation', (m) => m.conversation.id === group, 'Ann’s window told of the group');

    // Carol finds it among the groups, but must join before reading or posting.
    const groups = await api<ConversationList>(server, 'GET', '/api/groups', { cookie: carol!.cookie });
    expect(groups.body.conversations.map((c) => c.id)).toEqual([group]);
    expect((await api<Conversation>(server, 'GET', `/api/conversations/${group}`, { cookie: carol!.cookie })).status).toBe(200);
    const outside = await post(server, carol!, group, { text: 'hello?' });
    expect([outside.status, outside.body.error]).toEqual([403, 'not_member']);
    expect((await api(server, 'GET', `/api/conversations/${group}/messages`, { cookie: carol!.cookie })).status).toBe(403);
    expect((await api(server, 'POST', `/api/conversations/${group}/members`, { cookie: carol!.cookie, body: { userId: dave!.id } })).status).toBe(403);

    expect((await api(server, 'POST', `/api/conversations/${group}/join`, { cookie: carol!.cookie })).status).toBe(204);
    const joined = await bobLive.next('conversation', (m) => m.conversation.id === group && m.conversation.members.length === 3, 'Bob sees Carol join');
    expect(joined.conversation.members.map((m) => m.id)).toContain(carol!.id);
    await carolLive.next('conversation', (m) => m.conversation.id === group, 'Carol’s window has the group');
    const inside = await post(server, carol!, group, { text: 'hello all' });
    expect(inside.status).toBe(201);
    await annLive.next('message', (m) => m.message.id === inside.body.id);

    // A member adds Dave; unknown people cannot be added.
    expect((await api(server, 'POST', `/api/conversations/${group}/members`, { cookie: bob!.cookie, body: { userId: dave!.id } })).status).toBe(204);
    await daveLive.next('conversation', (m) => m.conversation.id === group && m.conversation.members.length === 4, 'Dave added');
    expect((await api(server, 'POST', `/api/conversations/${group}/members`, { cookie: bob!.cookie, body: { userId: 'ghost' } })).status).toBe(404);

    // Carol leaves: her windows drop it, the others see her gone, she can no longer post.
    expect((await api(server, 'DELETE', `/api/conversations/${group}/members/me`, { cookie: carol!.cookie })).status).toBe(204);
    await carolLive.next('conversationGone', (m) => m.conversationId === group, 'Carol told the group is gone');
    await annLive.next('conversation', (m) => m.conversation.id === group && !m.conversation.members.some((p) => p.id === carol!.id), 'Ann sees Carol leave');
    expect((await post(server, carol!, group, { text: 'still here?' })).status).toBe(403);
    expect((await api(server, 'DELETE', `/api/conversations/${group}/members/me`, { cookie: carol!.cookie })).status).toBe(403);
    const carols = await api<ConversationList>(server, 'GET', '/api/conversations', { cookie: carol!.cookie });
    expect(carols.body.conversations).toEqual([]);

    // Direct conversations are not groups.
    const pair = await direct(server, ann!, bob!);
    expect((await api(server, 'POST', `/api/conversations/${pair.id}/join`, { cookie: ann!.cookie })).status).toBe(400);
    expect((await api(server, 'DELETE', `/api/conversations/${pair.id}/members/me`, { cookie: ann!.cookie })).status).toBe(400);
    // Bad groups.
    for (const body of [
      { kind: 'group', title: '   ', memberIds: [] },
      { kind: 'group', title: 'x'.repeat(81), memberIds: [] },
      { kind: 'group', title: 'ok', memberIds: 'bob' },
      { kind: 'group', title: 'ok', memberIds: [42] },
    ]) {
      expect((await api(server, 'POST', '/api/conversations', { cookie: ann!.cookie, body })).status).toBe(400);
    }
    expect((await api(server, 'POST', '/api/conversations', { cookie: ann!.cookie, body: { kind: 'group', title: 'ok', memberIds: ['ghost'] } })).status).toBe(404);
  });

  it('notifies @mentioned members live and in the list, not people outside the conversation', async () => {
    const server = await startServer({ passwordHashCost: 12 });
    const [ann, bob, carol] = await people(server, 'ann', 'bob', 'carol');
    const group = (await api<Conversation>(server, 'POST', '/api/conversations', { cookie: ann!.cookie, body: { kind: 'group', title: 'Team', memberIds: [bob!.id] } })).body;
    const bobLive = await openLiveReady(server, bob!);
    const annLive = await openLiveReady(server, ann!);
    annLive.send({ type: 'send', nonce: 'm', conversationId: group.id, text: `thanks @${bob!.name.toUpperCase()}, @${carol!.name} and @${ann!.name}.` });
    const sent = await annLive.next('sent', (m) => m.nonce === 'm');
    const pushed = await bobLive.next('notification', (m) => m.notification.kind === 'mention', 'Bob’s mention');
    expect(pushed.notification).toMatchObject({
      kind: 'mention',
      conversationId: group.id,
      conversationTitle: 'Team',
      messageId: sent.message.id,
      actor: { id: ann!.id, name: ann!.name },
      readAt: null,
    });
    expect((pushed.notification as { excerpt: string }).excerpt).toContain('thanks');
    expect(annLive.all('notification')).toHaveLength(0);

    const list = await api<NotificationList>(server, 'GET', '/api/notifications', { cookie: bob!.cookie });
    expect(list.status).toBe(200);
    expect(list.body.unread).toBe(1);
    expect(list.body.notifications).toEqual([pushed.notification]);
    const carols = await api<NotificationList>(server, 'GET', '/api/notifications', { cookie: carol!.cookie });
    expect(carols.body).toEqual({ notifications: [], unread: 0 });

    expect((await api(server, 'POST', '/api/notifications/read', { cookie: bob!.cookie, body: { ids: [pushed.notification.id] } })).status).toBe(204);
    const after = await api<NotificationList>(server, 'GET', '/api/notifications', { cookie: bob!.cookie });
    expect(after.body.unread).toBe(0);
    expect(after.body.notifications[0]!.readAt).toEqual(expect.any(Number));
    expect((await api(server, 'POST', '/api/notifications/read', { cookie: bob!.cookie, body: { ids: ['x'] } })).status).toBe(400);
    expect((await api(server, 'POST', '/api/notifications/read', { cookie: bob!.cookie, body: {} })).status).toBe(204);
    expect((await api(server, 'GET', '/api/notifications')).status).toBe(401);
  });

  it("a document's chat is open to the people the document admits (any role), and to no one else", async () => {
    const server = await startServer({ passwordHashCost: 12 });
    const [ann, bob, carol] = await people(server, 'ann', 'bob', 'carol');
    const docId = await createDoc(server, ann!);
    await setLinkAccess(server, docId, ann!, 'none');
    const chat = `doc:${docId}`;

    const outsider = await post(server, bob!, chat, { text: 'can I?' });
    expect([outsider.status, outsider.body.error]).toEqual([404, 'not_member']);
    expect((await api(server, 'GET', `/api/conversations/${encodeURIComponent(chat)}`, { cookie: bob!.cookie })).status).toBe(404);
    expect((await api(server, 'GET', `/api/conversations/${encodeURIComponent(chat)}/messages`, { cookie: bob!.cookie })).status).toBe(404);

    await share(server, docId, ann!, bob!, 'viewer');
    const annLive = await openLiveReady(server, ann!);
    const bobLive = await openLiveReady(server, bob!);
    const byViewer = await post(server, bob!, chat, { text: `viewers may talk, @${ann!.name}` });
    expect(byViewer.status).toBe(201);
    await annLive.next('message', (m) => m.message.id === byViewer.body.id, 'Ann receives the viewer’s message');
    await bobLive.next('message', (m) => m.message.id === byViewer.body.id, 'Bob’s own window receives it');
    const mention = await annLive.next('notification', (m) => m.notification.kind === 'mention');
    expect(mention.notification).toMatchObject({ conversationId: chat, docId });

    const described = await api<Conversation>(server, 'GET', `/api/conversations/${encodeURIComponent(chat)}`, { cookie: ann!.cookie });
    expect(described.body).toMatchObject({ id: chat, kind: 'doc', docId, title: '', unread: 1 });
    expect(described.body.members.map((m) => m.id).sort()).toEqual([ann!.id, bob!.id].sort());
    const bobs = await api<ConversationList>(server, 'GET', '/api/conversations', { cookie: bob!.cookie });
    expect(bobs.body.conversations.map((c) => c.id)).toEqual([chat]);

    // Carol is still outside; nothing reached her; an unknown document has no chat.
    const carolLive = await openLiveReady(server, carol!);
    carolLive.send({ type: 'send', nonce: 'c', conversationId: chat, text: 'hi' });
    expect((await carolLive.next('refused', (m) => m.nonce === 'c')).error).toBe('not_member');
    expect(carolLive.all('message')).toHaveLength(0);
    expect((await post(server, carol!, 'doc:no-such-doc', { text: 'hi' })).body.error).toBe('no_such_conversation');
    expect((await post(server, carol!, 'doc:bad id', { text: 'hi' })).status).toBe(400);

    // A removed member loses the chat with the document.
    expect((await api(server, 'DELETE', `/api/docs/${docId}/members/${bob!.id}`, { cookie: ann!.cookie })).status).toBe(204);
    expect((await post(server, bob!, chat, { text: 'still here?' })).status).toBe(404);
  });

  it('requires sign-in for every chat, people and notification route', async () => {
    const server = await startServer({ passwordHashCost: 12 });
    for (const [method, path] of [
      ['GET', '/api/conversations'],
      ['POST', '/api/conversations'],
      ['GET', '/api/groups'],
      ['GET', '/api/conversations/abc'],
      ['GET', '/api/conversations/abc/messages'],
      ['POST', '/api/conversations/abc/read'],
      ['POST', '/api/conversations/abc/join'],
      ['DELETE', '/api/conversations/abc/members/me'],
      ['GET', '/api/people'],
      ['GET', '/api/notifications'],
      ['POST', '/api/notifications/read'],
    ] as const) {
      const answer = await api<{ error: string }>(server, method, path, { body: method === 'GET' || method === 'DELETE' ? undefined : {} });
      expect([path, answer.status, answer.body.error]).toEqual([path, 401, 'sign_in_required']);
    }
  });
});
