import type { FastifyInstance } from 'fastify';
import type { RoomRegistry } from '../collab/roomRegistry.js';
import type { Metrics } from '../metrics.js';
import type { DocStore } from '../store/docStore.js';

/**
 * `GET /healthz`: 200 with live figures when storage answers, 503 when it does not.
 * `GET /metrics`: Prometheus text format.
 */
export async function healthRoute(
  app: FastifyInstance,
  { store, registry, metrics }: { store: DocStore; registry: RoomRegistry; metrics: Metrics },
): Promise<void> {
  app.get('/metrics', async (_request, reply) => {
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
