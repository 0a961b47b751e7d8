import Fastify, { type FastifyInstance } from 'fastify';
import { docsRoutes } from './api/docsRoutes.js';
import { exportRoutes } from './api/exportRoutes.js';
import { healthRoute } from './api/healthRoute.js';
import { collabRoute } from './collab/collabRoute.js';
import { ClusterBus } from './cluster/clusterBus.js';
import { RoomRegistry } from './collab/roomRegistry.js';
import type { Config } from './config.js';
import { createMetrics, type Metrics } from './metrics.js';
import type { DocStore } from './store/docStore.js';
import { openPostgresStore } from './store/postgresStore.js';
import { openSqliteStore } from './store/sqliteStore.js';
import { webRoutes } from './webRoutes.js';

export interface AppParts {
  store: DocStore;
  registry: RoomRegistry;
  metrics: Metrics;
}

declare module 'fastify' {
  interface FastifyInstance {
    tandem: AppParts;
  }
}

/**
 * Builds the Tandem server: REST API, /collab WebSocket, and (when `config.webRoot` is set) the web
 * app. It does not listen. `app.close()` shuts down gracefully: new connections are refused, queued
 * updates committed, sockets closed with 1012, rooms compacted, the store closed. The store is
 * `store` when given (tests), else PostgreSQL when `config.databaseUrl` is set (its schema is
 * created or migrated first; rejects when the database cannot be reached), else SQLite.
 */
export async function buildApp(config: Config, store?: DocStore): Promise<FastifyInstance> {
  const app = Fastify({
    logger: { level: config.logLevel },
  });
  const docStore =
    store ??
    (config.databaseUrl
      ? await openPostgresStore({ connectionString: config.databaseUrl, log: app.log })
      : openSqliteStore({ dataDir: config.dataDir, synchronous: config.sqliteSynchronous }));
  let registry: RoomRegistry | null = null;
  const metrics = createMetrics(() =>
    registry
      ? {
          connections: () => registry!.connectionCount,
          rooms: () => registry!.roomCount,
          pendingWrites: () => registry!.pendingWrites,
          lastCommitAt: () => registry!.queue.lastCommitAt,
        }
      : null,
  );
  // Cluster mode: the bus's events reach the registry, which exists by the time Redis answers.
  const bus = config.redisUrl
    ? new ClusterBus(config.redisUrl, app.log, {
        onReady: () => registry?.repairAll(),
        onProcessGone: (processId) => registry?.forgetProcess(processId),
      })
    : null;
  registry = new RoomRegistry({
    bus,
    repairIntervalMs: config.clusterRepairIntervalMs,
    store: docStore,
    log: app.log,
    metrics,
    unloadGraceMs: config.unloadGraceMs,
    compactAfterUpdates: config.compactAfterUpdates,
    compactAfterBytes: config.compactAfterBytes,
    maxDocBytes: config.maxDocBytes,
    maxUnsavedBytes: config.maxUnsavedBytes,
    pendingUpdateTimeoutMs: config.pendingUpdateTimeoutMs,
  });
  const rooms = registry;
  app.decorate('tandem', { store: docStore, registry: rooms, metrics });
  app.addHook('preClose', async () => {
    await rooms.shutdown();
  });
  app.addHook('onClose', async () => {
    await docStore.close();
  });

  await app.register(collabRoute, {
    registry: rooms,
    metrics,
    maxFrameBytes: config.maxFrameBytes,
    maxBufferedFrames: config.maxBufferedFrames,
    maxSendBufferBytes: config.maxSendBufferBytes,
    updatesPerSecond: config.updatesPerSecond,
    updateBurst: config.updateBurst,
    awarenessPerSecond: config.awarenessPerSecond,
    awarenessBurst: config.awarenessBurst,
    connectionsPerSecondPerIp: config.connectionsPerSecondPerIp,
    connectionBurstPerIp: config.connectionBurstPerIp,
    heartbeatIntervalMs: config.heartbeatIntervalMs,
    heartbeatTimeoutMs: config.heartbeatTimeoutMs,
    allowedOrigins: config.allowedOrigins,
  });
  await app.register(docsRoutes, { store: docStore, registry: rooms });
  await app.register(exportRoutes, { store: docStore, registry: rooms });
  await app.register(healthRoute, { store: docStore, registry: rooms, metrics });
  if (config.webRoot) await app.register(webRoutes, { root: config.webRoot });
  return app;
}
