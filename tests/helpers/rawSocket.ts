import { onTestFinished } from 'vitest';
import WebSocket from 'ws';

export interface RawSocket {
  ws: WebSocket;
  /** Every binary frame received so far, in order. */
  frames: Uint8Array[];
  /** Resolves with the close code and reason, whoever closed. */
  closed: Promise<{ code: number; reason: string }>;
  send(frame: Uint8Array | string): void;
}

/**
 * A bare `ws` socket for sending frames a stock client never would. Resolves once open;
 * terminated when the test finishes.
 */
export async function openRawSocket(url: string, headers: Record<string, string> = {}): Promise<RawSocket> {
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
