import { describe, expect, it } from 'vitest';
import type { ContractKit } from './kit.js';

/** The contract's block for ChatStore: direct and group conversations, their members, messages and read marks. */
export function chatContract({ fresh, users }: ContractKit): void {
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
}
