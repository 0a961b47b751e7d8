import type { Pool, QueryResultRow } from 'pg';
import { type LinkAccess, type Role, userNameKey } from '../../shared/accounts.js';
import { type ConversationKind, type NotificationBody, docConversationId } from '../../shared/api.js';
import {
  type PostgresStoreLog,
  createPool,
  inTransaction,
  migratePool,
  toSafeNumber,
} from '../store/postgresStore.js';
import { directConversationKey, notificationDocId } from './accountKeys.js';
import { postgresAttemptBudgets } from './attemptBudgets.js';
import { userNameSkeleton } from './nameSkeleton.js';
import type {
  AccountStore,
  ConversationRecord,
  DocAccessRecord,
  MemberRecord,
  MessageRecord,
  NotificationRecord,
  SessionRecord,
  UserRecord,
} from './accountStore.js';

// The tables are migration 2 of postgresSchema.ts (beside the documents'). Times and ids are
// bigint columns, which `pg` returns as strings: toSafeNumber converts them (or throws).

type Bigint = string;
interface UserRow {
  id: string;
  name: string;
  password_hash: string;
  created_at: Bigint;
  last_seen_at: Bigint | null;
}
interface SessionRow {
  token_hash: string;
  id: string;
  user_id: string;
  created_at: Bigint;
  last_used_at: Bigint;
  expires_at: Bigint;
  user_agent: string;
}
interface DocAccessRow {
  doc_id: string;
  owner_id: string | null;
  link_access: LinkAccess;
  deleted_at: Bigint | null;
}
interface MemberRow {
  doc_id: string;
  user_id: string;
  role: Role;
  joined_at: Bigint;
  via_link: boolean;
}
interface ConversationRow {
  id: string;
  kind: ConversationKind;
  title: string;
  created_by: string | null;
  created_at: Bigint;
}
interface MessageRow {
  id: Bigint;
  conversation_id: string;
  author_id: string;
  text: string;
  created_at: Bigint;
}
interface NotificationRow {
  id: Bigint;
  user_id: string;
  actor_id: string;
  /** jsonb: `pg` parses it. */
  body: NotificationBody;
  created_at: Bigint;
  read_at: Bigint | null;
}

const num = (value: Bigint, what: string) => toSafeNumber(value, what);
const numOrNull = (value: Bigint | null, what: string) => (value === null ? null : toSafeNumber(value, what));

const toUser = (r: UserRow): UserRecord => ({
  id: r.id,
  name: r.name,
  passwordHash: r.password_hash,
  createdAt: num(r.created_at, 'created_at'),
  lastSeenAt: numOrNull(r.last_seen_at, 'last_seen_at'),
});
const toSession = (r: SessionRow): SessionRecord => ({
  tokenHash: r.token_hash,
  id: r.id,
  userId: r.user_id,
  createdAt: num(r.created_at, 'created_at'),
  lastUsedAt: num(r.last_used_at, 'last_used_at'),
  expiresAt: num(r.expires_at, 'expires_at'),
  userAgent: r.user_agent,
});
const toDocAccess = (r: DocAccessRow): DocAccessRecord => ({
  docId: r.doc_id,
  ownerId: r.owner_id,
  linkAccess: r.link_access,
  deletedAt: numOrNull(r.deleted_at, 'deleted_at'),
});
const toMember = (r: MemberRow): MemberRecord => ({
  docId: r.doc_id,
  userId: r.user_id,
  role: r.role,
  joinedAt: num(r.joined_at, 'joined_at'),
  viaLink: r.via_link,
});
const toConversation = (r: ConversationRow): ConversationRecord => ({
  id: r.id,
  kind: r.kind,
  title: r.title,
  createdBy: r.created_by,
  createdAt: num(r.created_at, 'created_at'),
});
const toMessage = (r: MessageRow): MessageRecord => ({
  id: num(r.id, 'message id'),
  conversationId: r.conversation_id,
  authorId: r.author_id,
  text: r.text,
  createdAt: num(r.created_at, 'created_at'),
});
const toNotification = (r: NotificationRow): NotificationRecord => ({
  id: num(r.id, 'notification id'),
  userId: r.user_id,
  actorId: r.actor_id,
  body: r.body,
  createdAt: num(r.created_at, 'created_at'),
  readAt: numOrNull(r.read_at, 'read_at'),
});

const USER_COLUMNS = 'id, name, password_hash, created_at, last_seen_at';
const SESSION_COLUMNS = 'token_hash, id, user_id, created_at, last_used_at, expires_at, user_agent';
const CONVERSATION_COLUMNS = 'id, kind, title, created_by, created_at';
const MESSAGE_COLUMNS = 'id, conversation_id, author_id, text, created_at';
const NOTIFICATION_COLUMNS = 'id, user_id, actor_id, body, created_at, read_at';
// Text orders use the "C" collation (code points), as SQLite does, whatever the database's locale.
const MEMBER_ORDER = `CASE role WHEN 'owner' THEN 0 WHEN 'editor' THEN 1 ELSE 2 END, joined_at, user_id COLLATE "C"`;
// Advisory lock class of appendMessage (the two-key form, apart from the migration's one-key lock).
const MESSAGE_LOCK_CLASS = 0x6d736773; // "msgs"

export type PostgresAccountStoreOptions = {
  log?: PostgresStoreLog;
} & (
  | {
      /** postgres://… (any form `pg` accepts): the store makes (and on close, ends) its own pool. */
      connectionString: string;
      /** Connections its pool may open; 10 when absent. */
      maxConnections?: number;
    }
  | {
      /** A pool the caller owns (and ends after closing the store). */
      pool: Pool;
    }
);

/** First key of the advisory locks registrations take per name skeleton ("name"). */
const SKELETON_LOCK_KEY = 0x6e616d65;

/** Writes every user's current userNameSkeleton where it differs from the stored one. */
async function refreshSkeletons(pool: Pool): Promise<void> {
  const { rows } = await pool.query<{ id: string; name: string; name_skeleton: string | null }>('SELECT id, name, name_skeleton FROM users');
  const stale = rows.filter((row) => userNameSkeleton(row.name) !== row.name_skeleton);
  if (stale.length === 0) return;
  await pool.query('UPDATE users AS u SET name_skeleton = t.skeleton FROM unnest($1::text[], $2::text[]) AS t(id, skeleton) WHERE u.id = t.id', [
    stale.map((row) => row.id),
    stale.map((row) => userNameSkeleton(row.name)),
  ]);
}

/**
 * The account store for Tandem processes sharing one PostgreSQL database (the documents' one). The
 * schema is migrated before the promise resolves (the same migrations as openPostgresStore, so
 * either store may be opened first); rejects when the database cannot be reached or migrated.
 * Every method settles after its statement or transaction committed or failed; PostgreSQL's errors
 * (a violated constraint included) reject it unchanged.
 */
export async function openPostgresAccountStore(options: PostgresAccountStoreOptions): Promise<AccountStore> {
  const ownPool = 'connectionString' in options;
  const pool = 'connectionString' in options ? createPool(options) : options.pool;
  try {
    await migratePool(pool, options.log);
    await refreshSkeletons(pool);
  } catch (error) {
    if (ownPool) await pool.end().catch(() => undefined);
    throw error;
  }

  async function rows<R extends QueryResultRow>(text: string, values: unknown[]): Promise<R[]> {
    return (await pool.query<R>(text, values)).rows;
  }
  async function one<R extends QueryResultRow>(text: string, values: unknown[]): Promise<R | null> {
    return (await rows<R>(text, values))[0] ?? null;
  }
  async function count(text: string, values: unknown[]): Promise<number> {
    return (await pool.query(text, values)).rowCount ?? 0;
  }

  let closing: Promise<void> | null = null;
  return {
    ...postgresAttemptBudgets(pool),
    async createUser(user) {
      const skeleton = userNameSkeleton(user.name);
      const inserted = await inTransaction(pool, async (client) => {
        // Two registrations of look-alike names take turns, so that the second sees the first.
        await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [SKELETON_LOCK_KEY, skeleton]);
        const result = await client.query(
          `INSERT INTO users (id, name, name_key, name_skeleton, password_hash, created_at)
           SELECT $1, $2, $3, $4, $5, $6 WHERE NOT EXISTS (SELECT 1 FROM users WHERE name_skeleton = $4)
           ON CONFLICT (name_key) DO NOTHING`,
          [user.id, user.name, userNameKey(user.name), skeleton, user.passwordHash, user.createdAt],
        );
        return result.rowCount ?? 0;
      });
      return inserted === 0 ? 'taken' : { ...user, lastSeenAt: null };
    },
    async findUserByName(name) {
      const row = await one<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE name_key = $1`, [userNameKey(name)]);
      return row && toUser(row);
    },
    async getUser(id) {
      const row = await one<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE id = $1`, [id]);
      return row && toUser(row);
    },
    async listUsers() {
      return (await rows<UserRow>(`SELECT ${USER_COLUMNS} FROM users ORDER BY name_key COLLATE "C", id COLLATE "C"`, [])).map(toUser);
    },
    async setLastSeen(userId, at) {
      await pool.query('UPDATE users SET last_seen_at = $1 WHERE id = $2', [at, userId]);
    },
    async setPasswordHash(userId, passwordHash) {
      await pool.query('UPDATE users SET password_hash = $1 WHERE id = $2', [passwordHash, userId]);
    },

    async createSession(s) {
      await pool.query(`INSERT INTO sessions (${SESSION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)`, [
        s.tokenHash,
        s.id,
        s.userId,
        s.createdAt,
        s.lastUsedAt,
        s.expiresAt,
        s.userAgent,
      ]);
    },
    async findSession(tokenHash) {
      const row = await one<SessionRow>(`SELECT ${SESSION_COLUMNS} FROM sessions WHERE token_hash = $1`, [tokenHash]);
      return row && toSession(row);
    },
    async touchSession(tokenHash, lastUsedAt, expiresAt) {
      await pool.query('UPDATE sessions SET last_used_at = $1, expires_at = $2 WHERE token_hash = $3', [
        lastUsedAt,
        expiresAt,
        tokenHash,
      ]);
    },
    async deleteSession(tokenHash) {
      const row = await one<SessionRow>(`DELETE FROM sessions WHERE token_hash = $1 RETURNING ${SESSION_COLUMNS}`, [tokenHash]);
      return row && toSession(row);
    },
    async deleteSessionById(userId, id) {
      const row = await one<SessionRow>(`DELETE FROM sessions WHERE id = $1 AND user_id = $2 RETURNING ${SESSION_COLUMNS}`, [
        id,
        userId,
      ]);
      return row && toSession(row);
    },
    async listSessions(userId, now) {
      const found = await rows<SessionRow>(
        `SELECT ${SESSION_COLUMNS} FROM sessions WHERE user_id = $1 AND expires_at > $2 ORDER BY created_at DESC, id COLLATE "C"`,
        [userId, now],
      );
      return found.map(toSession);
    },
    async deleteExpiredSessions(now) {
      return count('DELETE FROM sessions WHERE expires_at <= $1', [now]);
    },

    async getDocAccess(docId) {
      const row = await one<DocAccessRow>('SELECT doc_id, owner_id, link_access, deleted_at FROM doc_access WHERE doc_id = $1', [docId]);
      return row && toDocAccess(row);
    },
    async createDocAccess(docId, ownerId, linkAccess, at) {
      await inTransaction(pool, async (client) => {
        await client.query('INSERT INTO doc_access (doc_id, owner_id, link_access, created_at) VALUES ($1, $2, $3, $4)', [
          docId,
          ownerId,
          linkAccess,
          at,
        ]);
        await client.query(
          // The owner's role never follows the link, whatever membership they held before (as SQLite's).
          `INSERT INTO doc_members (doc_id, user_id, role, joined_at, via_link) VALUES ($1, $2, 'owner', $3, false)
           ON CONFLICT (doc_id, user_id) DO UPDATE SET role = EXCLUDED.role, via_link = false`,
          [docId, ownerId, at],
        );
      });
    },
    async setLinkAccess(docId, linkAccess) {
      await pool.query('UPDATE doc_access SET link_access = $1 WHERE doc_id = $2', [linkAccess, docId]);
    },
    async markDocDeleted(docId, at) {
      const chat = docConversationId(docId);
      await inTransaction(pool, async (client) => {
        await client.query(
          `INSERT INTO doc_access (doc_id, owner_id, link_access, created_at, deleted_at) VALUES ($1, NULL, 'none', $2, $2)
           ON CONFLICT (doc_id) DO UPDATE SET deleted_at = coalesce(doc_access.deleted_at, EXCLUDED.deleted_at)`,
          [docId, at],
        );
        await client.query('DELETE FROM doc_members WHERE doc_id = $1', [docId]);
        await client.query('DELETE FROM messages WHERE conversation_id = $1', [chat]);
        await client.query('DELETE FROM conversation_reads WHERE conversation_id = $1', [chat]);
        await client.query('DELETE FROM conversation_members WHERE conversation_id = $1', [chat]);
        await client.query('DELETE FROM conversations WHERE id = $1', [chat]);
        await client.query('DELETE FROM notifications WHERE doc_id = $1', [docId]);
      });
    },
    async getMember(docId, userId) {
      const row = await one<MemberRow>('SELECT doc_id, user_id, role, joined_at, via_link FROM doc_members WHERE doc_id = $1 AND user_id = $2', [
        docId,
        userId,
      ]);
      return row && toMember(row);
    },
    async listMembers(docId) {
      const found = await rows<MemberRow>(
        `SELECT doc_id, user_id, role, joined_at, via_link FROM doc_members WHERE doc_id = $1 ORDER BY ${MEMBER_ORDER}`,
        [docId],
      );
      return found.map(toMember);
    },
    async setMember(docId, userId, role, at, viaLink = false) {
      await pool.query(
        `INSERT INTO doc_members (doc_id, user_id, role, joined_at, via_link) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (doc_id, user_id) DO UPDATE SET role = EXCLUDED.role, via_link = EXCLUDED.via_link`,
        [docId, userId, role, at, viaLink],
      );
    },
    async joinViaLink(docId, userId, role, at) {
      const added = await count(
        `INSERT INTO doc_members (doc_id, user_id, role, joined_at, via_link) VALUES ($1, $2, $3, $4, true)
         ON CONFLICT (doc_id, user_id) DO NOTHING`,
        [docId, userId, role, at],
      );
      return added > 0;
    },
    async removeMember(docId, userId) {
      return (await count('DELETE FROM doc_members WHERE doc_id = $1 AND user_id = $2', [docId, userId])) > 0;
    },
    async listMemberships(userId) {
      const found = await rows<MemberRow>(
        `SELECT m.doc_id, m.user_id, m.role, m.joined_at, m.via_link FROM doc_members m
         LEFT JOIN doc_access a ON a.doc_id = m.doc_id
         WHERE m.user_id = $1 AND a.deleted_at IS NULL ORDER BY m.joined_at, m.doc_id COLLATE "C"`,
        [userId],
      );
      return found.map(toMember);
    },

    async createConversation(c, memberIds) {
      const directKey = c.kind === 'direct' ? directConversationKey(memberIds) : null;
      await inTransaction(pool, async (client) => {
        await client.query(`INSERT INTO conversations (${CONVERSATION_COLUMNS}, direct_key) VALUES ($1, $2, $3, $4, $5, $6)`, [
          c.id,
          c.kind,
          c.title,
          c.createdBy,
          c.createdAt,
          directKey,
        ]);
        await client.query(
          `INSERT INTO conversation_members (conversation_id, user_id, joined_at)
           SELECT $1, user_id, $3 FROM unnest($2::text[]) AS t(user_id)
           ON CONFLICT (conversation_id, user_id) DO NOTHING`,
          [c.id, [...memberIds], c.createdAt],
        );
      });
    },
    async getConversation(id) {
      const row = await one<ConversationRow>(`SELECT ${CONVERSATION_COLUMNS} FROM conversations WHERE id = $1`, [id]);
      return row && toConversation(row);
    },
    async findDirectConversation(userA, userB) {
      const row = await one<ConversationRow>(`SELECT ${CONVERSATION_COLUMNS} FROM conversations WHERE direct_key = $1`, [
        directConversationKey([userA, userB]),
      ]);
      return row && toConversation(row);
    },
    async listConversationsOf(userId) {
      const found = await rows<ConversationRow>(
        `SELECT c.id, c.kind, c.title, c.created_by, c.created_at FROM conversation_members m
         JOIN conversations c ON c.id = m.conversation_id
         WHERE m.user_id = $1 AND c.kind IN ('direct', 'group') ORDER BY c.created_at, c.id COLLATE "C"`,
        [userId],
      );
      return found.map(toConversation);
    },
    async listGroups() {
      const found = await rows<ConversationRow>(
        `SELECT ${CONVERSATION_COLUMNS} FROM conversations WHERE kind = 'group' ORDER BY created_at, id COLLATE "C"`,
        [],
      );
      return found.map(toConversation);
    },
    async listConversationMembers(conversationId) {
      const found = await rows<{ user_id: string }>(
        'SELECT user_id FROM conversation_members WHERE conversation_id = $1 ORDER BY joined_at, user_id COLLATE "C"',
        [conversationId],
      );
      return found.map((row) => row.user_id);
    },
    async isConversationMember(conversationId, userId) {
      return (await one('SELECT 1 FROM conversation_members WHERE conversation_id = $1 AND user_id = $2', [conversationId, userId])) !== null;
    },
    async addConversationMember(conversationId, userId, at) {
      await pool.query(
        `INSERT INTO conversation_members (conversation_id, user_id, joined_at) VALUES ($1, $2, $3)
         ON CONFLICT (conversation_id, user_id) DO NOTHING`,
        [conversationId, userId, at],
      );
    },
    async removeConversationMember(conversationId, userId) {
      return (await count('DELETE FROM conversation_members WHERE conversation_id = $1 AND user_id = $2', [conversationId, userId])) > 0;
    },

    async appendMessage(message) {
      const row = await inTransaction(pool, async (client) => {
        // One message of a conversation at a time draws an id and commits: within a conversation,
        // ids commit in increasing order, so no message appears later below someone's read mark.
        await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [MESSAGE_LOCK_CLASS, message.conversationId]);
        const { rows: inserted } = await client.query<{ id: Bigint }>(
          'INSERT INTO messages (conversation_id, author_id, text, created_at) VALUES ($1, $2, $3, $4) RETURNING id',
          [message.conversationId, message.authorId, message.text, message.createdAt],
        );
        return inserted[0]!;
      });
      return { id: num(row.id, 'message id'), ...message };
    },
    async listMessages(conversationId, beforeId, limit) {
      // One more row than asked for: its presence is hasMore.
      const found = await rows<MessageRow>(
        `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE conversation_id = $1 AND ($2::bigint IS NULL OR id < $2::bigint)
         ORDER BY id DESC LIMIT $3`,
        [conversationId, beforeId, limit + 1],
      );
      return { messages: found.slice(0, limit).reverse().map(toMessage), hasMore: found.length > limit };
    },
    async lastMessageAt(conversationId) {
      const row = await one<{ created_at: Bigint }>(
        'SELECT created_at FROM messages WHERE conversation_id = $1 ORDER BY id DESC LIMIT 1',
        [conversationId],
      );
      return row && num(row.created_at, 'created_at');
    },
    async markConversationRead(userId, conversationId, messageId) {
      await pool.query(
        `INSERT INTO conversation_reads (user_id, conversation_id, last_read_id) VALUES ($1, $2, $3)
         ON CONFLICT (user_id, conversation_id) DO UPDATE
           SET last_read_id = greatest(conversation_reads.last_read_id, EXCLUDED.last_read_id)`,
        [userId, conversationId, messageId],
      );
    },
    async unreadCount(userId, conversationId) {
      const row = await one<{ n: number }>(
        `SELECT count(*)::int AS n FROM messages
         WHERE conversation_id = $1 AND author_id <> $2
           AND id > coalesce((SELECT last_read_id FROM conversation_reads WHERE user_id = $2 AND conversation_id = $1), 0)`,
        [conversationId, userId],
      );
      return row?.n ?? 0;
    },

    async addNotification(n) {
      const row = await one<NotificationRow>(
        `INSERT INTO notifications (user_id, actor_id, doc_id, body, created_at) VALUES ($1, $2, $3, $4, $5)
         RETURNING ${NOTIFICATION_COLUMNS}`,
        [n.userId, n.actorId, notificationDocId(n.body), JSON.stringify(n.body), n.createdAt],
      );
      return toNotification(row!);
    },
    async listNotifications(userId, limit) {
      const found = await rows<NotificationRow>(
        `SELECT ${NOTIFICATION_COLUMNS} FROM notifications WHERE user_id = $1 ORDER BY id DESC LIMIT $2`,
        [userId, limit],
      );
      return found.map(toNotification);
    },
    async unreadNotificationCount(userId) {
      const row = await one<{ n: number }>('SELECT count(*)::int AS n FROM notifications WHERE user_id = $1 AND read_at IS NULL', [userId]);
      return row?.n ?? 0;
    },
    async markNotificationsRead(userId, at, ids) {
      if (ids === undefined) {
        await pool.query('UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND read_at IS NULL', [at, userId]);
      } else if (ids.length > 0) {
        await pool.query('UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND read_at IS NULL AND id = ANY($3::bigint[])', [
          at,
          userId,
          [...ids],
        ]);
      }
    },

    close() {
      closing ??= ownPool ? pool.end() : Promise.resolve();
      return closing;
    },
  };
}
