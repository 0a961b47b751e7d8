import { randomUUID } from 'node:crypto';

/**
 * Who sent a stored update, as the server knew at commit time (never what a client says of itself):
 * 'u:<userId>' for a signed-in account, 'g:<id>' for one guest connection (a random id per
 * connection, so two guests, or one guest's two windows, are told apart). Stored as text in
 * updates.author, history_rows.author and versions.authors.
 */
export type AuthorId = string;

export function userAuthor(userId: string): AuthorId {
  return `u:${userId}`;
}

/** A fresh author id for a guest connection. */
export function newGuestAuthor(): AuthorId {
  // randomUUID draws from a pool of random bytes; randomBytes(6) asked the system each time (21 µs a
  // guest connect in bench I2). A v4 UUID's last 12 hex digits are 48 random bits, as before.
  return `g:${randomUUID().slice(-12)}`;
}

/** The account an author id names, or null for a guest (or anything else). */
export function authorUserId(author: AuthorId): string | null {
  return author.startsWith('u:') ? author.slice(2) : null;
}
