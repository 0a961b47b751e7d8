import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { originAllowed } from '../auth/origin.js';
import type { SocketGuardConfig } from '../config.js';
import { KeyedTokenBuckets } from '../tokenBucket.js';

/** Why an upgrade request was refused before the upgrade, with the HTTP status it is answered with. */
export type UpgradeRefusal = { status: 403; error: 'origin_not_allowed' } | { status: 429; error: 'too_many_connections' };

/**
 * The guards every WebSocket endpoint (/collab, /live) puts in front of its sockets, built from the
 * `sockets` config slice. Each endpoint has its own instance: its own per-IP connection budget
 * (as before: a burst on /collab does not spend /live's) and its own heartbeat timer.
 *
 * - `refusal(request)`, before the upgrade: the Origin must be this server's own or an allowed one
 *   (403 `origin_not_allowed`: the browser sends the session cookie with any page's upgrade, so a
 *   foreign page could otherwise open a socket as its visitor), then the client IP must be within
 *   its new-connection rate (429 `too_many_connections`). The Origin is checked first so a foreign
 *   page does not spend the address's budget.
 * - `startHeartbeat(app, beat)`: every HEARTBEAT_INTERVAL_MS, `beat(HEARTBEAT_TIMEOUT_MS)` (the
 *   endpoint pings its sockets and drops the silent ones), then idle per-IP buckets are swept.
 *   The timer is cleared in `onClose` (or earlier by the stop function it returns).
 */
export class SocketGuards {
  private readonly ipBuckets: KeyedTokenBuckets;

  constructor(private readonly config: SocketGuardConfig) {
    this.ipBuckets = new KeyedTokenBuckets(config.connectionsPerSecondPerIp, config.connectionBurstPerIp);
  }

  /** Origins besides the server's own whose pages may connect. */
  get allowedOrigins(): readonly string[] {
    return this.config.allowedOrigins;
  }

  /** null when the upgrade may go ahead (it then counts against the address's budget), else why not. */
  refusal(request: FastifyRequest): UpgradeRefusal | null {
    if (!originAllowed(request.headers.origin, request.headers.host, this.config.allowedOrigins)) {
      return { status: 403, error: 'origin_not_allowed' };
    }
    if (!this.ipBuckets.take(request.ip)) return { status: 429, error: 'too_many_connections' };
    return null;
  }

  /** Starts the heartbeat; returns a function that stops it (also stopped when `app` closes). */
  startHeartbeat(app: FastifyInstance, beat: (timeoutMs: number) => void): () => void {
    const timer = setInterval(() => {
      beat(this.config.heartbeatTimeoutMs);
      this.ipBuckets.sweep();
    }, this.config.heartbeatIntervalMs);
    timer.unref();
    const stop = () => clearInterval(timer);
    app.addHook('onClose', async () => stop());
    return stop;
  }
}

/**
 * Detaches the ServerResponse that routed an upgrade request from its TCP socket (Node's
 * `_httpMessage`, the only reference from the socket to it): after the handshake nothing is ever
 * written through it, and while attached it holds the request, Fastify's reply and their listeners
 * for as long as the socket lives.
 */
export function releaseUpgradeResponse(tcp: Socket): void {
  const response = (tcp as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (response) response.detachSocket(tcp);
}
