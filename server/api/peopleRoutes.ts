import type { FastifyInstance } from 'fastify';
import type { PeopleList } from '../../shared/api.js';
import type { AccountStore } from '../accounts/accountStore.js';
import { requireUser } from '../auth/authPlugin.js';
import { personOf } from '../chat/views.js';
import type { OnlineTracker } from '../people/onlineTracker.js';

export interface PeopleRoutesOptions {
  accounts: AccountStore;
  online: OnlineTracker;
}

/** `GET /api/people`: every user by name, with presence (signed-in users only). Live changes come over /live. */
export async function peopleRoutes(app: FastifyInstance, { accounts, online }: PeopleRoutesOptions): Promise<void> {
  app.get('/api/people', async (request, reply) => {
    const auth = requireUser(request, reply);
    if (!auth) return reply;
    const body: PeopleList = { people: (await accounts.listUsers()).map((user) => personOf(user, online)) };
    return body;
  });
}
