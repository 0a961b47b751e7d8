import cookie from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sendApiError } from '../api/apiError.js';
import { originAllowed } from './origin.js';
import { type Authenticated, SESSION_COOKIE, type Sessions } from './sessions.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in user and session, or null for a visitor (see installAuth). */
    auth: Authenticated | null;
    /** The request carried a session cookie that no longer stands for a session (signed out, revoked, expired). */
    sessionStale: boolean;
  }
}

/** Paths whose requests are authenticated from the session cookie. */
const AUTHENTICATED_PREFIXES = ['/api/', '/collab/', '/live'];
const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export interface AuthOptions {
  sessions: Sessions;
  /** Other origins whose pages may use this server (besides its own). */
  allowedOrigins: readonly string[];
  /** A session cookie lives this long in the browser (the server extends the session as it is used). */
  sessionIdleMs: number;
}

/**
 * Installs authentication on the root app (not as an encapsulated plugin, so that its hooks cover
 * every route): parses cookies, resolves `request.auth` from the session cookie on API, /collab and
 * /live requests, and refuses a state-changing API request from a foreign page's Origin with 403
 * (SameSite=Lax already keeps the cookie off cross-site POSTs; this covers same-site other origins
 * and browsers without SameSite).
 */
export async function installAuth(app: FastifyInstance, options: AuthOptions): Promise<void> {
  await app.register(cookie);
  app.decorateRequest('auth', null);
  app.decorateRequest('sessionStale', false);
  app.addHook('onRequest', async (request, reply) => {
    const path = request.url;
    if (!AUTHENTICATED_PREFIXES.some((prefix) => path.startsWith(prefix))) return;
    if (UNSAFE_METHODS.has(request.method) && !originAllowed(request.headers.origin, request.headers.host, options.allowedOrigins)) {
      request.log.warn({ origin: request.headers.origin, method: request.method, url: path }, 'refused request from a foreign origin');
      return sendApiError(reply, 403, 'origin_not_allowed', 'Pages from this origin may not change anything here.');
    }
    const token = request.cookies[SESSION_COOKIE];
    if (token === undefined || token === '') return;
    request.auth = await options.sessions.resolve(token);
    if (request.auth === null) request.sessionStale = true;
  });
}

/** Sets the session cookie: HttpOnly, SameSite=Lax, Secure when the request came over TLS. */
export function setSessionCookie(request: FastifyRequest, reply: FastifyReply, token: string, maxAgeMs: number): void {
  reply.setCookie(SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: 'lax',
    secure: request.protocol === 'https',
    path: '/',
    maxAge: Math.floor(maxAgeMs / 1000),
  });
}

export function clearSessionCookie(request: FastifyRequest, reply: FastifyReply): void {
  reply.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'lax', secure: request.protocol === 'https', path: '/' });
}

/**
 * The signed-in user of a request, or null after answering 401 `sign_in_required` (saying so when the
 * session has ended rather than never existed).
 */
export function requireUser(request: FastifyRequest, reply: FastifyReply): Authenticated | null {
  if (request.auth !== null) return request.auth;
  const message = request.sessionStale ? 'Your session has ended; sign in again.' : 'Sign in first.';
  if (request.sessionStale) clearSessionCookie(request, reply);
  void sendApiError(reply, 401, 'sign_in_required', message);
  return null;
}
