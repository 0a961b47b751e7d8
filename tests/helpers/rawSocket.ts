import { onTestFinished } from 'vitest';
import WebSocket from 'ws';
import { HttpSocket } from '../../web/src/sync/httpSocket.js';
import type { Transport } from './clients.js';

export interface RawSocket {
  /** The socket: ws's WebSocket, or for the HTTP transport an HttpSocket (close, readyState; terminate closes). */
  ws: WebSocket;
  /** Every binary frame received so far, in order. */
  frames: Uint8Array[];
  /** Resolves with the close code and reason, whoever closed. */
  closed: Promise<{ code: number; reason: string }>;
  send(frame: Uint8Array | string): void;
}

/**
 * A bare socket for sending frames a stock client never would: a `ws` WebSocket, or the same over
 * the HTTP transport (`transport` 'http' streams, 'longpoll' polls). Resolves once open (or closed);
 * closed when the test finishes.
 */
export async function openRawSocket(url: string, headers: Record<string, string> = {}, transport: Transport = 'websocket'): Promise<RawSocket> {
  if (transport !== 'websocket') return openRawHttpSocket(url, headers, transport === 'longpoll');
  const ws = new WebSocket(url, { headers });
  const frames: Uint8Array[] = [];
  ws.on('message', (data, isBinary) => {
    if (isBinary) frames.push(new Uint8Array(data as Buffer));
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
  });
  ws.on('error', () => {});
  onTestFinished(() => ws.terminate());
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('close', () => resolve());
  });
  return { ws, frames, closed, send: (frame) => ws.send(frame) };
}

async function openRawHttpSocket(url: string, headers: Record<string, string>, longPoll: boolean): Promise<RawSocket> {
  const Socket = HttpSocket.withOptions({ headers, longPoll });
  const socket = new Socket(url);
  socket.binaryType = 'arraybuffer';
  const frames: Uint8Array[] = [];
  socket.onmessage = (event) => {
    if (typeof event.data !== 'string') frames.push(new Uint8Array(event.data));
  };
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    socket.addEventListener('close', ((event: { code: number; reason: string }) => resolve({ code: event.code, reason: event.reason })) as never);
  });
  onTestFinished(() => socket.close());
  await new Promise<void>((resolve) => {
    socket.onopen = () => resolve();
    void closed.then(() => resolve());
  });
  const ws = Object.assign(socket, { terminate: () => socket.close() }) as unknown as WebSocket;
  return { ws, frames, closed, send: (frame) => socket.send(frame) };
}
