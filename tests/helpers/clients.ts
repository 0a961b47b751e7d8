import { onTestFinished } from 'vitest';
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { ACK_QUERY_PARAM, MessageType } from '../../shared/protocol.js';
import { waitFor } from './waitFor.js';
import { HttpSocket, type HttpSocketOptions } from '../../web/src/sync/httpSocket.js';

/** How a test client reaches the server: a WebSocket, or the HTTP transport (streaming, or long-polling). */
export type Transport = 'websocket' | 'http' | 'longpoll';
export const TRANSPORTS: readonly Transport[] = ['websocket', 'http', 'longpoll'];

/** The socket class a client of `transport` uses, sending `headers` (a cookie, an Origin) with each request. */
export function socketClass(transport: Transport, headers: Record<string, string> = {}, options: HttpSocketOptions = {}): typeof globalThis.WebSocket {
  if (transport === 'websocket') return (Object.keys(headers).length > 0 ? withHeaders(headers) : WebSocket) as unknown as typeof globalThis.WebSocket;
  return HttpSocket.withOptions({ headers, longPoll: transport === 'longpoll', ...options }) as unknown as typeof globalThis.WebSocket;
}

export interface TestClient {
  doc: Y.Doc;
  provider: WebsocketProvider;
  destroy(): void;
}

/**
 * A real y-websocket client (WebsocketProvider over `ws`), as a stock Yjs app would connect.
 * Destroyed when the test finishes.
 */
export function connectClient(
  collabUrl: string,
  docId: string,
  options: { params?: Record<string, string>; doc?: Y.Doc; connect?: boolean; cookie?: string; transport?: Transport; httpOptions?: HttpSocketOptions; WebSocketClass?: typeof WebSocket } = {},
): TestClient {
  const doc = options.doc ?? new Y.Doc();
  const provider = new WebsocketProvider(collabUrl, docId, doc, {
    WebSocketPolyfill: (options.WebSocketClass as unknown as typeof globalThis.WebSocket | undefined) ?? socketClass(options.transport ?? 'websocket', options.cookie ? { cookie: options.cookie } : {}, options.httpOptions),
    params: options.params ?? {},
    disableBc: true,
    connect: options.connect ?? true,
    maxBackoffTime: 300,
  });
  if (options.params?.[ACK_QUERY_PARAM]) {
    // A client that asked for our own messages gets them; tests read them off the socket, and the
    // stock provider, which knows no handler for them, would log "Unable to compute message".
    for (const type of [MessageType.saved, MessageType.storageStatus, MessageType.access]) provider.messageHandlers[type] = () => {};
  }
  let destroyed = false;
  const destroy = () => {
    if (destroyed) return;
    destroyed = true;
    provider.destroy();
  };
  onTestFinished(destroy);
  return { doc, provider, destroy };
}

/** `ws`'s WebSocket sending these headers with every upgrade (e.g. a session cookie, an Origin). */
export function withHeaders(headers: Record<string, string>): typeof WebSocket {
  return class extends WebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols, { headers });
    }
  } as typeof WebSocket;
}

/** Resolves once the client has completed its first sync with the server. */
export function whenSynced(client: TestClient, label = 'client'): Promise<boolean> {
  return waitFor(() => client.provider.synced, `${label} to sync`);
}

/** The text of a client's shared Y.Text named `name`. */
export function textOf(client: TestClient, name = 'text'): string {
  return client.doc.getText(name).toString();
}
