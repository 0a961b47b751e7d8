import type { FastifyInstance } from 'fastify';
import type { RoomRegistry } from '../collab/roomRegistry.js';
import type { DocStore } from '../store/docStore.js';

/** `GET /healthz`: 200 with live figures when storage answers, 503 when it does not. */
export async function healthRoute(
  app: FastifyInstance,
  { store, registry }: { store: DocStore; registry: RoomRegistry },
): Promise<void> {
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
