import { describe, expect, it } from 'vitest';
import { CloseCode } from '../../shared/closeCodes.js';
import { openPostgresStore } from '../../server/store/postgresStore.js';
import { connectClient, whenSynced } from '../helpers/clients.js';
import { api, createDoc, openLiveReady, registerUser, share, signIn } from '../helpers/accounts.js';
import { postgresDatabases } from '../helpers/postgres.js';
import { openRawSocket } from '../helpers/rawSocket.js';
import { startRedis } from '../helpers/redisServer.js';
import { startServer } from '../helpers/testServer.js';
import { waitFor } from '../helpers/waitFor.js';

// People across processes: a person's connections may be held by any process, so what changes
// their access (revocation, removal) and who is online must reach every process.

const databases = postgresDatabases();

/** Rows (updates and snapshot) the shared store holds for a document. */
async function storedRows(databaseUrl: string, docId: string): Promise<number> {
  const store = await openPostgresStore({ connectionString: databaseUrl });
  try {
    return (await store.load(docId)).updates.length + ((await store.describe(docId)) ? 1 : 0);
  } finally {
    await store.close();
  }
}

describe('cluster: people across processes', () => {
  it('a session revoked or a member removed through one process closes their sockets on the other; presence is cluster-wide', async () => {
    const redis = await startRedis();
    const databaseUrl = await databases.create();
    const common = { databaseUrl, redisUrl: redis.url, passwordHashCost: 12 };
    const a = await startServer(common);
    const b = await startServer(common);
    const owner = await registerUser(a);
    const member = await registerUser(a);
    const docId = await createDoc(a, owner);
    await share(a, docId, owner, member, 'editor');

    // The member works through B; A learns they are online.
    const onB = await openRawSocket(`${b.collabUrl}/${docId}`, { cookie: member.cookie });
    await waitFor(() => onB.frames.length > 0, 'B to serve the document');
    expect(b.app.people.online.isOnline(member.id)).toBe(true);
    await waitFor(() => a.app.people.online.isOnline(member.id), 'A to see the member online');

    // A chat message posted through A reaches the member's /live window on B.
    const memberLive = await openLiveReady(b, member);
    const posted = await api(a, 'POST', `/api/conversations/doc:${docId}/messages`, { cookie: owner.cookie, body: { text: 'hello from A' } });
    expect(posted.status).toBe(201);
    const delivered = await memberLive.next('message', (m) => m.message.id === posted.body.id);
    expect(delivered.message).toMatchObject({ text: 'hello from A', author: { id: owner.id, name: owner.name } });

    // Removed through A: B closes the member's socket at once, and its /live window is told.
    expect((await api(a, 'DELETE', `/api/docs/${docId}/members/${member.id}`, { cookie: owner.cookie })).status).toBe(204);
    expect((await onB.closed).code).toBe(CloseCode.noAccess);
    expect(await memberLive.next('access', (m) => m.docId === docId)).toMatchObject({ role: null });
    await memberLive.close();
    await waitFor(() => !a.app.people.online.isOnline(member.id), 'A to see the member offline');

    // A second session of the owner, used through B, is revoked through A.
    const laptop = (await signIn(a, owner.name, owner.password)).cookie!;
    const ownerOnB = await openRawSocket(`${b.collabUrl}/${docId}`, { cookie: laptop });
    await waitFor(() => ownerOnB.frames.length > 0, 'B to serve the owner');
    const sessions = (await api(a, 'GET', '/api/sessions', { cookie: owner.cookie })).body.sessions as Array<{ id: string; current: boolean }>;
    const other = sessions.find((s) => !s.current)!;
    expect((await api(a, 'DELETE', `/api/sessions/${other.id}`, { cookie: owner.cookie })).status).toBe(204);
    expect((await ownerOnB.closed).code).toBe(CloseCode.unauthenticated);

    // Deleted through A while the owner types through B: B closes (4410) and its room's last updates
    // do not bring the document back into the shared store.
    const typing = connectClient(b.collabUrl, docId, { cookie: owner.cookie });
    await whenSynced(typing);
    const closedB = new Promise<number>((resolve) => typing.provider.on('connection-close', (event: CloseEvent | null) => resolve(event?.code ?? 0)));
    const timer = setInterval(() => typing.doc.getText('text').insert(0, 'x'), 5);
    await waitFor(async () => (await storedRows(databaseUrl, docId)) > 1, 'the typing to reach the shared store', 10_000, 50);
    expect((await api(a, 'DELETE', `/api/docs/${docId}`, { cookie: owner.cookie })).status).toBe(204);
    expect(await closedB).toBe(CloseCode.docDeleted);
    clearInterval(timer);
    await waitFor(async () => (await storedRows(databaseUrl, docId)) === 0, 'the document to be gone from the store');
    // The window ends once neither process holds the room or anything left to write for it.
    await waitFor(() => [a, b].every((s) => s.app.rooms.roomCount === 0 && s.app.rooms.pendingWrites === 0), 'both processes to have let the room go');
    expect(await storedRows(databaseUrl, docId)).toBe(0);
    const docId2 = await createDoc(a, owner);

    // A process that goes away takes its people with it.
    const again = await openRawSocket(`${b.collabUrl}/${docId2}`, { cookie: owner.cookie });
    await waitFor(() => again.frames.length > 0, 'B to serve the owner again');
    await waitFor(() => a.app.people.online.isOnline(owner.id), 'A to see the owner online through B');
    await b.close();
    await waitFor(() => !a.app.people.online.isOnline(owner.id), 'A to see the owner offline once B is gone');
  });
});
