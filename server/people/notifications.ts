import type { NotificationBody } from '../../shared/api.js';
import type { AccountStore } from '../accounts/accountStore.js';
import type { PeopleEvents } from './peopleEvents.js';

/** Notifications: stored first (so they are there when the person comes back), then announced live. */
export class Notifications {
  constructor(
    private readonly accounts: AccountStore,
    private readonly events: PeopleEvents,
  ) {}

  async notify(userId: string, actorId: string, body: NotificationBody): Promise<void> {
    const notification = await this.accounts.addNotification({ userId, actorId, body, createdAt: Date.now() });
    this.events.announce('notified', notification);
  }
}
