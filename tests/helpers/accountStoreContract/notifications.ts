import { describe, expect, it } from 'vitest';
import type { ContractKit } from './kit.js';

/** The contract's block for NotificationStore: adding, listing, counting and marking read. */
export function notificationsContract({ fresh, users }: ContractKit): void {
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
}
