import websocket from '@fastify/websocket';
import type { FastifyInstance } from 'fastify';
import { CloseCode } from '../../shared/closeCodes.js';
import { isValidDocId } from '../../shared/docId.js';
import { ACK_QUERY_PARAM, COLLAB_PATH } from '../../shared/protocol.js';
import { Connection } from './connection.js';
import type { RoomRegistry } from './roomRegistry.js';

export interface CollabRouteOptions {
  registry: RoomRegistry;
  maxFrameBytes: number;
  maxBufferedFrames: number;
}

/**
 * `GET /collab/:docId` — the y-websocket endpoint. The upgrade is always accepted and a bad request
 * is then closed with a named code, so a browser can show why (a refused upgrade is an opaque 1006).
 */
export async function collabRoute(app: FastifyInstance, options: CollabRouteOptions): Promise<void> {
  const { registry } = options;
  await app.register(websocket, {
    options: { maxPayload: options.maxFrameBytes },
    // Shutdown is the registry's job (1012 after a final commit); see app.ts.
    preClose: (done) => done(),
    errorHandler: (error, socket, request) => {
      // ws reports protocol violations here (e.g. a frame over maxPayload, already closed with 1009).
      request.log.warn({ err: error, url: request.url }, 'websocket error');
      socket.terminate();
    },
  });

  app.get<{ Params: { docId: string }; Querystring: Record<string, string | undefined> }>(
    `${COLLAB_PATH}/:docId`,
    { websocket: true },
    (socket, request) => {
      const { docId } = request.params;
      if (!isValidDocId(docId)) {
        request.log.warn({ docId: String(docId).slice(0, 80) }, 'refused websocket: invalid document id');
        socket.close(CloseCode.policy, 'invalid document id');
        return;
      }
      const ack = request.query[ACK_QUERY_PARAM];
      const connection = new Connection(
        socket,
        docId,
        ack === '1' || ack === 'true',
        request.log,
        options.maxBufferedFrames,
      );
      // Attached before anything is awaited: @fastify/websocket drops frames that arrive earlier.
      socket.on('message', (data, isBinary) => connection.onMessage(data, isBinary));
      socket.on('close', () => connection.onSocketClosed());
      void registry.connect(connection);
    },
  );
}
