import type { FastifyBaseLogger } from 'fastify';
import { roleFromLink } from '../../shared/accounts.js';
import type { Person, PublicUser } from '../../shared/api.js';
import { CloseCode } from '../../shared/closeCodes.js';
import type { LiveServerMessage } from '../../shared/live.js';
import type { AccountStore, NotificationRecord, SessionRecord, UserRecord } from '../accounts/accountStore.js';
import { notificationView, personOf, publicUserOf, UserDirectory } from '../chat/views.js';
import type { OnlineTracker } from '../people/onlineTracker.js';
import type { PeopleEventMap, PeopleEvents } from '../people/peopleEvents.js';
import { TokenBucket } from '../tokenBucket.js';
import { type ClientSocket, SocketState } from '../sockets/clientSocket.js';

/** Messages a connection may have waiting for its hello; more means the hello is stuck. */
const MAX_QUEUED_BEFORE_HELLO = 1_000;

/** A close reason may be at most 123 bytes of UTF-8 (RFC 6455); ws throws on a longer one. */
function closeReason(reason: string): string {
  let cut = reason;
  while (Buffer.byteLength(cut) > 123) cut = cut.slice(0, -1);
  return cut;
}

export interface LiveConnectionLimits {
  /** Frames per second the client may send, and the burst above that (then 4429). */
  framesPerSecond: number;
  frameBurst: number;
  /** Bytes waiting in the send buffer past which the client counts as not reading (dropped). */
  maxSendBufferBytes: number;
}

/** A guest's /live socket follows one document: who the guest is, and which document. */
export interface LiveGuest {
  user: PublicUser;
  docId: string;
}

/**
 * One /live socket of a signed-in user, or of a guest following one document's comments (`guest`
 * set, `user` null). Until its hello is sent, everything else addressed to it waits in order, so
 * that hello is always the first frame.
 */
export class LiveConnection {
  /** Date.now() when the client last showed it is alive (a frame or a pong). */
  lastSeenAt = Date.now();
  /** Client frames are handled one after another (a 'send' waits for the one before it). */
  work: Promise<void> = Promise.resolve();
  readonly frames: TokenBucket;
  private queue: LiveServerMessage[] | null = [];
  private closed = false;

  constructor(
    private readonly socket: ClientSocket,
    /** The signed-in user; null for a guest. */
    readonly user: UserRecord | null,
    /** The hash of the session the socket was opened with (it closes when that session ends); '' for a guest. */
    readonly sessionHash: string,
    /** The request's logger: it names the connection on every line. */
    readonly log: FastifyBaseLogger,
    private readonly limits: LiveConnectionLimits,
    /** A guest's socket: the guest and the one document it follows (null for an account's). */
    readonly guest: LiveGuest | null = null,
  ) {
    this.frames = new TokenBucket(limits.framesPerSecond, limits.frameBurst);
  }

  /** The account's id, or the guest's ('g:…'). */
  get userId(): string {
    return this.user?.id ?? this.guest!.user.id;
  }

  get isClosed(): boolean {
    return this.closed || this.socket.readyState !== SocketState.open;
  }

  /** Sends the first frame, then whatever waited for it. */
  hello(message: Extract<LiveServerMessage, { type: 'hello' }>): void {
    const waiting = this.queue ?? [];
    this.queue = null;
    this.write(message);
    for (const queued of waiting) this.write(queued);
  }

  send(message: LiveServerMessage): void {
    if (this.closed) return;
    if (this.queue !== null) {
      if (this.queue.length >= MAX_QUEUED_BEFORE_HELLO) {
        this.terminate('too many messages waiting for the hello');
        return;
      }
      this.queue.push(message);
      return;
    }
    this.write(message);
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.queue = null;
    this.log.info({ code }, `closing live connection: ${reason}`);
    this.socket.close(code, closeReason(reason));
  }

  terminate(why: string): void {
    if (this.closed && this.socket.readyState === SocketState.closed) return;
    this.closed = true;
    this.queue = null;
    this.log.warn(`dropping live connection: ${why}`);
    this.socket.terminate();
  }

  /** Pings the client, or drops it when it has been silent for `timeoutMs`. False when dropped. */
  heartbeat(timeoutMs: number): boolean {
    if (this.isClosed) return false;
    if (Date.now() - this.lastSeenAt > timeoutMs) {
      this.terminate(`no sign of life for ${Date.now() - this.lastSeenAt} ms`);
      return false;
    }
    this.socket.ping();
    return true;
  }

  private write(message: LiveServerMessage): void {
    if (this.closed || this.socket.readyState !== SocketState.open) return;
    if (this.socket.bufferedAmount > this.limits.maxSendBufferBytes) {
      this.terminate(`it stopped reading (${this.socket.bufferedAmount} bytes waiting, code ${CloseCode.slowReader})`);
      return;
    }
    this.socket.send(JSON.stringify(message));
  }
}

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
