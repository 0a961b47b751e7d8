import Fastify, { type FastifyInstance } from 'fastify';
import { docsRoutes } from './api/docsRoutes.js';
import { exportRoutes } from './api/exportRoutes.js';
import { healthRoute } from './api/healthRoute.js';
import { collabRoute } from './collab/collabRoute.js';
import { ClusterBus } from './cluster/clusterBus.js';
import { RoomRegistry } from './collab/roomRegistry.js';
import { type Config, fastifyTrustProxy } from './config.js';
import { createMetrics, type Metrics } from './metrics.js';
import type { AccountStore } from './accounts/accountStore.js';
import { openPostgresAccountStore } from './accounts/postgresAccountStore.js';
import { openSqliteAccountStore } from './accounts/sqliteAccountStore.js';
import { accountRoutes } from './api/accountRoutes.js';
import { installAuth } from './auth/authPlugin.js';
import { installHostCheck } from './auth/hostCheck.js';
import { Sessions } from './auth/sessions.js';
import { AccessJournal } from './people/accessJournal.js';
import { DocAccess } from './people/docAccess.js';
import { Notifications } from './people/notifications.js';
import { OnlineTracker } from './people/onlineTracker.js';
import { PeopleEvents } from './people/peopleEvents.js';
import type { LiveHub } from './live/liveHub.js';
import { registerPeople } from './live/registerPeople.js';
import type { DocStore } from './store/docStore.js';
import { openPostgresStore } from './store/postgresStore.js';
import { openSqliteStore } from './store/sqliteStore.js';
import { installSecurityHeaders } from './securityHeaders.js';
import { webRoutes } from './webRoutes.js';

export interface AppParts {
  store: DocStore;
  registry: RoomRegistry;
  metrics: Metrics;
  accounts: AccountStore;
  sessions: Sessions;
  journal: AccessJournal;
  events: PeopleEvents;
  online: OnlineTracker;
  access: DocAccess;
  notifications: Notifications;
}

declare module 'fastify' {
  interface FastifyInstance {
    tandem: AppParts;
  }
  interface FastifyRequest {
    /** AccessJournal's mark taken when a WebSocket upgrade request arrived (0 otherwise). */
    accessMark: number;
  }
}

/**
 * Builds the Tandem server: REST API, /collab WebSocket, and (when `config.webRoot` is set) the web
 * app. It does not listen. `app.close()` shuts down gracefully: new connections are refused, queued
 * updates committed, sockets closed with 1012, rooms compacted, the store closed. The store is
 * `store` when given (tests), else PostgreSQL when `config.databaseUrl` is set (its schema is
 * created or migrated first; rejects when the database cannot be reached), else SQLite. Accounts,
 * sessions, access and chat live in the same database (`accounts` when given).
 */
export async function buildApp(config: Config, store?: DocStore, accountStore?: AccountStore): Promise<FastifyInstance> {
  const app = Fastify({
    logger: { level: config.logLevel },
    trustProxy: fastifyTrustProxy(config.trustProxy),
  });
  const docStore =
    store ??
    (config.databaseUrl
      ? await openPostgresStore({ connectionString: config.databaseUrl, log: app.log })
      : openSqliteStore({ dataDir: config.dataDir, synchronous: config.sqliteSynchronous }));
  const accounts =
    accountStore ??
    (config.databaseUrl
      ? await openPostgresAccountStore({ connectionString: config.databaseUrl, log: app.log })
      : openSqliteAccountStore({ dataDir: config.dataDir, synchronous: config.sqliteSynchronous }));
  const events = new PeopleEvents();
  const sessions = new Sessions(accounts, events, config.sessionIdleMs);
  const notifications = new Notifications(accounts, events);
  const access = new DocAccess(accounts, events, notifications);
  const journal = new AccessJournal(events);
  let registry: RoomRegistry | null = null;
  let live: LiveHub | null = null;
  const metrics = createMetrics(() =>
    registry
      ? {
          connections: () => registry!.connectionCount,
          rooms: () => registry!.roomCount,
          pendingWrites: () => registry!.pendingWrites,
          lastCommitAt: () => registry!.queue.lastCommitAt,
          liveConnections: () => live?.connectionCount ?? 0,
          peopleOnline: () => online.onlineCount,
        }
      : null,
  );
  // Cluster mode: the bus's events reach the registry, which exists by the time Redis answers.
  const bus = config.redisUrl
    ? new ClusterBus(config.redisUrl, app.log, {
        onReady: () => registry?.repairAll(),
        onProcessGone: (processId) => {
          registry?.forgetProcess(processId);
          online.forgetProcess(processId);
        },
        onPeople: (_processId, json) => {
          if (!events.receiveRemote(json)) app.log.warn('ignored a malformed people event from the cluster');
        },
      })
    : null;
  if (bus) events.relayTo((json) => bus.publishPeople(json));
  const online = new OnlineTracker(accounts, app.log, events, bus?.processId ?? null);
  app.addHook('onClose', async () => online.stop());

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
  app.decorate('tandem', { store: docStore, registry: rooms, metrics, accounts, sessions, journal, events, online, access, notifications });
  app.decorateRequest('accessMark', 0);
  app.addHook('preClose', async () => {
    await rooms.shutdown();
  });
  app.addHook('onClose', async () => {
    await accounts.close();
    await docStore.close();
  });
  const sessionSweep = setInterval(() => {
    sessions.sweep().catch((error: unknown) => app.log.warn({ err: error }, 'could not delete expired sessions'));
  }, 3600_000);
  sessionSweep.unref();
  const keepAlive = setInterval(() => {
    sessions.keepOpenSessionsAlive().catch((error: unknown) => app.log.warn({ err: error }, 'could not extend the sessions of open connections'));
  }, Math.min(60_000, config.sessionIdleMs / 4));
  keepAlive.unref();
  app.addHook('onClose', async () => {
    clearInterval(sessionSweep);
    clearInterval(keepAlive);
  });
  // Every process removes a deleted document's room (and what its clients still sent) from the store.
  events.on('docDeleted', (docId) => {
    rooms.remove(docId).catch((error: unknown) => app.log.error({ err: error, docId }, 'could not remove a deleted document'));
  });

  // First of all: a request for a host this server does not answer to (DNS rebinding) goes no further.
  installHostCheck(app, { allowedHosts: config.allowedHosts, allowedOrigins: config.allowedOrigins, metrics });
  await installSecurityHeaders(app);

  // A request that asked for a WebSocket upgrade but got an ordinary answer (an unknown path, a
  // refusal before the upgrade) leaves its socket outside the HTTP server's timeouts: close it once
  // the answer is out, or every such request would hold a socket for ever.
  app.addHook('onResponse', async (request, reply) => {
    if (request.headers.upgrade !== undefined && reply.statusCode !== 101 && !request.raw.socket?.destroyed) {
      request.raw.socket?.end();
    }
  });
  // Before authentication: access changes after this point reach a WebSocket still being opened.
  app.addHook('onRequest', async (request) => {
    if (request.headers.upgrade !== undefined) request.accessMark = journal.mark();
  });
  await installAuth(app, { sessions, allowedOrigins: config.allowedOrigins, sessionIdleMs: config.sessionIdleMs });
  await app.register(accountRoutes, {
    accounts,
    sessions,
    events,
    metrics,
    passwordHashCost: config.passwordHashCost,
    sessionIdleMs: config.sessionIdleMs,
    loginAttemptsPerMinutePerIp: config.loginAttemptsPerMinutePerIp,
    loginAttemptsPerMinutePerName: config.loginAttemptsPerMinutePerName,
  });

  await app.register(collabRoute, {
    registry: rooms,
    store: docStore,
    openDocuments: config.openDocuments,
    metrics,
    access,
    journal,
    sessions,
    events,
    online,
    maxFrameBytes: config.maxFrameBytes,
    maxBufferedFrames: config.maxBufferedFrames,
    maxSendBufferBytes: config.maxSendBufferBytes,
    maxDocBytes: config.maxDocBytes,
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
  await app.register(docsRoutes, { store: docStore, registry: rooms, accounts, access });
  await app.register(exportRoutes, { store: docStore, registry: rooms, access });
  live = (await registerPeople(app, app.tandem, config)).live;
  await app.register(healthRoute, { store: docStore, registry: rooms, metrics, metricsToken: config.metricsToken });
  if (config.webRoot) await app.register(webRoutes, { root: config.webRoot });
  return app;
}
