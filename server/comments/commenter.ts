import type { UserRecord } from '../accounts/accountStore.js';
import type { GuestIdentity } from './guestIdentity.js';

/**
 * Who reads or writes comments: an account, or a guest (no account; a visitor whom the document's
 * link lets comment, known by the guest cookie, see guestIdentity.ts).
 */
export type Commenter = { user: UserRecord; guest: null } | { user: null; guest: GuestIdentity; ip: string };

export function accountCommenter(user: UserRecord): Commenter {
  return { user, guest: null };
}

/** A guest, and the address its requests come from (guests' writes are limited per address too). */
export function guestCommenter(guest: GuestIdentity, ip: string): Commenter {
  return { user: null, guest, ip };
}

/** The account's id, or the guest's ('g:…'). */
export function commenterId(who: Commenter): string {
  return who.user?.id ?? who.guest!.id;
}
