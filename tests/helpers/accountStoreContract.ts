import { describe, expect, it, onTestFinished } from 'vitest';
import { docConversationId } from '../../shared/api.js';
import { attemptBudgetsContract } from './accountStoreContract/attemptBudgets.js';
import { chatContract } from './accountStoreContract/chat.js';
import { commentsContract } from './accountStoreContract/comments.js';
import { docAccessContract } from './accountStoreContract/docAccess.js';
import { type OpenAccountStore, contractKit } from './accountStoreContract/kit.js';
import { notificationsContract } from './accountStoreContract/notifications.js';
import { sessionsContract } from './accountStoreContract/sessions.js';
import { usersContract } from './accountStoreContract/users.js';

/**
 * The account store contract: every AccountStore implementation must pass this suite, one block per
 * domain (accountStoreContract/*.ts, named for the interface of server/accounts/accountStore.ts it
 * holds to) and, here, what holds across domains. `open` resolves to a fresh, empty store; `reopen`
 * to a new store over the same data.
 */
export function accountStoreContract(name: string, open: OpenAccountStore) {
  describe(`${name} account store contract`, () => {
    const kit = contractKit(open);
    const { fresh, users, session } = kit;
    usersContract(kit);
    sessionsContract(kit);
    docAccessContract(kit);
    chatContract(kit);
    commentsContract(kit);
    notificationsContract(kit);
    attemptBudgetsContract(kit);

    describe('across domains', () => {
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
  });
}
