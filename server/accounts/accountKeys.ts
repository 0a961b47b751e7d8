import type { NotificationBody } from '../../shared/api.js';

// Derived columns both account stores (SQLite and PostgreSQL) write, so that they agree exactly.

/**
 * The key of the direct conversation between these users: their distinct ids, sorted, joined by a
 * newline (ids never contain one). The same for (a, b) and (b, a), so each pair has one conversation.
 */
export function directConversationKey(userIds: readonly string[]): string {
  return [...new Set(userIds)].sort().join('\n');
}

/** The document a notification is about (null: none), so that deleting the document finds it. */
export function notificationDocId(body: NotificationBody): string | null {
  if (body.docId !== undefined) return body.docId;
  if (body.kind === 'mention' && body.conversationId.startsWith('doc:')) return body.conversationId.slice('doc:'.length);
  return null;
}
