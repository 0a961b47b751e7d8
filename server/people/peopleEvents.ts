import { EventEmitter } from 'node:events';
import type { LinkAccess, Role } from '../../shared/accounts.js';
import type { PublicUser } from '../../shared/api.js';
import type { LiveServerMessage } from '../../shared/live.js';
import type { NotificationRecord, SessionRecord } from '../accounts/accountStore.js';

/**
 * What happened to people, for whoever holds their live connections: the /collab route closes or
 * re-roles document connections, the /live hub tells the person. Announced after the change is
 * committed. Listeners run synchronously and must not throw.
 *
 * In cluster mode every event is announced in every process (through Redis, see relayTo), because a
 * person's connections may be held by any of them. Payloads are plain JSON for that reason.
 */
export interface PeopleEventMap {
  /** Someone registered. */
  userAdded: [user: PublicUser];
  /** Signed out or revoked: every connection made with this session closes (4401). */
  sessionEnded: [session: SessionRecord];
  /** A member's role changed, or (null) they were removed or left: their connections to the doc close (4404). */
  memberChanged: [docId: string, userId: string, role: Role | null];
  /** The document's link access changed: visitors get the new role or are closed. */
  linkAccessChanged: [docId: string, linkAccess: LinkAccess];
  /** The document was deleted: every connection to it closes (4410); `memberIds` were its members. */
  docDeleted: [docId: string, memberIds: string[]];
  /** A notification was stored for its user. */
  notified: [notification: NotificationRecord];
  /** Something for these people's /live sockets (a chat message, a conversation change), wherever they are. */
  livePush: [userIds: string[], message: LiveServerMessage];
  /** Something for the /live sockets of the guests following a document (a comment thread changed), wherever they are. */
  guestPush: [docId: string, message: LiveServerMessage];
  /** Cluster: the people who have connections through process `processId` right now (see OnlineTracker). */
  processPresence: [processId: string, userIds: string[]];
}

export type PeopleEventName = keyof PeopleEventMap;
const EVENT_NAMES: ReadonlySet<string> = new Set<PeopleEventName>([
  'userAdded',
  'sessionEnded',
  'memberChanged',
  'linkAccessChanged',
  'docDeleted',
  'notified',
  'processPresence',
  'livePush',
  'guestPush',
]);

export class PeopleEvents extends EventEmitter<PeopleEventMap> {
  private relay: ((json: string) => void) | null = null;

  /** Emits the event here and, in cluster mode, in every other process. */
  announce<K extends PeopleEventName>(name: K, ...args: PeopleEventMap[K]): void {
    this.emitLoosely(name, args);
    this.relay?.(JSON.stringify({ name, args }));
  }

  private emitLoosely(name: string, args: readonly unknown[]): void {
    (EventEmitter.prototype.emit as (this: EventEmitter, name: string, ...args: unknown[]) => boolean).call(this, name, ...args);
  }

  /** Cluster mode: `publish` carries every announced event to the other processes. */
  relayTo(publish: (json: string) => void): void {
    this.relay = publish;
  }

  /**
   * An event another process announced: emitted here only. Returns false (emitting nothing) for
   * anything that is not one of our events (Redis is shared infrastructure).
   */
  receiveRemote(json: string): boolean {
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch {
      return false;
    }
    const { name, args } = (parsed ?? {}) as { name?: unknown; args?: unknown };
    if (typeof name !== 'string' || !EVENT_NAMES.has(name) || !Array.isArray(args)) return false;
    this.emitLoosely(name, args);
    return true;
  }
}
