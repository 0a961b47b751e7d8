import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { type CommentThread, GUEST_NAME_HEADER, type ThreadPage, threadsPath } from '../../shared/comments.js';
import { guestLivePath } from '../../shared/live.js';
import { api, createDoc, openLive, openLiveReady, registerUser, setLinkAccess, share } from '../helpers/accounts.js';
import { postgresDatabases } from '../helpers/postgres.js';
import { startRedis } from '../helpers/redisServer.js';
import { startServer } from '../helpers/testServer.js';

// Comments across processes: written through one process into PostgreSQL, announced on /live in
// every process (a person's windows may be held by any of them), read back through any.

const databases = postgresDatabases();

describe('cluster: comments across processes', () => {
  it('a thread and a reply made through one process reach the other\'s /live windows, and read the same there', async () => {
    const redis = await startRedis();
    const databaseUrl = await databases.create();
    const common = { databaseUrl, redisUrl: redis.url, passwordHashCost: 12 };
    const a = await startServer(common);
    const b = await startServer(common);
    const owner = await registerUser(a);
    const member = await registerUser(a);
    const docId = await createDoc(a, owner);
    await share(a, docId, owner, member, 'commenter');
    const memberOnB = await openLiveReady(b, member);
    const ownerOnA = await openLiveReady(a, owner);

    const doc = new Y.Doc();
    doc.getText('t').insert(0, 'hello');
    const position = (index: number) => Buffer.from(Y.encodeRelativePosition(Y.createRelativePositionFromTypeIndex(doc.getText('t'), index))).toString('base64');
    const made = await api<CommentThread>(a, 'POST', threadsPath(docId), {
      cookie: owner.cookie,
      body: { anchor: { start: position(0), end: position(4), excerpt: 'hell' }, body: 'through A' },
    });
    expect(made.status).toBe(201);
    await memberOnB.next('comments', (m) => m.docId === docId && m.threadId === made.body.id, 'B to tell the member');

    const reply = await api<CommentThread>(b, 'POST', `${threadsPath(docId, made.body.id)}/comments`, { cookie: member.cookie, body: { body: 'through B' } });
    expect(reply.status).toBe(201);
    await ownerOnA.next('comments', () => ownerOnA.all('comments').length === 2, 'A to tell the owner of the reply');
    const readOnA = await api<CommentThread>(a, 'GET', threadsPath(docId, made.body.id), { cookie: owner.cookie });
    expect(readOnA.body).toEqual(reply.body);
    expect(readOnA.body.comments.map((c) => [c.author.id, c.body])).toEqual([
      [owner.id, 'through A'],
      [member.id, 'through B'],
    ]);

    // A guest following the document on B hears of a change made through A; a guest writing through B reaches A's windows.
    await setLinkAccess(a, docId, owner, 'comment');
    const listed = await api<ThreadPage>(b, 'GET', threadsPath(docId));
    const guestCookie = listed.headers.getSetCookie()[0]!.split(';')[0]!;
    const guestOnB = await openLive(b, null, { cookie: guestCookie }, guestLivePath(docId));
    await guestOnB.next('hello');
    await api(a, 'POST', `${threadsPath(docId, made.body.id)}/comments`, { cookie: owner.cookie, body: { body: 'again through A' } });
    await guestOnB.next('comments', (m) => m.threadId === made.body.id, 'B to tell the guest');
    const byGuest = await api<CommentThread>(b, 'POST', `${threadsPath(docId, made.body.id)}/comments`, {
      cookie: guestCookie,
      body: { body: 'a guest through B' },
      headers: { [GUEST_NAME_HEADER]: 'Gwen' },
    });
    expect(byGuest.status).toBe(201);
    await ownerOnA.next('comments', () => ownerOnA.all('comments').length === 4, 'A to tell the owner of the guest reply');
    const guestRead = await api<CommentThread>(a, 'GET', threadsPath(docId, made.body.id), { cookie: owner.cookie });
    expect(guestRead.body.comments.at(-1)!.author).toEqual({ id: listed.body.me.id, name: 'Gwen', guest: true });
  });
});
