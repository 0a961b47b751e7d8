import { createHash, randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DEFAULT_GUEST_NAME, GUEST_NAME_HEADER, MAX_GUEST_NAME_CHARS } from '../../shared/comments.js';
import { clipText, stripBidiControls } from '../../shared/text.js';

/**
 * Who a guest is to comments: someone without an account whom a document's link lets comment. The
 * browser keeps a random secret in the HttpOnly cookie GUEST_COOKIE (issued by the first answer that
 * needs it); the guest's id is 'g:' and the first 24 hex digits of the secret's SHA-256, so the id
 * (shown with every comment) never gives the secret away, and the same browser is the same guest
 * across requests and windows: it may edit and delete its own comments. Clearing cookies makes a
 * new guest. History's guest ids (historyAuthors.ts, one per connection) are a different thing.
 */
export const GUEST_COOKIE = 'tandem_guest';
/** A guest cookie lives this long in the browser. */
const GUEST_COOKIE_MAX_AGE_S = 365 * 24 * 3600;
/** A secret is 32 random bytes in base64url: 43 characters. */
const SECRET_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** A guest as a comment write names them: their id and the name they gave (cleaned). */
export interface GuestIdentity {
  id: string;
  name: string;
}

/** Whether `id` is a guest's (account ids never contain ':'). */
export function isGuestId(id: string): boolean {
  return id.startsWith('g:');
}

function guestIdOf(secret: string): string {
  return `g:${createHash('sha256').update(secret).digest('hex').slice(0, 24)}`;
}

/** The guest id of the request's cookie, or null when it carries none (or a malformed one). */
export function guestIdOfRequest(request: FastifyRequest): string | null {
  const secret = request.cookies[GUEST_COOKIE];
  return secret !== undefined && SECRET_PATTERN.test(secret) ? guestIdOf(secret) : null;
}

/** The request's guest id; when it has none, a new one, its secret set as the cookie on `reply`. */
export function guestIdFor(request: FastifyRequest, reply: FastifyReply): string {
  const known = guestIdOfRequest(request);
  if (known !== null) return known;
  const secret = randomBytes(32).toString('base64url');
  reply.setCookie(GUEST_COOKIE, secret, {
    httpOnly: true,
    sameSite: 'lax',
    secure: request.protocol === 'https',
    path: '/',
    maxAge: GUEST_COOKIE_MAX_AGE_S,
  });
  return guestIdOf(secret);
}

/**
 * The display name a guest sent in GUEST_NAME_HEADER (URI-encoded): spaces collapsed, bidirectional
 * controls and control characters removed, at most MAX_GUEST_NAME_CHARS characters; DEFAULT_GUEST_NAME
 * when absent, empty or not decodable. Shown as text, always marked as a guest's.
 */
export function guestNameOf(request: FastifyRequest): string {
  const raw = request.headers[GUEST_NAME_HEADER];
  if (typeof raw !== 'string' || raw === '') return DEFAULT_GUEST_NAME;
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    return DEFAULT_GUEST_NAME;
  }
  // eslint-disable-next-line no-control-regex
  const clean = clipText(stripBidiControls(decoded).replace(/\s+/g, ' ').replace(/[\u0000-\u001f\u007f-\u009f]/g, '').trim(), MAX_GUEST_NAME_CHARS);
  return clean === '' ? DEFAULT_GUEST_NAME : clean;
}
