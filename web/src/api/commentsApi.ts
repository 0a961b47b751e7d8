import { type CommentAnchor, type CommentThread, commentPath, type ThreadPage, threadsPath } from '../../../shared/comments.js';
import { request, sendJson } from './request.js';

// The comments REST API (shared/comments.ts). Every write answers the thread as it now is.

/** Every thread of the document, oldest first (all pages). */
export async function listAllThreads(docId: string): Promise<CommentThread[]> {
  const threads: CommentThread[] = [];
  let before: number | null = null;
  for (;;) {
    const page: ThreadPage = await request<ThreadPage>(`${threadsPath(docId)}?limit=100${before === null ? '' : `&before=${before}`}`);
    threads.unshift(...page.threads);
    if (!page.hasMore || page.threads.length === 0) return threads;
    before = page.threads[0]!.id;
  }
}

export function getThread(docId: string, threadId: number): Promise<CommentThread> {
  return request<CommentThread>(threadsPath(docId, threadId));
}

export function createThread(docId: string, anchor: CommentAnchor, body: string): Promise<CommentThread> {
  return sendJson<CommentThread>('POST', threadsPath(docId), { anchor, body });
}

export function replyTo(docId: string, threadId: number, body: string): Promise<CommentThread> {
  return sendJson<CommentThread>('POST', `${threadsPath(docId, threadId)}/comments`, { body });
}

export function editComment(docId: string, commentId: number, body: string): Promise<CommentThread> {
  return sendJson<CommentThread>('PATCH', commentPath(docId, commentId), { body });
}

export function deleteComment(docId: string, commentId: number): Promise<void> {
  return sendJson<void>('DELETE', commentPath(docId, commentId));
}

export function setReaction(docId: string, commentId: number, emoji: string, on: boolean): Promise<CommentThread> {
  return sendJson<CommentThread>(on ? 'PUT' : 'DELETE', `${commentPath(docId, commentId)}/reactions`, { emoji });
}

export function setResolved(docId: string, threadId: number, resolved: boolean): Promise<CommentThread> {
  return sendJson<CommentThread>('PATCH', threadsPath(docId, threadId), { resolved });
}
