import type { FastifyInstance } from 'fastify';
import type { NotificationList } from '../../shared/api.js';
import type { AccountStore } from '../accounts/accountStore.js';
import { requireUser } from '../auth/authPlugin.js';
import { notificationView, UserDirectory } from '../chat/views.js';
import { sendApiError } from './apiError.js';

export interface NotificationRoutesOptions {
  accounts: AccountStore;
}

/** The notifications list holds this many, newest first. */
export const NOTIFICATION_LIST_LIMIT = 100;
/** One mark-read request names at most this many notifications. */
const MAX_MARK_IDS = 1000;

/**
 * My notifications (shares and mentions; new ones also arrive over /live): `GET
 * /api/notifications` lists the newest with the unread count, `POST /api/notifications/read` marks
 * some (`{ids}`) or all (`{}` or no body) read. Signed-in users only.
 */
export async function notificationRoutes(app: FastifyInstance, { accounts }: NotificationRoutesOptions): Promise<void> {
  app.get('/api/notifications', async (request, reply) => {
    const auth = requireUser(request, reply);
    if (!auth) return reply;
    const [records, unread] = await Promise.all([
      accounts.listNotifications(auth.user.id, NOTIFICATION_LIST_LIMIT),
      accounts.unreadNotificationCount(auth.user.id),
    ]);
    const users = new UserDirectory(accounts);
    const notifications = await Promise.all(records.map(async (record) => notificationView(record, await users.get(record.actorId))));
    const body: NotificationList = { notifications, unread };
    return body;
  });

  app.post('/api/notifications/read', async (request, reply) => {
    const auth = requireUser(request, reply);
    if (!auth) return reply;
    const body = request.body ?? {};
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return sendApiError(reply, 400, 'bad_request', 'Send {ids} with notification ids, or {} to mark all read.');
    }
    const { ids } = body as { ids?: unknown };
    if (ids !== undefined) {
      if (!Array.isArray(ids) || ids.length > MAX_MARK_IDS || !ids.every((id) => typeof id === 'number' && Number.isSafeInteger(id) && id > 0)) {
        return sendApiError(reply, 400, 'bad_request', `ids is a list of at most ${MAX_MARK_IDS} notification ids.`);
      }
    }
    await accounts.markNotificationsRead(auth.user.id, Date.now(), ids as number[] | undefined);
    return reply.code(204).send();
  });
}
