import net from 'node:net';
import type { FastifyInstance } from 'fastify';
import { sendApiError } from '../api/apiError.js';
import type { Config } from '../config.js';
import type { Metrics } from '../metrics.js';

/**
 * Whether a request's Host header names this server. Always accepted: no Host header (not a
 * browser: every browser sends one), IP addresses (a DNS-rebinding page is always reached by a
 * *name* its author controls, so an address in Host is the server's own), `localhost` and
 * `*.localhost` (browsers resolve those to this machine themselves), and the hosts of
 * `allowedOrigins`. Anything else only when listed in `allowedHosts` (or when that is '*').
 * The port is not compared: the Origin check already compares whole origins.
 */
export function hostAllowed(host: string | undefined, allowedHosts: Config['allowedHosts'], allowedOrigins: readonly string[]): boolean {
  if (host === undefined || allowedHosts === '*') return true;
  let name: string;
  try {
    name = new URL(`http://${host}`).hostname;
  } catch {
    return false;
  }
  // The URL parser keeps the brackets of an IPv6 address and drops a trailing dot only in some cases.
  const bare = name.replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
  if (net.isIP(bare) !== 0) return true;
  if (bare === 'localhost' || bare.endsWith('.localhost')) return true;
  if (allowedHosts.includes(bare)) return true;
  return allowedOrigins.some((origin) => new URL(origin).hostname === bare);
}

/**
 * Refuses every request — routes, the web app, WebSocket upgrades, unknown paths — whose Host header
 * names a host this server does not answer to (see hostAllowed), with 421 `host_not_allowed`. Runs
 * first, before authentication, so a rebinding page never reaches a route with the victim's network
 * position. Installed on the root app so its hook covers every route.
 */
export function installHostCheck(
  app: FastifyInstance,
  options: { allowedHosts: Config['allowedHosts']; allowedOrigins: readonly string[]; metrics: Metrics },
): void {
  app.addHook('onRequest', async (request, reply) => {
    if (hostAllowed(request.headers.host, options.allowedHosts, options.allowedOrigins)) return;
    request.log.warn({ host: request.headers.host, url: request.url }, 'refused a request for a host this server does not answer to');
    if (request.headers.upgrade !== undefined) options.metrics.upgradesRefused.inc({ reason: 'host' });
    return sendApiError(reply, 421, 'host_not_allowed', 'This server does not answer to that host name; its operator can add it to ALLOWED_HOSTS.');
  });
}
