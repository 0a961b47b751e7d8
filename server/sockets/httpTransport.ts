import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CloseCode } from '../../shared/closeCodes.js';
import {
  closeStatus,
  decodeClientFrames,
  HTTP_TRANSPORT_SEGMENT,
  LAST_EVENT_ID_PARAM,
  POLL_PARAM,
  SEQ_PARAM,
  SESSION_EXPIRY_MS,
  STREAM_COMMENT_INTERVAL_MS,
  type TransportClosed,
  type TransportOpened,
} from '../../shared/httpTransport.js';
import { originAllowed } from '../auth/origin.js';
import type { Metrics } from '../metrics.js';
import type { SocketGuards, UpgradeRefusal } from './guards.js';
import { HttpSession } from './httpSession.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The request opens a connection: the access journal's mark is taken first (see peoplePlugin). */
    opensConnection?: boolean;
  }
}

export interface HttpTransportOptions {
  /** The endpoint's route path, e.g. `/collab/:docId` or `/live`. */
  path: string;
  guards: SocketGuards;
  /** What a refused open is told, by refusal (the WebSocket's own sentences). */
  refusals: Record<UpgradeRefusal['error'], string>;
  /** Largest client frame (larger: 1009, as ws closes). */
  maxFrameBytes: number;
  metrics: Metrics;
  /** Runs before a session is opened, like the WebSocket route's hooks before the upgrade (resolving access). */
  prepare?(request: FastifyRequest): Promise<void>;
  /**
   * Takes a new session as a socket of the endpoint, exactly as the WebSocket handler takes a socket:
   * it may close it at once (a refusal), which the open then answers with the close's status.
   */
  accept(session: HttpSession, request: FastifyRequest): void;
  /** Whether the app is shutting down (new sessions are refused with 1012). */
  closing?(): boolean;
}

/** The path parameters that scope a session (a document's sessions are not another's). */
function scopeOf(request: FastifyRequest): string {
  const { session: _session, ...scope } = (request.params ?? {}) as Record<string, string>;
  return JSON.stringify(scope);
}

/** Who makes a request: its session cookie's hash, or null for a visitor. */
function ownerOf(request: FastifyRequest): string | null {
  return request.auth?.session.tokenHash ?? null;
}

/**
 * Registers the HTTP transport of one WebSocket endpoint (routes under `${path}/http`, see
 * shared/httpTransport.ts) and owns its sessions: a timer writes a comment line to every open
 * stream every STREAM_COMMENT_INTERVAL_MS, drops sessions whose client has been gone for
 * SESSION_EXPIRY_MS, and forgets closed ones after as long; at shutdown (preClose, after the
 * endpoint closed its connections) streams and polls are ended.
 *
 * Opening goes through the same guards as the upgrade (Origin 403, per-address 429) and the
 * endpoint's own accept; every later request must come from the owner (the same session cookie, or
 * none for a visitor's) and scope, else it is answered 404 as an unknown session. POSTs and DELETEs
 * from a foreign Origin are refused by the auth hook (403) like any state-changing request; a
 * stream (GET) from a foreign Origin, or one a browser marks cross-site, gets 403 here.
 */
export function registerHttpTransport(app: FastifyInstance, options: HttpTransportOptions): void {
  const sessions = new Map<string, HttpSession>();
  const base = `${options.path}/${HTTP_TRANSPORT_SEGMENT}`;
  const { metrics } = options;

  const timer = setInterval(() => {
    const now = Date.now();
    for (const session of sessions.values()) {
      if (session.closedWith !== null) {
        if (now - session.closedAt > SESSION_EXPIRY_MS) sessions.delete(session.id);
        continue;
      }
      session.keepAlive();
      if (!session.attached && now - session.lastSeenAt > SESSION_EXPIRY_MS) session.terminate();
    }
  }, STREAM_COMMENT_INTERVAL_MS);
  timer.unref();
  app.addHook('preClose', async () => {
    clearInterval(timer);
    for (const session of sessions.values()) {
      session.close(CloseCode.restarting, 'the server is restarting');
      session.detach();
    }
  });

  function refuse(request: FastifyRequest, reply: FastifyReply, status: number, body: TransportClosed): FastifyReply {
    request.log.warn({ status, error: body.error, code: body.code }, `refused http transport request: ${body.message}`);
    return reply.code(status).send(body);
  }

  function answerClosed(request: FastifyRequest, reply: FastifyReply, session: HttpSession): FastifyReply {
    const { code, reason } = session.closedWith ?? { code: 1006, reason: '' };
    return reply.code(closeStatus(code)).send({ error: 'connection_closed', message: reason || 'This connection is closed.', code, reason } satisfies TransportClosed);
  }

  /** The session a request names, if it is the requester's; else the request is answered 404. */
  function sessionFor(request: FastifyRequest, reply: FastifyReply): HttpSession | null {
    const id = (request.params as { session?: string }).session ?? '';
    const session = sessions.get(id);
    if (session && session.owner === ownerOf(request) && session.scope === scopeOf(request)) {
      session.lastSeenAt = Date.now();
      return session;
    }
    if (session) request.log.warn({ session: id.slice(0, 8) }, 'refused a request for a session opened by someone else');
    metrics.upgradesRefused.inc({ reason: 'unknown_session' });
    // Not this process's (another process of a cluster opened it, or this one restarted), expired, or
    // someone else's: the client opens a new session at once, whose sync resends what the server lacks.
    refuse(request, reply, 404, { error: 'session_unknown', message: 'There is no such connection; open a new one.', code: CloseCode.sessionUnknown, reason: 'unknown session' });
    return null;
  }

  app.post(base, { config: { opensConnection: true } }, async (request, reply) => {
    const refused = options.guards.refusal(request);
    if (refused) {
      metrics.upgradesRefused.inc({ reason: refused.error });
      return refuse(request, reply, refused.status, { error: refused.error, message: options.refusals[refused.error], code: 1006, reason: '' });
    }
    if (options.closing?.()) return refuse(request, reply, 503, { error: 'connection_closed', message: 'the server is restarting', code: CloseCode.restarting, reason: 'the server is restarting' });
    await options.prepare?.(request);
    const session = new HttpSession(randomBytes(16).toString('base64url'), ownerOf(request), scopeOf(request));
    sessions.set(session.id, session);
    options.accept(session, request);
    if (session.closedWith !== null) return answerClosed(request, reply, session);
    return reply.code(201).send({ session: session.id } satisfies TransportOpened);
  });

  app.get(`${base}/:session`, async (request, reply) => {
    const { origin } = request.headers;
    const site = request.headers['sec-fetch-site'];
    if (!originAllowed(origin, request.headers.host, options.guards.allowedOrigins) || (site !== undefined && site !== 'same-origin' && site !== 'none' && origin === undefined)) {
      metrics.upgradesRefused.inc({ reason: 'origin_not_allowed' });
      return refuse(request, reply, 403, { error: 'origin_not_allowed', message: options.refusals.origin_not_allowed, code: 1006, reason: '' });
    }
    const session = sessionFor(request, reply);
    if (!session) return reply;
    const query = request.query as Record<string, string | undefined>;
    const header = request.headers['last-event-id'];
    const lastEventId = Number(query[LAST_EVENT_ID_PARAM] ?? (typeof header === 'string' ? header : '0'));
    if (!Number.isSafeInteger(lastEventId) || lastEventId < 0 || !session.mayResumeAfter(lastEventId)) {
      return refuse(request, reply, 400, { error: 'connection_closed', message: 'lastEventId is not an event id', code: CloseCode.badMessage, reason: 'bad event id' });
    }
    const streamHeaders = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' };
    if (query[POLL_PARAM] === '1') {
      // The response's 'close' (not the request's, which closes once its body is read): the client left.
      const closeListener = () => session.abandonPoll();
      const result = session.nextPoll(lastEventId);
      reply.raw.on('close', closeListener);
      const resumed = await result
      reply.raw.off('close', closeListener);
      if ('gap' in resumed) return resumeGap(request, reply, session);
      if (resumed.items.length === 0 && session.closedWith !== null) return answerClosed(request, reply, session);
      return reply.code(200).headers(streamHeaders).send(resumed.items.join(''));
    }
    reply.hijack();
    const response = reply.raw;
    response.writeHead(200, { ...(reply.getHeaders() as Record<string, string>), ...streamHeaders });
    // At once, so a client can tell a stream that flows from one a proxy holds back.
    response.write(': open\n\n');
    if (!session.attachStream(response, lastEventId)) {
      response.end(resumeGapEvent());
      resumeGap(request, null, session);
    }
    return reply;
  });

  /** The client asks for events no longer kept: it cannot resume, the session closes (4508). */
  function resumeGap(request: FastifyRequest, reply: FastifyReply | null, session: HttpSession): FastifyReply | void {
    request.log.warn({ code: CloseCode.slowReader }, 'a client asked to resume after events no longer kept');
    metrics.framesRefused.inc({ reason: 'slowReader' });
    session.terminate();
    if (reply) return refuse(request, reply, closeStatus(CloseCode.slowReader), { error: 'connection_closed', message: 'fell too far behind to resume', code: CloseCode.slowReader, reason: 'fell too far behind to resume' });
  }

  app.register(async function frames(scope) {
    // Frames arrive as bytes; a POST's frames may together reach a frame's limit, plus their headers.
    scope.addContentTypeParser('application/octet-stream', { parseAs: 'buffer', bodyLimit: options.maxFrameBytes + 1024 * 1024 }, (_request, body, done) => done(null, body));
    // A body past that limit is not read (Fastify answers 413 before the handler): the frame in it is
    // over the limit, so the session closes with 1009 as a WebSocket would, rather than the client
    // seeing an unexplained 413 and the session lingering until it expires.
    scope.setErrorHandler(async (error, request, reply) => {
      if ((error as { code?: unknown }).code !== 'FST_ERR_CTP_BODY_TOO_LARGE') throw error;
      const session = sessionFor(request, reply);
      if (!session) return reply;
      session.refuseTooBig();
      return answerClosed(request, reply, session);
    });
    scope.post(`${base}/:session`, async (request, reply) => {
      const session = sessionFor(request, reply);
      if (!session) return reply;
      if (session.closedWith !== null) return answerClosed(request, reply, session);
      const seq = Number((request.query as Record<string, string | undefined>)[SEQ_PARAM] ?? '');
      const frames = Buffer.isBuffer(request.body) ? decodeClientFrames(request.body) : null;
      if (!Number.isSafeInteger(seq) || seq < 0 || frames === null) {
        request.log.warn({ code: CloseCode.badMessage }, 'refused a malformed frames body');
        metrics.framesRefused.inc({ reason: 'badMessage' });
        session.close(CloseCode.badMessage, 'malformed frames body');
        return answerClosed(request, reply, session);
      }
      session.receive(seq, frames, options.maxFrameBytes);
      const committed = await session.whenCommitted();
      if (session.closedWith !== null) return answerClosed(request, reply, session);
      return reply.code(committed ? 200 : 202).send();
    });
    scope.delete(`${base}/:session`, async (request, reply) => {
      const session = sessionFor(request, reply);
      if (!session) return reply;
      const query = request.query as Record<string, string | undefined>;
      const code = Number(query.code ?? CloseCode.normal);
      const reason = (query.reason ?? '').slice(0, 123);
      // The client's close, as a WebSocket's close frame reaches ws: the connection sees 'close'.
      session.close(Number.isInteger(code) && (code === 1000 || (code >= 3000 && code < 5000)) ? code : CloseCode.normal, reason);
      return reply.code(204).send();
    });
  });
}

/** The final event a stream gets when it asked for events no longer kept. */
function resumeGapEvent(): string {
  return `event: close\ndata: ${JSON.stringify({ code: CloseCode.slowReader, reason: 'fell too far behind to resume' })}\n\n`;
}
