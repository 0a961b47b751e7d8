import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { RoomsConfig } from '../config.js';
import { RoomRegistry } from './roomRegistry.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The open documents (rooms) of this process. */
    rooms: RoomRegistry;
  }
}

/**
 * The room registry on the document store. Shuts it down in `preClose` (Fastify has already
 * stopped routing new requests; the server still holds its sockets): what is queued is committed,
 * every socket closed with 1012, rooms compacted, then the bus closed. The store closes later, in
 * the storage plugin's `onClose`. In a cluster, rooms repair from the store whenever Redis is
 * (again) ready and drop the presence of a process that went away. Every process removes a deleted
 * document's room (and what its clients still sent) from the store.
 */
async function roomsPlugin(app: FastifyInstance, { config }: { config: RoomsConfig }): Promise<void> {
  const bus = app.clusterBus;
  const rooms = new RoomRegistry({
    ...config,
    repairIntervalMs: config.clusterRepairIntervalMs,
    bus,
    store: app.docStore,
    log: app.log,
    metrics: app.metrics,
    workers: app.bigDocs.workers,
    workerAboveBytes: app.bigDocs.workerAboveBytes,
  });
  bus?.on('ready', () => rooms.repairAll());
  bus?.on('processGone', (processId) => rooms.forgetProcess(processId));
  app.decorate('rooms', rooms);
  app.metrics.observe({
    connections: () => rooms.connectionCount,
    rooms: () => rooms.roomCount,
    pendingWrites: () => rooms.pendingWrites,
    lastCommitAt: () => rooms.queue.lastCommitAt,
    largeDocuments: () => rooms.storedSizes().filter((bytes) => bytes > app.bigDocs.docWarnBytes).length,
    largestDocumentBytes: () => Math.max(0, ...rooms.storedSizes()),
  });
  app.people.events.on('docDeleted', (docId) => {
    rooms.remove(docId).catch((error: unknown) => app.log.error({ err: error, docId }, 'could not remove a deleted document'));
  });
  app.addHook('preClose', async () => {
    await rooms.shutdown();
  });
}

export default fp(roomsPlugin, { name: 'tandem-rooms', fastify: '5.x', dependencies: ['tandem-storage', 'tandem-metrics', 'tandem-cluster', 'tandem-people', 'tandem-bigdocs'] });
