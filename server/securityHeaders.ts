import type { IncomingMessage } from 'node:http';
import helmet from 'helmet';
import type { FastifyInstance } from 'fastify';

/** A Host header that may go into the policy as it is: a name or address and a port, nothing else. */
const PLAIN_HOST = /^[a-z0-9.-]+(:\d{1,5})?$|^\[[0-9a-f:.]+\](:\d{1,5})?$/i;

/** `scheme://<the request's host>`, or `'self'` when the Host header is missing or unusual. */
function sameHost(scheme: 'ws' | 'wss'): (request: IncomingMessage) => string {
  return (request) => {
    const host = request.headers.host;
    return host !== undefined && PLAIN_HOST.test(host) ? `${scheme}://${host}` : "'self'";
  };
}

/**
 * The Content-Security-Policy of every answer (directive → sources). The web app is one script
 * bundle and stylesheets from this origin, so:
 * - `script-src 'self'`: no inline script, no eval, no `javascript:` URLs — a link that slipped into
 *   a document past every other check still runs nothing;
 * - `style-src 'self' 'unsafe-inline'`: ProseMirror decorations (collaborators' selections) and the
 *   presence colours are style attributes; styles cannot run script;
 * - `img-src`: images in documents may be on any http(s) site (shared/safeUrl.ts); `data:` for the
 *   page's empty favicon;
 * - `connect-src`: the API and the WebSockets of this same host (`'self'` covers ws:/wss: only in
 *   CSP 3 browsers, so they are named);
 * - `frame-ancestors 'none'`: no other site may frame the app (clickjacking); `form-action 'self'`,
 *   `base-uri 'none'`, `object-src 'none'`.
 * No `upgrade-insecure-requests`: Tandem is also served over plain http on a local network.
 */
function contentSecurityPolicy(): Record<string, Array<string | ((request: IncomingMessage) => string)>> {
  return {
    'default-src': ["'self'"],
    'script-src': ["'self'"],
    'style-src': ["'self'", "'unsafe-inline'"],
    'img-src': ["'self'", 'data:', 'https:', 'http:'],
    'connect-src': ["'self'", sameHost('ws'), sameHost('wss')],
    'font-src': ["'self'"],
    'object-src': ["'none'"],
    'base-uri': ["'none'"],
    'form-action': ["'self'"],
    'frame-ancestors': ["'none'"],
    'worker-src': ["'self'"],
    'manifest-src': ["'self'"],
  };
}

/**
 * Security headers on every answer (helmet, in an onRequest hook of the root app, so it covers every
 * route): the Content-Security-Policy above, X-Frame-Options DENY, Referrer-Policy
 * no-referrer (a document's address is what admits people to it, so it must not leak to the sites
 * its links lead to), X-Content-Type-Options nosniff, Cross-Origin-Opener-Policy and
 * -Resource-Policy same-origin. No Strict-Transport-Security: that belongs to whoever terminates TLS
 * (a reverse proxy), and on plain http it means nothing.
 *
 * helmet's middleware is built once, here. @fastify/helmet (used before) builds it afresh for every
 * request, parsing and checking the whole policy each time: 5 % of the server's CPU per WebSocket
 * connect in bench I2 (every upgrade is a request too). The per-request parts of the policy (the
 * WebSocket sources, from the Host header) are functions helmet calls for each answer either way.
 */
export async function installSecurityHeaders(app: FastifyInstance): Promise<void> {
  const setHeaders = helmet({
    contentSecurityPolicy: { useDefaults: false, directives: contentSecurityPolicy() },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    strictTransportSecurity: false,
    crossOriginEmbedderPolicy: false,
  });
  app.addHook('onRequest', (request, reply, done) => {
    setHeaders(request.raw, reply.raw, (error?: unknown) => done(error instanceof Error ? error : undefined));
  });
}
