import type { LinkAccess, Role } from '../../shared/accounts.js';
import type { ConversationKind, NotificationBody } from '../../shared/api.js';
import { toSafeNumber as num, toSafeNumberOrNull as numOrNull } from '../db/safeNumber.js';
import type {
  ConversationRecord,
  DocAccessRecord,
  MemberRecord,
  MessageRecord,
  NotificationRecord,
  SessionRecord,
  UserRecord,
} from './accountStore.js';

// The account tables' rows as both backends return them, and their one mapping to records. The
// tables have the same columns in SQLite and PostgreSQL (server/db/sqliteSchema.ts and
// postgresSchema.ts); what differs is how a value arrives, and the mappers take either:
// - integers: SQLite's INTEGER as a number, PostgreSQL's bigint as a string (toSafeNumber converts
//   both, throwing rather than rounding past 2^53);
// - via_link: SQLite's 0/1, PostgreSQL's boolean;
// - a notification's body: SQLite's JSON text, PostgreSQL's jsonb (which `pg` parses).

/** An integer column: a number from SQLite, a string from PostgreSQL's bigint. */
type Int = number | string;

export interface UserRow {
  id: string;
  name: string;
  password_hash: string;
  created_at: Int;
  last_seen_at: Int | null;
}
export interface SessionRow {
  token_hash: string;
  id: string;
  user_id: string;
  created_at: Int;
  last_used_at: Int;
  expires_at: Int;
  user_agent: string;
}
export interface DocAccessRow {
  doc_id: string;
  owner_id: string | null;
  link_access: LinkAccess;
  deleted_at: Int | null;
}
export interface MemberRow {
  doc_id: string;
  user_id: string;
  role: Role;
  joined_at: Int;
  via_link: number | boolean;
}
export interface ConversationRow {
  id: string;
  kind: ConversationKind;
  title: string;
  created_by: string | null;
  created_at: Int;
}
export interface MessageRow {
  id: Int;
  conversation_id: string;
  author_id: string;
  text: string;
  created_at: Int;
}
export interface NotificationRow {
  id: Int;
  user_id: string;
  actor_id: string;
  body: string | NotificationBody;
  created_at: Int;
  read_at: Int | null;
}

/** The columns each mapper reads, in the order both backends select them. */
export const USER_COLUMNS = 'id, name, password_hash, created_at, last_seen_at';
export const SESSION_COLUMNS = 'token_hash, id, user_id, created_at, last_used_at, expires_at, user_agent';
export const DOC_ACCESS_COLUMNS = 'doc_id, owner_id, link_access, deleted_at';
export const MEMBER_COLUMNS = 'doc_id, user_id, role, joined_at, via_link';
export const CONVERSATION_COLUMNS = 'id, kind, title, created_by, created_at';
export const MESSAGE_COLUMNS = 'id, conversation_id, author_id, text, created_at';
export const NOTIFICATION_COLUMNS = 'id, user_id, actor_id, body, created_at, read_at';

export const toUser = (r: UserRow): UserRecord => ({
  id: r.id,
  name: r.name,
  passwordHash: r.password_hash,
  createdAt: num(r.created_at, 'created_at'),
  lastSeenAt: numOrNull(r.last_seen_at, 'last_seen_at'),
});
export const toSession = (r: SessionRow): SessionRecord => ({
  tokenHash: r.token_hash,
  id: r.id,
  userId: r.user_id,
  createdAt: num(r.created_at, 'created_at'),
  lastUsedAt: num(r.last_used_at, 'last_used_at'),
  expiresAt: num(r.expires_at, 'expires_at'),
  userAgent: r.user_agent,
});
export const toDocAccess = (r: DocAccessRow): DocAccessRecord => ({
  docId: r.doc_id,
  ownerId: r.owner_id,
  linkAccess: r.link_access,
  deletedAt: numOrNull(r.deleted_at, 'deleted_at'),
});
export const toMember = (r: MemberRow): MemberRecord => ({
  docId: r.doc_id,
  userId: r.user_id,
  role: r.role,
  joinedAt: num(r.joined_at, 'joined_at'),
  viaLink: r.via_link === true || r.via_link === 1,
});
export const toConversation = (r: ConversationRow): ConversationRecord => ({
  id: r.id,
  kind: r.kind,
  title: r.title,
  createdBy: r.created_by,
  createdAt: num(r.created_at, 'created_at'),
});
export const toMessage = (r: MessageRow): MessageRecord => ({
  id: num(r.id, 'message id'),
  conversationId: r.conversation_id,
  authorId: r.author_id,
  text: r.text,
  createdAt: num(r.created_at, 'created_at'),
});
export const toNotification = (r: NotificationRow): NotificationRecord => ({
  id: num(r.id, 'notification id'),
  userId: r.user_id,
  actorId: r.actor_id,
  body: typeof r.body === 'string' ? (JSON.parse(r.body) as NotificationBody) : r.body,
  createdAt: num(r.created_at, 'created_at'),
  readAt: numOrNull(r.read_at, 'read_at'),
});

/** A mapped row, or null for none (a lookup that found nothing). */
export function mapOrNull<R, T>(row: R | null | undefined, map: (row: R) => T): T | null {
  return row ? map(row) : null;
}
