import type Database from 'better-sqlite3';
import { NOTIFICATION_COLUMNS, type NotificationRow, toNotification } from './accountRows.js';
import type { NotificationStore } from './accountStore.js';
import { notificationDocId } from './accountKeys.js';
import type { SqliteForgetDocument } from './sqliteDocAccess.js';

/** The notifications of a SQLite account store (table `notifications`). */
export function sqliteNotifications(db: Database.Database): NotificationStore {
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
  const markSomeReadTx = db.transaction((userId: string, at: number, ids: readonly number[]) => {
    for (const id of ids) markOneRead.run(at, userId, id);
  });

  return {
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
  };
}

/** The notifications' share of deleting a document: those about it (see notificationDocId). */
export function sqliteForgetDocumentNotifications(db: Database.Database): SqliteForgetDocument {
  const deleteDocNotifications = db.prepare<[string]>('DELETE FROM notifications WHERE doc_id = ?');
  return (docId) => {
    deleteDocNotifications.run(docId);
  };
}
