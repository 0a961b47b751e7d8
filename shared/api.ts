/** Shapes of the REST API under /api, shared by server and web. Timestamps are epoch milliseconds. */

import type { LinkAccess, Role } from './accounts.js';

/** One document as listed and described by the API. `title` is '' until someone names it. */
export interface DocSummary {
  id: string;
  title: string;
  createdAt: number;
  updatedAt: number;
}

/** A document in my list: the summary and my role on it. */
export interface MyDocSummary extends DocSummary {
  role: Role;
}

/** GET /api/docs (signed in) → my documents and those shared with me, newest-edited first. */
export interface DocList {
  documents: MyDocSummary[];
}

/** GET /api/docs/:id → the summary plus live figures and what the caller may do. */
export interface DocDetails extends DocSummary {
  /** Open WebSocket connections to this document on this server right now. */
  connections: number;
  /** Bytes the document occupies in storage (snapshot plus pending updates). */
  storedBytes: number;
  /** The caller's role (a visitor's comes from the link access). */
  myRole: Role;
  /** The owner, or null for a document made before accounts (or by a stock client at a new address). */
  owner: PublicUser | null;
  linkAccess: LinkAccess;
  /**
   * For the owner of a document stored past the server's warning size (DOC_WARN_BYTES): the hard
   * limit (MAX_DOC_BYTES) it is approaching, past which changes are refused (4413). Else null.
   */
  sizeLimitBytes: number | null;
}

/** A user as others see them. */
export interface PublicUser {
  id: string;
  name: string;
  /**
   * True for a guest: someone without an account who commented where the document's link allows
   * it (their id is 'g:…', their name the one they chose, not checked). Absent for an account.
   */
  guest?: boolean;
}

/** POST /api/account (register), POST /api/session (sign in), GET /api/session → who I am (null: nobody). */
export interface SessionInfo {
  user: PublicUser | null;
}

/** Body of POST /api/account and POST /api/session. */
export interface Credentials {
  name: string;
  password: string;
}

/** One of my sessions (signed-in browsers), GET /api/sessions. */
export interface SessionSummary {
  /** A public handle for the session (not the secret in the cookie). */
  id: string;
  createdAt: number;
  lastUsedAt: number;
  expiresAt: number;
  userAgent: string;
  /** The session this request was made with. */
  current: boolean;
}
export interface SessionList {
  sessions: SessionSummary[];
}

/** A person on the people page: online while any of their connections is open. */
export interface Person extends PublicUser {
  online: boolean;
  /** When they were last connected (null: never); while online, the time they came online. */
  lastSeenAt: number | null;
}
/** GET /api/people → every user, by name. */
export interface PeopleList {
  people: Person[];
}

/** A member of a document. The owner is listed as a member with role 'owner'. */
export interface Member {
  user: PublicUser;
  role: Role;
  joinedAt: number;
}
/** GET /api/docs/:id/access → who has access and how. */
export interface DocAccess {
  docId: string;
  owner: PublicUser | null;
  linkAccess: LinkAccess;
  myRole: Role;
  members: Member[];
}
/** PATCH /api/docs/:id/access (owner only). */
export interface LinkAccessChange {
  linkAccess: LinkAccess;
}
/** POST /api/docs/:id/members: share with a person by id or by name (owner: any role but owner; editor: editor or viewer). */
export interface ShareRequest {
  userId?: string;
  name?: string;
  role: Exclude<Role, 'owner'>;
}
/** PATCH /api/docs/:id/members/:userId (owner only). */
export interface RoleChange {
  role: Exclude<Role, 'owner'>;
}

/** Kinds of conversation: a document's chat, two people, or a named group. */
export type ConversationKind = 'doc' | 'direct' | 'group';

/** The id of a document's chat. */
export function docConversationId(docId: string): string {
  return `doc:${docId}`;
}

export interface Conversation {
  /** `doc:<docId>` for a document's chat; an opaque id otherwise. */
  id: string;
  kind: ConversationKind;
  /** The group's name, the document's title, or the other person's name. */
  title: string;
  /** Members (a document's chat: its members). */
  members: PublicUser[];
  /** Messages after the last one I marked read. */
  unread: number;
  /** Time of the newest message (null: none yet). */
  lastMessageAt: number | null;
  /** The document of a 'doc' conversation. */
  docId?: string;
}
/** GET /api/conversations → mine, newest activity first. GET /api/groups → every group (to join). */
export interface ConversationList {
  conversations: Conversation[];
}
/** POST /api/conversations: open (or find) a direct conversation, or create a group. */
export type NewConversation =
  | { kind: 'direct'; userId: string }
  | { kind: 'group'; title: string; memberIds: string[] };

/** A chat message; author and time are set by the server from the session. */
export interface ChatMessage {
  /** Increasing within a conversation (and across the server). */
  id: number;
  conversationId: string;
  author: PublicUser;
  text: string;
  createdAt: number;
}
/** GET /api/conversations/:id/messages?before=<id>&limit=<n> → oldest first; hasMore: older ones exist. */
export interface MessagePage {
  messages: ChatMessage[];
  hasMore: boolean;
}
/** POST /api/conversations/:id/messages (also sent over /live). */
export interface NewMessage {
  text: string;
}

/** Something that happened to me while I may not have been looking. */
export type NotificationBody =
  | { kind: 'share'; docId: string; docTitle: string; role: Role }
  | { kind: 'mention'; conversationId: string; conversationTitle: string; messageId: number; excerpt: string; docId?: string }
  /** Mentioned in a comment on a document's text (shared/comments.ts). */
  | { kind: 'commentMention'; docId: string; docTitle: string; threadId: number; commentId: number; excerpt: string };
export type Notification = NotificationBody & {
  id: number;
  /** Who shared or mentioned. */
  actor: PublicUser;
  createdAt: number;
  /** null until I mark it read. */
  readAt: number | null;
};
/** GET /api/notifications → newest first, and how many are unread. */
export interface NotificationList {
  notifications: Notification[];
  unread: number;
}
/** POST /api/notifications/read: mark these (or, without ids, all) read. */
export interface MarkRead {
  ids?: number[];
}

/**
 * Every machine code an error body of the API carries (ApiError.error), grouped by where it arises.
 * A client shows `message` and branches on `error`; it treats a code it does not know (a newer
 * server) as a plain failure of the request.
 */
export const API_ERROR_CODES = [
  // Requests the server cannot read (Fastify's parser and the routes' JSON schemas).
  'bad_request', // a body of the wrong shape
  'invalid_json', // Content-Type application/json, but the body is not JSON (or is empty)
  'invalid_id', // a path parameter that is not an id (a document id: DOC_ID_PATTERN)
  'invalid_query', // a query parameter of the wrong shape (those below name which)
  'invalid_format',
  'invalid_limit',
  'invalid_before',
  'too_large', // the body is over the route's limit (413)
  'unsupported_media_type', // a body of a type the route does not take (415)
  'not_found', // no such route, or no such thing (or none I may see)
  // Sessions and accounts.
  'sign_in_required',
  'origin_not_allowed',
  'wrong_credentials',
  'too_many_attempts',
  'invalid_name',
  'weak_password',
  'name_taken',
  // Documents and access (DocAccess's AccessError).
  'self_share',
  'not_allowed',
  'not_owner',
  'no_owner',
  'owner_role',
  'owner_cannot_leave',
  'deleted',
  'no_such_user',
  'rate_limited',
  'busy',
  'load_failed',
  // Chat (ChatService's refusals, also sent over /live).
  'no_such_conversation',
  'not_member',
  'not_a_group',
  'empty',
  'too_long',
  'invalid_user',
  'invalid_title',
  'already_member',
  // Comments (CommentService's refusals; empty, too_long, not_allowed and rate_limited too).
  'no_such_thread',
  'no_such_comment',
  'not_author',
  'thread_full',
  'invalid_anchor',
  'invalid_reaction',
  // WebSocket upgrades refused over HTTP (/collab, /live).
  'upgrade_required',
  'too_many_connections',
  // The HTTP transport (shared/httpTransport.ts): a request to a closed session (its close code in the
  // body), and one for a session this process does not hold (code 4101: open a new one).
  'connection_closed',
  'session_unknown',
  // Anything unexpected: the details are in the server's log under the request's id, never here.
  'internal',
] as const;
export type ApiErrorCode = (typeof API_ERROR_CODES)[number];

/**
 * Body of every error response of the API (and of refused WebSocket upgrades): a stable machine
 * code, one of API_ERROR_CODES (typed `string` on the wire: a client must accept codes newer than
 * itself), and a sentence for people.
 */
export interface ApiError {
  error: string;
  message: string;
}

/** Largest Markdown text POST /api/docs/import accepts, in bytes (larger: 413). */
export const MAX_IMPORT_BYTES = 2 * 1024 * 1024;

/** Formats of GET /api/docs/:id/export?format=… */
export const EXPORT_FORMATS = ['md', 'html'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** Path of a document's export in `format`. */
export function exportPath(docId: string, format: ExportFormat): string {
  return `/api/docs/${encodeURIComponent(docId)}/export?format=${format}`;
}
