import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Detaches the ServerResponse @fastify/websocket assigned to an upgraded TCP socket (Node's
 * `_httpMessage`, the only reference from the socket to it): after the handshake nothing is ever
 * written through it, and while attached it holds the request, Fastify's reply and their listeners.
 */
export function releaseUpgradeResponse(tcp: Socket): void {
  const response = (tcp as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (response) response.detachSocket(tcp);
}
