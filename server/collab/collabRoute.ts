import websocket from '@fastify/websocket';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiError } from '../../shared/api.js';
import { CloseCode } from '../../shared/closeCodes.js';
import { isValidDocId } from '../../shared/docId.js';
import { ACK_QUERY_PARAM, COLLAB_PATH } from '../../shared/protocol.js';
import type { Metrics } from '../metrics.js';
import { Connection, type ConnectionLimits } from './connection.js';
import type { RoomRegistry } from './roomRegistry.js';
import { TokenBucket } from './tokenBucket.js';

export interface CollabRouteOptions extends ConnectionLimits {
  registry: RoomRegistry;
  metrics: Metrics;
  maxFrameBytes: number;
  connectionsPerSecondPerIp: number;
  connectionBurstPerIp: number;
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
  allowedOrigins: string[];
}

/** ws's default allows 16,384 fragments per message; nothing legitimate needs more than a few. */
const MAX_FRAGMENTS = 1024;

/**
 * `GET /collab/:docId` — the y-websocket endpoint. Before the upgrade: the Origin must be this
 * server's own or an allowed one (else 403), and the client IP within its connection rate (else
 * 429). After it, a bad request is closed with a named code, so a browser can show why (a refused
 * upgrade is an opaque 1006 to it). Every connection is pinged; a silent one is dropped.
 */
export async function collabRoute(app: FastifyInstance, options: CollabRouteOptions): Promise<void> {
  const { registry, metrics } = options;
  const connections = new Set<Connection>();
  const ipBuckets = new Map<string, TokenBucket>();

  await app.register(websocket, {
    options: { maxPayload: options.maxFrameBytes, maxFragments: MAX_FRAGMENTS } as Record<string, unknown>,
    // Shutdown is the registry's job (1012 after a final commit); see app.ts.
    preClose: (done) => done(),
    errorHandler: (error, socket, request) => {
      // ws reports protocol violations here (e.g. a frame over maxPayload, already closed with 1009).
      request.log.warn({ err: error, url: request.url }, 'websocket error');
      metrics.framesRefused.inc({ reason: (error as { code?: string }).code ?? 'websocketError' });
      socket.terminate();
    },
  });

  const heartbeat = setInterval(() => {
    for (const connection of connections) {
      if (!connection.heartbeat(options.heartbeatTimeoutMs)) connections.delete(connection);
    }
    for (const [ip, bucket] of ipBuckets) if (bucket.isFull) ipBuckets.delete(ip);
  }, options.heartbeatIntervalMs);
  heartbeat.unref();
  app.addHook('onClose', async () => clearInterval(heartbeat));

  function refuse(reply: FastifyReply, request: FastifyRequest, status: number, error: string, message: string) {
    request.log.warn({ status, error, origin: request.headers.origin }, `refused websocket upgrade: ${message}`);
    metrics.upgradesRefused.inc({ reason: error });
    const body: ApiError = { error, message };
    return reply.code(status).send(body);
  }

  app.get<{ Params: { docId: string }; Querystring: Record<string, string | undefined> }>(
    `${COLLAB_PATH}/:docId`,
    {
      websocket: true,
      preValidation: async (request, reply) => {
        if (!originAllowed(request.headers.origin, request.headers.host, options.allowedOrigins)) {
          return refuse(reply, request, 403, 'origin_not_allowed', 'pages from this origin may not open documents here');
        }
        let bucket = ipBuckets.get(request.ip);
        if (!bucket) {
          bucket = new TokenBucket(options.connectionsPerSecondPerIp, options.connectionBurstPerIp);
          ipBuckets.set(request.ip, bucket);
        }
        if (!bucket.take()) {
          return refuse(reply, request, 429, 'too_many_connections', 'too many new connections from this address; retry shortly');
        }
      },
    },
    (socket, request) => {
      const { docId } = request.params;
      if (!isValidDocId(docId)) {
        request.log.warn({ docId: String(docId).slice(0, 80), code: CloseCode.policy }, 'refused websocket: invalid document id');
        metrics.framesRefused.inc({ reason: 'policy' });
        socket.close(CloseCode.policy, 'invalid document id');
        return;
      }
      const ack = request.query[ACK_QUERY_PARAM];
      // request.log carries the request id, which names this connection on every line; the
      // connection adds the document id when it first logs.
      const connection = new Connection(socket, docId, ack === '1' || ack === 'true', request.log, metrics, options);
      connections.add(connection);
      // @fastify/websocket's own error listener keeps Fastify's request and reply (and Node's
      // request/response) alive as long as the socket; idle connections are cheaper without them.
      socket.removeAllListeners('error');
      socket.on('error', (error) => connection.onSocketError(error));
      // Attached before anything is awaited: @fastify/websocket drops frames that arrive earlier.
      socket.on('message', (data, isBinary) => connection.onMessage(data, isBinary));
      socket.on('pong', () => connection.onPong());
      socket.on('close', () => {
        connections.delete(connection);
        connection.onSocketClosed();
      });
      void registry.connect(connection);
    },
  );
}

/**
 * Whether a browser page from `origin` may connect: no Origin header (not a browser), the server's
 * own host, or an allowed origin.
 */
export function originAllowed(origin: string | undefined, host: string | undefined, allowed: readonly string[]): boolean {
  if (origin === undefined) return true;
  if (allowed.includes(origin)) return true;
  try {
    return host !== undefined && new URL(origin).host === host;
  } catch {
    return false;
  }
}
