import { describe, expect, it, onTestFinished } from 'vitest';
import type { AccountStore, SessionRecord, UserRecord } from '../../server/accounts/accountStore.js';
import { docConversationId } from '../../shared/api.js';

/**
 * The account store contract: every AccountStore implementation must pass this suite.
 * `open` resolves to a fresh, empty store; `reopen` to a new store over the same data.
 */
export function accountStoreContract(
  name: string,
  open: () => Promise<{ store: AccountStore; reopen: () => Promise<AccountStore> }>,
) {
  describe(`${name} account store contract`, () => {
    async function fresh() {
      const made = await open();
      onTestFinished(() => made.store.close());
      return made;
    }
    /** Creates users with these names (ids `u-<name>`), created at 1, 2, 3… */
    async function users(store: AccountStore, ...names: string[]): Promise<UserRecord[]> {
      const made: UserRecord[] = [];
      for (const [i, name] of names.entries()) {
        const user = await store.createUser({ id: `u-${name}`, name, passwordHash: `hash-${name}`, createdAt: i + 1 });
        if (user === 'taken') throw new Error(`${name} taken`);
        made.push(user);
      }
      return made;
    }
    function session(userId: string, n: number, expiresAt: number): SessionRecord {
      return { tokenHash: `t${n}`, id: `s${n}`, userId, createdAt: n, lastUsedAt: n, expiresAt, userAgent: `agent ${n}` };
    }

    describe('users', () => {
      it('creates users and finds them by id and by name, case-insensitively', async () => {
        const { store } = await fresh();
        const created = await store.createUser({ id: 'u1', name: 'Ann', passwordHash: 'h', createdAt: 10 });
        expect(created).toEqual({ id: 'u1', name: 'Ann', passwordHash: 'h', createdAt: 10, lastSeenAt: null });
        expect(await store.getUser('u1')).toEqual(created);
        expect(await store.findUserByName('ann')).toEqual(created);
        expect(await store.findUserByName('ANN')).toEqual(created);
        expect(await store.findUserByName('bob')).toBeNull();
        expect(await store.getUser('nobody')).toBeNull();
      });

      it("a name differing only in case (or Unicode form) is 'taken' and creates nothing", async () => {
        const { store } = await fresh();
        await users(store, 'Ann');
        expect(await store.createUser({ id: 'u2', name: 'aNN', passwordHash: 'h', createdAt: 2 })).toBe('taken');
        // Fullwidth "Ａ" is "A" under NFKC.
        expect(await store.createUser({ id: 'u3', name: '\uFF21nn', passwordHash: 'h', createdAt: 3 })).toBe('taken');
        expect(await store.getUser('u2')).toBeNull();
        expect((await store.listUsers()).map((u) => u.id)).toEqual(['u-Ann']);
        expect((await store.findUserByName('ann'))?.name).toBe('Ann');
      });

      it("a name that looks like one taken (confusables, ASCII look-alikes) is 'taken'; sign-in stays by the exact name", async () => {
        const { store } = await fresh();
        await users(store, 'admin', 'Paul');
        const lookalikes = ['\u0430dmin', 'ADM1N', 'admIn', '\u0430\u0501min', 'PauI', 'Pau1', '\u0420aul'];
        for (const [i, name] of lookalikes.entries()) {
          expect(await store.createUser({ id: `x${i}`, name, passwordHash: 'h', createdAt: 10 + i }), name).toBe('taken');
        }
        expect((await store.listUsers()).map((u) => u.name)).toEqual(['admin', 'Paul']);
        // Look-alikes are refused, not found: signing in and sharing still need the exact name.
        expect(await store.findUserByName('\u0430dmin')).toBeNull();
        expect((await store.findUserByName('ADMIN'))?.id).toBe('u-admin');
        // Names that merely share letters are fine.
        expect(await store.createUser({ id: 'y1', name: 'adrian', passwordHash: 'h', createdAt: 20 })).not.toBe('taken');
      });

      it('lists every user by name, case-insensitively', async () => {
        const { store } = await fresh();
        await users(store, 'bob', 'Zed', 'ann', 'Carl');
        expect((await store.listUsers()).map((u) => u.name)).toEqual(['ann', 'bob', 'Carl', 'Zed']);
      });

      it('records when a user was last seen', async () => {
        const { store } = await fresh();
        await users(store, 'ann');
        await store.setLastSeen('u-ann', 500);
        expect((await store.getUser('u-ann'))?.lastSeenAt).toBe(500);
        await store.setLastSeen('u-ann', 700);
        expect((await store.findUserByName('ANN'))?.lastSeenAt).toBe(700);
      });

      it('replaces a password hash', async () => {
        const { store } = await fresh();
        await users(store, 'ann', 'bob');
        await store.setPasswordHash('u-ann', 'scrypt$17$8$1$new$hash');
        expect((await store.getUser('u-ann'))?.passwordHash).toBe('scrypt$17$8$1$new$hash');
        expect((await store.getUser('u-bob'))?.passwordHash).not.toBe('scrypt$17$8$1$new$hash');
      });
    });

    describe('sessions', () => {
      it('creates, finds (expired or not), touches and deletes a session', async () => {
        const { store } = await fresh();
        await users(store, 'ann');
        const s = session('u-ann', 1, 100);
        await store.createSession(s);
        expect(await store.findSession('t1')).toEqual(s);
        await store.touchSession('t1', 50, 150);
        const touched = { ...s, lastUsedAt: 50, expiresAt: 150 };
        expect(await store.findSession('t1')).toEqual(touched);
        // Expired sessions are still found: the caller decides.
        await store.touchSession('t1', 50, 60);
        expect((await store.findSession('t1'))?.expiresAt).toBe(60);
        expect(await store.deleteSession('t1')).toEqual({ ...touched, expiresAt: 60 });
        expect(await store.deleteSession('t1')).toBeNull();
        expect(await store.findSession('t1')).toBeNull();
      });

      it('lists a user\'s unexpired sessions newest first, and deletes the expired ones', async () => {
        const { store } = await fresh();
        await users(store, 'ann', 'bob');
        await store.createSession(session('u-ann', 1, 1000));
        await store.createSession(session('u-ann', 2, 100));
        await store.createSession(session('u-ann', 3, 2000));
        await store.createSession(session('u-bob', 4, 1000));
        await store.createSession(session('u-bob', 5, 99));
        expect((await store.listSessions('u-ann', 50)).map((s) => s.id)).toEqual(['s3', 's2', 's1']);
        // A session whose expiresAt is now has expired.
        expect((await store.listSessions('u-ann', 100)).map((s) => s.id)).toEqual(['s3', 's1']);
        expect(await store.deleteExpiredSessions(100)).toBe(2);
        expect(await store.findSession('t2')).toBeNull();
        expect(await store.findSession('t5')).toBeNull();
        expect(await store.findSession('t4')).not.toBeNull();
        expect(await store.deleteExpiredSessions(100)).toBe(0);
        expect((await store.listSessions('u-bob', 0)).map((s) => s.id)).toEqual(['s4']);
      });

      it('deletes a session by its public id only for the user who owns it', async () => {
        const { store } = await fresh();
        await users(store, 'ann', 'bob');
        const s = session('u-ann', 1, 1000);
        await store.createSession(s);
        expect(await store.deleteSessionById('u-bob', 's1')).toBeNull();
        expect(await store.findSession('t1')).toEqual(s);
        expect(await store.deleteSessionById('u-ann', 'nope')).toBeNull();
        expect(await store.deleteSessionById('u-ann', 's1')).toEqual(s);
        expect(await store.findSession('t1')).toBeNull();
        expect(await store.deleteSessionById('u-ann', 's1')).toBeNull();
      });
    });

    describe('document access and members', () => {
      it('records a document\'s owner as a member and its link access; a second record is refused', async () => {
        const { store } = await fresh();
        await users(store, 'ann', 'bob');
        expect(await store.getDocAccess('d1')).toBeNull();
        await store.createDocAccess('d1', 'u-ann', 'edit', 10);
        expect(await store.getDocAccess('d1')).toEqual({ docId: 'd1', ownerId: 'u-ann', linkAccess: 'edit', deletedAt: null });
        expect(await store.getMember('d1', 'u-ann')).toEqual({ docId: 'd1', userId: 'u-ann', role: 'owner', joinedAt: 10, viaLink: false });
        await expect(store.createDocAccess('d1', 'u-bob', 'view', 11)).rejects.toThrow();
        expect((await store.getDocAccess('d1'))?.ownerId).toBe('u-ann');
        await store.setLinkAccess('d1', 'none');
        expect((await store.getDocAccess('d1'))?.linkAccess).toBe('none');
        await store.setLinkAccess('d1', 'view');
        expect((await store.getDocAccess('d1'))?.linkAccess).toBe('view');
      });

      it('the owner of a document is never a member by link, even one who had joined it by link before', async () => {
        const { store } = await fresh();
        await users(store, 'ann');
        // A document without a record (a stock client made it) that ann joined by opening its link.
        expect(await store.joinViaLink('d1', 'u-ann', 'editor', 5)).toBe(true);
        await store.createDocAccess('d1', 'u-ann', 'none', 10);
        expect(await store.getMember('d1', 'u-ann')).toEqual({ docId: 'd1', userId: 'u-ann', role: 'owner', joinedAt: 5, viaLink: false });
      });

      it('adds members, changes their role (keeping when they joined), removes them', async () => {
        const { store } = await fresh();
        await users(store, 'ann', 'bob');
        await store.createDocAccess('d1', 'u-ann', 'none', 10);
        expect(await store.getMember('d1', 'u-bob')).toBeNull();
        await store.setMember('d1', 'u-bob', 'viewer', 20);
        expect(await store.getMember('d1', 'u-bob')).toEqual({ docId: 'd1', userId: 'u-bob', role: 'viewer', joinedAt: 20, viaLink: false });
        await store.setMember('d1', 'u-bob', 'editor', 30);
        expect(await store.getMember('d1', 'u-bob')).toEqual({ docId: 'd1', userId: 'u-bob', role: 'editor', joinedAt: 20, viaLink: false });
        expect(await store.removeMember('d1', 'u-bob')).toBe(true);
        expect(await store.getMember('d1', 'u-bob')).toBeNull();
        expect(await store.removeMember('d1', 'u-bob')).toBe(false);
        expect(await store.removeMember('nodoc', 'u-ann')).toBe(false);
      });

      it('joins by link only if not a member yet; sharing by name makes the role stick', async () => {
        const { store } = await fresh();
        await users(store, 'ann', 'bob', 'cy');
        await store.createDocAccess('d1', 'u-ann', 'edit', 10);
        expect(await store.joinViaLink('d1', 'u-bob', 'editor', 20)).toBe(true);
        expect(await store.getMember('d1', 'u-bob')).toEqual({ docId: 'd1', userId: 'u-bob', role: 'editor', joinedAt: 20, viaLink: true });
        // Never over an existing membership, named or not (a share that landed first wins).
        expect(await store.joinViaLink('d1', 'u-bob', 'viewer', 30)).toBe(false);
        expect(await store.joinViaLink('d1', 'u-ann', 'editor', 30)).toBe(false);
        expect((await store.getMember('d1', 'u-ann'))?.role).toBe('owner');
        // The link's role changes, still by link.
        await store.setMember('d1', 'u-bob', 'viewer', 20, true);
        expect(await store.getMember('d1', 'u-bob')).toMatchObject({ role: 'viewer', viaLink: true });
        // Shared by name: no longer by link.
        await store.setMember('d1', 'u-bob', 'editor', 20);
        expect(await store.getMember('d1', 'u-bob')).toMatchObject({ role: 'editor', viaLink: false, joinedAt: 20 });
        await store.setMember('d1', 'u-cy', 'viewer', 40);
        expect(await store.joinViaLink('d1', 'u-cy', 'editor', 50)).toBe(false);
        expect(await store.getMember('d1', 'u-cy')).toMatchObject({ role: 'viewer', viaLink: false });
        expect((await store.listMembers('d1')).map((m) => [m.userId, m.viaLink])).toEqual([['u-ann', false], ['u-bob', false], ['u-cy', false]]);
        expect((await store.listMemberships('u-bob'))[0]).toMatchObject({ docId: 'd1', viaLink: false });
      });

      it('lists members owner first, then by role, then by join time', async () => {
        const { store } = await fresh();
        await users(store, 'ann', 'bob', 'cy', 'dee', 'eve');
        await store.setMember('d1', 'u-bob', 'viewer', 5);
        await store.setMember('d1', 'u-cy', 'editor', 6);
        await store.createDocAccess('d1', 'u-ann', 'edit', 10);
        await store.setMember('d1', 'u-dee', 'editor', 4);
        await store.setMember('d1', 'u-eve', 'viewer', 3);
        expect((await store.listMembers('d1')).map((m) => [m.userId, m.role])).toEqual([
          ['u-ann', 'owner'],
          ['u-dee', 'editor'],
          ['u-cy', 'editor'],
          ['u-eve', 'viewer'],
          ['u-bob', 'viewer'],
        ]);
        expect(await store.listMembers('other')).toEqual([]);
      });

      it('a document made before accounts (no record) can still have members', async () => {
        const { store } = await fresh();
        await users(store, 'ann');
        await store.setMember('legacy', 'u-ann', 'editor', 5);
        expect(await store.getDocAccess('legacy')).toBeNull();
        expect(await store.listMemberships('u-ann')).toEqual([{ docId: 'legacy', userId: 'u-ann', role: 'editor', joinedAt: 5, viaLink: false }]);
      });

      it('lists the documents a user is a member of, leaving deleted ones out', async () => {
        const { store } = await fresh();
        await users(store, 'ann', 'bob');
        await store.createDocAccess('d1', 'u-ann', 'edit', 1);
        await store.createDocAccess('d2', 'u-bob', 'edit', 2);
        await store.createDocAccess('d3', 'u-bob', 'edit', 3);
        await store.setMember('d2', 'u-ann', 'viewer', 4);
        await store.setMember('d3', 'u-ann', 'editor', 5);
        expect((await store.listMemberships('u-ann')).map((m) => [m.docId, m.role]).sort()).toEqual([
          ['d1', 'owner'],
          ['d2', 'viewer'],
          ['d3', 'editor'],
        ]);
        await store.markDocDeleted('d2', 6);
        expect((await store.listMemberships('u-ann')).map((m) => m.docId).sort()).toEqual(['d1', 'd3']);
        expect((await store.listMemberships('u-bob')).map((m) => m.docId)).toEqual(['d3']);
      });

      it('deleting a document keeps a tombstone and removes its members, chat, read marks and notifications', async () => {
        const { store } = await fresh();
        await users(store, 'ann', 'bob');
        await store.createDocAccess('d1', 'u-ann', 'view', 1);
        await store.createDocAccess('d2', 'u-ann', 'edit', 1);
        await store.setMember('d1', 'u-bob', 'editor', 2);
        const chat = docConversationId('d1');
        const otherChat = docConversationId('d2');
        const m1 = await store.appendMessage({ conversationId: chat, authorId: 'u-ann', text: 'hi', createdAt: 3 });
        await store.appendMessage({ conversationId: otherChat, authorId: 'u-ann', text: 'kept', createdAt: 4 });
        await store.markConversationRead('u-bob', chat, m1.id);
        await store.addNotification({ userId: 'u-bob', actorId: 'u-ann', createdAt: 5, body: { kind: 'share', docId: 'd1', docTitle: 'One', role: 'editor' } });
        await store.addNotification({
          userId: 'u-bob',
          actorId: 'u-ann',
          createdAt: 6,
          body: { kind: 'mention', conversationId: chat, conversationTitle: 'One', messageId: m1.id, excerpt: '@bob', docId: 'd1' },
        });
        const keptShare = await store.addNotification({ userId: 'u-bob', actorId: 'u-ann', createdAt: 7, body: { kind: 'share', docId: 'd2', docTitle: 'Two', role: 'viewer' } });

        await store.markDocDeleted('d1', 100);
        expect(await store.getDocAccess('d1')).toEqual({ docId: 'd1', ownerId: 'u-ann', linkAccess: 'view', deletedAt: 100 });
        expect(await store.listMembers('d1')).toEqual([]);
        expect(await store.getMember('d1', 'u-ann')).toBeNull();
        expect(await store.listMessages(chat, null, 50)).toEqual({ messages: [], hasMore: false });
        expect(await store.lastMessageAt(chat)).toBeNull();
        expect((await store.listNotifications('u-bob', 10)).map((n) => n.id)).toEqual([keptShare.id]);
        expect(await store.unreadNotificationCount('u-bob')).toBe(1);
        // The other document is untouched.
        expect((await store.listMessages(otherChat, null, 50)).messages.map((m) => m.text)).toEqual(['kept']);
        expect((await store.getMember('d2', 'u-ann'))?.role).toBe('owner');
        // Deleting again keeps the first time; an unknown document gets a tombstone.
        await store.markDocDeleted('d1', 200);
        expect((await store.getDocAccess('d1'))?.deletedAt).toBe(100);
        await store.markDocDeleted('never-recorded', 300);
        expect(await store.getDocAccess('never-recorded')).toMatchObject({ ownerId: null, deletedAt: 300 });
      });
    });

    describe('conversations', () => {
      it('creates a direct conversation and finds it with the two users in either order', async () => {
        const { store } = await fresh();
        await users(store, 'ann', 'bob', 'cy');
        const direct = { id: 'c1', kind: 'direct' as const, title: '', createdBy: 'u-ann', createdAt: 10 };
        await store.createConversation(direct, ['u-ann', 'u-bob']);
        expect(await store.getConversation('c1')).toEqual(direct);
        expect(await store.findDirectConversation('u-ann', 'u-bob')).toEqual(direct);
        expect(await store.findDirectConversation('u-bob', 'u-ann')).toEqual(direct);
        expect(await store.findDirectConversation('u-ann', 'u-cy')).toBeNull();
        expect(await store.getConversation('nope')).toBeNull();
        // One direct conversation per pair: a second one is refused (find-or-create re-finds it).
        await expect(store.createConversation({ ...direct, id: 'c2' }, ['u-bob', 'u-ann'])).rejects.toThrow();
        expect(await store.getConversation('c2')).toBeNull();
        // A group with the same two people is not a direct conversation.
        await store.createConversation({ id: 'g1', kind: 'group', title: 'Two', createdBy: 'u-ann', createdAt: 11 }, ['u-ann', 'u-bob']);
        expect((await store.findDirectConversation('u-ann', 'u-bob'))?.id).toBe('c1');
      });

      it('lists a user\'s direct and group conversations, and every group', async () => {
        const { store } = await fresh();
        await users(store, 'ann', 'bob', 'cy');
        await store.createConversation({ id: 'd-ab', kind: 'direct', title: '', createdBy: 'u-ann', createdAt: 1 }, ['u-ann', 'u-bob']);
        await store.createConversation({ id: 'd-bc', kind: 'direct', title: '', createdBy: 'u-bob', createdAt: 2 }, ['u-bob', 'u-cy']);
        await store.createConversation({ id: 'g-1', kind: 'group', title: 'Writers', createdBy: 'u-ann', createdAt: 3 }, ['u-ann']);
        await store.createConversation({ id: 'g-2', kind: 'group', title: 'Readers', createdBy: 'u-cy', createdAt: 4 }, ['u-cy', 'u-bob']);
        expect((await store.listConversationsOf('u-ann')).map((c) => c.id).sort()).toEqual(['d-ab', 'g-1']);
        expect((await store.listConversationsOf('u-bob')).map((c) => c.id).sort()).toEqual(['d-ab', 'd-bc', 'g-2']);
        expect(await store.listConversationsOf('nobody')).toEqual([]);
        const groups = await store.listGroups();
        expect(groups.map((c) => c.id).sort()).toEqual(['g-1', 'g-2']);
        expect(groups.find((c) => c.id === 'g-1')).toEqual({ id: 'g-1', kind: 'group', title: 'Writers', createdBy: 'u-ann', createdAt: 3 });
      });

      it('adds and removes conversation members', async () => {
        const { store } = await fresh();
        await users(store, 'ann', 'bob', 'cy');
        await store.createConversation({ id: 'g', kind: 'group', title: 'G', createdBy: 'u-ann', createdAt: 1 }, ['u-ann']);
        expect(await store.listConversationMembers('g')).toEqual(['u-ann']);
        expect(await store.isConversationMember('g', 'u-bob')).toBe(false);
        await store.addConversationMember('g', 'u-bob', 2);
        await store.addConversationMember('g', 'u-bob', 3);
        expect(await store.isConversationMember('g', 'u-bob')).toBe(true);
        expect((await store.listConversationMembers('g')).sort()).toEqual(['u-ann', 'u-bob']);
        expect((await store.listConversationsOf('u-bob')).map((c) => c.id)).toEqual(['g']);
        expect(await store.removeConversationMember('g', 'u-bob')).toBe(true);
        expect(await store.removeConversationMember('g', 'u-bob')).toBe(false);
        expect(await store.removeConversationMember('g', 'u-cy')).toBe(false);
        expect(await store.isConversationMember('g', 'u-bob')).toBe(false);
        expect(await store.listConversationsOf('u-bob')).toEqual([]);
        expect(await store.listConversationMembers('nope')).toEqual([]);
      });
    });

    describe('messages', () => {
      it('appends messages with ids increasing across conversations', async () => {
        const { store } = await fresh();
        await users(store, 'ann');
        const a = await store.appendMessage({ conversationId: 'x', authorId: 'u-ann', text: 'one', createdAt: 1 });
        const b = await store.appendMessage({ conversationId: 'doc:d', authorId: 'u-ann', text: 'two', createdAt: 2 });
        const c = await store.appendMessage({ conversationId: 'x', authorId: 'u-ann', text: 'three', createdAt: 3 });
        expect(a).toEqual({ id: a.id, conversationId: 'x', authorId: 'u-ann', text: 'one', createdAt: 1 });
        expect(b.id).toBeGreaterThan(a.id);
        expect(c.id).toBeGreaterThan(b.id);
        expect(await store.lastMessageAt('x')).toBe(3);
        expect(await store.lastMessageAt('doc:d')).toBe(2);
        expect(await store.lastMessageAt('empty')).toBeNull();
      });

      it('pages backwards: `limit` messages before `before`, oldest first, hasMore while older ones remain', async () => {
        const { store } = await fresh();
        await users(store, 'ann');
        const ids: number[] = [];
        for (let i = 1; i <= 7; i++) {
          ids.push((await store.appendMessage({ conversationId: 'c', authorId: 'u-ann', text: `m${i}`, createdAt: i })).id);
          await store.appendMessage({ conversationId: 'other', authorId: 'u-ann', text: `o${i}`, createdAt: i });
        }
        const texts = (page: { messages: { text: string }[] }) => page.messages.map((m) => m.text);
        const first = await store.listMessages('c', null, 3);
        expect(texts(first)).toEqual(['m5', 'm6', 'm7']);
        expect(first.hasMore).toBe(true);
        const second = await store.listMessages('c', first.messages[0]!.id, 3);
        expect(texts(second)).toEqual(['m2', 'm3', 'm4']);
        expect(second.hasMore).toBe(true);
        const third = await store.listMessages('c', second.messages[0]!.id, 3);
        expect(texts(third)).toEqual(['m1']);
        expect(third.hasMore).toBe(false);
        // Exactly `limit` left: no more.
        expect(await store.listMessages('c', ids[3]!, 3)).toMatchObject({ hasMore: false });
        expect(texts(await store.listMessages('c', null, 7))).toEqual(['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7']);
        expect((await store.listMessages('c', null, 7)).hasMore).toBe(false);
        expect(await store.listMessages('c', ids[0]!, 10)).toEqual({ messages: [], hasMore: false });
        expect(await store.listMessages('none', null, 10)).toEqual({ messages: [], hasMore: false });
        const all = await store.listMessages('c', null, 100);
        expect(all.messages[6]).toEqual({ id: ids[6], conversationId: 'c', authorId: 'u-ann', text: 'm7', createdAt: 7 });
      });

      it('counts unread messages after the read mark, not the reader\'s own; the mark never moves backwards', async () => {
        const { store } = await fresh();
        await users(store, 'ann', 'bob');
        const say = (authorId: string, text: string) => store.appendMessage({ conversationId: 'c', authorId, text, createdAt: 1 });
        const b1 = await say('u-bob', 'b1');
        await say('u-ann', 'a1');
        const b2 = await say('u-bob', 'b2');
        await say('u-bob', 'b3');
        expect(await store.unreadCount('u-ann', 'c')).toBe(3);
        expect(await store.unreadCount('u-bob', 'c')).toBe(1);
        await store.markConversationRead('u-ann', 'c', b2.id);
        expect(await store.unreadCount('u-ann', 'c')).toBe(1);
        await store.markConversationRead('u-ann', 'c', b1.id);
        expect(await store.unreadCount('u-ann', 'c')).toBe(1);
        await say('u-ann', 'a2');
        expect(await store.unreadCount('u-ann', 'c')).toBe(1);
        expect(await store.unreadCount('u-ann', 'other')).toBe(0);
        // Marks are per user and per conversation.
        expect(await store.unreadCount('u-bob', 'c')).toBe(2);
      });
    });

    describe('notifications', () => {
      it('adds notifications and lists them newest first, at most `limit`', async () => {
        const { store } = await fresh();
        await users(store, 'ann', 'bob');
        const share = await store.addNotification({ userId: 'u-ann', actorId: 'u-bob', createdAt: 1, body: { kind: 'share', docId: 'd', docTitle: 'T', role: 'viewer' } });
        expect(share).toEqual({ id: share.id, userId: 'u-ann', actorId: 'u-bob', createdAt: 1, readAt: null, body: { kind: 'share', docId: 'd', docTitle: 'T', role: 'viewer' } });
        const mention = await store.addNotification({
          userId: 'u-ann',
          actorId: 'u-bob',
          createdAt: 1,
          body: { kind: 'mention', conversationId: 'g', conversationTitle: 'G', messageId: 7, excerpt: 'hey @ann' },
        });
        await store.addNotification({ userId: 'u-bob', actorId: 'u-ann', createdAt: 2, body: { kind: 'share', docId: 'e', docTitle: 'E', role: 'editor' } });
        expect(mention.id).toBeGreaterThan(share.id);
        expect(await store.listNotifications('u-ann', 10)).toEqual([mention, share]);
        expect(await store.listNotifications('u-ann', 1)).toEqual([mention]);
        expect(await store.unreadNotificationCount('u-ann')).toBe(2);
        expect(await store.unreadNotificationCount('u-bob')).toBe(1);
      });

      it('marks some or all of a user\'s notifications read, never another user\'s, keeping the first read time', async () => {
        const { store } = await fresh();
        await users(store, 'ann', 'bob');
        const body = { kind: 'share' as const, docId: 'd', docTitle: 'T', role: 'viewer' as const };
        const a1 = await store.addNotification({ userId: 'u-ann', actorId: 'u-bob', createdAt: 1, body });
        const a2 = await store.addNotification({ userId: 'u-ann', actorId: 'u-bob', createdAt: 2, body });
        const a3 = await store.addNotification({ userId: 'u-ann', actorId: 'u-bob', createdAt: 3, body });
        const b1 = await store.addNotification({ userId: 'u-bob', actorId: 'u-ann', createdAt: 4, body });
        await store.markNotificationsRead('u-ann', 10, [a1.id, b1.id]);
        const readAt = async (userId: string) => Object.fromEntries((await store.listNotifications(userId, 10)).map((n) => [n.id, n.readAt]));
        expect(await readAt('u-ann')).toEqual({ [a1.id]: 10, [a2.id]: null, [a3.id]: null });
        expect(await readAt('u-bob')).toEqual({ [b1.id]: null });
        expect(await store.unreadNotificationCount('u-ann')).toBe(2);
        await store.markNotificationsRead('u-ann', 15, []);
        expect(await store.unreadNotificationCount('u-ann')).toBe(2);
        await store.markNotificationsRead('u-ann', 20);
        expect(await readAt('u-ann')).toEqual({ [a1.id]: 10, [a2.id]: 20, [a3.id]: 20 });
        expect(await store.unreadNotificationCount('u-ann')).toBe(0);
        expect(await store.unreadNotificationCount('u-bob')).toBe(1);
      });
    });

    describe('sign-in attempt budgets', () => {
      // 3 attempts, one back every 20 s; and 5, one back every 12 s.
      const small = { key: 'ip:10.0.0.1', ratePerSecond: 3 / 60, burst: 3 };
      const large = { key: 'name:ann', ratePerSecond: 5 / 60, burst: 5 };

      it('spends from every budget or from none, says how long to wait, and refills over time', async () => {
        const { store } = await fresh();
        for (let i = 0; i < 3; i++) expect(await store.spendAttempt([small, large], 1000)).toBe(0);
        // The small budget is empty: 20 s until one attempt is back; the large one loses nothing.
        expect(await store.spendAttempt([small, large], 1000)).toBe(20_000);
        expect(await store.spendAttempt([large], 1000)).toBe(0);
        expect(await store.spendAttempt([large], 1000)).toBe(0);
        expect(await store.spendAttempt([large], 1000)).toBe(12_000);
        // 5 s later the small budget has a quarter of an attempt: 15 s to go.
        expect(await store.spendAttempt([small], 6000)).toBe(15_000);
        expect(await store.spendAttempt([small], 21_000)).toBe(0);
        expect(await store.spendAttempt([small], 21_000)).toBe(20_000);
        // Another key is another budget.
        expect(await store.spendAttempt([{ ...small, key: 'ip:10.0.0.2' }], 21_000)).toBe(0);
      });

      it('gives attempts back, never past the burst, and forgets budgets that are full again', async () => {
        const { store } = await fresh();
        await store.spendAttempt([small], 0);
        await store.spendAttempt([small], 0);
        await store.refundAttempt([small, large], 0);
        await store.refundAttempt([small], 0);
        await store.refundAttempt([small], 0);
        // Back to three (not four), and the large budget, never spent, is still full.
        for (let i = 0; i < 3; i++) expect(await store.spendAttempt([small, large], 0)).toBe(0);
        expect(await store.spendAttempt([small], 0)).toBeGreaterThan(0);
        // The large budget (2 of 5 left at 0) is full again at 36 s, the small one (empty) at 60 s.
        expect(await store.forgetFullBudgets(35_000)).toBe(0);
        expect(await store.forgetFullBudgets(60_000)).toBe(2);
        expect(await store.spendAttempt([small], 60_000)).toBe(0);
        expect(await store.forgetFullBudgets(60_000)).toBe(0);
      });

      it('is one budget for every store on the same data, and survives a reopen', async () => {
        const { store, reopen } = await fresh();
        const other = await reopen();
        onTestFinished(() => other.close());
        const outcomes = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? store : other).spendAttempt([small, large], 0)));
        expect(outcomes.filter((wait) => wait === 0)).toHaveLength(3);
        await other.close();
        const again = await reopen();
        onTestFinished(() => again.close());
        expect(await again.spendAttempt([small], 0)).toBe(20_000);
        expect(await again.spendAttempt([large], 0)).toBe(0);
        expect(await again.spendAttempt([large], 0)).toBe(0);
        expect(await again.spendAttempt([large], 0)).toBe(12_000);
      });
    });

    it('keeps everything across close and reopen; ids are never reused', async () => {
      const { store, reopen } = await fresh();
      const [ann] = await users(store, 'Ann', 'bob');
      await store.setLastSeen('u-Ann', 42);
      await store.createSession(session('u-Ann', 1, 1000));
      await store.createDocAccess('d1', 'u-Ann', 'view', 5);
      await store.setMember('d1', 'u-bob', 'editor', 6);
      await store.createConversation({ id: 'c', kind: 'direct', title: '', createdBy: 'u-Ann', createdAt: 7 }, ['u-Ann', 'u-bob']);
      const kept = await store.appendMessage({ conversationId: 'c', authorId: 'u-bob', text: 'hello', createdAt: 8 });
      await store.markConversationRead('u-Ann', 'c', kept.id);
      const newest = await store.appendMessage({ conversationId: docConversationId('gone'), authorId: 'u-bob', text: 'x', createdAt: 9 });
      await store.markDocDeleted('gone', 10);
      const note = await store.addNotification({ userId: 'u-bob', actorId: 'u-Ann', createdAt: 11, body: { kind: 'share', docId: 'd1', docTitle: 'D', role: 'editor' } });
      await store.close();

      const again = await reopen();
      onTestFinished(() => again.close());
      expect(await again.findUserByName('ann')).toEqual({ ...ann, lastSeenAt: 42 });
      expect(await again.findSession('t1')).toEqual(session('u-Ann', 1, 1000));
      expect(await again.getDocAccess('d1')).toEqual({ docId: 'd1', ownerId: 'u-Ann', linkAccess: 'view', deletedAt: null });
      expect((await again.listMembers('d1')).map((m) => m.userId)).toEqual(['u-Ann', 'u-bob']);
      expect(await again.findDirectConversation('u-bob', 'u-Ann')).toMatchObject({ id: 'c' });
      expect((await again.listMessages('c', null, 10)).messages).toEqual([kept]);
      expect(await again.unreadCount('u-Ann', 'c')).toBe(0);
      expect((await again.getDocAccess('gone'))?.deletedAt).toBe(10);
      expect(await again.listNotifications('u-bob', 10)).toEqual([note]);
      // The deleted document's message had the highest id; it is not handed out again.
      const next = await again.appendMessage({ conversationId: 'c', authorId: 'u-Ann', text: 'again', createdAt: 12 });
      expect(next.id).toBeGreaterThan(newest.id);
    });

    it('rejects on a failed write (a session for no such user) and closes twice safely', async () => {
      const { store } = await fresh();
      await expect(store.createSession(session('nobody', 1, 10))).rejects.toThrow();
      await store.close();
      await store.close();
    });
  });
}
