import { describe, expect, it } from 'vitest';
import { docConversationId } from '../../../shared/api.js';
import type { ContractKit } from './kit.js';

/** The contract's block for DocAccessStore: owners, link access, members (by name and by link), tombstones. */
export function docAccessContract({ fresh, users }: ContractKit): void {
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
      // The backends once drifted here (on the conflict, one kept via_link, the other cleared it).
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
}
