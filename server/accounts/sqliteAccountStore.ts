import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { type LinkAccess, type Role, userNameKey } from '../../shared/accounts.js';
import { type ConversationKind, type NotificationBody, docConversationId } from '../../shared/api.js';
import { DATABASE_FILE } from '../store/sqliteStore.js';
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
import { directConversationKey, notificationDocId } from './accountKeys.js';
import { sqliteAttemptBudgets } from './attemptBudgets.js';
import { userNameSkeleton } from './nameSkeleton.js';

/**
 * The account tables, beside the documents' in the same file. Users are never deleted, so every
 * reference to a user is a foreign key; documents and conversations are referenced without one (a
 * document made before accounts has no doc_access row, a document's chat has no conversations row).
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS users (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  -- userNameKey(name): names are unique case-insensitively.
  name_key TEXT NOT NULL UNIQUE,
  -- userNameSkeleton(name): a new name may not look like one taken (kept current at every open).
  name_skeleton TEXT,
  password_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_seen_at INTEGER
);
CREATE TABLE IF NOT EXISTS sessions (
  token_hash TEXT PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  user_id TEXT NOT NULL REFERENCES users (id),
  created_at INTEGER NOT NULL,
  last_used_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  user_agent TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_user ON sessions (user_id, created_at DESC);
CREATE INDEX IF NOT EXISTS sessions_expiry ON sessions (expires_at);
-- A deleted document's row stays (deleted_at set) so that its id is never served again.
CREATE TABLE IF NOT EXISTS doc_access (
  doc_id TEXT PRIMARY KEY,
  owner_id TEXT REFERENCES users (id),
  link_access TEXT NOT NULL CHECK (link_access IN ('none', 'view', 'edit')),
  created_at INTEGER NOT NULL,
  deleted_at INTEGER
);
CREATE TABLE IF NOT EXISTS doc_members (
  doc_id TEXT NOT NULL,
  user_id TEXT NOT NULL REFERENCES users (id),
  role TEXT NOT NULL CHECK (role IN ('owner', 'editor', 'viewer')),
  joined_at INTEGER NOT NULL,
  -- 1: joined by opening a link; the role follows the document's link access.
  via_link INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (doc_id, user_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS doc_members_user ON doc_members (user_id);
-- Direct and group conversations ('doc:<docId>' chats have no row). direct_key: the two members'
-- ids, sorted, for a direct conversation (NULL otherwise), so each pair has at most one.
CREATE TABLE IF NOT EXISTS conversations (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('doc', 'direct', 'group')),
  title TEXT NOT NULL,
  created_by TEXT REFERENCES users (id),
  created_at INTEGER NOT NULL,
  direct_key TEXT UNIQUE
);
CREATE INDEX IF NOT EXISTS conversations_kind ON conversations (kind, created_at);
CREATE TABLE IF NOT EXISTS conversation_members (
  conversation_id TEXT NOT NULL,
  user_id TEXT NOT NULL REFERENCES users (id),
  joined_at INTEGER NOT NULL,
  PRIMARY KEY (conversation_id, user_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS conversation_members_user ON conversation_members (user_id);
-- How far each user has read each conversation (a message id).
CREATE TABLE IF NOT EXISTS conversation_reads (
  user_id TEXT NOT NULL REFERENCES users (id),
  conversation_id TEXT NOT NULL,
  last_read_id INTEGER NOT NULL,
  PRIMARY KEY (user_id, conversation_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS conversation_reads_conversation ON conversation_reads (conversation_id);
-- AUTOINCREMENT: ids increase across the server and are never reused, even after deletions.
CREATE TABLE IF NOT EXISTS messages (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  conversation_id TEXT NOT NULL,
  author_id TEXT NOT NULL REFERENCES users (id),
  text TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_conversation ON messages (conversation_id, id);
-- body: the NotificationBody as JSON. doc_id: the document it is about (see notificationDocId),
-- so that deleting a document finds them.
CREATE TABLE IF NOT EXISTS notifications (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id TEXT NOT NULL REFERENCES users (id),
  actor_id TEXT NOT NULL REFERENCES users (id),
  doc_id TEXT,
  body TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  read_at INTEGER
);
CREATE INDEX IF NOT EXISTS notifications_user ON notifications (user_id, id);
CREATE INDEX IF NOT EXISTS notifications_unread ON notifications (user_id) WHERE read_at IS NULL;
CREATE INDEX IF NOT EXISTS notifications_doc ON notifications (doc_id) WHERE doc_id IS NOT NULL;
`;

interface UserRow {
  id: string;
  name: string;
  password_hash: string;
  created_at: number;
  last_seen_at: number | null;
}
interface SessionRow {
  token_hash: string;
  id: string;
  user_id: string;
  created_at: number;
  last_used_at: number;
  expires_at: number;
  user_agent: string;
}
interface DocAccessRow {
  doc_id: string;
  owner_id: string | null;
  link_access: LinkAccess;
  deleted_at: number | null;
}
interface MemberRow {
  doc_id: string;
  user_id: string;
  role: Role;
  joined_at: number;
  via_link: number;
}
interface ConversationRow {
  id: string;
  kind: ConversationKind;
  title: string;
  created_by: string | null;
  created_at: number;
}
interface MessageRow {
  id: number;
  conversation_id: string;
  author_id: string;
  text: string;
  created_at: number;
}
interface NotificationRow {
  id: number;
  user_id: string;
  actor_id: string;
  body: string;
  created_at: number;
  read_at: number | null;
}

const toUser = (r: UserRow): UserRecord => ({
  id: r.id,
  name: r.name,
  passwordHash: r.password_hash,
  createdAt: r.created_at,
  lastSeenAt: r.last_seen_at,
});
const toSession = (r: SessionRow): SessionRecord => ({
  tokenHash: r.token_hash,
  id: r.id,
  userId: r.user_id,
  createdAt: r.created_at,
  lastUsedAt: r.last_used_at,
  expiresAt: r.expires_at,
  userAgent: r.user_agent,
});
const toDocAccess = (r: DocAccessRow): DocAccessRecord => ({
  docId: r.doc_id,
  ownerId: r.owner_id,
  linkAccess: r.link_access,
  deletedAt: r.deleted_at,
});
const toMember = (r: MemberRow): MemberRecord => ({ docId: r.doc_id, userId: r.user_id, role: r.role, joinedAt: r.joined_at, viaLink: r.via_link === 1 });
const toConversation = (r: ConversationRow): ConversationRecord => ({
  id: r.id,
  kind: r.kind,
  title: r.title,
  createdBy: r.created_by,
  createdAt: r.created_at,
});
const toMessage = (r: MessageRow): MessageRecord => ({
  id: r.id,
  conversationId: r.conversation_id,
  authorId: r.author_id,
  text: r.text,
  createdAt: r.created_at,
});
const toNotification = (r: NotificationRow): NotificationRecord => ({
  id: r.id,
  userId: r.user_id,
  actorId: r.actor_id,
  body: JSON.parse(r.body) as NotificationBody,
  createdAt: r.created_at,
  readAt: r.read_at,
});

const USER_COLUMNS = 'id, name, password_hash, created_at, last_seen_at';
const SESSION_COLUMNS = 'token_hash, id, user_id, created_at, last_used_at, expires_at, user_agent';
const CONVERSATION_COLUMNS = 'id, kind, title, created_by, created_at';
const MESSAGE_COLUMNS = 'id, conversation_id, author_id, text, created_at';
const NOTIFICATION_COLUMNS = 'id, user_id, actor_id, body, created_at, read_at';
// Members by role, owner first, then by when they joined.
const MEMBER_ORDER = `CASE role WHEN 'owner' THEN 0 WHEN 'editor' THEN 1 ELSE 2 END, joined_at, user_id`;

/** Writes every user's current userNameSkeleton where it differs from the stored one (one transaction). */
function refreshSkeletons(db: Database.Database): void {
  const users = db.prepare<[], { id: string; name: string; name_skeleton: string | null }>('SELECT id, name, name_skeleton FROM users');
  const update = db.prepare<[string, string]>('UPDATE users SET name_skeleton = ? WHERE id = ?');
  db.transaction(() => {
    for (const user of users.all()) {
      const skeleton = userNameSkeleton(user.name);
      if (skeleton !== user.name_skeleton) update.run(skeleton, user.id);
    }
  }).immediate();
}

export interface SqliteAccountStoreOptions {
  /** Folder of the database file (the document store's: DATABASE_FILE); created if missing. */
  dataDir: string;
  synchronous: 'normal' | 'full';
}

/**
 * The account store in the document store's SQLite file, over a connection of its own. It never
 * checkpoints the WAL itself: open it beside the document store (openSqliteStore), whose
 * checkpointer worker does that for the whole file. better-sqlite3 is synchronous, so every method's
 * work is committed before its promise settles; a fault (a failed constraint included) rejects it.
 */
export function openSqliteAccountStore(options: SqliteAccountStoreOptions): AccountStore {
  fs.mkdirSync(options.dataDir, { recursive: true });
  const db = new Database(path.join(options.dataDir, DATABASE_FILE));
  // First, so that the pragmas and the schema below wait out the document store's connection.
  db.pragma('busy_timeout = 5000');
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
  db.pragma('wal_autocheckpoint = 0');
  db.pragma('foreign_keys = ON');
  db.exec(SCHEMA);
  // Files made before doc_members had via_link get it (every earlier member was shared by name or joined; 0).
  const memberColumns = db.prepare<[], { name: string }>('PRAGMA table_info(doc_members)').all();
  if (!memberColumns.some((column) => column.name === 'via_link')) db.exec('ALTER TABLE doc_members ADD COLUMN via_link INTEGER NOT NULL DEFAULT 0');
  // Files made before name_skeleton get it; every user's is (re)computed, so that a change of the
  // look-alike rules (or of the package's map) reaches existing names too.
  const userColumns = db.prepare<[], { name: string }>('PRAGMA table_info(users)').all();
  if (!userColumns.some((column) => column.name === 'name_skeleton')) db.exec('ALTER TABLE users ADD COLUMN name_skeleton TEXT');
  db.exec('CREATE INDEX IF NOT EXISTS users_skeleton ON users (name_skeleton)');
  refreshSkeletons(db);

  // Users
  // Nothing when the name is taken (name_key) or looks like one taken (name_skeleton).
  const insertUser = db.prepare<[string, string, string, string, string, number, string]>(
    `INSERT INTO users (id, name, name_key, name_skeleton, password_hash, created_at)
     SELECT ?, ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM users WHERE name_skeleton = ?)
     ON CONFLICT (name_key) DO NOTHING`,
  );
  const selectUserByKey = db.prepare<[string], UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE name_key = ?`);
  const selectUser = db.prepare<[string], UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE id = ?`);
  const selectUsers = db.prepare<[], UserRow>(`SELECT ${USER_COLUMNS} FROM users ORDER BY name_key, id`);
  const updateLastSeen = db.prepare<[number, string]>('UPDATE users SET last_seen_at = ? WHERE id = ?');
  const updatePasswordHash = db.prepare('UPDATE users SET password_hash = ? WHERE id = ?');

  // Sessions
  const insertSession = db.prepare<[string, string, string, number, number, number, string]>(
    `INSERT INTO sessions (${SESSION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );
  const selectSession = db.prepare<[string], SessionRow>(`SELECT ${SESSION_COLUMNS} FROM sessions WHERE token_hash = ?`);
  const updateSession = db.prepare<[number, number, string]>(
    'UPDATE sessions SET last_used_at = ?, expires_at = ? WHERE token_hash = ?',
  );
  const deleteSessionRow = db.prepare<[string], SessionRow>(
    `DELETE FROM sessions WHERE token_hash = ? RETURNING ${SESSION_COLUMNS}`,
  );
  const deleteSessionOfUser = db.prepare<[string, string], SessionRow>(
    `DELETE FROM sessions WHERE id = ? AND user_id = ? RETURNING ${SESSION_COLUMNS}`,
  );
  const selectLiveSessions = db.prepare<[string, number], SessionRow>(
    `SELECT ${SESSION_COLUMNS} FROM sessions WHERE user_id = ? AND expires_at > ? ORDER BY created_at DESC, id`,
  );
  const deleteExpired = db.prepare<[number]>('DELETE FROM sessions WHERE expires_at <= ?');

  // Documents
  const selectAccess = db.prepare<[string], DocAccessRow>(
    'SELECT doc_id, owner_id, link_access, deleted_at FROM doc_access WHERE doc_id = ?',
  );
  const insertAccess = db.prepare<[string, string, LinkAccess, number]>(
    'INSERT INTO doc_access (doc_id, owner_id, link_access, created_at) VALUES (?, ?, ?, ?)',
  );
  const updateLinkAccess = db.prepare<[LinkAccess, string]>('UPDATE doc_access SET link_access = ? WHERE doc_id = ?');
  const upsertTombstone = db.prepare<[string, number, number]>(
    `INSERT INTO doc_access (doc_id, owner_id, link_access, created_at, deleted_at) VALUES (?, NULL, 'none', ?, ?)
     ON CONFLICT (doc_id) DO UPDATE SET deleted_at = coalesce(deleted_at, excluded.deleted_at)`,
  );
  const deleteDocMembers = db.prepare<[string]>('DELETE FROM doc_members WHERE doc_id = ?');
  const deleteConversationMessages = db.prepare<[string]>('DELETE FROM messages WHERE conversation_id = ?');
  const deleteConversationReads = db.prepare<[string]>('DELETE FROM conversation_reads WHERE conversation_id = ?');
  const deleteConversationMembers = db.prepare<[string]>('DELETE FROM conversation_members WHERE conversation_id = ?');
  const deleteConversationRow = db.prepare<[string]>('DELETE FROM conversations WHERE id = ?');
  const deleteDocNotifications = db.prepare<[string]>('DELETE FROM notifications WHERE doc_id = ?');
  const selectMember = db.prepare<[string, string], MemberRow>(
    'SELECT doc_id, user_id, role, joined_at, via_link FROM doc_members WHERE doc_id = ? AND user_id = ?',
  );
  const selectMembers = db.prepare<[string], MemberRow>(
    `SELECT doc_id, user_id, role, joined_at, via_link FROM doc_members WHERE doc_id = ? ORDER BY ${MEMBER_ORDER}`,
  );
  const upsertMember = db.prepare<[string, string, Role, number, number]>(
    `INSERT INTO doc_members (doc_id, user_id, role, joined_at, via_link) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (doc_id, user_id) DO UPDATE SET role = excluded.role, via_link = excluded.via_link`,
  );
  const insertLinkMember = db.prepare<[string, string, Role, number]>(
    `INSERT INTO doc_members (doc_id, user_id, role, joined_at, via_link) VALUES (?, ?, ?, ?, 1)
     ON CONFLICT (doc_id, user_id) DO NOTHING`,
  );
  const deleteMember = db.prepare<[string, string]>('DELETE FROM doc_members WHERE doc_id = ? AND user_id = ?');
  const selectMemberships = db.prepare<[string], MemberRow>(
    `SELECT m.doc_id, m.user_id, m.role, m.joined_at, m.via_link FROM doc_members m
     LEFT JOIN doc_access a ON a.doc_id = m.doc_id
     WHERE m.user_id = ? AND a.deleted_at IS NULL ORDER BY m.joined_at, m.doc_id`,
  );

  // Conversations
  const insertConversation = db.prepare<[string, ConversationKind, string, string | null, number, string | null]>(
    `INSERT INTO conversations (${CONVERSATION_COLUMNS}, direct_key) VALUES (?, ?, ?, ?, ?, ?)`,
  );
  const selectConversation = db.prepare<[string], ConversationRow>(
    `SELECT ${CONVERSATION_COLUMNS} FROM conversations WHERE id = ?`,
  );
  const selectDirect = db.prepare<[string], ConversationRow>(
    `SELECT ${CONVERSATION_COLUMNS} FROM conversations WHERE direct_key = ?`,
  );
  const selectConversationsOf = db.prepare<[string], ConversationRow>(
    `SELECT c.id, c.kind, c.title, c.created_by, c.created_at FROM conversation_members m
     JOIN conversations c ON c.id = m.conversation_id
     WHERE m.user_id = ? AND c.kind IN ('direct', 'group') ORDER BY c.created_at, c.id`,
  );
  const selectGroups = db.prepare<[], ConversationRow>(
    `SELECT ${CONVERSATION_COLUMNS} FROM conversations WHERE kind = 'group' ORDER BY created_at, id`,
  );
  const selectConversationMembers = db.prepare<[string], { user_id: string }>(
    'SELECT user_id FROM conversation_members WHERE conversation_id = ? ORDER BY joined_at, user_id',
  );
  const selectConversationMember = db.prepare<[string, string], { one: number }>(
    'SELECT 1 AS one FROM conversation_members WHERE conversation_id = ? AND user_id = ?',
  );
  const insertConversationMember = db.prepare<[string, string, number]>(
    `INSERT INTO conversation_members (conversation_id, user_id, joined_at) VALUES (?, ?, ?)
     ON CONFLICT (conversation_id, user_id) DO NOTHING`,
  );
  const deleteConversationMember = db.prepare<[string, string]>(
    'DELETE FROM conversation_members WHERE conversation_id = ? AND user_id = ?',
  );

  // Messages
  const insertMessage = db.prepare<[string, string, string, number], { id: number }>(
    'INSERT INTO messages (conversation_id, author_id, text, created_at) VALUES (?, ?, ?, ?) RETURNING id',
  );
  // One more row than asked for: its presence is hasMore.
  const selectNewest = db.prepare<[string, number], MessageRow>(
    `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ? ORDER BY id DESC LIMIT ?`,
  );
  const selectBefore = db.prepare<[string, number, number], MessageRow>(
    `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ? AND id < ? ORDER BY id DESC LIMIT ?`,
  );
  const selectLastMessageAt = db.prepare<[string], { created_at: number }>(
    'SELECT created_at FROM messages WHERE conversation_id = ? ORDER BY id DESC LIMIT 1',
  );
  const upsertRead = db.prepare<[string, string, number]>(
    `INSERT INTO conversation_reads (user_id, conversation_id, last_read_id) VALUES (?, ?, ?)
     ON CONFLICT (user_id, conversation_id) DO UPDATE SET last_read_id = max(last_read_id, excluded.last_read_id)`,
  );
  const selectUnread = db.prepare<[string, string, string, string], { n: number }>(
    `SELECT count(*) AS n FROM messages
     WHERE conversation_id = ? AND author_id <> ?
       AND id > coalesce((SELECT last_read_id FROM conversation_reads WHERE user_id = ? AND conversation_id = ?), 0)`,
  );

  // Notifications
  const insertNotification = db.prepare<[string, string, string | null, string, number], NotificationRow>(
    `INSERT INTO notifications (user_id, actor_id, doc_id, body, created_at) VALUES (?, ?, ?, ?, ?)
     RETURNING ${NOTIFICATION_COLUMNS}`,
  );
  const selectNotifications = db.prepare<[string, number], NotificationRow>(
    `SELECT ${NOTIFICATION_COLUMNS} FROM notifications WHERE user_id = ? ORDER BY id DESC LIMIT ?`,
  );
  const selectUnreadNotifications = db.prepare<[string], { n: number }>(
    'SELECT count(*) AS n FROM notifications WHERE user_id = ? AND read_at IS NULL',
  );
  const markAllRead = db.prepare<[number, string]>(
    'UPDATE notifications SET read_at = ? WHERE user_id = ? AND read_at IS NULL',
  );
  const markOneRead = db.prepare<[number, string, number]>(
    'UPDATE notifications SET read_at = ? WHERE user_id = ? AND id = ? AND read_at IS NULL',
  );

  // Multi-statement writes. IMMEDIATE: take the write lock at BEGIN, never upgrade a read later.
  const createDocAccessTx = db.transaction((docId: string, ownerId: string, linkAccess: LinkAccess, at: number) => {
    insertAccess.run(docId, ownerId, linkAccess, at);
    upsertMember.run(docId, ownerId, 'owner', at, 0);
  });
  const markDocDeletedTx = db.transaction((docId: string, at: number) => {
    const chat = docConversationId(docId);
    upsertTombstone.run(docId, at, at);
    deleteDocMembers.run(docId);
    deleteConversationMessages.run(chat);
    deleteConversationReads.run(chat);
    deleteConversationMembers.run(chat);
    deleteConversationRow.run(chat);
    deleteDocNotifications.run(docId);
  });
  const createConversationTx = db.transaction((c: ConversationRecord, memberIds: readonly string[]) => {
    const directKey = c.kind === 'direct' ? directConversationKey(memberIds) : null;
    insertConversation.run(c.id, c.kind, c.title, c.createdBy, c.createdAt, directKey);
    for (const userId of memberIds) insertConversationMember.run(c.id, userId, c.createdAt);
  });
  const markSomeReadTx = db.transaction((userId: string, at: number, ids: readonly number[]) => {
    for (const id of ids) markOneRead.run(at, userId, id);
  });

  let closed = false;
  return {
    ...sqliteAttemptBudgets(db),
    async createUser(user) {
      const skeleton = userNameSkeleton(user.name);
      const { changes } = insertUser.run(user.id, user.name, userNameKey(user.name), skeleton, user.passwordHash, user.createdAt, skeleton);
      if (changes === 0) return 'taken';
      return { ...user, lastSeenAt: null };
    },
    async findUserByName(name) {
      const row = selectUserByKey.get(userNameKey(name));
      return row ? toUser(row) : null;
    },
    async getUser(id) {
      const row = selectUser.get(id);
      return row ? toUser(row) : null;
    },
    async listUsers() {
      return selectUsers.all().map(toUser);
    },
    async setLastSeen(userId, at) {
      updateLastSeen.run(at, userId);
    },
    async setPasswordHash(userId, passwordHash) {
      updatePasswordHash.run(passwordHash, userId);
    },

    async createSession(s) {
      insertSession.run(s.tokenHash, s.id, s.userId, s.createdAt, s.lastUsedAt, s.expiresAt, s.userAgent);
    },
    async findSession(tokenHash) {
      const row = selectSession.get(tokenHash);
      return row ? toSession(row) : null;
    },
    async touchSession(tokenHash, lastUsedAt, expiresAt) {
      updateSession.run(lastUsedAt, expiresAt, tokenHash);
    },
    async deleteSession(tokenHash) {
      const row = deleteSessionRow.get(tokenHash);
      return row ? toSession(row) : null;
    },
    async deleteSessionById(userId, id) {
      const row = deleteSessionOfUser.get(id, userId);
      return row ? toSession(row) : null;
    },
    async listSessions(userId, now) {
      return selectLiveSessions.all(userId, now).map(toSession);
    },
    async deleteExpiredSessions(now) {
      return deleteExpired.run(now).changes;
    },

    async getDocAccess(docId) {
      const row = selectAccess.get(docId);
      return row ? toDocAccess(row) : null;
    },
    async createDocAccess(docId, ownerId, linkAccess, at) {
      createDocAccessTx.immediate(docId, ownerId, linkAccess, at);
    },
    async setLinkAccess(docId, linkAccess) {
      updateLinkAccess.run(linkAccess, docId);
    },
    async markDocDeleted(docId, at) {
      markDocDeletedTx.immediate(docId, at);
    },
    async getMember(docId, userId) {
      const row = selectMember.get(docId, userId);
      return row ? toMember(row) : null;
    },
    async listMembers(docId) {
      return selectMembers.all(docId).map(toMember);
    },
    async setMember(docId, userId, role, at, viaLink = false) {
      upsertMember.run(docId, userId, role, at, viaLink ? 1 : 0);
    },
    async joinViaLink(docId, userId, role, at) {
      return insertLinkMember.run(docId, userId, role, at).changes > 0;
    },
    async removeMember(docId, userId) {
      return deleteMember.run(docId, userId).changes > 0;
    },
    async listMemberships(userId) {
      return selectMemberships.all(userId).map(toMember);
    },

    async createConversation(conversation, memberIds) {
      createConversationTx.immediate(conversation, memberIds);
    },
    async getConversation(id) {
      const row = selectConversation.get(id);
      return row ? toConversation(row) : null;
    },
    async findDirectConversation(userA, userB) {
      const row = selectDirect.get(directConversationKey([userA, userB]));
      return row ? toConversation(row) : null;
    },
    async listConversationsOf(userId) {
      return selectConversationsOf.all(userId).map(toConversation);
    },
    async listGroups() {
      return selectGroups.all().map(toConversation);
    },
    async listConversationMembers(conversationId) {
      return selectConversationMembers.all(conversationId).map((row) => row.user_id);
    },
    async isConversationMember(conversationId, userId) {
      return selectConversationMember.get(conversationId, userId) !== undefined;
    },
    async addConversationMember(conversationId, userId, at) {
      insertConversationMember.run(conversationId, userId, at);
    },
    async removeConversationMember(conversationId, userId) {
      return deleteConversationMember.run(conversationId, userId).changes > 0;
    },

    async appendMessage(message) {
      const { id } = insertMessage.get(message.conversationId, message.authorId, message.text, message.createdAt)!;
      return { id, ...message };
    },
    async listMessages(conversationId, beforeId, limit) {
      const rows =
        beforeId === null ? selectNewest.all(conversationId, limit + 1) : selectBefore.all(conversationId, beforeId, limit + 1);
      const hasMore = rows.length > limit;
      return { messages: rows.slice(0, limit).reverse().map(toMessage), hasMore };
    },
    async lastMessageAt(conversationId) {
      return selectLastMessageAt.get(conversationId)?.created_at ?? null;
    },
    async markConversationRead(userId, conversationId, messageId) {
      upsertRead.run(userId, conversationId, messageId);
    },
    async unreadCount(userId, conversationId) {
      return selectUnread.get(conversationId, userId, userId, conversationId)!.n;
    },

    async addNotification(n) {
      const row = insertNotification.get(n.userId, n.actorId, notificationDocId(n.body), JSON.stringify(n.body), n.createdAt)!;
      return toNotification(row);
    },
    async listNotifications(userId, limit) {
      return selectNotifications.all(userId, limit).map(toNotification);
    },
    async unreadNotificationCount(userId) {
      return selectUnreadNotifications.get(userId)!.n;
    },
    async markNotificationsRead(userId, at, ids) {
      if (ids === undefined) markAllRead.run(at, userId);
      else if (ids.length > 0) markSomeReadTx.immediate(userId, at, ids);
    },

    async close() {
      if (closed) return;
      closed = true;
      db.close();
    },
  };
}
