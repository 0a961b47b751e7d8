import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { sendApiError } from './apiError.js';
import type { RoomRegistry } from '../collab/roomRegistry.js';
import type { Metrics } from '../metrics.js';
import type { DocStore } from '../store/docStore.js';

/** Whether the request carries `Authorization: Bearer <token>` (compared in constant time). */
function hasBearer(request: FastifyRequest, token: string): boolean {
  const match = /^Bearer[ ]+(\S+)[ ]*$/i.exec(request.headers.authorization ?? '');
  if (match === null) return false;
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(match[1] ?? ''), digest(token));
}

/**
 * `GET /healthz`: 200 with live figures when storage answers, 503 when it does not.
 * `GET /metrics`: Prometheus text format, only with `Authorization: Bearer <metricsToken>` (401
 * `metrics_token_required` without it or with another); 403 `metrics_disabled` while no token is
 * configured. Its figures (people online, accounts and chat counters, the Node version) are not
 * for everyone who can reach the server.
 */
export async function healthRoute(
  app: FastifyInstance,
  { store, registry, metrics, metricsToken }: { store: DocStore; registry: RoomRegistry; metrics: Metrics; metricsToken: string | null },
): Promise<void> {
  app.get('/metrics', async (request, reply) => {
    if (metricsToken === null) {
      return sendApiError(reply, 403, 'metrics_disabled', 'Metrics are off: set METRICS_TOKEN and scrape with that bearer token.');
    }
    if (!hasBearer(request, metricsToken)) {
      request.log.warn({ url: request.url }, 'refused /metrics without the metrics token');
      void reply.header('www-authenticate', 'Bearer realm="metrics"');
      return sendApiError(reply, 401, 'metrics_token_required', 'Send Authorization: Bearer <METRICS_TOKEN>.');
    }
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  app.get('/healthz', async (request, reply) => {
    try {
      await store.check();
    } catch (error) {
      request.log.error({ err: error }, 'health check: storage is not answering');
      return reply.code(503).send({ status: 'unavailable', error: 'storage_unavailable' });
    }
    return { status: 'ok', rooms: registry.roomCount, connections: registry.connectionCount };
  });
}
