import type { IncomingMessage } from 'node:http';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { WebSocketServer } from 'ws';
import { CloseCode } from '../../shared/closeCodes.js';
import { DEFAULT_GUEST_NAME } from '../../shared/comments.js';
import { isValidDocId } from '../../shared/docId.js';
import { LIVE_GUEST_DOC_PARAM, LIVE_PATH, type LiveClientMessage, MAX_LIVE_FRAME_BYTES, parseLiveClientMessage } from '../../shared/live.js';
import { sendApiError } from '../api/apiError.js';
import type { Authenticated } from '../auth/sessions.js';
import { isRefusal } from '../chat/chatService.js';
import type { LiveConfig, SocketGuardConfig } from '../config.js';
import { releaseUpgradeResponse, SocketGuards, type UpgradeRefusal } from '../sockets/guards.js';
import { guestIdOfRequest } from '../comments/guestIdentity.js';
import { admitGuest } from './guestLive.js';
import { LiveConnection } from './liveConnection.js';
import type { ClientSocket } from '../sockets/clientSocket.js';
import { registerHttpTransport } from '../sockets/httpTransport.js';

/** Frames one /live socket may send per second, and the burst above that (then 4429). */
export const LIVE_FRAMES_PER_SECOND = 20;
export const LIVE_FRAME_BURST = 100;
/** On shutdown, sockets get this long to answer the close (1012) before they are cut. */
const SHUTDOWN_GRACE_MS = 1_000;

export interface LiveRouteOptions {
  config: SocketGuardConfig & Pick<LiveConfig, 'maxSendBufferBytes'>;
}

/** What a refused upgrade is told, by refusal. */
const REFUSALS: Record<UpgradeRefusal['error'], string> = {
  origin_not_allowed: 'pages from this origin may not connect here',
  too_many_connections: 'too many new connections from this address; retry shortly',
};

/**
 * `GET /live` — the per-user JSON socket (shared/live.ts). Before the upgrade: the socket guards
 * (Origin, else 403; new connections per client IP, else 429). After it, a request without a
 * session is closed with 4401 (a refused upgrade is an opaque 1006 to a browser) — unless it names
 * a document (`?doc=<id>`, shared/live.ts): then it is a guest's socket following that document's
 * comments, admitted where the link admits visitors (else closed with 4401, 4404 or 4410). Frames over
 * MAX_LIVE_FRAME_BYTES close with 1009 (ws), binary ones with 1003, malformed ones with 4400, too
 * many with 4429. Every socket is pinged; a silent one is dropped. On shutdown (preClose) every
 * socket is closed with 1012 and given a second to answer.
 *
 * Registered beside /collab in the scope of the one @fastify/websocket registration (its 'upgrade'
 * listener brings the request here through the router, with the root hooks run). The handshake is
 * completed here, in preHandler (so @fastify/websocket's own handler never runs for /live), with a
 * ws server of its own: ws takes one frame limit per server, and /live's is far below /collab's.
 */
async function liveRoute(app: FastifyInstance, { config }: LiveRouteOptions): Promise<void> {
  const { hub, chat } = app.live;
  const { journal, sessions, access } = app.people;
  const accounts = app.accountStore;
  const wss = new WebSocketServer({ noServer: true, clientTracking: false, maxPayload: MAX_LIVE_FRAME_BYTES });
  const guards = new SocketGuards(config);
  const limits = {
    framesPerSecond: LIVE_FRAMES_PER_SECOND,
    frameBurst: LIVE_FRAME_BURST,
    maxSendBufferBytes: config.maxSendBufferBytes,
  };

  const stopHeartbeat = guards.startHeartbeat(app, (timeoutMs) => {
    for (const connection of hub.connections()) connection.heartbeat(timeoutMs);
    chat.sweep();
  });

  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
    stopHeartbeat();
    hub.closeAll(CloseCode.restarting, 'the server is restarting');
    const deadline = Date.now() + SHUTDOWN_GRACE_MS;
    while (hub.connectionCount > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    for (const connection of hub.connections()) connection.terminate('it did not answer the shutdown close in time');
  });
  app.addHook('onClose', async () => {
    wss.close();
  });

  function refuse(request: FastifyRequest, reply: FastifyReply, status: number, error: string, message: string) {
    request.log.warn({ status, error, origin: request.headers.origin }, `refused live upgrade: ${message}`);
    return sendApiError(reply, status, error, message);
  }

  // A refused upgrade request answered over HTTP has its socket closed by the app (see app.ts).

  app.get(LIVE_PATH, {
    websocket: true,
    preHandler: async (request, reply) => {
      if (!isUpgrade(request.raw)) return sendApiError(reply, 426, 'upgrade_required', `${LIVE_PATH} is a WebSocket.`);
      const refused = guards.refusal(request);
      if (refused) return refuse(request, reply, refused.status, refused.error, REFUSALS[refused.error]);
      reply.hijack();
      upgrade(request);
      return reply;
    },
  }, () => {
    // Never reached: preHandler answers every request (see above).
  });

  /**
   * Completes the handshake. Nothing that outlives it refers to `request` (a closure made here would
   * keep Fastify's request, and Node's, alive as long as the socket), only to what is taken from it.
   */
  function upgrade(request: FastifyRequest): void {
    const opening = openingOf(request);
    const tcp = request.raw.socket;
    const { socket: upgradeSocket, head } = app.upgradeOf(request);
    wss.handleUpgrade(request.raw, upgradeSocket, head, (socket) => {
      socket.on('error', () => {});
      releaseUpgradeResponse(tcp);
      admit(socket, opening);
    });
  }

  /** A socket just opened (upgraded, or an HTTP transport session): refused with a close, or accepted. */
  function admit(socket: ClientSocket, { auth, stale, requestLog, accessMark, guestDoc, guestId }: Opening): void {
    if (closing) {
      socket.close(CloseCode.restarting, 'the server is restarting');
      return;
    }
    if (auth === null && guestDoc !== null) {
      acceptGuest(socket, requestLog, guestDoc, guestId, accessMark);
      return;
    }
    if (auth === null) {
      const reason = stale ? 'your session has ended; sign in again' : 'sign in to connect';
      requestLog.warn({ code: CloseCode.unauthenticated, stale }, `refused live websocket: ${reason}`);
      socket.close(CloseCode.unauthenticated, reason);
      return;
    }
    // Signed out or revoked while this request was on its way: the hub was not there to close it.
    const opening = { docId: null, userId: auth.user.id, sessionHash: auth.session.tokenHash };
    if (journal.changedSince(accessMark, opening) === 'sessionEnded') {
      requestLog.warn({ code: CloseCode.unauthenticated }, 'refused live websocket: the session ended while connecting');
      socket.close(CloseCode.unauthenticated, 'your session has ended; sign in again');
      return;
    }
    accept(socket, requestLog, auth);
  }

  // The same endpoint over HTTP, where a proxy refuses WebSocket upgrades (shared/httpTransport.ts).
  registerHttpTransport(app, {
    path: LIVE_PATH,
    guards,
    refusals: REFUSALS,
    maxFrameBytes: MAX_LIVE_FRAME_BYTES,
    metrics: app.metrics,
    accept: (session, request) => admit(session, openingOf(request)),
    closing: () => closing,
  });

  function accept(socket: ClientSocket, requestLog: FastifyBaseLogger, auth: Authenticated): void {
    const log = requestLog.child({ userId: auth.user.id });
    const connection = new LiveConnection(socket, auth.user, auth.session.tokenHash, log, limits);
    listenTo(connection, socket, log, () => sessions.closed(auth.session));
    log.info('live websocket opened');
    hub.add(connection);
    sessions.opened(auth.session);
  }

  /**
   * A guest's socket on `docId`: listeners first (nothing is lost while access is resolved), then
   * admitted, or closed as /collab closes a visitor it does not admit. The hello names the guest by
   * the guest cookie (id '' when the browser has none yet) and the name it last gave.
   */
  function acceptGuest(socket: ClientSocket, requestLog: FastifyBaseLogger, docId: string, guestId: string | null, accessMark: number): void {
    const log = requestLog.child({ docId, guest: true });
    const user = { id: guestId ?? '', name: DEFAULT_GUEST_NAME, guest: true };
    const connection = new LiveConnection(socket, null, '', log, limits, { user, docId });
    listenTo(connection, socket, log, () => {});
    void admitGuest({ access, accounts, journal, hub }, connection, log, accessMark);
  }

  /** Attaches the socket's listeners (before anything is awaited: frames arriving earlier would be lost). */
  function listenTo(connection: LiveConnection, socket: ClientSocket, log: FastifyBaseLogger, onClose: () => void): void {
    socket.on('message', (data, isBinary) => onFrame(connection, data, isBinary));
    socket.on('pong', () => {
      connection.lastSeenAt = Date.now();
    });
    socket.on('error', (error) => {
      // ws has closed the socket already (e.g. 1009 for a frame over maxPayload).
      log.warn({ code: (error as { code?: string }).code, error: error.message }, 'live websocket error');
    });
    socket.on('close', (code) => {
      log.debug({ code }, 'live websocket closed');
      hub.remove(connection);
      onClose();
    });
  }

  function onFrame(connection: LiveConnection, data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): void {
    if (connection.isClosed) return;
    connection.lastSeenAt = Date.now();
    if (isBinary) {
      connection.log.warn({ code: CloseCode.unsupportedData }, 'refused a binary live frame');
      connection.close(CloseCode.unsupportedData, 'live frames are JSON text');
      return;
    }
    if (!connection.frames.take()) {
      connection.log.warn({ code: CloseCode.rateLimited }, 'refused live frames over the rate limit');
      connection.close(CloseCode.rateLimited, 'too many messages too fast');
      return;
    }
    const text = Buffer.isBuffer(data) ? data.toString('utf8') : Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data).toString('utf8');
    const message = parseLiveClientMessage(text);
    if (message === null) {
      connection.log.warn({ code: CloseCode.badMessage, bytes: text.length }, 'refused a malformed live frame');
      connection.close(CloseCode.badMessage, 'malformed message');
      return;
    }
    // One after another, so that a window's messages are stored in the order it sent them.
    connection.work = connection.work.then(() =>
      handle(connection, message).catch((error: unknown) => {
        connection.log.error({ err: error, type: message.type }, 'live frame failed');
        if (message.type === 'send') {
          connection.send({ type: 'refused', nonce: message.nonce, error: 'server_error', message: 'The server could not store this message; try again.' });
        }
      }),
    );
  }

  async function handle(connection: LiveConnection, message: LiveClientMessage): Promise<void> {
    if (connection.isClosed) return;
    if (connection.user === null) {
      // A guest's socket carries no chat.
      if (message.type === 'send') connection.send({ type: 'refused', nonce: message.nonce, error: 'sign_in_required', message: 'Sign in to chat.' });
      return;
    }
    // The session may have expired while the socket stayed open (revocation closes it at once).
    const session = await accounts.findSession(connection.sessionHash);
    if (session === null || session.expiresAt <= Date.now()) {
      connection.close(CloseCode.unauthenticated, 'your session has ended; sign in again');
      return;
    }
    if (message.type === 'send') {
      const result = await chat.post(connection.user, message.conversationId, message.text);
      if (isRefusal(result)) {
        connection.log.info({ error: result.error, conversationId: message.conversationId }, 'chat message refused');
        connection.send({ type: 'refused', nonce: message.nonce, error: result.error, message: result.message });
      } else {
        connection.send({ type: 'sent', nonce: message.nonce, message: result });
      }
      return;
    }
    const result = await chat.markRead(connection.user, message.conversationId, message.messageId);
    if (isRefusal(result)) connection.log.debug({ error: result.error, conversationId: message.conversationId }, 'read mark refused');
  }
}

/** What admitting a socket takes from the request that opened it. */
interface Opening {
  auth: Authenticated | null;
  stale: boolean;
  requestLog: FastifyBaseLogger;
  accessMark: number;
  /** `?doc=` of a guest's socket (a valid document id), else null. */
  guestDoc: string | null;
  /** The guest cookie's guest id, or null. */
  guestId: string | null;
}

function openingOf(request: FastifyRequest): Opening {
  const doc = (request.query as Record<string, unknown> | undefined)?.[LIVE_GUEST_DOC_PARAM];
  return {
    auth: request.auth,
    stale: request.sessionStale,
    requestLog: request.log,
    accessMark: request.accessMark,
    guestDoc: isValidDocId(doc) ? doc : null,
    guestId: guestIdOfRequest(request),
  };
}

function isUpgrade(raw: IncomingMessage): boolean {
  return raw.headers.upgrade?.toLowerCase() === 'websocket';
}

export default fp(liveRoute, {
  name: 'tandem-live-route',
  fastify: '5.x',
  encapsulate: true,
  dependencies: ['tandem-websocket', 'tandem-storage', 'tandem-people', 'tandem-live'],
});
