import net from 'node:net';
import { onTestFinished } from 'vitest';

export interface ThrottledProxy {
  port: number;
  /** Bytes that went from the server to clients (the downlink). */
  readonly bytesDown: number;
}

/**
 * A TCP proxy on 127.0.0.1 in front of `targetPort` whose downlink (server → client) carries at most
 * `bytesPerSecond`, in slices every 20 ms; the server's socket is paused while more than a second's
 * worth waits, so the server sees a slow client as it would on a slow link. The uplink is not
 * throttled. Closed when the test finishes.
 */
export async function startThrottledProxy(targetPort: number, bytesPerSecond: number): Promise<ThrottledProxy> {
  const sockets = new Set<net.Socket>();
  let bytesDown = 0;
  const TICK_MS = 20;
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    client.on('data', (chunk) => upstream.write(chunk));
    let queue: Buffer[] = [];
    let queued = 0;
    upstream.on('data', (chunk: Buffer) => {
      queue.push(chunk);
      queued += chunk.length;
      if (queued > bytesPerSecond) upstream.pause();
    });
    const timer = setInterval(() => {
      let budget = Math.floor((bytesPerSecond * TICK_MS) / 1000);
      const out: Buffer[] = [];
      while (budget > 0 && queue.length > 0) {
        const head = queue[0]!;
        const take = head.subarray(0, budget);
        out.push(take);
        budget -= take.length;
        queued -= take.length;
        if (take.length === head.length) queue.shift();
        else queue[0] = head.subarray(take.length);
      }
      if (out.length > 0) {
        const data = Buffer.concat(out);
        bytesDown += data.length;
        client.write(data);
      }
      if (queued <= bytesPerSecond && upstream.isPaused()) upstream.resume();
    }, TICK_MS);
    const end = () => {
      clearInterval(timer);
      queue = [];
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    get bytesDown() {
      return bytesDown;
    },
  };
}
