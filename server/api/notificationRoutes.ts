import type { FastifyInstance } from 'fastify';
import type { MarkRead, NotificationList } from '../../shared/api.js';
import type { AccountStore } from '../accounts/accountStore.js';
import { signedInUser } from '../auth/authPlugin.js';
import { notificationView, UserDirectory } from '../chat/views.js';
import { answers, notificationList } from './schemas.js';

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
  app.get('/api/notifications', { config: { signedIn: true }, schema: { response: answers({ 200: notificationList }) } }, async (request) => {
    const { user } = signedInUser(request);
    const [records, unread] = await Promise.all([
      accounts.listNotifications(user.id, NOTIFICATION_LIST_LIMIT),
      accounts.unreadNotificationCount(user.id),
    ]);
    const users = new UserDirectory(accounts);
    const notifications = await Promise.all(records.map(async (record) => notificationView(record, await users.get(record.actorId))));
    const body: NotificationList = { notifications, unread };
    return body;
  });

  app.post<{ Body: MarkRead }>(
    '/api/notifications/read',
    {
      config: {
        signedIn: true,
        refusals: { bad_request: `Send {ids} with at most ${MAX_MARK_IDS} notification ids, or {} to mark all read.` },
      },
      // No body (or JSON null) means {}: mark all read. Set before the schema is checked.
      preValidation: async (request) => {
        request.body ??= {};
      },
      schema: {
        body: {
          type: 'object',
          properties: { ids: { type: 'array', maxItems: MAX_MARK_IDS, items: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER } } },
        },
        response: answers({}),
      },
    },
    async (request, reply) => {
      await accounts.markNotificationsRead(signedInUser(request).user.id, Date.now(), request.body.ids);
      return reply.code(204).send();
    },
  );
}
