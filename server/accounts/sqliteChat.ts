import type Database from 'better-sqlite3';
import type { ConversationKind } from '../../shared/api.js';
import { docConversationId } from '../../shared/api.js';
import { CONVERSATION_COLUMNS, type ConversationRow, MESSAGE_COLUMNS, type MessageRow, mapOrNull, toConversation, toMessage } from './accountRows.js';
import type { ChatStore, ConversationRecord } from './accountStore.js';
import { directConversationKey } from './accountKeys.js';
import type { SqliteForgetDocument } from './sqliteDocAccess.js';

/**
 * Conversations and messages of a SQLite account store (tables `conversations`,
 * `conversation_members`, `messages`, `conversation_reads`).
 */
export function sqliteChat(db: Database.Database): ChatStore {
  // Conversations
  const insertConversation = db.prepare<[string, ConversationKind, string, string | null, number, string | null]>(
    `INSERT INTO conversations (${CONVERSATION_COLUMNS}, direct_key) VALUES (?, ?, ?, ?, ?, ?)`,
  );
  const selectConversation = db.prepare<[string], ConversationRow>(`SELECT ${CONVERSATION_COLUMNS} FROM conversations WHERE id = ?`);
  const selectDirect = db.prepare<[string], ConversationRow>(`SELECT ${CONVERSATION_COLUMNS} FROM conversations WHERE direct_key = ?`);
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
  const createConversationTx = db.transaction((c: ConversationRecord, memberIds: readonly string[]) => {
    const directKey = c.kind === 'direct' ? directConversationKey(memberIds) : null;
    insertConversation.run(c.id, c.kind, c.title, c.createdBy, c.createdAt, directKey);
    for (const userId of memberIds) insertConversationMember.run(c.id, userId, c.createdAt);
  });

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

  return {
    async createConversation(conversation, memberIds) {
      createConversationTx.immediate(conversation, memberIds);
    },
    async getConversation(id) {
      return mapOrNull(selectConversation.get(id), toConversation);
    },
    async findDirectConversation(userA, userB) {
      return mapOrNull(selectDirect.get(directConversationKey([userA, userB])), toConversation);
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
  };
}

/** The chat's share of deleting a document: its chat's messages, read marks, members and record. */
export function sqliteForgetDocumentChat(db: Database.Database): SqliteForgetDocument {
  const deleteMessages = db.prepare<[string]>('DELETE FROM messages WHERE conversation_id = ?');
  const deleteReads = db.prepare<[string]>('DELETE FROM conversation_reads WHERE conversation_id = ?');
  const deleteMembers = db.prepare<[string]>('DELETE FROM conversation_members WHERE conversation_id = ?');
  const deleteConversation = db.prepare<[string]>('DELETE FROM conversations WHERE id = ?');
  return (docId) => {
    const chat = docConversationId(docId);
    deleteMessages.run(chat);
    deleteReads.run(chat);
    deleteMembers.run(chat);
    deleteConversation.run(chat);
  };
}
