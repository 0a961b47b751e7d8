import type { Socket } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import type { AccountStore } from './accounts/accountStore.js';
import { accountRoutes } from './api/accountRoutes.js';
import { chatRoutes } from './api/chatRoutes.js';
import { commentRoutes } from './api/commentRoutes.js';
import { docsRoutes } from './api/docsRoutes.js';
import { installApiErrors } from './api/errorHandler.js';
import { lazySchemas } from './api/lazySchemas.js';
import { exportRoutes } from './api/exportRoutes.js';
import { versionRoutes } from './api/versionRoutes.js';
import { healthRoute } from './api/healthRoute.js';
import { notificationRoutes } from './api/notificationRoutes.js';
import { peopleRoutes } from './api/peopleRoutes.js';
import { installAuth } from './auth/authPlugin.js';
import { installHostCheck } from './auth/hostCheck.js';
import bigDocsPlugin from './bigdocs/bigDocsPlugin.js';
import clusterPlugin from './cluster/clusterPlugin.js';
import collabRoute from './collab/collabRoute.js';
import roomsPlugin from './collab/roomsPlugin.js';
import { type Config, configSlice, fastifyTrustProxy } from './config.js';
import historyPlugin from './history/historyPlugin.js';
import livePlugin from './live/livePlugin.js';
import liveRoute from './live/liveRoute.js';
import metricsPlugin from './metricsPlugin.js';
import peoplePlugin from './people/peoplePlugin.js';
import { installSecurityHeaders } from './securityHeaders.js';
import websocketPlugin from './sockets/websocketPlugin.js';
import type { DocStore } from './store/docStore.js';
import storagePlugin from './store/storagePlugin.js';

/**
 * Builds the Tandem server: REST API, the /collab and /live WebSockets, and (when `config.webRoot`
 * is set) the web app. It does not listen. Each subsystem is a Fastify plugin that takes its config
 * slice, finds what it depends on as decorations of the app (declared, and checked by
 * fastify-plugin), and releases what it owns when the app closes:
 *
 *   tandem-storage  app.docStore, app.accountStore  (PostgreSQL with DATABASE_URL, else SQLite;
 *                   `docStore`/`accountStore` when given: tests)   onClose: both closed
 *   tandem-metrics  app.metrics
 *   tandem-cluster  app.clusterBus (REDIS_URL, else null)           onClose: closed
 *   tandem-people   app.people: events, sessions, journal, access, notifications, online
 *                                                                   onClose: timers stopped
 *   tandem-bigdocs  app.bigDocs: worker threads for big documents    onClose: threads ended
 *   tandem-rooms    app.rooms (RoomRegistry)                         preClose: shutdown
 *   tandem-live     app.live: the /live hub, chat, comments          onClose: hub unsubscribed
 *   tandem-history  app.history: versions, restore, the history thread
 *                                                                   onClose: due versions made, thread ended
 *   sockets scope   tandem-websocket (@fastify/websocket, once) + /collab + /live, each with
 *                   its SocketGuards (Origin, per-IP limit, heartbeat)
 *
 * `app.close()` shuts down gracefully, in this order: Fastify stops routing new requests (503);
 * preClose: the registry commits what is queued, closes every /collab socket with 1012, compacts
 * and closes the bus, then /live closes its sockets with 1012; the HTTP server closes; onClose (in
 * reverse order of registration): timers cleared, the hub unsubscribed, and last the stores closed.
 */
export async function buildApp(config: Config, docStore?: DocStore, accountStore?: AccountStore): Promise<FastifyInstance> {
  const schemas = lazySchemas();
  const app = Fastify({
    logger: { level: config.logLevel },
    trustProxy: fastifyTrustProxy(config.trustProxy),
    // The API's JSON schemas (server/api/schemas.ts) check types as sent: 42 is not a name.
    ajv: { customOptions: { coerceTypes: false } },
    // Each route's schemas are compiled when the route is first used (lazySchemas.ts).
    schemaController: schemas.schemaController,
  });
  app.decorate('compileSchemas', schemas.compileAll);
  installApiErrors(app);

  await app.register(storagePlugin, { config: configSlice(config, 'storage'), docStore, accountStore });
  await app.register(metricsPlugin);
  await app.register(clusterPlugin, { config: configSlice(config, 'cluster') });
  await app.register(peoplePlugin, { config: configSlice(config, 'accounts') });
  await app.register(bigDocsPlugin, { config: configSlice(config, 'bigDocs') });
  await app.register(roomsPlugin, { config: configSlice(config, 'rooms') });
  await app.register(livePlugin, { config: configSlice(config, 'live') });
  await app.register(historyPlugin, { config: configSlice(config, 'history') });

  // Security headers first, so that every answer carries them, refusals included; then a request
  // for a host this server does not answer to (DNS rebinding) goes no further.
  await installSecurityHeaders(app);
  installHostCheck(app, { allowedHosts: config.allowedHosts, allowedOrigins: config.allowedOrigins, metrics: app.metrics });

  // A request that asked for a WebSocket upgrade but got an ordinary answer (an unknown path, a
  // refusal before the upgrade) leaves its socket outside the HTTP server's timeouts: close it once
  // the answer is out, or every such request would hold a socket for ever.
  app.addHook('onResponse', async (request, reply) => {
    if (request.headers.upgrade !== undefined && reply.statusCode !== 101 && !request.raw.socket?.destroyed) {
      request.raw.socket?.end();
    }
  });
  // A connection that has not sent a request yet (a client's spare, or one whose request it aborted
  // while connecting) is not idle to Node: closing the server would wait for its headers timeout,
  // and server.close() stops the timer that enforces it — shutdown would wait for ever. So the
  // server's own "close the idle connections" closes these too. It runs when the listener closes
  // (server.close() calls it, after every preClose hook), not in a preClose hook: a client may open
  // a connection while the endpoints' preClose hooks give their sockets time to close (undici does,
  // when a request it was about to send is aborted), and that one must go too.
  const silent = new Set<Socket>();
  app.server.on('connection', (socket) => {
    if (socket.bytesRead > 0) return;
    silent.add(socket);
    const forget = () => silent.delete(socket);
    socket.once('data', forget).once('close', forget);
  });
  const closeIdleConnections = app.server.closeIdleConnections.bind(app.server);
  app.server.closeIdleConnections = () => {
    closeIdleConnections();
    for (const socket of silent) if (socket.bytesRead === 0) socket.destroy();
  };
  await installAuth(app, { sessions: app.people.sessions, allowedOrigins: config.allowedOrigins, sessionIdleMs: config.sessionIdleMs });

  // The WebSocket endpoints, in a scope of their own: @fastify/websocket's route hooks cover them
  // and nothing else (an upgrade request to an API route gets that route's ordinary answer).
  await app.register(async function sockets(scope) {
    const guards = configSlice(config, 'sockets');
    await scope.register(websocketPlugin, configSlice(config, 'websocket'));
    await scope.register(collabRoute, { config: { ...configSlice(config, 'collab'), ...guards } });
    await scope.register(liveRoute, { config: { ...guards, maxSendBufferBytes: config.maxSendBufferBytes } });
  });

  const { docStore: store, rooms: registry, accountStore: accounts, metrics } = app;
  const { sessions, events, access, online } = app.people;
  const accountsConfig = configSlice(config, 'accounts');
  await app.register(accountRoutes, { accounts, sessions, events, metrics, ...accountsConfig });
  await app.register(docsRoutes, { store, registry, accounts, access, sizes: app.bigDocs });
  await app.register(exportRoutes, { store, registry, access, bigDocs: app.bigDocs });
  await app.register(versionRoutes, { store, access, history: app.history, writesPerSecond: config.chatMessagesPerSecond, burst: config.chatBurst });
  await app.register(chatRoutes, { chat: app.live.chat });
  await app.register(commentRoutes, { comments: app.live.comments });
  await app.register(peopleRoutes, { accounts, online });
  await app.register(notificationRoutes, { accounts });
  await app.register(healthRoute, { store, registry, metrics, metricsToken: config.metricsToken });
  // Imported only when there is a web app to serve (its static-file server is some 40 modules).
  if (config.webRoot) {
    const { webRoutes } = await import('./webRoutes.js');
    await app.register(webRoutes, { root: config.webRoot });
  }
  return app;
}
