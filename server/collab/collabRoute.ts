import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { ApiError } from '../../shared/api.js';
import { roleFromLink } from '../../shared/accounts.js';
import { CloseCode } from '../../shared/closeCodes.js';
import { isValidDocId } from '../../shared/docId.js';
import { ACK_QUERY_PARAM, COLLAB_PATH } from '../../shared/protocol.js';
import type { CollabConfig, SocketGuardConfig } from '../config.js';
import type { Metrics } from '../metrics.js';
import type { AccessResult } from '../people/docAccess.js';
import type { PeopleEvents } from '../people/peopleEvents.js';
import { releaseUpgradeResponse, SocketGuards, type UpgradeRefusal } from '../sockets/guards.js';
import { Connection } from './connection.js';
import type { ClientSocket } from '../sockets/clientSocket.js';
import { registerHttpTransport } from '../sockets/httpTransport.js';
import type { UserRecord } from '../accounts/accountStore.js';

export interface CollabRouteOptions {
  config: CollabConfig & SocketGuardConfig;
}

/** What a refused upgrade is told, by refusal. */
const REFUSALS: Record<UpgradeRefusal['error'], string> = {
  origin_not_allowed: 'pages from this origin may not open documents here',
  too_many_connections: 'too many new connections from this address; retry shortly',
};

/**
 * `GET /collab/:docId` — the y-websocket endpoint, upgraded by @fastify/websocket (its frame limits:
 * see websocketPlugin). Before the upgrade: the socket guards (Origin, else 403: cross-site
 * WebSocket hijacking, since the browser sends the session cookie with any page's upgrade; new
 * connections per client IP, else 429), and the person's access to the document is resolved from
 * the session cookie. After it, a refused request is closed with a named code (4401 sign in, 4404 no
 * access, 4406 no such document, 4410 deleted, 1008 bad id), so a browser can show why (a refused
 * upgrade is an opaque 1006 to it). Every connection is pinged; a silent one is dropped. Access
 * changes reach open connections at once (see PeopleEvents). The registry closes the sockets at
 * shutdown (1012, after the final commit; see roomsPlugin).
 */
async function collabRoute(app: FastifyInstance, { config }: CollabRouteOptions): Promise<void> {
  const { rooms: registry, metrics, docStore: store } = app;
  const { access: docAccess, journal, sessions, events, online } = app.people;
  const connections = new Set<Connection>();
  const guards = new SocketGuards(config);

  guards.startHeartbeat(app, (timeoutMs) => {
    for (const connection of connections) {
      if (!connection.heartbeat(timeoutMs)) connections.delete(connection);
    }
  });

  function refuse(reply: FastifyReply, request: FastifyRequest, status: number, error: string, message: string) {
    request.log.warn({ status, error, origin: request.headers.origin }, `refused websocket upgrade: ${message}`);
    metrics.upgradesRefused.inc({ reason: error });
    const body: ApiError = { error, message };
    return reply.code(status).send(body);
  }

  /**
   * The socket's listeners, one set for every connection (an idle connection is cheaper without four
   * closures of its own): ws calls them with the socket as `this`, which knows its connection.
   */
  const listeners = {
    message(this: ClientSocket, data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) {
      connectionOf(this).onMessage(data, isBinary);
    },
    pong(this: ClientSocket) {
      connectionOf(this).onPong();
    },
    away(this: ClientSocket) {
      connectionOf(this).onAway();
    },
    error(this: ClientSocket, error: Error) {
      connectionOf(this).onSocketError(error);
    },
    close(this: ClientSocket) {
      const connection = connectionOf(this);
      connections.delete(connection);
      connection.onSocketClosed();
      const { userId, session } = connection.viewer;
      if (userId !== null) online.disconnected(userId);
      if (session !== null) sessions.closed(session);
    },
  };
  const listen = (socket: ClientSocket, connection: Connection): void => {
    (socket as SocketWithConnection)[CONNECTION] = connection;
    socket.on('error', listeners.error);
    socket.on('message', listeners.message);
    socket.on('pong', listeners.pong);
    socket.on('away', listeners.away);
    socket.on('close', listeners.close);
  };

  /** Access resolved before the upgrade, for the handler (which must not await). */
  const resolved = new WeakMap<FastifyRequest, AccessResult | 'session_ended' | 'not_found'>();

  /**
   * Whether the document may be opened at all: it exists (open here, or stored), or OPEN_DOCUMENTS
   * lets a connection create it. Checked before access is resolved, so that opening an id nobody
   * made neither creates a document nor joins anyone to one.
   */
  async function mayOpen(docId: string): Promise<boolean> {
    return config.openDocuments || registry.peek(docId) !== undefined || (await store.describe(docId)) !== null;
  }

  /** `user`'s access to a document that may be opened, else 'not_found' (or the tombstone's 4410). */
  async function resolveAccess(docId: string, user: UserRecord | null): Promise<AccessResult | 'not_found'> {
    if (!(await mayOpen(docId))) {
      // A deleted document's content is gone too: its tombstone still answers 4410.
      const access = await docAccess.resolve(docId, user, false);
      return 'refused' in access && access.refused === 'deleted' ? access : 'not_found';
    }
    // A signed-in person the link admits joins the document here (it appears in their list).
    return docAccess.resolve(docId, user, true);
  }
  watchAccessChanges(events, connections);

  /** Before a socket is accepted (the upgrade, or an HTTP session's open): the person's access, resolved once. */
  async function prepare(request: FastifyRequest): Promise<void> {
    const { docId } = request.params as { docId: string };
    if (!isValidDocId(docId)) return;
    resolved.set(request, request.sessionStale ? 'session_ended' : await resolveAccess(docId, request.auth?.user ?? null));
  }

  /**
   * Takes a client's socket (a WebSocket just upgraded, or an HTTP transport session): refused with a
   * close, or made a Connection with its listeners attached at once. `beforeListen` runs just before
   * they are attached (the WebSocket drops listeners it no longer needs there).
   */
  function accept(socket: ClientSocket, request: FastifyRequest, beforeListen?: () => void): void {
    const { docId } = request.params as { docId: string };
    if (!isValidDocId(docId)) {
      request.log.warn({ docId: String(docId).slice(0, 80), code: CloseCode.policy }, 'refused websocket: invalid document id');
      metrics.framesRefused.inc({ reason: 'policy' });
      socket.close(CloseCode.policy, 'invalid document id');
      return;
    }
    const access = resolved.get(request) ?? { refused: 'no_access' as const };
    if (access === 'session_ended') return refuseAfterUpgrade(socket, request, metrics, access, refusalClose(access));
    if (access === 'not_found') return refuseAfterUpgrade(socket, request, metrics, access, [CloseCode.docNotFound, 'there is no document with this id']);
    if ('refused' in access) return refuseAfterUpgrade(socket, request, metrics, access.refused, refusalClose(access.refused));
    // Nothing kept for the socket's lifetime may refer to `request` (it would keep it alive).
    const ack = (request.query as Record<string, string | undefined>)[ACK_QUERY_PARAM];
    const auth = request.auth;
    const viewer = { userId: auth?.user.id ?? null, name: auth?.user.name ?? null, session: auth?.session ?? null };
    // Announced while the session and access were being resolved: this socket was not yet there to hear it.
    const changed = journal.changedSince(request.accessMark, { docId, userId: viewer.userId, sessionHash: viewer.session?.tokenHash ?? null });
    if (changed === 'sessionEnded') return refuseAfterUpgrade(socket, request, metrics, changed, refusalClose('session_ended'));
    if (changed === 'deleted') return refuseAfterUpgrade(socket, request, metrics, changed, refusalClose('deleted'));
    if (changed === 'access') return refuseAfterUpgrade(socket, request, metrics, changed, [CloseCode.tryAgain, 'your access changed while connecting; reconnect']);
    // Lines the connection logs carry the request id, which names it, and the document id.
    const connection = new Connection(socket, docId, viewer, access.role, ack === '1' || ack === 'true', app.log, request.id, metrics, config);
    connections.add(connection);
    if (viewer.userId !== null) online.connected(viewer.userId);
    if (viewer.session !== null) sessions.opened(viewer.session);
    beforeListen?.();
    // Attached before anything is awaited: @fastify/websocket drops frames that arrive earlier.
    listen(socket, connection);
    void registry.connect(connection);
  }

  app.get<{ Params: { docId: string }; Querystring: Record<string, string | undefined> }>(
    `${COLLAB_PATH}/:docId`,
    {
      websocket: true,
      preValidation: async (request, reply) => {
        const refused = guards.refusal(request);
        if (refused) return refuse(reply, request, refused.status, refused.error, REFUSALS[refused.error]);
        await prepare(request);
      },
    },
    (socket, request) =>
      accept(socket, request, () => {
        // @fastify/websocket's own error listener, and the ServerResponse it attached to the TCP socket
        // to route the upgrade, keep Fastify's request and reply (and Node's request/response) alive
        // as long as the socket; idle connections are cheaper without them.
        socket.removeAllListeners('error');
        releaseUpgradeResponse(request.raw.socket);
      }),
  );

  // The same endpoint over HTTP, where a proxy refuses WebSocket upgrades (shared/httpTransport.ts).
  registerHttpTransport(app, {
    path: `${COLLAB_PATH}/:docId`,
    guards,
    refusals: REFUSALS,
    maxFrameBytes: config.maxFrameBytes,
    metrics,
    prepare,
    accept: (session, request) => accept(session, request),
  });
}

const CONNECTION = Symbol('connection');
type SocketWithConnection = ClientSocket & { [CONNECTION]?: Connection };

/** The connection a socket's listeners were attached for (see `listen`). */
function connectionOf(socket: ClientSocket): Connection {
  return (socket as SocketWithConnection)[CONNECTION]!;
}

/** Closes an upgraded socket that may not stay, with a log line and a count. */
function refuseAfterUpgrade(socket: ClientSocket, request: FastifyRequest, metrics: Metrics, why: string, [code, reason]: [number, string]): void {
  request.log.warn({ url: request.url, code, userId: request.auth?.user.id }, `refused websocket: ${reason}`);
  metrics.upgradesRefused.inc({ reason: why });
  socket.close(code, reason);
}

/** The close code and reason for a refused connection. */
function refusalClose(refusal: AccessResult extends infer R ? (R extends { refused: infer F } ? F : never) | 'session_ended' : never): [number, string] {
  switch (refusal) {
    case 'session_ended':
      return [CloseCode.unauthenticated, 'your session has ended; sign in again'];
    case 'sign_in_required':
      return [CloseCode.unauthenticated, 'sign in to open this document'];
    case 'no_access':
      return [CloseCode.noAccess, 'no such document, or you do not have access to it'];
    case 'deleted':
      return [CloseCode.docDeleted, 'this document was deleted'];
  }
}

/** Applies access changes to open connections the moment they are committed. */
function watchAccessChanges(events: PeopleEvents, connections: Set<Connection>): void {
  const each = (filter: (connection: Connection) => boolean, act: (connection: Connection) => void) => {
    for (const connection of [...connections]) if (filter(connection)) act(connection);
  };
  events.on('sessionEnded', (session) =>
    each((c) => c.viewer.session?.tokenHash === session.tokenHash, (c) => c.close(CloseCode.unauthenticated, 'your session has ended; sign in again')),
  );
  events.on('memberChanged', (docId, userId, role) =>
    each(
      (c) => c.docId === docId && c.viewer.userId === userId,
      (c) => (role === null ? c.close(CloseCode.noAccess, 'your access to this document was removed') : c.setRole(role)),
    ),
  );
  events.on('linkAccessChanged', (docId, linkAccess) => {
    const role = roleFromLink(linkAccess);
    // Visitors hold their role through the link alone; members keep theirs.
    each(
      (c) => c.docId === docId && c.viewer.userId === null,
      (c) => (role === null ? c.close(CloseCode.unauthenticated, 'this document is no longer open to visitors; sign in') : c.setRole(role)),
    );
  });
  events.on('docDeleted', (docId) => each((c) => c.docId === docId, (c) => c.close(CloseCode.docDeleted, 'this document was deleted')));
}

export default fp(collabRoute, {
  name: 'tandem-collab-route',
  fastify: '5.x',
  encapsulate: true,
  dependencies: ['tandem-websocket', 'tandem-storage', 'tandem-metrics', 'tandem-people', 'tandem-rooms'],
});
