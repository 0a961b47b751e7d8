import type { FastifyBaseLogger } from 'fastify';
import { roleFromLink } from '../../shared/accounts.js';
import type { Person } from '../../shared/api.js';
import { CloseCode } from '../../shared/closeCodes.js';
import type { LiveServerMessage } from '../../shared/live.js';
import type { AccountStore, NotificationRecord, SessionRecord } from '../accounts/accountStore.js';
import { notificationView, personOf, publicUserOf, UserDirectory } from '../chat/views.js';
import type { OnlineTracker } from '../people/onlineTracker.js';
import type { PeopleEventMap, PeopleEvents } from '../people/peopleEvents.js';
import type { LiveConnection } from './liveConnection.js';

export interface LiveHubOptions {
  accounts: AccountStore;
  events: PeopleEvents;
  online: OnlineTracker;
  log: FastifyBaseLogger;
}

/**
 * Every open /live socket, by user. A user's sockets count as connections in the OnlineTracker;
 * presence changes (from /live and /collab alike) and new users are broadcast to every socket; the
 * PeopleEvents of a user (session ended, notified, access changed) reach that user's sockets.
 * Guests' sockets are kept apart, by document: they get their document's `comments` messages
 * (`guestPush`) and nothing about people; they close when the link stops admitting visitors (4401)
 * or the document is deleted (4410).
 */
export class LiveHub {
  private readonly byUser = new Map<string, Set<LiveConnection>>();
  private readonly guestsByDoc = new Map<string, Set<LiveConnection>>();
  /** Presence broadcasts look the person up; chained so that they go out in the order they happened. */
  private presence: Promise<void> = Promise.resolve();
  private readonly unsubscribe: Array<() => void> = [];

  constructor(private readonly options: LiveHubOptions) {
    const { events, online } = options;
    this.listen(events, 'sessionEnded', (session) => this.sessionEnded(session));
    this.listen(events, 'notified', (notification) => this.notified(notification));
    this.listen(events, 'userAdded', (user) =>
      this.broadcastPresence(async () => ({ id: user.id, name: user.name, online: online.isOnline(user.id), lastSeenAt: online.onlineSince(user.id) })),
    );
    this.listen(events, 'livePush', (userIds, message) => {
      for (const userId of userIds) this.sendTo(userId, message);
    });
    this.listen(events, 'memberChanged', (docId, userId, role) => this.sendTo(userId, { type: 'access', docId, role }));
    this.listen(events, 'docDeleted', (docId, memberIds) => {
      for (const userId of new Set(memberIds)) this.sendTo(userId, { type: 'access', docId, role: null });
      for (const guest of this.guestsOf(docId)) guest.close(CloseCode.docDeleted, 'this document was deleted');
    });
    this.listen(events, 'guestPush', (docId, message) => {
      for (const guest of this.guestsOf(docId)) guest.send(message);
    });
    this.listen(events, 'linkAccessChanged', (docId, linkAccess) => {
      if (roleFromLink(linkAccess) !== null) return;
      for (const guest of this.guestsOf(docId)) guest.close(CloseCode.unauthenticated, 'this document is no longer open to visitors; sign in');
    });
    const onChanged = (userId: string, isOnline: boolean, at: number) =>
      this.broadcastPresence(async () => {
        const user = await options.accounts.getUser(userId);
        return user ? { id: user.id, name: user.name, online: isOnline, lastSeenAt: at } : null;
      });
    online.on('changed', onChanged);
    this.unsubscribe.push(() => online.off('changed', onChanged));
  }

  /** Open live sockets, all users and guests. */
  get connectionCount(): number {
    let count = 0;
    for (const set of this.byUser.values()) count += set.size;
    for (const set of this.guestsByDoc.values()) count += set.size;
    return count;
  }

  connections(): LiveConnection[] {
    return [...this.byUser.values(), ...this.guestsByDoc.values()].flatMap((set) => [...set]);
  }

  /** This process's guest sockets following the document. */
  guestsOf(docId: string): LiveConnection[] {
    return [...(this.guestsByDoc.get(docId) ?? [])];
  }

  connectionsOf(userId: string): ReadonlySet<LiveConnection> {
    return this.byUser.get(userId) ?? new Set();
  }

  /** A socket opened: it counts as the user being online, and gets its hello (before anything else). */
  add(connection: LiveConnection): void {
    if (connection.guest !== null) {
      const { docId, user } = connection.guest;
      const guests = this.guestsByDoc.get(docId) ?? new Set();
      this.guestsByDoc.set(docId, guests.add(connection));
      connection.hello({ type: 'hello', user, people: [], unreadNotifications: 0 });
      return;
    }
    let set = this.byUser.get(connection.userId);
    if (!set) {
      set = new Set();
      this.byUser.set(connection.userId, set);
    }
    set.add(connection);
    this.options.online.connected(connection.userId);
    this.greet(connection).catch((error: unknown) => {
      connection.log.error({ err: error }, 'could not greet a live connection');
      connection.close(CloseCode.serverError, 'the server could not load your people list');
    });
  }

  /** A socket closed (whoever closed it). Safe to call twice. */
  remove(connection: LiveConnection): void {
    if (connection.guest !== null) {
      const guests = this.guestsByDoc.get(connection.guest.docId);
      if (guests?.delete(connection) && guests.size === 0) this.guestsByDoc.delete(connection.guest.docId);
      return;
    }
    const set = this.byUser.get(connection.userId);
    if (!set?.delete(connection)) return;
    if (set.size === 0) this.byUser.delete(connection.userId);
    this.options.online.disconnected(connection.userId);
  }

  /**
   * Sends `message` to every live socket of these people, in every process (cluster mode: through
   * PeopleEvents' `livePush`, which reaches this hub's own listener too).
   */
  push(userIds: Iterable<string>, message: LiveServerMessage): void {
    this.options.events.announce('livePush', [...new Set(userIds)], message);
  }

  /**
   * Sends `message`, which is about document `docId`, to these people's live sockets and to the
   * guests following the document, in every process.
   */
  pushToDocument(docId: string, userIds: Iterable<string>, message: LiveServerMessage): void {
    this.push(userIds, message);
    this.options.events.announce('guestPush', docId, message);
  }

  /** Sends `message` to this process's live sockets of the person. */
  sendTo(userId: string, message: LiveServerMessage): void {
    for (const connection of this.connectionsOf(userId)) connection.send(message);
  }

  broadcast(message: LiveServerMessage): void {
    for (const set of this.byUser.values()) for (const connection of set) connection.send(message);
  }

  /** Closes every socket (server shutdown). */
  closeAll(code: number, reason: string): void {
    for (const connection of this.connections()) connection.close(code, reason);
  }

  /** Stops listening to PeopleEvents and the OnlineTracker. */
  dispose(): void {
    for (const off of this.unsubscribe.splice(0)) off();
  }

  private async greet(connection: LiveConnection): Promise<void> {
    const { accounts, online } = this.options;
    const [users, unreadNotifications] = await Promise.all([accounts.listUsers(), accounts.unreadNotificationCount(connection.userId)]);
    const people = users.map((user) => personOf(user, online));
    connection.hello({ type: 'hello', user: publicUserOf(connection.user!), people, unreadNotifications });
  }

  private broadcastPresence(person: () => Promise<Person | null>): void {
    if (this.byUser.size === 0) return;
    this.presence = this.presence
      .then(person)
      .then((found) => {
        if (found) this.broadcast({ type: 'presence', person: found });
      })
      .catch((error: unknown) => this.options.log.warn({ err: error }, 'could not broadcast presence'));
  }

  private sessionEnded(session: SessionRecord): void {
    for (const connection of [...this.connectionsOf(session.userId)]) {
      if (connection.sessionHash === session.tokenHash) connection.close(CloseCode.unauthenticated, 'your session has ended; sign in again');
    }
  }

  private notified(record: NotificationRecord): void {
    if (!this.byUser.has(record.userId)) return;
    new UserDirectory(this.options.accounts)
      .get(record.actorId)
      .then((actor) => this.sendTo(record.userId, { type: 'notification', notification: notificationView(record, actor) }))
      .catch((error: unknown) => this.options.log.warn({ err: error, userId: record.userId }, 'could not push a notification'));
  }

  private listen<K extends keyof PeopleEventMap>(events: PeopleEvents, name: K, listener: (...args: PeopleEventMap[K]) => void): void {
    const wrapped = ((...args: PeopleEventMap[K]) => {
      try {
        listener(...args);
      } catch (error) {
        this.options.log.error({ err: error, event: name }, 'live hub listener failed');
      }
    }) as never;
    events.on(name, wrapped);
    this.unsubscribe.push(() => events.off(name, wrapped));
  }
}
