import net from 'node:net';
import { onTestFinished } from 'vitest';

/**
 * How a proxy treats WebSockets and streams, as corporate proxies and antivirus products do:
 * - `refuse`: answers 403 to every WebSocket upgrade; passes everything else;
 * - `drop`: lets an upgrade through, delivers the server's 101, then drops the connection;
 * - `silent`: lets an upgrade through and delivers the server's 101, then lets nothing more through
 *   either way and keeps the connection open (the WebSocket opens and never hears from the server);
 * - `buffer`: refuses upgrades (403) and holds back every response until it is complete (a stream
 *   never arrives), sending each request with `Connection: close` so that a response ends with its
 *   connection.
 */
export type ProxyMode = 'refuse' | 'drop' | 'silent' | 'buffer';

export interface HostileProxy {
  port: number;
  /** http://127.0.0.1:<port> */
  base: string;
  /** Upgrades seen so far (refused or dropped). */
  readonly upgrades: number;
  /** The path (no query) of every upgrade seen so far, e.g. `/live`. */
  readonly upgradePaths: readonly string[];
  /** From now on, forward everything as it is (WebSockets work again). */
  heal(): void;
}

/**
 * An HTTP proxy on 127.0.0.1 in front of `targetPort` that gets in the way of WebSockets (see
 * ProxyMode). Only the first request of each connection is read (browsers open a connection of its
 * own for each WebSocket). Closed when the test finishes.
 */
export async function startHostileProxy(targetPort: number, mode: ProxyMode): Promise<HostileProxy> {
  const sockets = new Set<net.Socket>();
  let upgrades = 0;
  let healed = false;
  const upgradePaths: string[] = [];
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      client.off('data', onData);
      client.pause();
      const text = head.subarray(0, end).toString('latin1');
      const isUpgrade = /^upgrade:\s*websocket/im.test(text);
      if (isUpgrade) upgradePaths.push((text.split(' ')[1] ?? '').split('?')[0]!);
      if (isUpgrade && !healed) upgrades++;
      if (healed) return pipe(client, head, false);
      if (isUpgrade && mode !== 'drop' && mode !== 'silent') {
        client.end('HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 21\r\nConnection: close\r\n\r\nWebSockets not allowed');
        return;
      }
      if (isUpgrade) return pipe(client, head, false, mode === 'silent' ? 'silent' : 'drop');
      if (mode === 'buffer') {
        const lines = text.split('\r\n').filter((line) => !/^connection:/i.test(line));
        const rewritten = [...lines, 'Connection: close'].join('\r\n');
        return pipe(client, Buffer.concat([Buffer.from(rewritten, 'latin1'), head.subarray(end)]), true);
      }
      pipe(client, head, false);
    };
    client.on('data', onData);
  });

  function pipe(client: net.Socket, first: Buffer, holdResponse: boolean, afterUpgrade: 'drop' | 'silent' | null = null): void {
    const upstream = net.connect(targetPort, '127.0.0.1');
    sockets.add(upstream);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    upstream.on('error', end).on('close', () => {
      sockets.delete(upstream);
      if (!holdResponse) end();
    });
    client.on('close', end);
    upstream.write(first);
    // Silent: what the client sends after its upgrade request goes nowhere.
    if (afterUpgrade !== 'silent') client.pipe(upstream);
    client.resume();
    if (holdResponse) {
      const held: Buffer[] = [];
      upstream.on('data', (chunk: Buffer) => held.push(chunk));
      upstream.on('end', () => client.end(Buffer.concat(held)));
      return;
    }
    if (afterUpgrade !== null) {
      let answered = false;
      upstream.on('data', (chunk: Buffer) => {
        if (answered) return;
        answered = true;
        // The 101 and nothing after it: the WebSocket opens, then its connection is gone (drop) or
        // stays open with nothing coming through (silent).
        const headEnd = chunk.indexOf('\r\n\r\n');
        client.write(headEnd >= 0 ? chunk.subarray(0, headEnd + 4) : chunk, () => {
          if (afterUpgrade === 'drop') setTimeout(end, 50);
        });
      });
      return;
    }
    upstream.pipe(client);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    base: `http://127.0.0.1:${port}`,
    get upgrades() {
      return upgrades;
    },
    upgradePaths,
    heal() {
      healed = true;
    },
  };
}

/** What carries a browser test's pages: WebSockets, or the HTTP fallback. */
export type BrowserTransport = 'websocket' | 'http';
/** The core browser cases run on both (describe.each). */
export const BROWSER_TRANSPORTS: readonly BrowserTransport[] = ['websocket', 'http'];

/**
 * The address a browser test opens the app on `port` at so that its pages connect over `transport`:
 * the server itself, or a proxy in front of it that refuses every WebSocket upgrade (403), so the
 * pages fall back to HTTP ("Connected (compatibility mode)").
 */
export async function appBaseOver(transport: BrowserTransport, port: number): Promise<string> {
  if (transport === 'websocket') return `http://127.0.0.1:${port}`;
  return (await startHostileProxy(port, 'refuse')).base;
}
