import type { FastifyInstance } from 'fastify';
import type { PeopleList } from '../../shared/api.js';
import type { AccountStore } from '../accounts/accountStore.js';
import { personOf } from '../chat/views.js';
import type { OnlineTracker } from '../people/onlineTracker.js';
import { answers, peopleList } from './schemas.js';

export interface PeopleRoutesOptions {
  accounts: AccountStore;
  online: OnlineTracker;
}

/** `GET /api/people`: every user by name, with presence (signed-in users only). Live changes come over /live. */
export async function peopleRoutes(app: FastifyInstance, { accounts, online }: PeopleRoutesOptions): Promise<void> {
  app.get('/api/people', { config: { signedIn: true }, schema: { response: answers({ 200: peopleList }) } }, async () => {
    const body: PeopleList = { people: (await accounts.listUsers()).map((user) => personOf(user, online)) };
    return body;
  });
}
