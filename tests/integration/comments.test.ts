import { describe, expect, it } from 'vitest';
import { exportPath, type NotificationList } from '../../shared/api.js';
import { type CommentThread, MAX_COMMENT_CHARS, type ThreadPage, threadsPath, commentPath } from '../../shared/comments.js';
import { api, createDoc, openLiveReady, registerUser, setLinkAccess, share, type TestUser, uniqueName } from '../helpers/accounts.js';
import { anchorIn } from '../helpers/commentAnchor.js';
import { openDatabase } from '../helpers/database.js';
import { startServer, type TestServer } from '../helpers/testServer.js';

// Comments over the real REST API and /live: who may read and write them, what is stored, limits.

async function people(server: TestServer, ...labels: string[]): Promise<TestUser[]> {
  const users: TestUser[] = [];
  for (const label of labels) users.push(await registerUser(server, uniqueName(label)));
  return users;
}

function newThread(server: TestServer, docId: string, user: TestUser | null, body: unknown) {
  return api<CommentThread & { error?: string; message?: string }>(server, 'POST', threadsPath(docId), { cookie: user?.cookie, body });
}

describe('comments', () => {
  it('a thread, a reply with a mention, a reaction and a resolution reach every member live; authors and times are the server\'s', async () => {
    const server = await startServer({ passwordHashCost: 12 });
    const [ann, bob, vic] = await people(server, 'ann', 'bob', 'vic');
    const docId = await createDoc(server, ann!);
    await setLinkAccess(server, docId, ann!, 'none');
    await share(server, docId, ann!, bob!, 'commenter');
    await share(server, docId, ann!, vic!, 'viewer');
    const [annLive, bobLive, vicLive] = await Promise.all([openLiveReady(server, ann!), openLiveReady(server, bob!), openLiveReady(server, vic!)]);

    const made = await newThread(server, docId, ann!, { anchor: anchorIn('hello world', 6, 11), body: '  Is this <b>right</b>?  ', author: { id: bob!.id } });
    expect(made.status).toBe(201);
    const thread = made.body;
    expect(thread).toMatchObject({ docId, resolvedAt: null, anchor: { excerpt: 'world' } });
    expect(thread.comments).toHaveLength(1);
    expect(thread.comments[0]).toMatchObject({ author: { id: ann!.id, name: ann!.name }, body: 'Is this <b>right</b>?', editedAt: null });
    for (const socket of [annLive, bobLive, vicLive]) await socket.next('comments', (m) => m.docId === docId && m.threadId === thread.id);

    const reply = await api<CommentThread>(server, 'POST', `${threadsPath(docId, thread.id)}/comments`, {
      cookie: bob!.cookie,
      body: { body: `Yes @${ann!.name}, and @${vic!.name} can read it` },
    });
    expect(reply.status).toBe(201);
    const replyId = reply.body.comments[1]!.id;
    expect(reply.body.comments[1]).toMatchObject({ author: { id: bob!.id }, body: `Yes @${ann!.name}, and @${vic!.name} can read it` });
    const mention = await annLive.next('notification', (m) => m.notification.kind === 'commentMention');
    expect(mention.notification).toMatchObject({ kind: 'commentMention', docId, threadId: thread.id, commentId: replyId, actor: { id: bob!.id } });
    await vicLive.next('notification', (m) => m.notification.kind === 'commentMention');
    const listed = await api<NotificationList>(server, 'GET', '/api/notifications', { cookie: ann!.cookie });
    expect(listed.body.notifications[0]).toMatchObject({ kind: 'commentMention', threadId: thread.id, commentId: replyId });

    const reacted = await api<CommentThread>(server, 'PUT', `${commentPath(docId, replyId)}/reactions`, { cookie: ann!.cookie, body: { emoji: '👍' } });
    expect(reacted.status).toBe(200);
    expect(reacted.body.comments[1]!.reactions).toEqual([{ emoji: '👍', users: [{ id: ann!.id, name: ann!.name }] }]);
    const resolved = await api<CommentThread>(server, 'PATCH', threadsPath(docId, thread.id), { cookie: bob!.cookie, body: { resolved: true } });
    expect(resolved.body.resolvedBy).toEqual({ id: bob!.id, name: bob!.name });
    expect(resolved.body.resolvedAt).toBeGreaterThan(0);
    // Four changes, four pushes to the viewer.
    await vicLive.next('comments', () => vicLive.all('comments').length === 4, 'four thread changes');

    // The viewer reads but may not write; nobody edits another's comment.
    const page = await api<ThreadPage>(server, 'GET', threadsPath(docId), { cookie: vic!.cookie });
    expect(page.body.threads.map((t) => t.id)).toEqual([thread.id]);
    expect(page.body.threads[0]!.comments.map((c) => c.body)).toHaveLength(2);
    expect((await newThread(server, docId, vic!, { anchor: anchorIn('x', 0, 1), body: 'hi' })).body.error).toBe('not_allowed');
    expect((await api(server, 'PUT', `${commentPath(docId, replyId)}/reactions`, { cookie: vic!.cookie, body: { emoji: '👍' } })).status).toBe(403);
    const notMine = await api(server, 'PATCH', commentPath(docId, replyId), { cookie: ann!.cookie, body: { body: 'rewritten' } });
    expect([notMine.status, notMine.body.error]).toEqual([403, 'not_author']);
    const edited = await api<CommentThread>(server, 'PATCH', commentPath(docId, replyId), { cookie: bob!.cookie, body: { body: 'rewritten' } });
    expect(edited.body.comments[1]).toMatchObject({ body: 'rewritten' });
    expect(edited.body.comments[1]!.editedAt).not.toBeNull();

    // Stored as sent (text, not markup), authored by the session's user.
    const db = openDatabase(server.config.dataDir);
    const rows = db.prepare('SELECT author_id, body FROM comments ORDER BY id').all();
    expect(rows).toEqual([{ author_id: ann!.id, body: 'Is this <b>right</b>?' }, { author_id: bob!.id, body: 'rewritten' }]);
    // Nothing about comments is written into the document.
    expect((db.prepare('SELECT count(*) AS n FROM updates WHERE doc_id = ?').get(docId) as { n: number }).n).toBe(0);

    // Exports are of the document's text: comments are left out.
    for (const format of ['md', 'html'] as const) {
      const exported = await fetch(`${server.httpUrl}${exportPath(docId, format)}`, { headers: { cookie: ann!.cookie } });
      expect(exported.status).toBe(200);
      expect(await exported.text()).not.toMatch(/right|rewritten/);
    }

    // Deleting: the owner may delete anyone's; the last comment takes the thread; deleting the document deletes the rest.
    expect((await api(server, 'DELETE', commentPath(docId, thread.comments[0]!.id), { cookie: bob!.cookie })).status).toBe(403);
    expect((await api(server, 'DELETE', commentPath(docId, replyId), { cookie: ann!.cookie })).status).toBe(204);
    expect((await api(server, 'DELETE', commentPath(docId, thread.comments[0]!.id), { cookie: ann!.cookie })).status).toBe(204);
    expect((await api(server, 'GET', threadsPath(docId, thread.id), { cookie: ann!.cookie })).body.error).toBe('no_such_thread');
    await newThread(server, docId, bob!, { anchor: anchorIn('abc', 0, 2), body: 'doomed' });
    expect((await api(server, 'DELETE', `/api/docs/${docId}`, { cookie: ann!.cookie })).status).toBe(204);
    expect((db.prepare('SELECT count(*) AS n FROM comment_threads').get() as { n: number }).n).toBe(0);
    expect((db.prepare('SELECT count(*) AS n FROM comments').get() as { n: number }).n).toBe(0);
    expect((await api(server, 'GET', threadsPath(docId), { cookie: ann!.cookie })).status).toBe(410);
  });

  it('pages a document\'s threads over REST: the newest first page, then older ones by `before`, oldest first within a page', async () => {
    const server = await startServer({ passwordHashCost: 12 });
    const [ann] = await people(server, 'ann');
    const docId = await createDoc(server, ann!);
    const ids: number[] = [];
    for (let i = 0; i < 5; i++) ids.push((await newThread(server, docId, ann!, { anchor: anchorIn('hello', 0, 5), body: `thread ${i}` })).body.id);
    const page = (query: string) => api<ThreadPage & { error?: string }>(server, 'GET', `${threadsPath(docId)}?${query}`, { cookie: ann!.cookie });
    const first = await page('limit=2');
    expect([first.body.threads.map((t) => t.id), first.body.hasMore]).toEqual([ids.slice(3), true]);
    const second = await page(`limit=2&before=${first.body.threads[0]!.id}`);
    expect([second.body.threads.map((t) => t.id), second.body.hasMore]).toEqual([ids.slice(1, 3), true]);
    const last = await page(`limit=2&before=${second.body.threads[0]!.id}`);
    expect([last.body.threads.map((t) => t.id), last.body.hasMore]).toEqual([ids.slice(0, 1), false]);
    expect((await page('limit=101')).body.error).toBe('invalid_limit');
    expect((await page('before=x')).body.error).toBe('invalid_before');
  });

  it('refuses bad input with named codes: empty, too long, bad anchors, unknown reactions, strangers, visitors, too fast', async () => {
    const server = await startServer({ passwordHashCost: 12, chatMessagesPerSecond: 1, chatBurst: 8 });
    const [ann, eve] = await people(server, 'ann', 'eve');
    const docId = await createDoc(server, ann!);
    const anchor = anchorIn('hello', 0, 5);
    const refusal = async (body: unknown, user: TestUser | null = ann!) => {
      const answer = await newThread(server, docId, user, body);
      return [answer.status, answer.body.error];
    };
    expect(await refusal({ anchor, body: '   ' })).toEqual([400, 'empty']);
    expect(await refusal({ anchor, body: 'x'.repeat(MAX_COMMENT_CHARS + 1) })).toEqual([400, 'too_long']);
    expect(await refusal({ anchor: { ...anchor, start: 'not base64!' }, body: 'x' })).toEqual([400, 'invalid_anchor']);
    expect(await refusal({ anchor: { ...anchor, start: Buffer.from([200, 200, 200]).toString('base64') }, body: 'x' })).toEqual([400, 'invalid_anchor']);
    expect(await refusal({ body: 'x' })).toEqual([400, 'bad_request']);
    // A visitor where the link lets visitors only view is refused (where it lets them comment, they comment as guests: guestComments.test.ts).
    await setLinkAccess(server, docId, ann!, 'view');
    expect(await refusal({ anchor, body: 'x' }, null)).toEqual([403, 'not_allowed']);
    await setLinkAccess(server, docId, ann!, 'edit');
    // A visitor reads where the link admits visitors (the default: anyone with the link can edit).
    const made = await newThread(server, docId, ann!, { anchor, body: 'x'.repeat(MAX_COMMENT_CHARS) });
    expect(made.status).toBe(201);
    expect((await api<ThreadPage>(server, 'GET', threadsPath(docId))).body.threads).toHaveLength(1);
    const wrongEmoji = await api(server, 'PUT', `${commentPath(docId, made.body.comments[0]!.id)}/reactions`, { cookie: ann!.cookie, body: { emoji: '💩' } });
    expect([wrongEmoji.status, wrongEmoji.body.error]).toEqual([400, 'invalid_reaction']);
    expect((await api(server, 'GET', `${threadsPath(docId)}?limit=0`)).body.error).toBe('invalid_limit');
    expect((await api(server, 'GET', threadsPath(docId, 999_999))).body.error).toBe('no_such_thread');
    // Members only: a stranger learns nothing about the document or its comments.
    await setLinkAccess(server, docId, ann!, 'none');
    expect((await api(server, 'GET', threadsPath(docId), { cookie: eve!.cookie })).status).toBe(404);
    expect(await refusal({ anchor, body: 'x' }, eve!)).toEqual([404, 'not_found']);
    // Past the burst: 429 with Retry-After.
    let answer = await newThread(server, docId, ann!, { anchor, body: 'again' });
    while (answer.status === 201) answer = await newThread(server, docId, ann!, { anchor, body: 'again' });
    expect([answer.status, answer.body.error]).toEqual([429, 'rate_limited']);
    expect(Number(answer.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });
});
