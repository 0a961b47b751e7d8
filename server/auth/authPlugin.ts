import cookie from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { LIVE_PATH } from '../../shared/live.js';
import { COLLAB_PATH } from '../../shared/protocol.js';
import { ApiHttpError } from '../api/apiError.js';
import { originAllowed } from './origin.js';
import { type Authenticated, SESSION_COOKIE, type Sessions } from './sessions.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in user and session, or null for a visitor (see installAuth). */
    auth: Authenticated | null;
    /** The request carried a session cookie that no longer stands for a session (signed out, revoked, expired). */
    sessionStale: boolean;
  }
  interface FastifyContextConfig {
    /** The route needs a session: a request without one is answered 401 `sign_in_required` before validation. */
    signedIn?: boolean;
  }
}

/**
 * Routes whose requests are authenticated from the session cookie, by the path they were declared
 * with (not the request's URL, which may spell the same route differently: `/%61pi/docs`).
 */
const AUTHENTICATED_PREFIXES = ['/api/', `${COLLAB_PATH}/`, `${LIVE_PATH}/`];
const AUTHENTICATED_PATHS = new Set([LIVE_PATH]);

/** Whether a route (its declared path; undefined for an unknown path, a 404) is authenticated. */
function isAuthenticatedRoute(route: string | undefined): boolean {
  if (route === undefined) return false;
  return AUTHENTICATED_PATHS.has(route) || AUTHENTICATED_PREFIXES.some((prefix) => route.startsWith(prefix));
}

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
 * /live routes (the matched route decides, however the URL spells it), and refuses a state-changing
 * API request from a foreign page's Origin with 403 (SameSite=Lax already keeps the cookie off
 * cross-site POSTs; this covers same-site other origins and browsers without SameSite), and
 * answers 401 to a request without a session on a route declared `config: { signedIn: true }`.
 * Refusals are thrown as ApiHttpError to the root error handler.
 */
export async function installAuth(app: FastifyInstance, options: AuthOptions): Promise<void> {
  await app.register(cookie);
  app.decorateRequest('auth', null);
  app.decorateRequest('sessionStale', false);
  app.addHook('onRequest', async (request) => {
    // Decided by the route the router matched, which is the handler that will run.
    if (!isAuthenticatedRoute(request.routeOptions.url)) return;
    if (UNSAFE_METHODS.has(request.method) && !originAllowed(request.headers.origin, request.headers.host, options.allowedOrigins)) {
      request.log.warn({ origin: request.headers.origin, method: request.method, url: request.url }, 'refused request from a foreign origin');
      throw new ApiHttpError(403, 'origin_not_allowed', 'Pages from this origin may not change anything here.');
    }
    const token = request.cookies[SESSION_COOKIE];
    if (token === undefined || token === '') return;
    request.auth = await options.sessions.resolve(token);
    if (request.auth === null) request.sessionStale = true;
  });
  // The one session check of the API, for routes declared `config: { signedIn: true }`. It runs
  // after the body is parsed and before it is validated: a visitor is told to sign in rather than
  // how to shape a body (as when each route checked first thing), and a body too large or of the
  // wrong type is still refused as such (413/415) before it is read as anything.
  app.addHook('preValidation', async (request, reply) => {
    if (request.routeOptions.config.signedIn !== true || request.auth !== null) return;
    if (request.sessionStale) clearSessionCookie(request, reply);
    throw new ApiHttpError(401, 'sign_in_required', request.sessionStale ? 'Your session has ended; sign in again.' : 'Sign in first.');
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
 * The signed-in user of a request to a route declared `config: { signedIn: true }` (the preValidation
 * hook above answered 401 to anyone else). Throws, a 500, when the route did not declare it: a
 * programming error, never a visitor's.
 */
export function signedInUser(request: FastifyRequest): Authenticated {
  if (request.auth === null || request.routeOptions.config.signedIn !== true) {
    throw new Error(`route ${request.routeOptions.method} ${request.routeOptions.url} reads the session but is not declared signedIn`);
  }
  return request.auth;
}
