import type { Pool } from 'pg';
import { inTransaction, postgresQueries } from '../db/postgresPool.js';
import { toSafeNumber } from '../db/safeNumber.js';
import type { CommentStore, ThreadRecord } from './accountStore.js';
import { assembleThreads, COMMENT_COLUMNS, type CommentRow, REACTION_COLUMNS, type ReactionRow, THREAD_COLUMNS, type ThreadRow } from './commentRows.js';
import type { PostgresForgetDocument } from './postgresDocAccess.js';

/**
 * Comment threads of a PostgreSQL account store (tables `comment_threads`, `comments`,
 * `comment_reactions`, `comment_guests`), with the meaning of SQLite's (sqliteComments.ts).
 */
export function postgresComments(pool: Pool): CommentStore {
  const { one, rows, count } = postgresQueries(pool);
  const withComments = async (threads: ThreadRow[]): Promise<ThreadRecord[]> => {
    const ids = threads.map((row) => String(row.id));
    if (ids.length === 0) return [];
    const [comments, reactions] = await Promise.all([
      rows<CommentRow>(`SELECT ${COMMENT_COLUMNS} FROM comments WHERE thread_id = ANY($1::bigint[]) ORDER BY id`, [ids]),
      rows<ReactionRow>(
        `SELECT ${REACTION_COLUMNS} FROM comment_reactions WHERE comment_id IN (SELECT id FROM comments WHERE thread_id = ANY($1::bigint[]))`,
        [ids],
      ),
    ]);
    return assembleThreads(threads, comments, reactions);
  };
  const getThread = async (threadId: number) => {
    const row = await one<ThreadRow>(`SELECT ${THREAD_COLUMNS} FROM comment_threads WHERE id = $1`, [threadId]);
    return row ? ((await withComments([row]))[0] ?? null) : null;
  };

  return {
    async createThread(thread, body) {
      const id = await inTransaction(pool, async (client) => {
        const { rows: inserted } = await client.query<{ id: string }>(
          `INSERT INTO comment_threads (doc_id, anchor_start, anchor_end, excerpt, created_by, created_at)
           VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
          [thread.docId, Buffer.from(thread.anchor.start), Buffer.from(thread.anchor.end), thread.anchor.excerpt, thread.createdBy, thread.createdAt],
        );
        const threadId = inserted[0]!.id;
        await client.query('INSERT INTO comments (thread_id, author_id, body, created_at) VALUES ($1, $2, $3, $4)', [
          threadId,
          thread.createdBy,
          body,
          thread.createdAt,
        ]);
        return toSafeNumber(threadId, 'thread id');
      });
      return (await getThread(id))!;
    },
    getThread,
    async listThreads(docId, beforeId, limit) {
      // One more row than asked for: its presence is hasMore.
      const found = await rows<ThreadRow>(
        `SELECT ${THREAD_COLUMNS} FROM comment_threads WHERE doc_id = $1 AND ($2::bigint IS NULL OR id < $2::bigint)
         ORDER BY id DESC LIMIT $3`,
        [docId, beforeId, limit + 1],
      );
      return { threads: await withComments(found.slice(0, limit).reverse()), hasMore: found.length > limit };
    },
    async addComment(comment) {
      const row = await one<{ id: string }>('INSERT INTO comments (thread_id, author_id, body, created_at) VALUES ($1, $2, $3, $4) RETURNING id', [
        comment.threadId,
        comment.authorId,
        comment.body,
        comment.createdAt,
      ]);
      return { id: toSafeNumber(row!.id, 'comment id'), ...comment, editedAt: null, reactions: [] };
    },
    async threadOfComment(commentId) {
      const row = await one<{ thread_id: string }>('SELECT thread_id FROM comments WHERE id = $1', [commentId]);
      return row && toSafeNumber(row.thread_id, 'thread id');
    },
    async editComment(commentId, body, at) {
      return (await count('UPDATE comments SET body = $1, edited_at = $2 WHERE id = $3', [body, at, commentId])) > 0;
    },
    async deleteComment(commentId) {
      return inTransaction(pool, async (client) => {
        // The thread row locked first: a reply added meanwhile waits, so the last comment's delete
        // and the thread's go together.
        const { rows: found } = await client.query<{ thread_id: string }>(
          'SELECT t.id AS thread_id FROM comment_threads t JOIN comments c ON c.thread_id = t.id WHERE c.id = $1 FOR UPDATE OF t',
          [commentId],
        );
        const threadId = found[0]?.thread_id;
        if (threadId === undefined) return null;
        await client.query('DELETE FROM comment_reactions WHERE comment_id = $1', [commentId]);
        await client.query('DELETE FROM comments WHERE id = $1', [commentId]);
        const { rows: left } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM comments WHERE thread_id = $1', [threadId]);
        if (left[0]!.n > 0) return 'comment' as const;
        await client.query('DELETE FROM comment_threads WHERE id = $1', [threadId]);
        return 'thread' as const;
      });
    },
    async setReaction(commentId, userId, emoji, on, at) {
      const changed = on
        ? await count(`INSERT INTO comment_reactions (${REACTION_COLUMNS}) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, [commentId, emoji, userId, at])
        : await count('DELETE FROM comment_reactions WHERE comment_id = $1 AND emoji = $2 AND user_id = $3', [commentId, emoji, userId]);
      return changed > 0;
    },
    async setThreadResolved(threadId, by, at) {
      return (await count('UPDATE comment_threads SET resolved_by = $1, resolved_at = $2 WHERE id = $3', [by, at, threadId])) > 0;
    },
    async saveGuest(guest) {
      await count(
        'INSERT INTO comment_guests (id, name, updated_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, updated_at = EXCLUDED.updated_at',
        [guest.id, guest.name, guest.at],
      );
    },
    async guestName(id) {
      return (await one<{ name: string }>('SELECT name FROM comment_guests WHERE id = $1', [id]))?.name ?? null;
    },
  };
}

/** The comments' share of deleting a document: its threads, their comments and reactions. */
export const postgresForgetDocumentComments: PostgresForgetDocument = async (client, docId) => {
  await client.query(
    `DELETE FROM comment_reactions WHERE comment_id IN
       (SELECT c.id FROM comments c JOIN comment_threads t ON t.id = c.thread_id WHERE t.doc_id = $1)`,
    [docId],
  );
  await client.query('DELETE FROM comments WHERE thread_id IN (SELECT id FROM comment_threads WHERE doc_id = $1)', [docId]);
  await client.query('DELETE FROM comment_threads WHERE doc_id = $1', [docId]);
};
