import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import websocket from '@fastify/websocket';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { WebsocketConfig } from '../config.js';

/** ws's default allows 16,384 fragments per message; nothing legitimate needs more than a few. */
const MAX_FRAGMENTS = 1024;

/** What an upgrade request arrived with: its socket and the bytes read past its headers. */
export interface UpgradeRequest {
  socket: Duplex;
  head: Buffer;
}

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * The socket and first bytes of an upgrade request, for an endpoint that completes the handshake
     * with a ws server of its own (/live: its own frame limit). Taken once; an upgrade that did not
     * come through this server's 'upgrade' event (none in practice) gets the request's socket.
     */
    upgradeOf(request: FastifyRequest): UpgradeRequest;
  }
}

/**
 * The frame limit of the sockets @fastify/websocket upgrades (/collab's MAX_FRAME_BYTES), and
 * compression: messages from COMPRESS_ABOVE_BYTES on are compressed (0: not negotiated at all).
 */
export type WebsocketPluginOptions = WebsocketConfig;

/**
 * ws's permessage-deflate settings: only messages of at least `threshold` bytes are compressed (a big
 * document's segments, large pastes), never keystrokes or cursors; no context is kept between
 * messages (a socket holds no zlib window while idle, and ws's zlib memory fragmentation stays
 * small); at most `concurrencyLimit` zlib operations run at once, for every socket together.
 * Level 1: on text-heavy Yjs updates it gets most of what level 6 does, at a fraction of the CPU.
 */
export function deflateOptions(options: WebsocketPluginOptions): false | Record<string, unknown> {
  if (options.compressAboveBytes === 0) return false;
  return {
    threshold: options.compressAboveBytes,
    concurrencyLimit: options.compressionConcurrency,
    serverNoContextTakeover: true,
    clientNoContextTakeover: true,
    zlibDeflateOptions: { level: 1, memLevel: 8 },
  };
}

/**
 * The one registration of @fastify/websocket. Its 'upgrade' listener dispatches every upgrade
 * request through Fastify's router, so the root hooks (host check, authentication, the access
 * journal's mark) run for it like for any request; its route hooks cover the scope this plugin is
 * registered in, which holds only the WebSocket endpoints (see app.ts): an upgrade request to an
 * ordinary route elsewhere gets that route's ordinary answer.
 *
 * /collab upgrades with @fastify/websocket's ws server (limits below). /live needs another frame
 * limit, and ws takes one per server, so it completes the handshake with a ws server of its own from
 * `app.upgradeOf(request)`, recorded here from Node's public 'upgrade' event (before
 * @fastify/websocket's listener, which dispatches synchronously).
 *
 * Nothing to release on close: the registry closes /collab sockets (1012, after the final commit),
 * /live its own; @fastify/websocket's preClose is therefore a no-op.
 */
async function websocketPlugin(app: FastifyInstance, options: WebsocketPluginOptions): Promise<void> {
  const heads = new WeakMap<IncomingMessage, Buffer>();
  const record = (request: IncomingMessage, _socket: Duplex, head: Buffer) => {
    heads.set(request, head);
  };
  app.server.prependListener('upgrade', record);
  app.addHook('onClose', async () => {
    app.server.removeListener('upgrade', record);
  });
  app.decorate('upgradeOf', (request: FastifyRequest): UpgradeRequest => {
    const head = heads.get(request.raw) ?? Buffer.alloc(0);
    heads.delete(request.raw);
    return { socket: request.raw.socket, head };
  });

  await app.register(websocket, {
    // No client tracking: /collab holds every accepted socket itself (heartbeats), the registry
    // closes them at shutdown, and ws's own Set would give each socket one more 'close' closure.
    options: {
      maxPayload: options.maxFrameBytes,
      maxFragments: MAX_FRAGMENTS,
      clientTracking: false,
      perMessageDeflate: deflateOptions(options),
    } as Record<string, unknown>,
    preClose: (done) => done(),
    errorHandler: (error, socket, request) => {
      // ws reports protocol violations here (e.g. a frame over maxPayload, already closed with 1009).
      request.log.warn({ err: error, url: request.url }, 'websocket error');
      app.metrics.framesRefused.inc({ reason: (error as { code?: string }).code ?? 'websocketError' });
      socket.terminate();
    },
  });
}

export default fp(websocketPlugin, { name: 'tandem-websocket', fastify: '5.x', dependencies: ['tandem-metrics'] });
