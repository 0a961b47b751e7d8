import { canEdit, type LinkAccess, type Role, roleFromLink } from '../../shared/accounts.js';
import type { AccountStore, DocAccessRecord, MemberRecord, UserRecord } from '../accounts/accountStore.js';
import type { Notifications } from './notifications.js';
import type { PeopleEvents } from './peopleEvents.js';

/** Why someone may not open a document. */
export type AccessRefusal =
  /** A visitor, where the link does not admit visitors (or a session cookie that no longer works). */
  | 'sign_in_required'
  /** Signed in, but neither a member nor admitted by the link. */
  | 'no_access'
  /** The owner deleted it. */
  | 'deleted';

export type AccessResult = { role: Role; record: DocAccessRecord | null } | { refused: AccessRefusal };

/** A refused sharing action, with the HTTP status and code the API answers. */
export class AccessError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Who may do what with a document, and the changes to it: owner, members with roles, link access.
 * A document without an access record (made before accounts, or by a stock client at a new address)
 * has no owner and is open to anyone with its link. Every change is committed, then announced on
 * PeopleEvents (which closes or re-roles live connections), and sharing notifies the person.
 */
export class DocAccess {
  constructor(
    private readonly accounts: AccountStore,
    private readonly events: PeopleEvents,
    private readonly notifications: Notifications,
  ) {}

  /**
   * The role `user` (null: a visitor) has on the document. With `join`, a signed-in person the link
   * admits becomes a member with the link's role, so the document appears in their list.
   */
  async resolve(docId: string, user: UserRecord | null, join: boolean): Promise<AccessResult> {
    const record = await this.accounts.getDocAccess(docId);
    if (record?.deletedAt != null) return { refused: 'deleted' };
    const linkRole = roleFromLink(record?.linkAccess ?? 'edit');
    if (user) {
      const member = await this.accounts.getMember(docId, user.id);
      // Someone who joined by the link has what the link gives now; someone shared with by name, their role.
      if (member && !member.viaLink) return { role: member.role, record };
      if (member && linkRole !== null) return { role: linkRole, record };
    }
    if (linkRole === null) return { refused: user ? 'no_access' : 'sign_in_required' };
    // Insert-if-absent: a role given by name meanwhile is never overwritten by the join.
    if (user && join) await this.accounts.joinViaLink(docId, user.id, linkRole, Date.now());
    return { role: linkRole, record };
  }

  /** Resolves like `resolve`, throwing AccessError (401/404/410) when refused. */
  async require(docId: string, user: UserRecord | null, join = false): Promise<{ role: Role; record: DocAccessRecord | null }> {
    const result = await this.resolve(docId, user, join);
    if ('refused' in result) throw refusalError(result.refused);
    return result;
  }

  /** Records a new document's owner (with the default link access). */
  createOwned(docId: string, owner: UserRecord, linkAccess: LinkAccess): Promise<void> {
    return this.accounts.createDocAccess(docId, owner.id, linkAccess, Date.now());
  }

  /**
   * The owner sets link access. People who joined by the link follow it: they become viewers,
   * commenters or editors with it, and lose access (are removed) when the link admits members only.
   */
  async setLinkAccess(docId: string, by: UserRecord, linkAccess: LinkAccess): Promise<void> {
    await this.requireOwner(docId, by);
    await this.accounts.setLinkAccess(docId, linkAccess);
    this.events.announce('linkAccessChanged', docId, linkAccess);
    const role = roleFromLink(linkAccess);
    for (const member of await this.accounts.listMembers(docId)) {
      if (!member.viaLink || member.role === role) continue;
      if (role === null) await this.accounts.removeMember(docId, member.userId);
      else await this.accounts.setMember(docId, member.userId, role, member.joinedAt, true);
      this.events.announce('memberChanged', docId, member.userId, role);
    }
  }

  /**
   * Shares the document with `target` as `role`. Only the owner changes anyone's role: the owner gives
   * either role to anyone (by name: the role no longer follows the link). Someone else who may edit
   * may only invite people who are not members yet (a member is answered unchanged), and what they
   * give cannot outlast their own access: an editor whose access comes from the link (who joined by
   * opening it) invites people who hold what the link gives and follow it, as if they had opened it
   * themselves. Nobody shares with themselves (that would turn a link-joined role into a named one).
   * Resolves to the membership and whether it changed; only a change notifies the person.
   */
  async share(
    docId: string,
    by: UserRecord,
    target: UserRecord,
    role: Exclude<Role, 'owner'>,
    docTitle: string,
  ): Promise<{ member: MemberRecord; changed: boolean }> {
    if (target.id === by.id) throw new AccessError(400, 'self_share', 'You cannot share a document with yourself.');
    const { role: myRole, record } = await this.require(docId, by);
    if (!canEdit(myRole)) throw new AccessError(403, 'not_allowed', 'Only the owner and editors can share a document.');
    const existing = await this.accounts.getMember(docId, target.id);
    if (existing && (existing.role === 'owner' || myRole !== 'owner')) return { member: existing, changed: false };
    if (existing && !existing.viaLink && existing.role === role) return { member: existing, changed: false };
    let viaLink = false;
    let given: Role = role;
    if (myRole !== 'owner') {
      const mine = await this.accounts.getMember(docId, by.id);
      if (mine === null || mine.viaLink) {
        viaLink = true;
        given = roleFromLink(record?.linkAccess ?? 'edit') ?? role;
      }
    }
    const at = Date.now();
    const joinedAt = existing?.joinedAt ?? at;
    if (viaLink) {
      // Insert-if-absent, as a link join: a share by the owner that landed meanwhile is kept.
      if (!(await this.accounts.joinViaLink(docId, target.id, given, at))) {
        const member = await this.accounts.getMember(docId, target.id);
        if (member) return { member, changed: false };
      }
    } else {
      await this.accounts.setMember(docId, target.id, given, joinedAt);
    }
    this.events.announce('memberChanged', docId, target.id, given);
    await this.notifications.notify(target.id, by.id, { kind: 'share', docId, docTitle, role: given });
    return { member: { docId, userId: target.id, role: given, joinedAt, viaLink }, changed: true };
  }

  /** The owner changes a member's role (not their own). */
  async changeRole(docId: string, by: UserRecord, userId: string, role: Exclude<Role, 'owner'>): Promise<MemberRecord> {
    await this.requireOwner(docId, by);
    const member = await this.accounts.getMember(docId, userId);
    if (!member) throw new AccessError(404, 'not_member', 'That person is not a member of this document.');
    if (member.role === 'owner') throw new AccessError(409, 'owner_role', "The owner's role cannot change.");
    await this.accounts.setMember(docId, userId, role, member.joinedAt);
    this.events.announce('memberChanged', docId, userId, role);
    return { ...member, role, viaLink: false };
  }

  /** The owner removes a member, or a member leaves (userId = their own). The owner cannot leave. */
  async removeMember(docId: string, by: UserRecord, userId: string): Promise<void> {
    if (userId === by.id) {
      const member = await this.accounts.getMember(docId, userId);
      if (member?.role === 'owner') throw new AccessError(409, 'owner_cannot_leave', 'The owner cannot leave their document; delete it instead.');
    } else {
      await this.requireOwner(docId, by);
    }
    if (!(await this.accounts.removeMember(docId, userId))) {
      throw new AccessError(404, 'not_member', 'That person is not a member of this document.');
    }
    this.events.announce('memberChanged', docId, userId, null);
  }

  /** Marks the document deleted (by its owner) and announces it; the caller removes its content. */
  async delete(docId: string, by: UserRecord): Promise<void> {
    await this.requireOwner(docId, by);
    const members = await this.accounts.listMembers(docId);
    await this.accounts.markDocDeleted(docId, Date.now());
    this.events.announce('docDeleted', docId, members.map((member) => member.userId));
  }

  private async requireOwner(docId: string, by: UserRecord): Promise<void> {
    const { role, record } = await this.require(docId, by);
    if (record?.ownerId == null) throw new AccessError(403, 'no_owner', 'This document has no owner (it was made before accounts), so its access cannot change.');
    if (role !== 'owner') throw new AccessError(403, 'not_owner', 'Only the owner can do that.');
  }
}

/** The API error for a refusal. */
export function refusalError(refusal: AccessRefusal): AccessError {
  switch (refusal) {
    case 'sign_in_required':
      return new AccessError(401, 'sign_in_required', 'Sign in to open this document.');
    case 'no_access':
      return new AccessError(404, 'not_found', 'There is no such document, or you do not have access to it.');
    case 'deleted':
      return new AccessError(410, 'deleted', 'This document was deleted.');
  }
}
