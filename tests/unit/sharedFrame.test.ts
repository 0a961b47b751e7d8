import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { frameLength, idleRawSocket, SharedBatch, SharedFrame } from '../../server/collab/sharedFrame.js';

function payloadOf(length: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 7) % 256);
}

describe('SharedFrame', () => {
  it('frames a binary message as a server sends it: FIN + binary opcode, unmasked, with the RFC 6455 length forms', () => {
    const short = new SharedFrame(payloadOf(5)).wire!;
    expect([...short.subarray(0, 2)]).toEqual([0x82, 5]);
    expect(short.subarray(2)).toEqual(Buffer.from(payloadOf(5)));

    const medium = new SharedFrame(payloadOf(300)).wire!;
    expect([...medium.subarray(0, 4)]).toEqual([0x82, 126, 300 >> 8, 300 & 0xff]);
    expect(medium.length).toBe(4 + 300);

    const long = new SharedFrame(payloadOf(70_000)).wire!;
    expect([...long.subarray(0, 2)]).toEqual([0x82, 127]);
    expect(long.readBigUInt64BE(2)).toBe(70_000n);
    expect(long.subarray(10)).toEqual(Buffer.from(payloadOf(70_000)));
  });

  it('knows the wire length of a frame from its payload length', () => {
    for (const length of [0, 125, 126, 65_535, 65_536, 70_000]) expect(frameLength(length)).toBe(new SharedFrame(payloadOf(length)).wire!.length);
  });

  it('frames once, however often it is written', () => {
    const frame = new SharedFrame(payloadOf(10));
    expect(frame.wire).toBe(frame.wire);
  });
});

describe('SharedBatch', () => {
  it('is its frames framed and joined, once however many peers it is written to', () => {
    const frames = [payloadOf(5), payloadOf(300), payloadOf(70_000)].map((payload) => new SharedFrame(payload));
    const batch = new SharedBatch(frames);
    expect(batch.wire).toEqual(Buffer.concat(frames.map((frame) => frame.wire!)));
    expect(batch.wire).toBe(batch.wire);
    expect(batch.wireLength).toBe(batch.wire!.length);
    expect(batch.largestPayload).toBe(70_000);
    const one = new SharedBatch([frames[0]!]);
    expect(one.wire).toBe(frames[0]!.wire);
  });
});

describe('idleRawSocket', () => {
  let server: WebSocketServer | null = null;
  let client: WebSocket | null = null;
  afterEach(async () => {
    client?.terminate();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = client = null;
  });

  async function pair(): Promise<{ serverSide: WebSocket; received: Buffer[] }> {
    server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
    await new Promise<void>((resolve) => server!.once('listening', () => resolve()));
    const connected = new Promise<WebSocket>((resolve) => server!.once('connection', resolve));
    client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
    const received: Buffer[] = [];
    client.on('message', (data) => received.push(data as Buffer));
    await new Promise((resolve) => client!.once('open', resolve));
    return { serverSide: await connected, received };
  }

  it("finds the socket under an open ws connection with the pinned ws (else every relay falls back to ws.send's framing)", async () => {
    const { serverSide } = await pair();
    expect(idleRawSocket(serverSide)).not.toBeNull();
  });

  it('keeps the order of frames written directly and frames sent through ws', async () => {
    const { serverSide, received } = await pair();
    const raw = idleRawSocket(serverSide)!;
    const payloads = [payloadOf(3), payloadOf(200), payloadOf(4), payloadOf(70_000), payloadOf(1)];
    payloads.forEach((payload, i) => {
      if (i % 2 === 0) raw.write(new SharedFrame(payload).wire!);
      else serverSide.send(payload);
    });
    await expect.poll(() => received.length).toBe(payloads.length);
    expect(received.map((data) => [...data])).toEqual(payloads.map((payload) => [...payload]));
  });

  it('a batch written in one piece arrives as its frames, in order', async () => {
    const { serverSide, received } = await pair();
    const payloads = [payloadOf(3), payloadOf(200), payloadOf(70_000), payloadOf(1)];
    idleRawSocket(serverSide)!.write(new SharedBatch(payloads.map((payload) => new SharedFrame(payload))).wire!);
    await expect.poll(() => received.length).toBe(payloads.length);
    expect(received.map((data) => [...data])).toEqual(payloads.map((payload) => [...payload]));
  });
});
