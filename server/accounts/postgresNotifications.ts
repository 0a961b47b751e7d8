import type { Pool } from 'pg';
import { postgresQueries } from '../db/postgresPool.js';
import { NOTIFICATION_COLUMNS, type NotificationRow, toNotification } from './accountRows.js';
import type { NotificationStore } from './accountStore.js';
import { notificationDocId } from './accountKeys.js';
import type { PostgresForgetDocument } from './postgresDocAccess.js';

/** The notifications of a PostgreSQL account store (table `notifications`; the body is jsonb). */
export function postgresNotifications(pool: Pool): NotificationStore {
  const { one, rows, run } = postgresQueries(pool);
  return {
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
        await run('UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND read_at IS NULL', [at, userId]);
      } else if (ids.length > 0) {
        await run('UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND read_at IS NULL AND id = ANY($3::bigint[])', [
          at,
          userId,
          [...ids],
        ]);
      }
    },
  };
}

/** The notifications' share of deleting a document: those about it (see notificationDocId). */
export const postgresForgetDocumentNotifications: PostgresForgetDocument = async (client, docId) => {
  await client.query('DELETE FROM notifications WHERE doc_id = $1', [docId]);
};
