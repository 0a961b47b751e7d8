import type { Pool } from 'pg';
import { docConversationId } from '../../shared/api.js';
import { inTransaction, postgresQueries } from '../db/postgresPool.js';
import { toSafeNumber } from '../db/safeNumber.js';
import { CONVERSATION_COLUMNS, type ConversationRow, MESSAGE_COLUMNS, type MessageRow, mapOrNull, toConversation, toMessage } from './accountRows.js';
import type { ChatStore } from './accountStore.js';
import { directConversationKey } from './accountKeys.js';
import type { PostgresForgetDocument } from './postgresDocAccess.js';

// Advisory lock class of appendMessage (the two-key form, apart from the migration's one-key lock).
const MESSAGE_LOCK_CLASS = 0x6d736773; // "msgs"

/**
 * Conversations and messages of a PostgreSQL account store (tables `conversations`,
 * `conversation_members`, `messages`, `conversation_reads`). Text orders use the "C" collation
 * (code points), as SQLite does, whatever the database's locale.
 */
export function postgresChat(pool: Pool): ChatStore {
  const { one, rows, count, run } = postgresQueries(pool);
  return {
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
      return mapOrNull(await one<ConversationRow>(`SELECT ${CONVERSATION_COLUMNS} FROM conversations WHERE id = $1`, [id]), toConversation);
    },
    async findDirectConversation(userA, userB) {
      const key = directConversationKey([userA, userB]);
      return mapOrNull(await one<ConversationRow>(`SELECT ${CONVERSATION_COLUMNS} FROM conversations WHERE direct_key = $1`, [key]), toConversation);
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
      await run(
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
        const { rows: inserted } = await client.query<{ id: string }>(
          'INSERT INTO messages (conversation_id, author_id, text, created_at) VALUES ($1, $2, $3, $4) RETURNING id',
          [message.conversationId, message.authorId, message.text, message.createdAt],
        );
        return inserted[0]!;
      });
      return { id: toSafeNumber(row.id, 'message id'), ...message };
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
      const row = await one<{ created_at: string }>('SELECT created_at FROM messages WHERE conversation_id = $1 ORDER BY id DESC LIMIT 1', [
        conversationId,
      ]);
      return row && toSafeNumber(row.created_at, 'created_at');
    },
    async markConversationRead(userId, conversationId, messageId) {
      await run(
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
  };
}

/** The chat's share of deleting a document: its chat's messages, read marks, members and record. */
export const postgresForgetDocumentChat: PostgresForgetDocument = async (client, docId) => {
  const chat = docConversationId(docId);
  await client.query('DELETE FROM messages WHERE conversation_id = $1', [chat]);
  await client.query('DELETE FROM conversation_reads WHERE conversation_id = $1', [chat]);
  await client.query('DELETE FROM conversation_members WHERE conversation_id = $1', [chat]);
  await client.query('DELETE FROM conversations WHERE id = $1', [chat]);
};
