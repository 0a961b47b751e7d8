import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { CloseCode } from '../../shared/closeCodes.js';
import { readAccessBody } from '../../shared/codec.js';
import { MessageType } from '../../shared/protocol.js';
import type { AccountStore } from '../../server/accounts/accountStore.js';
import { openSqliteAccountStore } from '../../server/accounts/sqliteAccountStore.js';
import { hashToken } from '../../server/auth/sessions.js';
import { api, createDoc, openLive, registerUser, setLinkAccess, share, signIn, type TestUser } from '../helpers/accounts.js';
import { connectClient, textOf, whenSynced, type TestClient } from '../helpers/clients.js';
import { openDatabase, rowCounts } from '../helpers/database.js';
import { openRawSocket } from '../helpers/rawSocket.js';
import { readMetrics, startServer, tempDataDir, type TestServer, uniqueDocId } from '../helpers/testServer.js';
import { waitFor } from '../helpers/waitFor.js';

// Who may open and change a document, enforced by the server on the real socket and REST API.

async function start(): Promise<TestServer> {
  return startServer({ passwordHashCost: 12 });
}

/** A WebsocketProvider signed in as `user` (null: a visitor) that asked for our own messages. */
function open(server: TestServer, docId: string, user: TestUser | null): TestClient {
  const client = connectClient(server.collabUrl, docId, { cookie: user?.cookie, params: { ack: '1' } });
  // Our own messages (saved, access) are read by the tests that watch them; the rest ignore them.
  const handlers = (client.provider as unknown as { messageHandlers: Array<(...args: unknown[]) => void> }).messageHandlers;
  for (const type of [MessageType.saved, MessageType.storageStatus, MessageType.access]) handlers[type] = () => undefined;
  return client;
}

/** The roles a client was told (access messages), in order. */
function watchRoles(client: TestClient): string[] {
  const roles: string[] = [];
  const handlers = (client.provider as unknown as { messageHandlers: Array<(...args: unknown[]) => void> }).messageHandlers;
  handlers[MessageType.access] = (_encoder: unknown, decoder: unknown) => roles.push(readAccessBody(decoder as decoding.Decoder));
  return roles;
}

/** Permission-denied reasons a client received (y-protocols auth messages). */
function watchDenied(client: TestClient): string[] {
  const denied: string[] = [];
  client.provider.on('connection-close', () => undefined);
  const handlers = (client.provider as unknown as { messageHandlers: Array<(...args: unknown[]) => void> }).messageHandlers;
  handlers[MessageType.auth] = (_encoder: unknown, decoder: unknown) => {
    const d = decoder as decoding.Decoder;
    decoding.readVarUint(d);
    denied.push(decoding.readVarString(d));
  };
  return denied;
}

function closeOf(client: TestClient): Promise<number> {
  return new Promise((resolve) => client.provider.on('connection-close', (event: CloseEvent | null) => resolve(event?.code ?? 0)));
}

/**
 * The real SQLite account store, with lookups about one person (getMember) or one session
 * (findSession) made slow on demand: a remote database's latency, at the moment a test needs it.
 */
function slowAccounts(dataDir: string): {
  accounts: AccountStore;
  slowMemberLookups(userId: string): void;
  slowSessionLookups(tokenHash: string): void;
  /** How many slow lookups have started (the test acts once its lookups are under way). */
  slowStarted(): number;
} {
  const inner = openSqliteAccountStore({ dataDir, synchronous: 'normal' });
  const slowUsers = new Set<string>();
  const slowSessions = new Set<string>();
  let started = 0;
  // The modelled latency, not a wait of the test's: the test's change lands inside it.
  const pause = () => {
    started += 1;
    return new Promise((resolve) => setTimeout(resolve, 300));
  };
  const accounts: AccountStore = {
    ...inner,
    async getMember(docId, userId) {
      const found = await inner.getMember(docId, userId);
      if (slowUsers.has(userId)) await pause();
      return found;
    },
    async findSession(tokenHash) {
      const found = await inner.findSession(tokenHash);
      if (slowSessions.has(tokenHash)) await pause();
      return found;
    },
  };
  return { accounts, slowMemberLookups: (id) => slowUsers.add(id), slowSessionLookups: (hash) => slowSessions.add(hash), slowStarted: () => started };
}

describe('document access', () => {
  it('an access change announced while a socket is still being opened reaches it too', async () => {
    const dataDir = tempDataDir();
    const slow = slowAccounts(dataDir);
    const server = await startServer({ passwordHashCost: 12, dataDir, accounts: slow.accounts });
    const [owner, member] = [await registerUser(server), await registerUser(server)];
    const docId = await createDoc(server, owner);
    await setLinkAccess(server, docId, owner, 'none');
    await share(server, docId, owner, member, 'editor');

    // The member's access lookup takes 300 ms; the owner removes them meanwhile.
    slow.slowMemberLookups(member.id);
    const opening = openRawSocket(`${server.collabUrl}/${docId}`, { cookie: member.cookie });
    await waitFor(() => slow.slowStarted() >= 1, "the member's access lookup to start");
    expect((await api(server, 'DELETE', `/api/docs/${docId}/members/${member.id}`, { cookie: owner.cookie })).status).toBe(204);
    const socket = await opening;
    expect(await socket.closed).toEqual({ code: CloseCode.tryAgain, reason: 'your access changed while connecting; reconnect' });
    // Reconnecting resolves afresh: no access.
    const again = await openRawSocket(`${server.collabUrl}/${docId}`, { cookie: member.cookie });
    expect((await again.closed).code).toBe(CloseCode.noAccess);

    // A session revoked while its /live and /collab upgrades are being authenticated: both closed 4401.
    const laptop = (await signIn(server, owner.name, owner.password)).cookie!;
    slow.slowSessionLookups(hashToken(laptop.split('=')[1]!));
    const startedBefore = slow.slowStarted();
    const collab = openRawSocket(`${server.collabUrl}/${docId}`, { cookie: laptop });
    const live = openLive(server, { ...owner, cookie: laptop });
    await waitFor(() => slow.slowStarted() >= startedBefore + 2, 'both session lookups to start');
    const sessions = (await api(server, 'GET', '/api/sessions', { cookie: owner.cookie })).body.sessions as Array<{ id: string; current: boolean }>;
    expect((await api(server, 'DELETE', `/api/sessions/${sessions.find((s) => !s.current)!.id}`, { cookie: owner.cookie })).status).toBe(204);
    expect((await (await collab).closed).code).toBe(CloseCode.unauthenticated);
    expect((await (await live).closed).code).toBe(CloseCode.unauthenticated);
  });

  it('a viewer gets the document and shows a cursor, but its updates are refused, told, never stored or relayed', async () => {
    const server = await start();
    const [owner, viewer] = [await registerUser(server), await registerUser(server)];
    const docId = await createDoc(server, owner);
    await share(server, docId, owner, viewer, 'viewer');
    const writer = open(server, docId, owner);
    await whenSynced(writer);
    writer.doc.getText('text').insert(0, 'hello');
    const reader = open(server, docId, viewer);
    const roles = watchRoles(reader);
    const denied = watchDenied(reader);
    await whenSynced(reader);
    await waitFor(() => textOf(reader) === 'hello', 'the viewer to get the document');
    expect(roles).toEqual(['viewer']);
    const db = openDatabase(server.config.dataDir);
    await waitFor(() => rowCounts(db, docId).updates === 1, 'the owner edit to be stored');

    reader.doc.getText('text').insert(5, ' world');
    await waitFor(() => denied.length === 1, 'the viewer to be told');
    expect(denied[0]).toMatch(/read-only/);
    // The owner types after it: when that arrives, anything relayed before it would have arrived too.
    writer.doc.getText('text').insert(0, '>');
    await waitFor(() => textOf(reader).startsWith('>'), 'the next owner edit to reach the viewer');
    expect(textOf(writer)).toBe('>hello');
    expect(rowCounts(db, docId).updates).toBe(2);
    expect(reader.provider.wsconnected).toBe(true);

    // Its cursor is shown to others, under its account name whatever it claims.
    reader.provider.awareness.setLocalStateField('user', { name: 'Mallory', color: '#123456' });
    await waitFor(() => writer.provider.awareness.getStates().get(reader.doc.clientID) !== undefined, 'the viewer presence');
    await waitFor(
      () => (writer.provider.awareness.getStates().get(reader.doc.clientID)?.user as { name?: string })?.name === viewer.name,
      'the presence to carry the account name',
    );
    expect(writer.provider.awareness.getStates().get(reader.doc.clientID)?.user).toEqual({ name: viewer.name, color: '#123456', userId: viewer.id });
    expect(await readMetrics(server.httpUrl)).toMatch(/^tandem_presence_stamped_total [1-9]/m);
  });

  it('a commenter is refused on the socket exactly as a viewer: told, never stored or relayed; roles and link access change it live', async () => {
    const server = await start();
    const [owner, member] = [await registerUser(server), await registerUser(server)];
    const docId = await createDoc(server, owner);
    await setLinkAccess(server, docId, owner, 'comment');
    await share(server, docId, owner, member, 'editor');
    const writer = open(server, docId, owner);
    const client = open(server, docId, member);
    const visitor = open(server, docId, null);
    const roles = watchRoles(client);
    const visitorRoles = watchRoles(visitor);
    const denied = watchDenied(client);
    const visitorDenied = watchDenied(visitor);
    await Promise.all([whenSynced(writer), whenSynced(client), whenSynced(visitor)]);
    expect(visitorRoles).toEqual(['commenter']);
    client.doc.getText('text').insert(0, 'a');
    await waitFor(() => textOf(writer) === 'a' && textOf(visitor) === 'a', 'the editor edit');
    const db = openDatabase(server.config.dataDir);
    await waitFor(() => rowCounts(db, docId).updates === 1, 'the edit to be stored');

    // Made a commenter while connected: told at once, and the next change is refused.
    expect((await api(server, 'PATCH', `/api/docs/${docId}/members/${member.id}`, { cookie: owner.cookie, body: { role: 'commenter' } })).status).toBe(200);
    await waitFor(() => roles.length === 2, 'the new role to be announced');
    expect(roles).toEqual(['editor', 'commenter']);
    client.doc.getText('text').insert(1, 'b');
    visitor.doc.getText('text').insert(0, 'v');
    await waitFor(() => denied.length === 1 && visitorDenied.length === 1, 'both commenters to be told');
    expect(denied[0]).toMatch(/read-only/);
    // The owner types after them: when that arrives, anything relayed before it would have arrived too.
    writer.doc.getText('text').insert(0, '>');
    // (The visitor's refused 'v' stays in its own copy, at position 0 beside the owner's '>': Yjs
    // orders two insertions at one place by client id, which is random, so either may come first.)
    await waitFor(() => textOf(client).startsWith('>') && textOf(visitor).includes('>'), 'the owner edit to reach both');
    expect(textOf(writer)).toBe('>a');
    expect(['>va', 'v>a']).toContain(textOf(visitor));
    await waitFor(() => rowCounts(db, docId).updates === 2, 'the owner edit to be stored');
    expect(rowCounts(db, docId).updates).toBe(2);
    expect(client.provider.wsconnected && visitor.provider.wsconnected).toBe(true);

    // The link made to admit editors: the visitor edits at once.
    await setLinkAccess(server, docId, owner, 'edit');
    await waitFor(() => visitorRoles.length === 2, 'the visitor to become an editor');
    expect(visitorRoles[1]).toBe('editor');
    visitor.doc.getText('text').insert(0, '!');
    await waitFor(() => textOf(writer).startsWith('!'), 'the visitor edit to arrive');
  });

  it('a role changed while connected takes effect at once; a removed member is disconnected (4404)', async () => {
    const server = await start();
    const [owner, member] = [await registerUser(server), await registerUser(server)];
    const docId = await createDoc(server, owner);
    await setLinkAccess(server, docId, owner, 'none');
    await share(server, docId, owner, member, 'editor');
    const writer = open(server, docId, owner);
    const client = open(server, docId, member);
    const roles = watchRoles(client);
    const denied = watchDenied(client);
    await Promise.all([whenSynced(writer), whenSynced(client)]);
    client.doc.getText('text').insert(0, 'a');
    await waitFor(() => textOf(writer) === 'a', 'the editor edit');

    expect((await api(server, 'PATCH', `/api/docs/${docId}/members/${member.id}`, { cookie: owner.cookie, body: { role: 'viewer' } })).status).toBe(200);
    await waitFor(() => roles.length === 2, 'the new role to be announced');
    expect(roles).toEqual(['editor', 'viewer']);
    client.doc.getText('text').insert(1, 'b');
    await waitFor(() => denied.length === 1, 'the edit to be refused');
    writer.doc.getText('text').insert(0, '!');
    await waitFor(() => textOf(client).startsWith('!'), 'the owner edit');
    expect(textOf(writer)).toBe('!a');

    // Promoted again: the server asks the client what it holds (sync step1), so what it kept of the
    // refused edit and what it types now both arrive, in order; nothing waits on a missing change.
    await api(server, 'PATCH', `/api/docs/${docId}/members/${member.id}`, { cookie: owner.cookie, body: { role: 'editor' } });
    await waitFor(() => roles.length === 3, 'editor again');
    client.doc.getText('text').insert(0, 'c');
    await waitFor(() => textOf(writer) === textOf(client), 'edits flow again');
    expect(textOf(writer)).toBe('c!ab');

    const closed = closeOf(client);
    expect((await api(server, 'DELETE', `/api/docs/${docId}/members/${member.id}`, { cookie: owner.cookie })).status).toBe(204);
    expect(await closed).toBe(CloseCode.noAccess);
    // …and stays out: the link admits members only.
    const again = await openRawSocket(`${server.collabUrl}/${docId}`, { cookie: member.cookie });
    expect((await again.closed).code).toBe(CloseCode.noAccess);
    expect((await api(server, 'GET', `/api/docs/${docId}`, { cookie: member.cookie })).status).toBe(404);
  });

  it('link access: visitors edit, view or are asked to sign in; opening a link joins a signed-in person', async () => {
    const server = await start();
    const [owner, passerby] = [await registerUser(server), await registerUser(server)];
    const docId = await createDoc(server, owner);
    // New documents: anyone with the link can edit.
    const visitor = open(server, docId, null);
    const visitorRoles = watchRoles(visitor);
    await whenSynced(visitor);
    visitor.doc.getText('text').insert(0, 'guest text');
    const ownerClient = open(server, docId, owner);
    await waitFor(() => textOf(ownerClient) === 'guest text', 'the visitor edit');
    expect(visitorRoles).toEqual(['editor']);
    // A visitor's presence is marked as a guest, whatever it claims.
    visitor.provider.awareness.setLocalStateField('user', { name: 'Ann', color: '#abcdef', userId: owner.id });
    await waitFor(
      () => (ownerClient.provider.awareness.getStates().get(visitor.doc.clientID)?.user as { guest?: boolean })?.guest === true,
      'the guest mark',
    );
    expect(ownerClient.provider.awareness.getStates().get(visitor.doc.clientID)?.user).toEqual({ name: 'Ann', color: '#abcdef', guest: true });

    // A signed-in person opening the link becomes a member: the document is in their list.
    const details = await api(server, 'GET', `/api/docs/${docId}`, { cookie: passerby.cookie });
    expect(details.body).toMatchObject({ id: docId, myRole: 'editor', linkAccess: 'edit', owner: { id: owner.id, name: owner.name } });
    expect((await api(server, 'GET', '/api/docs', { cookie: passerby.cookie })).body.documents).toEqual([
      expect.objectContaining({ id: docId, role: 'editor' }),
    ]);

    // View only: the visitor is told its new role at once and its edits are refused.
    await setLinkAccess(server, docId, owner, 'view');
    await waitFor(() => visitorRoles.length === 2, 'the visitor to become a viewer');
    expect(visitorRoles[1]).toBe('viewer');
    // Someone who joined by the link follows it (live, too); someone shared with by name keeps their role.
    expect((await api(server, 'GET', `/api/docs/${docId}`, { cookie: passerby.cookie })).body.myRole).toBe('viewer');
    expect((await api(server, 'GET', '/api/docs', { cookie: passerby.cookie })).body.documents[0].role).toBe('viewer');
    const named = await registerUser(server);
    await share(server, docId, owner, named, 'editor');
    expect((await api(server, 'GET', `/api/docs/${docId}`, { cookie: named.cookie })).body.myRole).toBe('editor');
    const passerbyClient = open(server, docId, passerby);
    const passerbyRoles = watchRoles(passerbyClient);
    const passerbyClosed = closeOf(passerbyClient);
    await whenSynced(passerbyClient);
    expect(passerbyRoles).toEqual(['viewer']);

    // Members only: the visitor is closed, new visitors are asked to sign in, strangers get 404.
    const closed = closeOf(visitor);
    await setLinkAccess(server, docId, owner, 'none');
    expect(await closed).toBe(CloseCode.unauthenticated);
    const newVisitor = await openRawSocket(`${server.collabUrl}/${docId}`);
    expect((await newVisitor.closed).code).toBe(CloseCode.unauthenticated);
    expect((await api(server, 'GET', `/api/docs/${docId}`)).status).toBe(401);
    expect((await api(server, 'GET', `/api/docs/${docId}/export?format=md`)).status).toBe(401);
    const stranger = await registerUser(server);
    expect((await api(server, 'GET', `/api/docs/${docId}`, { cookie: stranger.cookie })).status).toBe(404);
    const strangerSocket = await openRawSocket(`${server.collabUrl}/${docId}`, { cookie: stranger.cookie });
    expect((await strangerSocket.closed).code).toBe(CloseCode.noAccess);
    // Link-joined people lose access with the link (their open window is closed); named members stay.
    expect(await passerbyClosed).toBe(CloseCode.noAccess);
    expect((await api(server, 'GET', `/api/docs/${docId}`, { cookie: passerby.cookie })).status).toBe(404);
    expect((await api(server, 'GET', '/api/docs', { cookie: passerby.cookie })).body.documents).toEqual([]);
    expect((await api(server, 'GET', `/api/docs/${docId}`, { cookie: named.cookie })).body.myRole).toBe('editor');
  });

  it('only the owner manages access; editors may share; viewers may not; the owner cannot leave', async () => {
    const server = await start();
    const [owner, editor, viewer, other] = [await registerUser(server), await registerUser(server), await registerUser(server), await registerUser(server)];
    const docId = await createDoc(server, owner);
    await share(server, docId, owner, editor, 'editor');
    await share(server, docId, editor, viewer, 'viewer');
    const refused = [
      await api(server, 'PATCH', `/api/docs/${docId}/access`, { cookie: editor.cookie, body: { linkAccess: 'none' } }),
      await api(server, 'PATCH', `/api/docs/${docId}/members/${viewer.id}`, { cookie: editor.cookie, body: { role: 'editor' } }),
      await api(server, 'DELETE', `/api/docs/${docId}/members/${viewer.id}`, { cookie: editor.cookie }),
      await api(server, 'DELETE', `/api/docs/${docId}`, { cookie: editor.cookie }),
      await api(server, 'POST', `/api/docs/${docId}/members`, { cookie: viewer.cookie, body: { userId: other.id, role: 'viewer' } }),
    ];
    expect(refused.map((answer) => answer.status)).toEqual([403, 403, 403, 403, 403]);
    expect((await api(server, 'POST', `/api/docs/${docId}/members`, { cookie: owner.cookie, body: { userId: other.id, role: 'owner' } })).status).toBe(400);
    expect((await api(server, 'POST', `/api/docs/${docId}/members`, { cookie: owner.cookie, body: { name: 'nobody_here', role: 'viewer' } })).status).toBe(404);
    const leaveOwner = await api(server, 'DELETE', `/api/docs/${docId}/members/me`, { cookie: owner.cookie });
    expect([leaveOwner.status, leaveOwner.body.error]).toEqual([409, 'owner_cannot_leave']);

    const accessList = await api(server, 'GET', `/api/docs/${docId}/access`, { cookie: viewer.cookie });
    expect(accessList.body.members.map((m: { user: { id: string }; role: string }) => [m.user.id, m.role])).toEqual([
      [owner.id, 'owner'],
      [editor.id, 'editor'],
      [viewer.id, 'viewer'],
    ]);
    // A viewer leaves: the document leaves their list.
    expect((await api(server, 'DELETE', `/api/docs/${docId}/members/me`, { cookie: viewer.cookie })).status).toBe(204);
    expect((await api(server, 'GET', '/api/docs', { cookie: viewer.cookie })).body.documents).toEqual([]);
  });

  it('an editor who joined by the link cannot make anyone\'s access outlast the link, nor re-role anyone', async () => {
    const server = await start();
    const [owner, mallory, alt, carol] = [await registerUser(server), await registerUser(server), await registerUser(server), await registerUser(server)];
    const docId = await createDoc(server, owner);
    // Mallory and Carol open the link (anyone with it can edit, the default): they join by link.
    for (const user of [mallory, carol]) expect((await api(server, 'GET', `/api/docs/${docId}`, { cookie: user.cookie })).body.myRole).toBe('editor');
    const shareAs = (by: TestUser, to: TestUser, role: string) =>
      api(server, 'POST', `/api/docs/${docId}/members`, { cookie: by.cookie, body: { userId: to.id, role } });

    // Nobody shares with themselves (it would turn a link-joined role into a named one).
    const self = await shareAs(mallory, mallory, 'editor');
    expect([self.status, self.body.error]).toEqual([400, 'self_share']);
    expect((await api(server, 'POST', `/api/docs/${docId}/members`, { cookie: owner.cookie, body: { userId: owner.id, role: 'viewer' } })).status).toBe(400);
    // A member is not re-roled by anyone but the owner: Carol stays an editor by link.
    const demote = await shareAs(mallory, carol, 'viewer');
    expect([demote.status, demote.body.role]).toEqual([200, 'editor']);
    // A new person Mallory invites holds what the link gives and follows it, as Mallory does.
    const invite = await shareAs(mallory, alt, 'editor');
    expect([invite.status, invite.body.role]).toEqual([201, 'editor']);
    expect((await api(server, 'GET', `/api/docs/${docId}`, { cookie: alt.cookie })).body.myRole).toBe('editor');
    // Carol, invited again by Alt, is unchanged too.
    expect((await shareAs(alt, carol, 'viewer')).status).toBe(200);

    const malloryClient = open(server, docId, mallory);
    const malloryClosed = closeOf(malloryClient);
    await whenSynced(malloryClient);
    // Members only: everyone whose access came from the link loses it, Mallory's second account too.
    await setLinkAccess(server, docId, owner, 'none');
    expect(await malloryClosed).toBe(CloseCode.noAccess);
    for (const user of [mallory, alt, carol]) expect((await api(server, 'GET', `/api/docs/${docId}`, { cookie: user.cookie })).status).toBe(404);
    const again = await openRawSocket(`${server.collabUrl}/${docId}`, { cookie: mallory.cookie });
    expect((await again.closed).code).toBe(CloseCode.noAccess);
    expect((await api(server, 'GET', `/api/docs/${docId}/access`, { cookie: owner.cookie })).body.members.map((m: { user: { id: string } }) => m.user.id)).toEqual([owner.id]);
  });

  it('sharing: only real documents, a notification only when something changed, editors cannot re-role members, a rate limit', async () => {
    const server = await start();
    const [owner, editor, bob] = [await registerUser(server), await registerUser(server), await registerUser(server)];
    const docId = await createDoc(server, owner);
    await share(server, docId, owner, editor, 'editor');
    const notificationsOf = async (user: TestUser) => (await api(server, 'GET', '/api/notifications', { cookie: user.cookie })).body.notifications as unknown[];

    // No document, no notification (a document nobody made is not a way to reach someone).
    const ghost = await api(server, 'POST', `/api/docs/${uniqueDocId('ghost')}/members`, { cookie: owner.cookie, body: { userId: bob.id, role: 'editor' } });
    expect(ghost.status).toBe(404);
    expect(await notificationsOf(bob)).toHaveLength(0);

    // Shared once as viewer: one notification; the same share again changes nothing and notifies nobody.
    expect((await api(server, 'POST', `/api/docs/${docId}/members`, { cookie: owner.cookie, body: { userId: bob.id, role: 'viewer' } })).status).toBe(201);
    const again = await api(server, 'POST', `/api/docs/${docId}/members`, { cookie: owner.cookie, body: { userId: bob.id, role: 'viewer' } });
    expect([again.status, again.body.role]).toEqual([200, 'viewer']);
    expect(await notificationsOf(bob)).toHaveLength(1);

    // An editor cannot turn the owner's viewer into an editor by sharing again.
    const promote = await api(server, 'POST', `/api/docs/${docId}/members`, { cookie: editor.cookie, body: { userId: bob.id, role: 'editor' } });
    expect([promote.status, promote.body.role]).toEqual([200, 'viewer']);
    expect((await api(server, 'GET', `/api/docs/${docId}`, { cookie: bob.cookie })).body.myRole).toBe('viewer');

    // Who has access is not shown to visitors.
    expect((await api(server, 'GET', `/api/docs/${docId}/access`)).status).toBe(401);

    // Sharing is limited per person (30 a minute).
    const statuses: number[] = [];
    for (let i = 0; i < 32; i++) {
      statuses.push((await api(server, 'POST', `/api/docs/${docId}/members`, { cookie: editor.cookie, body: { userId: owner.id, role: 'viewer' } })).status);
    }
    expect(statuses.filter((status) => status === 429).length).toBeGreaterThan(0);
  });

  it('deleting a document closes its connections (4410), removes its content and refuses it from then on', async () => {
    const server = await start();
    const [owner, member] = [await registerUser(server), await registerUser(server)];
    const docId = await createDoc(server, owner);
    await share(server, docId, owner, member, 'editor');
    const a = open(server, docId, owner);
    const b = open(server, docId, member);
    await Promise.all([whenSynced(a), whenSynced(b)]);
    a.doc.getText('text').insert(0, 'secret plans');
    await waitFor(() => textOf(b) === 'secret plans', 'the edit');
    const [closedA, closedB] = [closeOf(a), closeOf(b)];
    expect((await api(server, 'DELETE', `/api/docs/${docId}`, { cookie: owner.cookie })).status).toBe(204);
    expect(await Promise.all([closedA, closedB])).toEqual([CloseCode.docDeleted, CloseCode.docDeleted]);
    const db = openDatabase(server.config.dataDir);
    expect(rowCounts(db, docId)).toEqual({ updates: 0, snapshots: 0 });
    expect(db.prepare('SELECT count(*) AS n FROM documents WHERE id = ?').get(docId)).toEqual({ n: 0 });
    expect((await api(server, 'GET', `/api/docs/${docId}`, { cookie: owner.cookie })).status).toBe(410);
    expect((await api(server, 'GET', '/api/docs', { cookie: member.cookie })).body.documents).toEqual([]);
    // Nobody can bring it back by opening its address, not even a visitor.
    const late = await openRawSocket(`${server.collabUrl}/${docId}`);
    expect((await late.closed).code).toBe(CloseCode.docDeleted);
    expect(rowCounts(db, docId)).toEqual({ updates: 0, snapshots: 0 });
  });

  it('creating and importing need an account; a connection to an id without a document is refused (4406) and creates nothing', async () => {
    const server = await start();
    expect((await api(server, 'POST', '/api/docs')).status).toBe(401);
    const importAnswer = await fetch(`${server.httpUrl}/api/docs/import`, { method: 'POST', headers: { 'content-type': 'text/markdown' }, body: '# Hi' });
    expect(importAnswer.status).toBe(401);
    const ann = await registerUser(server);
    const db = openDatabase(server.config.dataDir);
    // A stock client, a visitor's raw socket and a signed-in person's, at ids nobody made: refused.
    const docId = uniqueDocId('nobody-made');
    const stock = connectClient(server.collabUrl, docId);
    expect(await closeOf(stock)).toBe(CloseCode.docNotFound);
    for (const options of [{}, { cookie: ann.cookie }] as Array<Record<string, string>>) {
      const socket = await openRawSocket(`${server.collabUrl}/${docId}`, options);
      const closed = await socket.closed;
      expect([closed.code, closed.reason]).toEqual([CloseCode.docNotFound, 'there is no document with this id']);
    }
    // …and nothing was made: no document, no membership, nothing in the list.
    expect(db.prepare('SELECT count(*) AS n FROM documents WHERE id = ?').get(docId)).toEqual({ n: 0 });
    expect(db.prepare('SELECT count(*) AS n FROM doc_members WHERE doc_id = ?').get(docId)).toEqual({ n: 0 });
    expect((await api(server, 'GET', `/api/docs/${docId}`, { cookie: ann.cookie })).status).toBe(404);
    expect(db.prepare('SELECT count(*) AS n FROM doc_members WHERE doc_id = ?').get(docId)).toEqual({ n: 0 });
    expect((await api(server, 'GET', '/api/docs', { cookie: ann.cookie })).body.documents).toEqual([]);
    // A document that exists opens as before.
    const made = await createDoc(server, ann);
    const client = open(server, made, null);
    await whenSynced(client);
  });

  it('OPEN_DOCUMENTS: a stock client at a new address makes a document with no owner, open to anyone with its link', async () => {
    const server = await startServer({ passwordHashCost: 12, openDocuments: true });
    const docId = uniqueDocId('unowned');
    const first = connectClient(server.collabUrl, docId);
    await whenSynced(first);
    first.doc.getText('text').insert(0, 'x');
    const second = connectClient(server.collabUrl, docId);
    await waitFor(() => textOf(second) === 'x', 'the second stock client');
    // It has no owner, so nobody can change its access.
    const ann = await registerUser(server);
    expect((await api(server, 'GET', `/api/docs/${docId}`, { cookie: ann.cookie })).body).toMatchObject({ owner: null, myRole: 'editor' });
    expect((await api(server, 'PATCH', `/api/docs/${docId}/access`, { cookie: ann.cookie, body: { linkAccess: 'none' } })).body.error).toBe('no_owner');
    // A deleted document stays deleted even here.
    const owned = await createDoc(server, ann);
    expect((await api(server, 'DELETE', `/api/docs/${owned}`, { cookie: ann.cookie })).status).toBe(204);
    const late = await openRawSocket(`${server.collabUrl}/${owned}`);
    expect((await late.closed).code).toBe(CloseCode.docDeleted);
  });

  it('refuses a signed-in upgrade from a foreign page (cross-site WebSocket hijacking) with 403', async () => {
    const server = await start();
    const owner = await registerUser(server);
    const docId = await createDoc(server, owner);
    await expect(openRawSocket(`${server.collabUrl}/${docId}`, { cookie: owner.cookie, origin: 'https://evil.example' })).rejects.toThrow(/403/);
    const own = await openRawSocket(`${server.collabUrl}/${docId}`, { cookie: owner.cookie, origin: server.httpUrl });
    await waitFor(() => own.frames.length > 0, 'the own origin to be served');
  });
});

// Keeps the unused-import checker quiet about helpers only some cases need.
void encoding;
void Y;
