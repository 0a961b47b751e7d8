import type { ChatMessage, Notification, Person, PublicUser } from '../../shared/api.js';
import type { AccountStore, MessageRecord, NotificationRecord, UserRecord } from '../accounts/accountStore.js';
import type { OnlineTracker } from '../people/onlineTracker.js';
import { boundedNotificationBody } from '../people/notifications.js';
import { stripBidiControls } from '../../shared/text.js';
import { DEFAULT_GUEST_NAME } from '../../shared/comments.js';
import { isGuestId } from '../comments/guestIdentity.js';

// How stored records about people look to the API and the /live socket (shared/api.ts shapes).

export function publicUserOf(user: UserRecord): PublicUser {
  return { id: user.id, name: user.name };
}

/** A person with their presence: online while any connection is open; lastSeenAt then says since when. */
export function personOf(user: UserRecord, online: OnlineTracker): Person {
  const isOnline = online.isOnline(user.id);
  return { id: user.id, name: user.name, online: isOnline, lastSeenAt: (isOnline ? online.onlineSince(user.id) : null) ?? user.lastSeenAt };
}

export function messageView(record: MessageRecord, author: PublicUser): ChatMessage {
  // Messages stored before bidirectional controls were removed on the way in lose them here.
  return { id: record.id, conversationId: record.conversationId, author, text: stripBidiControls(record.text), createdAt: record.createdAt };
}

export function notificationView(record: NotificationRecord, actor: PublicUser): Notification {
  return { ...boundedNotificationBody(record.body), id: record.id, actor, createdAt: record.createdAt, readAt: record.readAt };
}

/**
 * Looks users up by id for one response (or one live event), each once. Users are never deleted, so
 * a missing one is a fault of the data; it is shown under its id rather than failing the answer.
 * A guest's id ('g:…', comments only) is shown with the name the guest last gave (`guest: true`).
 */
export class UserDirectory {
  private readonly cache = new Map<string, Promise<PublicUser>>();

  constructor(private readonly accounts: AccountStore) {}

  /** Seeds the cache with a user already at hand. */
  know(user: UserRecord | PublicUser): this {
    const guest = 'guest' in user && user.guest === true;
    this.cache.set(user.id, Promise.resolve(guest ? { id: user.id, name: user.name, guest } : { id: user.id, name: user.name }));
    return this;
  }

  get(id: string): Promise<PublicUser> {
    let found = this.cache.get(id);
    if (found === undefined) {
      found = isGuestId(id)
        ? this.accounts.guestName(id).then((name) => ({ id, name: name ?? DEFAULT_GUEST_NAME, guest: true }))
        : this.accounts.getUser(id).then((user) => (user ? publicUserOf(user) : { id, name: id }));
      this.cache.set(id, found);
    }
    return found;
  }

  all(ids: readonly string[]): Promise<PublicUser[]> {
    return Promise.all(ids.map((id) => this.get(id)));
  }
}
