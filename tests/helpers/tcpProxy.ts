import net from 'node:net';
import { onTestFinished } from 'vitest';

export interface TcpProxy {
  port: number;
  /** Stops forwarding in both directions: the connections stay open, nothing gets through. */
  freeze(): void;
  /** Forwards again, delivering what was held back. */
  thaw(): void;
  /**
   * Connections opened from now on hand each chunk from the target to a fresh `intercept()`
   * (null: plain forwarding again). It returns the bytes to deliver, and whether to end that
   * connection once they are written. Freezing does not hold back what such connections receive.
   */
  interceptNew(intercept: (() => (chunk: Buffer) => { deliver: Buffer; end: boolean }) | null): void;
}

/**
 * A TCP proxy on 127.0.0.1 in front of `targetPort`, to cut one process off from a service for a
 * while without touching the service or the other processes. Closed when the test finishes.
 */
export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const pairs = new Set<[net.Socket, net.Socket]>();
  // While frozen, what arrives is held here (per destination) and written on thaw.
  const held = new Map<net.Socket, Buffer[]>();
  let frozen = false;
  let interceptNew: (() => (chunk: Buffer) => { deliver: Buffer; end: boolean }) | null = null;
  const forward = (from: net.Socket, to: net.Socket) => {
    from.on('data', (chunk: Buffer) => {
      if (frozen) held.set(to, [...(held.get(to) ?? []), chunk]);
      else to.write(chunk);
    });
  };
  const forwardIntercepted = (from: net.Socket, to: net.Socket, intercept: (chunk: Buffer) => { deliver: Buffer; end: boolean }) => {
    from.on('data', (chunk: Buffer) => {
      const { deliver, end } = intercept(chunk);
      if (end) to.end(deliver);
      else if (deliver.length > 0) to.write(deliver);
    });
  };
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    const pair: [net.Socket, net.Socket] = [client, upstream];
    pairs.add(pair);
    forward(client, upstream);
    if (interceptNew) forwardIntercepted(upstream, client, interceptNew());
    else forward(upstream, client);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(async () => {
    for (const [a, b] of pairs) {
      a.destroy();
      b.destroy();
    }
    await new Promise((resolve) => server.close(resolve));
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    freeze() {
      frozen = true;
    },
    thaw() {
      frozen = false;
      for (const [to, chunks] of held) if (!to.destroyed) for (const chunk of chunks) to.write(chunk);
      held.clear();
    },
    interceptNew(intercept) {
      interceptNew = intercept;
    },
  };
}
