import { describe, expect, it } from 'vitest';
import type { NotificationList } from '../../shared/api.js';
import { type CommentThread, commentPath, GUEST_NAME_HEADER, type ThreadPage, threadsPath } from '../../shared/comments.js';
import { guestLivePath } from '../../shared/live.js';
import { CloseCode } from '../../shared/closeCodes.js';
import { api, createDoc, openLive, openLiveReady, registerUser, setLinkAccess, share, type TestUser, uniqueName } from '../helpers/accounts.js';
import { anchorIn } from '../helpers/commentAnchor.js';
import { openDatabase } from '../helpers/database.js';
import { startServer, type TestServer } from '../helpers/testServer.js';

// Guests (visitors, not signed in) and comments over the real REST API and /live: they comment
// where the link lets visitors comment, are shown as guests, follow the document's comments on a
// guest /live, and meet the same origin and rate rules as accounts. Also: an edit that adds an
// @mention notifies the newly named person only.

/** A browser without an account: its guest cookie (once the server gave one) and the name it sends. */
interface Guest {
  cookie: string | undefined;
  name: string;
}

/** Calls the API as `guest`, keeping the guest cookie the server sets. */
async function asGuest<T = any>(server: TestServer, guest: Guest, method: string, path: string, body?: unknown, origin?: string) {
  const answer = await api<T & { error?: string; message?: string }>(server, method, path, {
    cookie: guest.cookie,
    body,
    origin,
    headers: { [GUEST_NAME_HEADER]: encodeURIComponent(guest.name) },
  });
  for (const line of answer.headers.getSetCookie()) {
    const pair = line.split(';')[0]!;
    if (pair.startsWith('tandem_guest=')) guest.cookie = pair;
  }
  return answer;
}

function openGuestLive(server: TestServer, docId: string, guest: Guest) {
  return openLive(server, null, guest.cookie ? { cookie: guest.cookie } : {}, guestLivePath(docId));
}

async function people(server: TestServer, ...labels: string[]): Promise<TestUser[]> {
  const users: TestUser[] = [];
  for (const label of labels) users.push(await registerUser(server, uniqueName(label)));
  return users;
}

describe('guest comments', () => {
  it('a guest comments where the link allows it: threads, replies, reactions, own edits and deletes, live both ways, shown as a guest', async () => {
    const server = await startServer({ passwordHashCost: 12 });
    const [ann] = await people(server, 'ann');
    const docId = await createDoc(server, ann!);
    await setLinkAccess(server, docId, ann!, 'comment');
    const gwen: Guest = { cookie: undefined, name: ' Gwen\u202e  the\tGuest ' };

    // Reading issues the guest identity: `me` says who the guest is.
    const first = await asGuest<ThreadPage>(server, gwen, 'GET', threadsPath(docId));
    expect(first.status).toBe(200);
    expect(gwen.cookie).toMatch(/^tandem_guest=/);
    const me = first.body.me;
    expect(me).toMatchObject({ name: 'Gwen the Guest', guest: true });
    expect(me.id).toMatch(/^g:[0-9a-f]{24}$/);
    expect(me.id).not.toContain(gwen.cookie!.split('=')[1]);
    // The same cookie is the same guest.
    expect((await asGuest<ThreadPage>(server, gwen, 'GET', threadsPath(docId))).body.me.id).toBe(me.id);

    const gwenLive = await openGuestLive(server, docId, gwen);
    expect(gwenLive.refusedStatus).toBeNull();
    const hello = await gwenLive.next('hello');
    expect(hello).toMatchObject({ user: { id: me.id, guest: true }, people: [], unreadNotifications: 0 });
    const annLive = await openLiveReady(server, ann!);

    const made = await asGuest<CommentThread>(server, gwen, 'POST', threadsPath(docId), { anchor: anchorIn('hello world', 0, 5), body: 'Why <i>hello</i>?' });
    expect(made.status).toBe(201);
    const thread = made.body;
    expect(thread.comments[0]).toMatchObject({ author: { id: me.id, name: 'Gwen the Guest', guest: true }, body: 'Why <i>hello</i>?' });
    for (const socket of [annLive, gwenLive]) await socket.next('comments', (m) => m.docId === docId && m.threadId === thread.id);
    // Read again without a name (as a window does after a live change): the name the guest last wrote with.
    const reread = await api<CommentThread>(server, 'GET', threadsPath(docId, thread.id), { cookie: gwen.cookie });
    expect(reread.body.comments[0]!.author).toEqual({ id: me.id, name: 'Gwen the Guest', guest: true });

    // The owner replies, mentioning the guest: the guest's window hears of it.
    const reply = await api<CommentThread>(server, 'POST', `${threadsPath(docId, thread.id)}/comments`, {
      cookie: ann!.cookie,
      body: { body: '@Gwen because' },
    });
    expect(reply.status).toBe(201);
    expect(reply.body.comments[0]!.author).toEqual({ id: me.id, name: 'Gwen the Guest', guest: true });
    expect(reply.body.comments[1]!.author).toEqual({ id: ann!.id, name: ann!.name });
    const replyId = reply.body.comments[1]!.id;
    await gwenLive.next('comments', () => gwenLive.all('comments').length === 2, 'the reply pushed to the guest');

    const reacted = await asGuest<CommentThread>(server, gwen, 'PUT', `${commentPath(docId, replyId)}/reactions`, { emoji: '🎉' });
    expect(reacted.status).toBe(200);
    expect(reacted.body.comments[1]!.reactions).toEqual([{ emoji: '🎉', users: [{ id: me.id, name: 'Gwen the Guest', guest: true }] }]);
    await annLive.next('comments', () => annLive.all('comments').length === 3, 'the reaction pushed to the owner');

    // Own comments only; another guest (another cookie) is someone else.
    const gwenCommentId = thread.comments[0]!.id;
    const notMine = await asGuest(server, gwen, 'PATCH', commentPath(docId, replyId), { body: 'mine now' });
    expect([notMine.status, notMine.body.error]).toEqual([403, 'not_author']);
    const other: Guest = { cookie: undefined, name: 'Mallory' };
    const forged = await asGuest(server, other, 'PATCH', commentPath(docId, gwenCommentId), { body: 'forged' });
    expect([forged.status, forged.body.error]).toEqual([403, 'not_author']);
    expect((await asGuest(server, other, 'DELETE', commentPath(docId, gwenCommentId))).status).toBe(403);
    gwen.name = 'Gwen';
    const edited = await asGuest<CommentThread>(server, gwen, 'PATCH', commentPath(docId, gwenCommentId), { body: 'Why hello, world?' });
    expect(edited.status).toBe(200);
    // The latest name a guest gave is the one shown.
    expect(edited.body.comments[0]).toMatchObject({ body: 'Why hello, world?', author: { id: me.id, name: 'Gwen', guest: true } });
    expect((await asGuest<CommentThread>(server, gwen, 'PATCH', threadsPath(docId, thread.id), { resolved: true })).body.resolvedBy).toEqual({
      id: me.id,
      name: 'Gwen',
      guest: true,
    });

    const db = openDatabase(server.config.dataDir);
    expect(db.prepare('SELECT author_id FROM comments ORDER BY id').all()).toEqual([{ author_id: me.id }, { author_id: ann!.id }]);
    expect(db.prepare('SELECT id, name FROM comment_guests').all()).toEqual([{ id: me.id, name: 'Gwen' }]);

    expect((await asGuest(server, gwen, 'DELETE', commentPath(docId, gwenCommentId))).status).toBe(204);
    const after = await api<CommentThread>(server, 'GET', threadsPath(docId, thread.id), { cookie: ann!.cookie });
    expect(after.body.comments.map((c) => c.id)).toEqual([replyId]);
    await gwenLive.next('comments', () => gwenLive.all('comments').length === 6, 'every change pushed to the guest');
    // A guest's socket carries no chat.
    gwenLive.send({ type: 'send', nonce: 'n1', conversationId: 'x', text: 'hi' });
    expect(await gwenLive.next('refused')).toMatchObject({ nonce: 'n1', error: 'sign_in_required' });
  });

  it('where the link lets visitors only view, a guest reads (live too) but may not write; the link closing or the document going closes the guest socket', async () => {
    const server = await startServer({ passwordHashCost: 12 });
    const [ann] = await people(server, 'ann');
    const docId = await createDoc(server, ann!);
    await setLinkAccess(server, docId, ann!, 'view');
    const made = await api<CommentThread>(server, 'POST', threadsPath(docId), { cookie: ann!.cookie, body: { anchor: anchorIn('abc', 0, 2), body: 'owner note' } });
    const vera: Guest = { cookie: undefined, name: 'Vera' };

    const page = await asGuest<ThreadPage>(server, vera, 'GET', threadsPath(docId));
    expect(page.body.threads.map((t) => t.id)).toEqual([made.body.id]);
    const refused = await asGuest(server, vera, 'POST', threadsPath(docId), { anchor: anchorIn('abc', 0, 1), body: 'may I?' });
    expect([refused.status, refused.body.error]).toEqual([403, 'not_allowed']);
    expect(refused.body.message).toMatch(/visitors read comments but not add/);
    const reaction = await asGuest(server, vera, 'PUT', `${commentPath(docId, made.body.comments[0]!.id)}/reactions`, { emoji: '👍' });
    expect([reaction.status, reaction.body.error]).toEqual([403, 'not_allowed']);
    const reply = await asGuest(server, vera, 'POST', `${threadsPath(docId, made.body.id)}/comments`, { body: 'me too' });
    expect([reply.status, reply.body.error]).toEqual([403, 'not_allowed']);

    const veraLive = await openGuestLive(server, docId, vera);
    await veraLive.next('hello');
    await api(server, 'POST', `${threadsPath(docId, made.body.id)}/comments`, { cookie: ann!.cookie, body: { body: 'more' } });
    await veraLive.next('comments', (m) => m.threadId === made.body.id);

    await setLinkAccess(server, docId, ann!, 'none');
    expect((await veraLive.closed).code).toBe(CloseCode.unauthenticated);
    const again = await openGuestLive(server, docId, vera);
    expect((await again.closed).code).toBe(CloseCode.unauthenticated);
    expect((await asGuest(server, vera, 'GET', threadsPath(docId))).status).toBe(401);

    await setLinkAccess(server, docId, ann!, 'comment');
    const third = await openGuestLive(server, docId, vera);
    await third.next('hello');
    expect((await api(server, 'DELETE', `/api/docs/${docId}`, { cookie: ann!.cookie })).status).toBe(204);
    expect((await third.closed).code).toBe(CloseCode.docDeleted);
  });

  it('guests meet the origin check and the rate limit, per guest and per address (a new cookie does not reset it)', async () => {
    const server = await startServer({ passwordHashCost: 12, chatMessagesPerSecond: 1, chatBurst: 4 });
    const [ann] = await people(server, 'ann');
    const docId = await createDoc(server, ann!);
    await setLinkAccess(server, docId, ann!, 'comment');
    const anchor = anchorIn('hello', 0, 5);
    const gus: Guest = { cookie: undefined, name: 'Gus' };
    const foreign = await asGuest(server, gus, 'POST', threadsPath(docId), { anchor, body: 'hi' }, 'https://elsewhere.example');
    expect([foreign.status, foreign.body.error]).toEqual([403, 'origin_not_allowed']);
    // Too long, too fast: the same named refusals as an account's.
    const long = await asGuest(server, gus, 'POST', threadsPath(docId), { anchor, body: 'x'.repeat(2001) });
    expect([long.status, long.body.error]).toEqual([400, 'too_long']);
    let answer = await asGuest(server, gus, 'POST', threadsPath(docId), { anchor, body: 'again' });
    while (answer.status === 201) answer = await asGuest(server, gus, 'POST', threadsPath(docId), { anchor, body: 'again' });
    expect([answer.status, answer.body.error]).toEqual([429, 'rate_limited']);
    expect(Number(answer.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // A new guest from the same address: its own bucket is full, the address's is not.
    const fresh: Guest = { cookie: undefined, name: 'Gus again' };
    const next = await asGuest(server, fresh, 'POST', threadsPath(docId), { anchor, body: 'again' });
    expect([next.status, next.body.error]).toEqual([429, 'rate_limited']);
    // An account is not slowed by guests.
    expect((await api(server, 'POST', threadsPath(docId), { cookie: ann!.cookie, body: { anchor, body: 'owner' } })).status).toBe(201);
  });

  it("a guest's name header is cleaned: C0 and C1 controls, bidirectional overrides and newlines gone, markup kept as text, cut to 40; undecodable or empty: Guest", async () => {
    const server = await startServer({ passwordHashCost: 12 });
    const [ann] = await people(server, 'ann');
    const docId = await createDoc(server, ann!);
    await setLinkAccess(server, docId, ann!, 'comment');
    const nameOf = async (raw: string) => {
      const answer = await api<CommentThread>(server, 'POST', threadsPath(docId), {
        headers: { [GUEST_NAME_HEADER]: raw },
        body: { anchor: anchorIn('hello', 0, 5), body: 'hi' },
      });
      expect(answer.status).toBe(201);
      return answer.body.comments[0]!.author;
    };
    expect(await nameOf(encodeURIComponent('Ev\u0085e\u009b\u0007\u202e\u2066 <b>x</b>\r\nY'))).toEqual(expect.objectContaining({ name: 'Eve <b>x</b> Y', guest: true }));
    expect((await nameOf(encodeURIComponent('n'.repeat(500)))).name).toBe('n'.repeat(40));
    expect((await nameOf('%E0%A4%A')).name).toBe('Guest');
    expect((await nameOf(encodeURIComponent('\u0085\u202e '))).name).toBe('Guest');
  });

  it('an edit that adds an @mention notifies the newly named person, not those named before', async () => {
    const server = await startServer({ passwordHashCost: 12 });
    const [ann, bob, cat] = await people(server, 'ann', 'bob', 'cat');
    const docId = await createDoc(server, ann!);
    await share(server, docId, ann!, bob!, 'viewer');
    await share(server, docId, ann!, cat!, 'viewer');
    const mentions = async (user: TestUser) =>
      (await api<NotificationList>(server, 'GET', '/api/notifications', { cookie: user.cookie })).body.notifications.filter((n) => n.kind === 'commentMention');

    const made = await api<CommentThread>(server, 'POST', threadsPath(docId), {
      cookie: ann!.cookie,
      body: { anchor: anchorIn('hello', 0, 5), body: `@${bob!.name} look` },
    });
    const commentId = made.body.comments[0]!.id;
    expect(await mentions(bob!)).toHaveLength(1);
    expect(await mentions(cat!)).toHaveLength(0);
    // Written differently ("@BOB"), still the same person: not notified again.
    const edited = await api(server, 'PATCH', commentPath(docId, commentId), {
      cookie: ann!.cookie,
      body: { body: `@${bob!.name.toUpperCase()} and @${cat!.name}, look` },
    });
    expect(edited.status).toBe(200);
    // The answer comes once notifications are stored.
    expect(await mentions(cat!)).toEqual([expect.objectContaining({ kind: 'commentMention', docId, threadId: made.body.id, commentId })]);
    expect(await mentions(bob!)).toHaveLength(1);
    // An edit that changes nothing about mentions notifies nobody.
    await api(server, 'PATCH', commentPath(docId, commentId), { cookie: ann!.cookie, body: { body: `@${bob!.name} and @${cat!.name}: look!` } });
    expect(await mentions(cat!)).toHaveLength(1);
    expect(await mentions(bob!)).toHaveLength(1);
  });
});
