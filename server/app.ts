import Fastify, { type FastifyInstance } from 'fastify';
import { docsRoutes } from './api/docsRoutes.js';
import { healthRoute } from './api/healthRoute.js';
import { collabRoute } from './collab/collabRoute.js';
import { RoomRegistry } from './collab/roomRegistry.js';
import type { Config } from './config.js';
import type { DocStore } from './store/docStore.js';
import { openSqliteStore } from './store/sqliteStore.js';
import { webRoutes } from './webRoutes.js';

export interface AppParts {
  store: DocStore;
  registry: RoomRegistry;
}

declare module 'fastify' {
  interface FastifyInstance {
    tandem: AppParts;
  }
}

/**
 * Builds the Tandem server: REST API, /collab WebSocket, and (when `config.webRoot` is set) the web
 * app. It does not listen. `app.close()` shuts down gracefully: new connections are refused, queued
 * updates committed, sockets closed with 1012, rooms compacted, the store closed.
 */
export async function buildApp(config: Config, store?: DocStore): Promise<FastifyInstance> {
  const app = Fastify({
    logger: { level: config.logLevel },
  });
  const docStore =
    store ?? openSqliteStore({ dataDir: config.dataDir, synchronous: config.sqliteSynchronous });
  const registry = new RoomRegistry({
    store: docStore,
    log: app.log,
    unloadGraceMs: config.unloadGraceMs,
    compactAfterUpdates: config.compactAfterUpdates,
    compactAfterBytes: config.compactAfterBytes,
  });
  app.decorate('tandem', { store: docStore, registry });
  app.addHook('preClose', async () => {
    await registry.shutdown();
  });
  app.addHook('onClose', async () => {
    await docStore.close();
  });

  await app.register(collabRoute, {
    registry,
    maxFrameBytes: config.maxFrameBytes,
    maxBufferedFrames: config.maxBufferedFrames,
  });
  await app.register(docsRoutes, { store: docStore, registry });
  await app.register(healthRoute, { store: docStore, registry });
  if (config.webRoot) await app.register(webRoutes, { root: config.webRoot });
  return app;
}
