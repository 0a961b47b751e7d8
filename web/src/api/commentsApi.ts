import type { PublicUser } from '../../../shared/api.js';
import { type CommentAnchor, type CommentThread, commentPath, GUEST_NAME_HEADER, type ThreadPage, threadsPath } from '../../../shared/comments.js';
import { request, sendJson } from './request.js';

// The comments REST API (shared/comments.ts). Every write answers the thread as it now is. `guest`:
// the name a guest (a visitor, not signed in) goes by, sent with every call; null when signed in.

function guestHeaders(guest: string | null): Record<string, string> {
  return guest === null ? {} : { [GUEST_NAME_HEADER]: encodeURIComponent(guest) };
}

/** Every thread of the document, oldest first (all pages), and who I am to them (an account, or my guest identity). */
export async function listAllThreads(docId: string, guest: string | null): Promise<{ threads: CommentThread[]; me: PublicUser }> {
  const threads: CommentThread[] = [];
  let before: number | null = null;
  for (;;) {
    const page: ThreadPage = await request<ThreadPage>(`${threadsPath(docId)}?limit=100${before === null ? '' : `&before=${before}`}`, {
      headers: guestHeaders(guest),
    });
    threads.unshift(...page.threads);
    if (!page.hasMore || page.threads.length === 0) return { threads, me: page.me };
    before = page.threads[0]!.id;
  }
}

export function getThread(docId: string, threadId: number): Promise<CommentThread> {
  return request<CommentThread>(threadsPath(docId, threadId));
}

export function createThread(docId: string, anchor: CommentAnchor, body: string, guest: string | null): Promise<CommentThread> {
  return sendJson<CommentThread>('POST', threadsPath(docId), { anchor, body }, guestHeaders(guest));
}

export function replyTo(docId: string, threadId: number, body: string, guest: string | null): Promise<CommentThread> {
  return sendJson<CommentThread>('POST', `${threadsPath(docId, threadId)}/comments`, { body }, guestHeaders(guest));
}

export function editComment(docId: string, commentId: number, body: string, guest: string | null): Promise<CommentThread> {
  return sendJson<CommentThread>('PATCH', commentPath(docId, commentId), { body }, guestHeaders(guest));
}

export function deleteComment(docId: string, commentId: number, guest: string | null): Promise<void> {
  return sendJson<void>('DELETE', commentPath(docId, commentId), undefined, guestHeaders(guest));
}

export function setReaction(docId: string, commentId: number, emoji: string, on: boolean, guest: string | null): Promise<CommentThread> {
  return sendJson<CommentThread>(on ? 'PUT' : 'DELETE', `${commentPath(docId, commentId)}/reactions`, { emoji }, guestHeaders(guest));
}

export function setResolved(docId: string, threadId: number, resolved: boolean, guest: string | null): Promise<CommentThread> {
  return sendJson<CommentThread>('PATCH', threadsPath(docId, threadId), { resolved }, guestHeaders(guest));
}
