import type { LinkAccess, Role } from '../../shared/accounts.js';
import type { ConversationKind, NotificationBody } from '../../shared/api.js';
import type { AttemptBudgetStore } from './attemptBudgets.js';

// Storage of everything about people, in six domains, each an interface of its own: users,
// sessions, document access (owners, link access, members), chat (conversations and messages),
// comments (threads on documents) and notifications; sign-in attempt budgets are a seventh
// (attemptBudgets.ts). AccountStore is all of them over one database: routes and the live hub take it whole. Each backend implements each domain in
// a file of its own (sqliteUsers.ts, postgresUsers.ts, …) and composes them in sqliteAccountStore.ts
// and postgresAccountStore.ts; one contract suite (tests/helpers/accountStoreContract/) has a block
// per domain, run on both. Every method rejects on a storage fault and resolves only once what it
// wrote is committed. Times are epoch ms.

export interface UserRecord {
  /** Opaque, random, never reused. */
  id: string;
  /** As the user typed it; unique under userNameKey (case-insensitive). */
  name: string;
  /** The password's KDF output with its parameters (see passwords.ts). */
  passwordHash: string;
  createdAt: number;
  /** When the user was last connected (null: never). */
  lastSeenAt: number | null;
}

export interface SessionRecord {
  /** SHA-256 of the cookie's secret (hex); the secret itself is never stored. */
  tokenHash: string;
  /** A public handle for listings and revocation (random, unrelated to the secret). */
  id: string;
  userId: string;
  createdAt: number;
  lastUsedAt: number;
  expiresAt: number;
  userAgent: string;
}

/** Who may open a document: its owner (null for one made before accounts) and link access. */
export interface DocAccessRecord {
  docId: string;
  ownerId: string | null;
  linkAccess: LinkAccess;
  /** Set once the owner deleted the document: its id is never served again. */
  deletedAt: number | null;
}

export interface MemberRecord {
  docId: string;
  userId: string;
  role: Role;
  joinedAt: number;
  /** Joined by opening a link (not shared with by name): the role follows the link access. */
  viaLink: boolean;
}

export interface ConversationRecord {
  /** `doc:<docId>` for a document's chat (its members are the document's); random otherwise. */
  id: string;
  kind: ConversationKind;
  /** A group's name ('' for the others). */
  title: string;
  createdBy: string | null;
  createdAt: number;
}

export interface MessageRecord {
  id: number;
  conversationId: string;
  authorId: string;
  text: string;
  createdAt: number;
}

export interface NotificationRecord {
  id: number;
  userId: string;
  actorId: string;
  body: NotificationBody;
  createdAt: number;
  readAt: number | null;
}

/** A thread's anchor: two encoded Yjs relative positions and the text the range quoted when made. */
export interface AnchorRecord {
  start: Uint8Array;
  end: Uint8Array;
  excerpt: string;
}

export interface ReactionRecord {
  emoji: string;
  userId: string;
  createdAt: number;
}

export interface CommentRecord {
  id: number;
  threadId: number;
  authorId: string;
  body: string;
  createdAt: number;
  editedAt: number | null;
  /** In the order given (then by emoji and user). */
  reactions: ReactionRecord[];
}

/** A comment thread with its comments, oldest first (the first opened it). */
export interface ThreadRecord {
  id: number;
  docId: string;
  anchor: AnchorRecord;
  createdBy: string;
  createdAt: number;
  resolvedBy: string | null;
  resolvedAt: number | null;
  comments: CommentRecord[];
}

/** Users: who exists, by id and by name. Users are never deleted. */
export interface UserStore {
  /**
   * Creates a user; resolves to 'taken' (creating nothing) when the name is taken under userNameKey,
   * or looks like a name taken (the same userNameSkeleton: "аdmin" with a Cyrillic а beside "admin").
   */
  createUser(user: { id: string; name: string; passwordHash: string; createdAt: number }): Promise<UserRecord | 'taken'>;
  /** Finds a user by name, case-insensitively (userNameKey); null when none. */
  findUserByName(name: string): Promise<UserRecord | null>;
  /** The user with this id; null when none. */
  getUser(id: string): Promise<UserRecord | null>;
  /** Every user, by name (case-insensitive order). */
  listUsers(): Promise<UserRecord[]>;
  setLastSeen(userId: string, at: number): Promise<void>;
  /** Replaces the user's password hash (a re-hash at a higher cost, at sign-in). */
  setPasswordHash(userId: string, passwordHash: string): Promise<void>;
}

/** Sessions: who is signed in where. A session's user must exist (rejects otherwise). */
export interface SessionStore {
  createSession(session: SessionRecord): Promise<void>;
  /** The session with this token hash, expired or not (the caller checks expiresAt). */
  findSession(tokenHash: string): Promise<SessionRecord | null>;
  /** Moves a session's lastUsedAt and expiresAt (sliding expiry). */
  touchSession(tokenHash: string, lastUsedAt: number, expiresAt: number): Promise<void>;
  /** Deletes a session; resolves to the deleted record (null: there was none). */
  deleteSession(tokenHash: string): Promise<SessionRecord | null>;
  /** Deletes the user's session with this public id; resolves to the deleted record (null: none of theirs). */
  deleteSessionById(userId: string, id: string): Promise<SessionRecord | null>;
  /** The user's sessions that have not expired at `now`, newest first. */
  listSessions(userId: string, now: number): Promise<SessionRecord[]>;
  /** Deletes every session that expired before `now`; resolves to how many. */
  deleteExpiredSessions(now: number): Promise<number>;
}

/** Document access: who owns a document, its link access, and its members. */
export interface DocAccessStore {
  /** The document's record; null for one made before accounts (or never recorded). */
  getDocAccess(docId: string): Promise<DocAccessRecord | null>;
  /**
   * Records a new document's owner (a member with role 'owner', never by link, even if they had joined by
   * it before) and link access. Rejects if it has a record.
   */
  createDocAccess(docId: string, ownerId: string, linkAccess: LinkAccess, at: number): Promise<void>;
  setLinkAccess(docId: string, linkAccess: LinkAccess): Promise<void>;
  /**
   * Marks the document deleted (the record stays as a tombstone) and removes its members, chat and
   * notifications about it, in one transaction: the one write of this domain that reaches into the
   * chat and notification domains' tables, through their forgetDocument step.
   */
  markDocDeleted(docId: string, at: number): Promise<void>;
  /** The user's membership of the document; null when they are not a member. */
  getMember(docId: string, userId: string): Promise<MemberRecord | null>;
  /** Members by role (owner first) then join time. */
  listMembers(docId: string): Promise<MemberRecord[]>;
  /** Adds a member or changes their role; `viaLink` says whether the role comes from the link access (default: shared by name). */
  setMember(docId: string, userId: string, role: Role, at: number, viaLink?: boolean): Promise<void>;
  /** Adds a member who opened a link (viaLink), unless they are a member already; resolves to whether they were added. */
  joinViaLink(docId: string, userId: string, role: Role, at: number): Promise<boolean>;
  /** Resolves to false when they were not a member. */
  removeMember(docId: string, userId: string): Promise<boolean>;
  /** The documents the user is a member of (any role), not deleted ones. */
  listMemberships(userId: string): Promise<MemberRecord[]>;
}

/**
 * Chat: direct and group conversations and the messages of any conversation (`doc:<docId>`
 * included: a document's chat needs no record, its members are the document's).
 */
export interface ChatStore {
  createConversation(conversation: ConversationRecord, memberIds: readonly string[]): Promise<void>;
  /** The conversation's record; null when none (a document's chat never has one). */
  getConversation(id: string): Promise<ConversationRecord | null>;
  /** The direct conversation between these two users, if any (order does not matter). */
  findDirectConversation(userA: string, userB: string): Promise<ConversationRecord | null>;
  /** Direct and group conversations the user is in. */
  listConversationsOf(userId: string): Promise<ConversationRecord[]>;
  /** Every group, for people looking for one to join. */
  listGroups(): Promise<ConversationRecord[]>;
  listConversationMembers(conversationId: string): Promise<string[]>;
  isConversationMember(conversationId: string, userId: string): Promise<boolean>;
  addConversationMember(conversationId: string, userId: string, at: number): Promise<void>;
  /** Resolves to false when they were not a member. */
  removeConversationMember(conversationId: string, userId: string): Promise<boolean>;

  /** Stores a message; resolves to it with its id once committed. */
  appendMessage(message: Omit<MessageRecord, 'id'>): Promise<MessageRecord>;
  /** Up to `limit` messages older than `beforeId` (all when null), oldest first; hasMore when older ones remain. */
  listMessages(conversationId: string, beforeId: number | null, limit: number): Promise<{ messages: MessageRecord[]; hasMore: boolean }>;
  /** The newest message's time (null: none). */
  lastMessageAt(conversationId: string): Promise<number | null>;
  /** Records that the user has read the conversation up to `messageId` (never moves backwards). */
  markConversationRead(userId: string, conversationId: string, messageId: number): Promise<void>;
  /** Messages in the conversation after the user's read mark, not counting their own. */
  unreadCount(userId: string, conversationId: string): Promise<number>;
}

/**
 * Comments on documents: threads anchored to the text, their comments and reactions. Authors,
 * reaction givers, makers and resolvers are account ids or guest ids ('g:…', not rows of users). Ids increase
 * and are never reused. A thread without comments does not exist: deleting its last comment
 * deletes it. Deleting a document (markDocDeleted) deletes its threads.
 */
export interface CommentStore {
  /** Stores a thread and its first comment (by the thread's author, at its time); resolves to the thread. */
  createThread(thread: { docId: string; anchor: AnchorRecord; createdBy: string; createdAt: number }, body: string): Promise<ThreadRecord>;
  /** The thread with its comments and reactions; null when none. */
  getThread(threadId: number): Promise<ThreadRecord | null>;
  /** Up to `limit` of the document's threads older than `beforeId` (all when null), oldest first; hasMore when older ones remain. */
  listThreads(docId: string, beforeId: number | null, limit: number): Promise<{ threads: ThreadRecord[]; hasMore: boolean }>;
  /** Adds a comment to a thread; rejects when there is no such thread. */
  addComment(comment: { threadId: number; authorId: string; body: string; createdAt: number }): Promise<CommentRecord>;
  /** The comment's thread id, or null when there is no such comment. */
  threadOfComment(commentId: number): Promise<number | null>;
  /** Replaces a comment's body (editedAt = at); false when there is no such comment. */
  editComment(commentId: number, body: string, at: number): Promise<boolean>;
  /**
   * Deletes a comment and its reactions, and its thread when it was the last: resolves to 'comment',
   * 'thread' (the thread went with it), or null when there was no such comment.
   */
  deleteComment(commentId: number): Promise<'comment' | 'thread' | null>;
  /** Gives (on) or takes back a reaction; resolves to whether anything changed. Rejects when there is no such comment. */
  setReaction(commentId: number, userId: string, emoji: string, on: boolean, at: number): Promise<boolean>;
  /** Resolves the thread (by, at) or reopens it (null, null); false when there is no such thread. */
  setThreadResolved(threadId: number, by: string | null, at: number | null): Promise<boolean>;
  /** Records the display name a guest ('g:…') gave with a comment write; the latest one wins. */
  saveGuest(guest: { id: string; name: string; at: number }): Promise<void>;
  /** The name a guest last gave, or null for an id never saved. */
  guestName(id: string): Promise<string | null>;
}

/** Notifications: what happened that a user should see (shares, mentions). */
export interface NotificationStore {
  addNotification(notification: Omit<NotificationRecord, 'id' | 'readAt'>): Promise<NotificationRecord>;
  /** Newest first, at most `limit`. */
  listNotifications(userId: string, limit: number): Promise<NotificationRecord[]>;
  unreadNotificationCount(userId: string): Promise<number>;
  /** Marks these (all when `ids` is absent) of the user's notifications read at `at`. */
  markNotificationsRead(userId: string, at: number, ids?: readonly number[]): Promise<void>;
}

/**
 * Every domain over one database (sign-in attempt budgets too, shared by every process on it). One
 * object, so that callers that need several domains (most routes do) take one thing.
 */
export interface AccountStore extends UserStore, SessionStore, DocAccessStore, ChatStore, CommentStore, NotificationStore, AttemptBudgetStore {
  /** Releases the store. Safe to call twice. */
  close(): Promise<void>;
}
