import { EventEmitter } from 'node:events';
import type { LinkAccess, Role } from '../../shared/accounts.js';
import type { NotificationRecord, SessionRecord, UserRecord } from '../accounts/accountStore.js';

/**
 * What happened to people's access, for whoever holds their live connections: the /collab route
 * closes or re-roles document connections, the /live hub tells the person. Emitted after the change
 * is committed. Listeners run synchronously and must not throw.
 */
export interface PeopleEventMap {
  /** Someone registered. */
  userAdded: [user: UserRecord];
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
}

export class PeopleEvents extends EventEmitter<PeopleEventMap> {}
