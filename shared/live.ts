/**
 * The per-user socket `/live`: one WebSocket per signed-in browser window, beside the document's
 * /collab socket, carrying what is about people rather than document content: chat messages of
 * every conversation the user is in, who is online, notifications, and changes to the user's access.
 *
 * Frames are JSON text (one message per frame, at most MAX_LIVE_FRAME_BYTES). The upgrade needs a
 * valid session cookie and an allowed Origin. Close codes are those of closeCodes.ts (4401 when the
 * session ends, 4400 for a malformed frame, 1009 for an oversized one).
 *
 * A guest (someone the document's link admits without signing in) opens `guestLivePath(docId)`:
 * a socket that follows that one document's comments. It is admitted where GET /api/docs/:id would
 * admit the visitor (else closed with 4401, 4404 or 4410), receives `hello` (user: the guest
 * identity of the guest cookie, `guest: true`; no people, no notifications) and then only `comments`
 * messages of that document; it closes with 4403 when the link stops admitting visitors and 4410
 * when the document is deleted. A guest's `send` is refused (sign_in_required).
 */
import type { ChatMessage, Conversation, Notification, Person, PublicUser } from './api.js';
import type { Role } from './accounts.js';

export const LIVE_PATH = '/live';
export const MAX_LIVE_FRAME_BYTES = 16 * 1024;
/** The query parameter naming the one document a guest's /live follows. */
export const LIVE_GUEST_DOC_PARAM = 'doc';

/** A guest's /live address (path and query) for document `docId`. */
export function guestLivePath(docId: string): string {
  return `${LIVE_PATH}?${LIVE_GUEST_DOC_PARAM}=${encodeURIComponent(docId)}`;
}

/** Client → server. */
export type LiveClientMessage =
  /** Post a chat message. Answered by `sent` (stored; carries the message) or `refused`, with the same nonce. */
  | { type: 'send'; nonce: string; conversationId: string; text: string }
  /** I have read a conversation up to this message. */
  | { type: 'read'; conversationId: string; messageId: number };

/** Server → client. */
export type LiveServerMessage =
  /** First frame: who I am, every person with their presence, my unread notification count. */
  | { type: 'hello'; user: PublicUser; people: Person[]; unreadNotifications: number }
  /** My message is stored (sent to the sender only, and only after the commit). */
  | { type: 'sent'; nonce: string; message: ChatMessage }
  /** My message was not accepted: `error` is a stable code (not_member, too_long, empty, rate_limited, bad_request). */
  | { type: 'refused'; nonce: string; error: string; message: string }
  /** A new message in one of my conversations (mine from another window included). */
  | { type: 'message'; message: ChatMessage }
  /** A conversation appeared in my list or changed (members, title). */
  | { type: 'conversation'; conversation: Conversation }
  /** I am no longer in this conversation. */
  | { type: 'conversationGone'; conversationId: string }
  /** Someone came online or went offline (or registered). */
  | { type: 'presence'; person: Person }
  /** Something for my notifications list. */
  | { type: 'notification'; notification: Notification }
  /**
   * A comment thread of a document I may read changed: made, replied to, edited, reacted to,
   * resolved or reopened, or gone (deleted). Sent to the document's members; a window showing the
   * document reads the thread again (GET /api/docs/:docId/threads/:threadId; 404: it is gone).
   */
  | { type: 'comments'; docId: string; threadId: number }
  /**
   * The version list of a document I may read changed: a version was named, renamed, or a restore
   * happened. Sent to the document's members; a window showing its History panel lists the versions
   * again (GET /api/docs/:docId/versions). Automatic versions are not announced.
   */
  | { type: 'versions'; docId: string }
  /** My role on a document changed (null: I no longer have access; the document may be gone). */
  | { type: 'access'; docId: string; role: Role | null };

/** Parses a client frame, or returns null when it is not one of LiveClientMessage's shapes. */
export function parseLiveClientMessage(text: string): LiveClientMessage | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const message = value as Record<string, unknown>;
  if (message.type === 'send') {
    const { nonce, conversationId, text: body } = message;
    if (typeof nonce !== 'string' || nonce.length === 0 || nonce.length > 64) return null;
    if (typeof conversationId !== 'string' || conversationId.length > 128) return null;
    if (typeof body !== 'string') return null;
    return { type: 'send', nonce, conversationId, text: body };
  }
  if (message.type === 'read') {
    const { conversationId, messageId } = message;
    if (typeof conversationId !== 'string' || conversationId.length > 128) return null;
    if (typeof messageId !== 'number' || !Number.isSafeInteger(messageId) || messageId < 0) return null;
    return { type: 'read', conversationId, messageId };
  }
  return null;
}
