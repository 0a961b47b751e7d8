/**
 * Comments on a document's text, shared by server and web: the shapes of the REST API under
 * /api/docs/:id/threads, the limits, and the reactions one may give. Threads, comments and
 * reactions are rows on the server (never part of the Y.Doc); author and time are the server's.
 *
 * A thread is anchored to a range of the text by two Yjs relative positions (Y.encodeRelativePosition,
 * sent as base64), which follow the text through anyone's edits, and the excerpt the range quoted
 * when the thread was made, shown when the range is gone.
 */
import type { PublicUser } from './api.js';

/** Longest comment, in characters (longer: refused with too_long, never cut). */
export const MAX_COMMENT_CHARS = 2000;
/** Longest quoted excerpt a thread keeps, in characters (the server cuts a longer one). */
export const MAX_COMMENT_EXCERPT_CHARS = 200;
/** Comments a thread may hold (its first included); the next reply is refused with thread_full. */
export const MAX_COMMENTS_PER_THREAD = 100;
/** Largest encoded relative position, in bytes, before base64 (a real one is tens of bytes). */
export const MAX_ANCHOR_BYTES = 256;
/** Threads per page of GET /api/docs/:id/threads (the default and the most). */
export const DEFAULT_THREAD_PAGE = 50;
export const MAX_THREAD_PAGE = 100;
/** How many people a comment's @mentions notify at most. */
export const MAX_MENTIONS_PER_COMMENT = 20;

/**
 * A guest's chosen display name goes with each comment write in this header, URI-encoded
 * (encodeURIComponent); without it a guest is shown as "Guest". At most MAX_GUEST_NAME_CHARS
 * characters are kept. Accounts are always shown by their account name (the header is ignored).
 */
export const GUEST_NAME_HEADER = 'x-tandem-guest-name';
export const MAX_GUEST_NAME_CHARS = 40;
/** What a guest is called when they gave no name. */
export const DEFAULT_GUEST_NAME = 'Guest';

/** The reactions one may give a comment. */
export const REACTIONS = ['👍', '❤️', '😄', '🎉', '😮', '👀'] as const;
export type Reaction = (typeof REACTIONS)[number];
export function isReaction(value: unknown): value is Reaction {
  return typeof value === 'string' && (REACTIONS as readonly string[]).includes(value);
}

/** Where a thread is anchored: base64 of two encoded Yjs relative positions, and the text quoted then. */
export interface CommentAnchor {
  start: string;
  end: string;
  excerpt: string;
}

/** One reaction on a comment: who gave it, in the order given. */
export interface CommentReaction {
  emoji: string;
  users: PublicUser[];
}

export interface Comment {
  id: number;
  threadId: number;
  author: PublicUser;
  /** Plain text: shown as text, never as markup. */
  body: string;
  createdAt: number;
  /** null: never edited. */
  editedAt: number | null;
  /** Each emoji given, in the order first given. */
  reactions: CommentReaction[];
}

export interface CommentThread {
  id: number;
  docId: string;
  anchor: CommentAnchor;
  createdAt: number;
  /** null while open. */
  resolvedAt: number | null;
  resolvedBy: PublicUser | null;
  /** Oldest first; the first is the one that opened the thread. */
  comments: Comment[];
}

/** GET /api/docs/:id/threads?before=<threadId>&limit=<n> → oldest first; hasMore: older ones exist. */
export interface ThreadPage {
  threads: CommentThread[];
  hasMore: boolean;
  /**
   * Who I am to these comments (whose comments I may edit): my account, or, for a visitor, my guest
   * identity (the guest cookie, issued with this answer when missing; `guest: true`).
   */
  me: PublicUser;
}
/** POST /api/docs/:id/threads. */
export interface NewThread {
  anchor: CommentAnchor;
  body: string;
}
/** POST /api/docs/:id/threads/:threadId/comments, PATCH /api/docs/:id/comments/:commentId. */
export interface CommentBody {
  body: string;
}
/** PUT and DELETE /api/docs/:id/comments/:commentId/reactions. */
export interface ReactionChange {
  emoji: string;
}

/** Path of a document's threads (and, with an id, of one thread). */
export function threadsPath(docId: string, threadId?: number): string {
  const base = `/api/docs/${encodeURIComponent(docId)}/threads`;
  return threadId === undefined ? base : `${base}/${threadId}`;
}
/** Path of one comment of a document. */
export function commentPath(docId: string, commentId: number): string {
  return `/api/docs/${encodeURIComponent(docId)}/comments/${commentId}`;
}
