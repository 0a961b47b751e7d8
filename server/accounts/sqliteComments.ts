import type Database from 'better-sqlite3';
import type { AnchorRecord, CommentStore } from './accountStore.js';
import { assembleThreads, COMMENT_COLUMNS, type CommentRow, REACTION_COLUMNS, type ReactionRow, THREAD_COLUMNS, type ThreadRow } from './commentRows.js';
import type { SqliteForgetDocument } from './sqliteDocAccess.js';

/**
 * Comment threads of a SQLite account store (tables `comment_threads`, `comments`,
 * `comment_reactions`, and `comment_guests`: guests' names). A list of ids goes to SQLite as one JSON array (json_each), so each read of
 * threads is three statements whatever their number.
 */
export function sqliteComments(db: Database.Database): CommentStore {
  const insertThread = db.prepare<[string, Uint8Array, Uint8Array, string, string, number], { id: number }>(
    'INSERT INTO comment_threads (doc_id, anchor_start, anchor_end, excerpt, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id',
  );
  const insertComment = db.prepare<[number, string, string, number], { id: number }>(
    'INSERT INTO comments (thread_id, author_id, body, created_at) VALUES (?, ?, ?, ?) RETURNING id',
  );
  const selectThread = db.prepare<[number], ThreadRow>(`SELECT ${THREAD_COLUMNS} FROM comment_threads WHERE id = ?`);
  // One more row than asked for: its presence is hasMore.
  const selectNewest = db.prepare<[string, number], ThreadRow>(
    `SELECT ${THREAD_COLUMNS} FROM comment_threads WHERE doc_id = ? ORDER BY id DESC LIMIT ?`,
  );
  const selectBefore = db.prepare<[string, number, number], ThreadRow>(
    `SELECT ${THREAD_COLUMNS} FROM comment_threads WHERE doc_id = ? AND id < ? ORDER BY id DESC LIMIT ?`,
  );
  const selectComments = db.prepare<[string], CommentRow>(
    `SELECT ${COMMENT_COLUMNS} FROM comments WHERE thread_id IN (SELECT value FROM json_each(?)) ORDER BY id`,
  );
  const selectReactions = db.prepare<[string], ReactionRow>(
    `SELECT ${REACTION_COLUMNS} FROM comment_reactions
     WHERE comment_id IN (SELECT c.id FROM comments c WHERE c.thread_id IN (SELECT value FROM json_each(?)))`,
  );
  const selectThreadOf = db.prepare<[number], { thread_id: number }>('SELECT thread_id FROM comments WHERE id = ?');
  const updateBody = db.prepare<[string, number, number]>('UPDATE comments SET body = ?, edited_at = ? WHERE id = ?');
  const deleteReactionsOf = db.prepare<[number]>('DELETE FROM comment_reactions WHERE comment_id = ?');
  const deleteCommentRow = db.prepare<[number]>('DELETE FROM comments WHERE id = ?');
  const countComments = db.prepare<[number], { n: number }>('SELECT count(*) AS n FROM comments WHERE thread_id = ?');
  const deleteThreadRow = db.prepare<[number]>('DELETE FROM comment_threads WHERE id = ?');
  const insertReaction = db.prepare<[number, string, string, number]>(
    `INSERT INTO comment_reactions (${REACTION_COLUMNS}) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
  );
  const deleteReaction = db.prepare<[number, string, string]>('DELETE FROM comment_reactions WHERE comment_id = ? AND emoji = ? AND user_id = ?');
  const updateResolved = db.prepare<[string | null, number | null, number]>('UPDATE comment_threads SET resolved_by = ?, resolved_at = ? WHERE id = ?');

  const upsertGuest = db.prepare<[string, string, number]>(
    'INSERT INTO comment_guests (id, name, updated_at) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET name = excluded.name, updated_at = excluded.updated_at',
  );
  const selectGuest = db.prepare<[string], { name: string }>('SELECT name FROM comment_guests WHERE id = ?');

  const withComments = (threads: ThreadRow[]) => {
    const ids = JSON.stringify(threads.map((row) => row.id));
    return assembleThreads(threads, selectComments.all(ids), selectReactions.all(ids));
  };
  // Multi-statement writes. IMMEDIATE: take the write lock at BEGIN, never upgrade a read later.
  const createThreadTx = db.transaction((docId: string, anchor: AnchorRecord, by: string, at: number, body: string) => {
    const { id } = insertThread.get(docId, anchor.start, anchor.end, anchor.excerpt, by, at)!;
    insertComment.get(id, by, body, at);
    return id;
  });
  const deleteCommentTx = db.transaction((commentId: number): 'comment' | 'thread' | null => {
    const found = selectThreadOf.get(commentId);
    if (!found) return null;
    deleteReactionsOf.run(commentId);
    deleteCommentRow.run(commentId);
    if (countComments.get(found.thread_id)!.n > 0) return 'comment';
    deleteThreadRow.run(found.thread_id);
    return 'thread';
  });
  const readThread = db.transaction((threadId: number) => {
    const row = selectThread.get(threadId);
    return row ? (withComments([row])[0] ?? null) : null;
  });
  const readPage = db.transaction((docId: string, beforeId: number | null, limit: number) => {
    const rows = beforeId === null ? selectNewest.all(docId, limit + 1) : selectBefore.all(docId, beforeId, limit + 1);
    return { threads: withComments(rows.slice(0, limit).reverse()), hasMore: rows.length > limit };
  });

  return {
    async createThread(thread, body) {
      const id = createThreadTx.immediate(thread.docId, thread.anchor, thread.createdBy, thread.createdAt, body);
      return readThread(id)!;
    },
    async getThread(threadId) {
      return readThread(threadId);
    },
    async listThreads(docId, beforeId, limit) {
      return readPage(docId, beforeId, limit);
    },
    async addComment(comment) {
      const { id } = insertComment.get(comment.threadId, comment.authorId, comment.body, comment.createdAt)!;
      return { id, ...comment, editedAt: null, reactions: [] };
    },
    async threadOfComment(commentId) {
      return selectThreadOf.get(commentId)?.thread_id ?? null;
    },
    async editComment(commentId, body, at) {
      return updateBody.run(body, at, commentId).changes > 0;
    },
    async deleteComment(commentId) {
      return deleteCommentTx.immediate(commentId);
    },
    async setReaction(commentId, userId, emoji, on, at) {
      return (on ? insertReaction.run(commentId, emoji, userId, at) : deleteReaction.run(commentId, emoji, userId)).changes > 0;
    },
    async setThreadResolved(threadId, by, at) {
      return updateResolved.run(by, at, threadId).changes > 0;
    },
    async saveGuest(guest) {
      upsertGuest.run(guest.id, guest.name, guest.at);
    },
    async guestName(id) {
      return selectGuest.get(id)?.name ?? null;
    },
  };
}

/** The comments' share of deleting a document: its threads, their comments and reactions. */
export function sqliteForgetDocumentComments(db: Database.Database): SqliteForgetDocument {
  const deleteReactions = db.prepare<[string]>(
    `DELETE FROM comment_reactions WHERE comment_id IN
       (SELECT c.id FROM comments c JOIN comment_threads t ON t.id = c.thread_id WHERE t.doc_id = ?)`,
  );
  const deleteComments = db.prepare<[string]>('DELETE FROM comments WHERE thread_id IN (SELECT id FROM comment_threads WHERE doc_id = ?)');
  const deleteThreads = db.prepare<[string]>('DELETE FROM comment_threads WHERE doc_id = ?');
  return (docId) => {
    deleteReactions.run(docId);
    deleteComments.run(docId);
    deleteThreads.run(docId);
  };
}
