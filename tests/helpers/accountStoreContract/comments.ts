import { describe, expect, it } from 'vitest';
import type { AccountStore, AnchorRecord } from '../../../server/accounts/accountStore.js';
import type { ContractKit } from './kit.js';

const anchor = (n: number): AnchorRecord => ({ start: new Uint8Array([1, n, 0, 255]), end: new Uint8Array([2, n]), excerpt: `text ${n}` });

async function thread(store: AccountStore, docId: string, by: string, at: number, body = `opened at ${at}`) {
  return store.createThread({ docId, anchor: anchor(at), createdBy: by, createdAt: at }, body);
}

/** The contract's block for CommentStore: threads, comments, reactions, resolution, pages, deletion. */
export function commentsContract({ fresh, users }: ContractKit): void {
  describe('comments', () => {
    it('creates a thread with its first comment, byte-exact anchor, and reads it back', async () => {
      const { store } = await fresh();
      await users(store, 'ann');
      const made = await thread(store, 'd1', 'u-ann', 10, 'look — ünïcödé 👍');
      expect(made).toEqual({
        id: made.id,
        docId: 'd1',
        anchor: anchor(10),
        createdBy: 'u-ann',
        createdAt: 10,
        resolvedBy: null,
        resolvedAt: null,
        comments: [{ id: made.comments[0]!.id, threadId: made.id, authorId: 'u-ann', body: 'look — ünïcödé 👍', createdAt: 10, editedAt: null, reactions: [] }],
      });
      expect(await store.getThread(made.id)).toEqual(made);
      expect(await store.getThread(made.id + 1000)).toBeNull();
      expect((await store.listThreads('d1', null, 10)).threads).toHaveLength(1);
    });

    it('keeps guests\' threads, replies, reactions and resolutions, and the name each guest last gave', async () => {
      const { store } = await fresh();
      await users(store, 'ann');
      const guest = 'g:0123456789abcdef01234567';
      expect(await store.guestName(guest)).toBeNull();
      await store.saveGuest({ id: guest, name: 'Visiting Otter', at: 1 });
      await store.saveGuest({ id: guest, name: 'Otter', at: 2 });
      expect(await store.guestName(guest)).toBe('Otter');
      expect(await store.guestName('g:other')).toBeNull();
      const t = await thread(store, 'd1', guest, 10, 'from a guest');
      const reply = await store.addComment({ threadId: t.id, authorId: 'u-ann', body: 'welcome', createdAt: 11 });
      expect(await store.setReaction(reply.id, guest, '👍', true, 12)).toBe(true);
      expect(await store.setThreadResolved(t.id, guest, 13)).toBe(true);
      const read = (await store.getThread(t.id))!;
      expect(read).toMatchObject({ createdBy: guest, resolvedBy: guest });
      expect(read.comments.map((c) => [c.authorId, c.reactions.map((r) => r.userId)])).toEqual([
        [guest, []],
        ['u-ann', [guest]],
      ]);
    });

    it('replies, edits, reacts and resolves', async () => {
      const { store } = await fresh();
      await users(store, 'ann', 'bob');
      const t = await thread(store, 'd1', 'u-ann', 10);
      const reply = await store.addComment({ threadId: t.id, authorId: 'u-bob', body: 'reply', createdAt: 11 });
      expect(reply).toEqual({ id: reply.id, threadId: t.id, authorId: 'u-bob', body: 'reply', createdAt: 11, editedAt: null, reactions: [] });
      expect(reply.id).toBeGreaterThan(t.comments[0]!.id);
      await expect(store.addComment({ threadId: t.id + 1000, authorId: 'u-bob', body: 'x', createdAt: 12 })).rejects.toThrow();
      expect(await store.threadOfComment(reply.id)).toBe(t.id);
      expect(await store.threadOfComment(reply.id + 1000)).toBeNull();

      expect(await store.editComment(reply.id, 'edited', 13)).toBe(true);
      expect(await store.editComment(reply.id + 1000, 'x', 13)).toBe(false);

      expect(await store.setReaction(reply.id, 'u-ann', '👍', true, 14)).toBe(true);
      expect(await store.setReaction(reply.id, 'u-ann', '👍', true, 15)).toBe(false);
      expect(await store.setReaction(reply.id, 'u-bob', '🎉', true, 16)).toBe(true);
      expect(await store.setReaction(reply.id, 'u-bob', '👍', true, 17)).toBe(true);
      await expect(store.setReaction(reply.id + 1000, 'u-bob', '👍', true, 18)).rejects.toThrow();

      expect(await store.setThreadResolved(t.id, 'u-bob', 19)).toBe(true);
      expect(await store.setThreadResolved(t.id + 1000, 'u-bob', 19)).toBe(false);
      let read = (await store.getThread(t.id))!;
      expect(read.resolvedBy).toBe('u-bob');
      expect(read.resolvedAt).toBe(19);
      expect(read.comments[1]).toEqual({
        ...reply,
        body: 'edited',
        editedAt: 13,
        reactions: [
          { emoji: '👍', userId: 'u-ann', createdAt: 14 },
          { emoji: '🎉', userId: 'u-bob', createdAt: 16 },
          { emoji: '👍', userId: 'u-bob', createdAt: 17 },
        ],
      });

      expect(await store.setReaction(reply.id, 'u-ann', '👍', false, 20)).toBe(true);
      expect(await store.setReaction(reply.id, 'u-ann', '👍', false, 21)).toBe(false);
      await store.setThreadResolved(t.id, null, null);
      read = (await store.getThread(t.id))!;
      expect(read.resolvedAt).toBeNull();
      expect(read.resolvedBy).toBeNull();
      expect(read.comments[1]!.reactions.map((r) => r.userId)).toEqual(['u-bob', 'u-bob']);
    });

    it('deletes comments; the last one takes its thread with it', async () => {
      const { store } = await fresh();
      await users(store, 'ann', 'bob');
      const t = await thread(store, 'd1', 'u-ann', 10);
      const reply = await store.addComment({ threadId: t.id, authorId: 'u-bob', body: 'reply', createdAt: 11 });
      await store.setReaction(reply.id, 'u-ann', '❤️', true, 12);
      expect(await store.deleteComment(t.comments[0]!.id)).toBe('comment');
      expect((await store.getThread(t.id))!.comments.map((c) => c.id)).toEqual([reply.id]);
      expect(await store.deleteComment(reply.id)).toBe('thread');
      expect(await store.deleteComment(reply.id)).toBeNull();
      expect(await store.getThread(t.id)).toBeNull();
      expect(await store.listThreads('d1', null, 10)).toEqual({ threads: [], hasMore: false });
    });

    it('pages a document\'s threads, oldest first within a page, and keeps documents apart', async () => {
      const { store } = await fresh();
      await users(store, 'ann');
      const made = [];
      for (let i = 0; i < 5; i++) made.push(await thread(store, 'd1', 'u-ann', 10 + i));
      await thread(store, 'd2', 'u-ann', 20);
      const newest = await store.listThreads('d1', null, 2);
      expect(newest.threads.map((t) => t.id)).toEqual([made[3]!.id, made[4]!.id]);
      expect(newest.hasMore).toBe(true);
      const older = await store.listThreads('d1', made[3]!.id, 2);
      expect(older.threads.map((t) => t.id)).toEqual([made[1]!.id, made[2]!.id]);
      expect(older.hasMore).toBe(true);
      const oldest = await store.listThreads('d1', made[1]!.id, 2);
      expect(oldest).toEqual({ threads: [made[0]], hasMore: false });
      expect((await store.listThreads('d2', null, 10)).threads.map((t) => t.docId)).toEqual(['d2']);
      expect(await store.listThreads('none', null, 10)).toEqual({ threads: [], hasMore: false });
    });

    it('deleting a document deletes its threads, comments and reactions, and no other document\'s', async () => {
      const { store, reopen } = await fresh();
      await users(store, 'ann', 'bob');
      await store.createDocAccess('d1', 'u-ann', 'comment', 1);
      const gone = await thread(store, 'd1', 'u-ann', 10);
      const reply = await store.addComment({ threadId: gone.id, authorId: 'u-bob', body: 'reply', createdAt: 11 });
      await store.setReaction(reply.id, 'u-ann', '👀', true, 12);
      const kept = await thread(store, 'd2', 'u-bob', 13);
      await store.markDocDeleted('d1', 14);
      expect(await store.getThread(gone.id)).toBeNull();
      expect(await store.threadOfComment(reply.id)).toBeNull();
      expect(await store.getThread(kept.id)).toEqual(kept);
      await store.close();
      const again = await reopen();
      try {
        expect(await again.listThreads('d1', null, 10)).toEqual({ threads: [], hasMore: false });
        expect(await again.getThread(kept.id)).toEqual(kept);
        // Ids are never reused.
        const next = await thread(again, 'd2', 'u-ann', 15);
        expect(next.id).toBeGreaterThan(kept.id);
      } finally {
        await again.close();
      }
    });

    it('stores the commenter role and "anyone with the link can comment"', async () => {
      const { store } = await fresh();
      await users(store, 'ann', 'bob');
      await store.createDocAccess('d1', 'u-ann', 'comment', 1);
      await store.setMember('d1', 'u-bob', 'commenter', 2);
      expect((await store.getDocAccess('d1'))?.linkAccess).toBe('comment');
      expect(await store.getMember('d1', 'u-bob')).toMatchObject({ role: 'commenter' });
    });
  });
}
