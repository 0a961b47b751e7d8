import { toSafeNumber as num, toSafeNumberOrNull as numOrNull } from '../db/safeNumber.js';
import type { CommentRecord, ReactionRecord, ThreadRecord } from './accountStore.js';

// The comment tables' rows as both backends return them (integers: SQLite's numbers, PostgreSQL's
// bigint strings; anchors: Buffers from both), and the one way they become ThreadRecords.

type Int = number | string;

export const THREAD_COLUMNS = 'id, doc_id, anchor_start, anchor_end, excerpt, created_by, created_at, resolved_by, resolved_at';
export const COMMENT_COLUMNS = 'id, thread_id, author_id, body, created_at, edited_at';
export const REACTION_COLUMNS = 'comment_id, emoji, user_id, created_at';

export interface ThreadRow {
  id: Int;
  doc_id: string;
  anchor_start: Uint8Array;
  anchor_end: Uint8Array;
  excerpt: string;
  created_by: string;
  created_at: Int;
  resolved_by: string | null;
  resolved_at: Int | null;
}
export interface CommentRow {
  id: Int;
  thread_id: Int;
  author_id: string;
  body: string;
  created_at: Int;
  edited_at: Int | null;
}
export interface ReactionRow {
  comment_id: Int;
  emoji: string;
  user_id: string;
  created_at: Int;
}

/**
 * Threads with their comments (oldest first) and each comment's reactions (in the order given):
 * `comments` and `reactions` may hold rows of other threads, which are ignored. A thread row
 * without a comment row is dropped (a thread exists while it has comments).
 */
export function assembleThreads(threads: readonly ThreadRow[], comments: readonly CommentRow[], reactions: readonly ReactionRow[]): ThreadRecord[] {
  const reactionsOf = new Map<number, ReactionRecord[]>();
  for (const row of [...reactions].sort(byReactionOrder)) {
    const id = num(row.comment_id, 'comment id');
    const list = reactionsOf.get(id) ?? [];
    list.push({ emoji: row.emoji, userId: row.user_id, createdAt: num(row.created_at, 'created_at') });
    reactionsOf.set(id, list);
  }
  const commentsOf = new Map<number, CommentRecord[]>();
  for (const row of [...comments].sort((a, b) => num(a.id, 'comment id') - num(b.id, 'comment id'))) {
    const id = num(row.id, 'comment id');
    const threadId = num(row.thread_id, 'thread id');
    const list = commentsOf.get(threadId) ?? [];
    list.push({
      id,
      threadId,
      authorId: row.author_id,
      body: row.body,
      createdAt: num(row.created_at, 'created_at'),
      editedAt: numOrNull(row.edited_at, 'edited_at'),
      reactions: reactionsOf.get(id) ?? [],
    });
    commentsOf.set(threadId, list);
  }
  const assembled: ThreadRecord[] = [];
  for (const row of threads) {
    const id = num(row.id, 'thread id');
    const threadComments = commentsOf.get(id);
    if (!threadComments) continue;
    assembled.push({
      id,
      docId: row.doc_id,
      anchor: { start: new Uint8Array(row.anchor_start), end: new Uint8Array(row.anchor_end), excerpt: row.excerpt },
      createdBy: row.created_by,
      createdAt: num(row.created_at, 'created_at'),
      resolvedBy: row.resolved_by,
      resolvedAt: numOrNull(row.resolved_at, 'resolved_at'),
      comments: threadComments,
    });
  }
  return assembled;
}

function byReactionOrder(a: ReactionRow, b: ReactionRow): number {
  return num(a.created_at, 'created_at') - num(b.created_at, 'created_at') || cmp(a.emoji, b.emoji) || cmp(a.user_id, b.user_id);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
