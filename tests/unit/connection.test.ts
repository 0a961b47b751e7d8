import { afterEach, describe, expect, it, vi } from 'vitest';
import type WebSocket from 'ws';
import { CloseCode } from '../../shared/closeCodes.js';
import type { Role } from '../../shared/accounts.js';
import { Connection, SLOW_READER_STALL_MS, type ConnectionLimits } from '../../server/collab/connection.js';
import { encodeAwarenessFrame, encodeSyncUpdate } from '../../shared/codec.js';
import type { Peer, RoomOfPeer } from '../../server/collab/roomContracts.js';
import { ProtocolError } from '../../server/protocolError.js';
import { fakeLog, fakeMetrics } from '../helpers/roomFakes.js';

afterEach(() => {
  vi.restoreAllMocks();
});

/** The parts of a ws socket a Connection uses. Its client reads nothing unless a test drains the buffer. */
class FakeSocket {
  readyState = 1; // OPEN
  bufferedAmount = 0;
  sent: Uint8Array[] = [];
  closedWith: { code: number; reason: string } | null = null;
  terminated = false;
  pings = 0;
  send(frame: Uint8Array) {
    this.sent.push(frame);
    this.bufferedAmount += frame.length + 2; // a small frame's header is 2 bytes
  }
  close(code: number, reason: string) {
    this.closedWith = { code, reason };
  }
  terminate() {
    this.terminated = true;
  }
  ping() {
    this.pings++;
  }
}

/** A room that writes down what its connection did. */
class FakeRoom implements RoomOfPeer {
  events: string[] = [];
  refuseWith: unknown = null;
  join(peer: Peer) {
    this.events.push('join');
    void peer;
  }
  receive(_peer: Peer, frame: Uint8Array) {
    if (this.refuseWith) throw this.refuseWith;
    this.events.push(`frame ${frame[0]}`);
  }
  leave() {
    this.events.push('leave');
  }
  away() {
    this.events.push('away');
  }
  askForMissing() {
    this.events.push('askForMissing');
  }
}

const limits: ConnectionLimits = {
  maxBufferedFrames: 3,
  maxSendBufferBytes: 100,
  maxDocBytes: 1000,
  updatesPerSecond: 1,
  updateBurst: 2,
  awarenessPerSecond: 1,
  awarenessBurst: 5,
  compressAboveBytes: 0,
};

function connect(role: Role = 'editor', ownMessages = true) {
  const socket = new FakeSocket();
  const log = fakeLog();
  const viewer = { userId: 'u1', name: 'Ada', session: null };
  const connection = new Connection(socket as unknown as WebSocket, 'doc', viewer, role, ownMessages, log, 'req-1', fakeMetrics(), limits);
  return { socket, connection, room: new FakeRoom(), log };
}

const update = encodeSyncUpdate(new Uint8Array([0, 0]));
const awareness = encodeAwarenessFrame(new Uint8Array([0]));
const binary = (frame: Uint8Array) => Buffer.from(frame);

describe('Connection', () => {
  it('buffers frames while its room loads and hands them over in order after joining', () => {
    const { socket, connection, room } = connect();
    connection.onMessage(binary(awareness), true);
    connection.onMessage(binary(update), true);
    expect(room.events).toEqual([]);
    connection.attach(room);
    expect(room.events).toEqual(['join', 'frame 1', 'frame 0']);
    expect(socket.sent[0]?.[0]).toBe(102); // its role first, as it asked for our messages
    expect(connection.presenceUser).toEqual({ userId: 'u1', name: 'Ada' });
  });

  it('refuses too many frames before its room is loaded (1008) and text frames (1003)', () => {
    const early = connect();
    for (let i = 0; i < 4; i++) early.connection.onMessage(binary(awareness), true);
    expect(early.socket.closedWith?.code).toBe(CloseCode.policy);
    const text = connect();
    text.connection.attach(text.room);
    text.connection.onMessage(Buffer.from('hello'), false);
    expect(text.socket.closedWith?.code).toBe(CloseCode.unsupportedData);
    expect(text.room.events).toEqual(['join', 'leave']);
    expect(text.connection.isClosed).toBe(true);
  });

  it('limits updates per second apart from other frames (4429)', () => {
    const { socket, connection, room } = connect();
    connection.attach(room);
    connection.onMessage(binary(update), true);
    connection.onMessage(binary(update), true);
    connection.onMessage(binary(awareness), true); // its own bucket
    expect(socket.closedWith).toBeNull();
    connection.onMessage(binary(update), true);
    expect(socket.closedWith?.code).toBe(CloseCode.rateLimited);
  });

  it("closes with a refused frame's own code, or 1011 for anything else, logging one line each", () => {
    const refused = connect();
    refused.connection.attach(refused.room);
    refused.room.refuseWith = new ProtocolError(CloseCode.badMessage, 'malformed');
    refused.connection.onMessage(binary(awareness), true);
    expect(refused.socket.closedWith).toEqual({ code: CloseCode.badMessage, reason: 'malformed' });
    expect(refused.log.lines.filter((line) => line.msg === 'refused client frame')).toHaveLength(1);
    const broken = connect();
    broken.connection.attach(broken.room);
    broken.room.refuseWith = new Error('bug');
    broken.connection.onMessage(binary(awareness), true);
    expect(broken.socket.closedWith?.code).toBe(CloseCode.serverError);
    expect(broken.room.events).toEqual(['join', 'leave']);
  });

  it('follows a role change: tells the client, and a viewer made editor is asked for what it kept', () => {
    const { socket, connection, room } = connect('viewer');
    connection.attach(room);
    expect(connection.mayEdit).toBe(false);
    connection.setRole('editor');
    expect(connection.mayEdit).toBe(true);
    expect(room.events).toEqual(['join', 'askForMissing']);
    expect(socket.sent.filter((frame) => frame[0] === 102)).toHaveLength(2);
    connection.setRole('viewer');
    expect(room.events).toEqual(['join', 'askForMissing']);
    const stock = connect('viewer', false);
    stock.connection.attach(stock.room);
    stock.connection.setRole('editor');
    expect(stock.socket.sent).toEqual([]); // a stock client never gets our messages
  });

  it('drops a client that stops reading, and one a whole document behind at once', () => {
    const { socket, connection, room } = connect();
    connection.attach(room);
    let now = 1_000_000;
    vi.spyOn(Date, 'now').mockImplementation(() => now);
    socket.bufferedAmount = 500; // over the limit: may still be reading
    connection.send(new Uint8Array(10));
    expect(socket.terminated).toBe(false);
    socket.bufferedAmount -= 5; // took a little: still reading
    now += SLOW_READER_STALL_MS;
    connection.send(new Uint8Array(10));
    expect(socket.terminated).toBe(false);
    now += SLOW_READER_STALL_MS; // took nothing since
    connection.send(new Uint8Array(10));
    expect(socket.terminated).toBe(true);
    expect(room.events).toEqual(['join', 'leave']);
    const far = connect();
    far.connection.attach(far.room);
    far.socket.bufferedAmount = limits.maxSendBufferBytes + limits.maxDocBytes + 1;
    far.connection.send(new Uint8Array(1));
    expect(far.socket.terminated).toBe(true);
  });

  it('pings a live client and drops a silent one', () => {
    const { socket, connection, room } = connect();
    connection.attach(room);
    expect(connection.heartbeat(30_000)).toBe(true);
    expect(socket.pings).toBe(1);
    vi.spyOn(Date, 'now').mockImplementation(() => connection.lastSeenAt + 30_001);
    expect(connection.heartbeat(30_000)).toBe(false);
    expect(socket.terminated).toBe(true);
    expect(room.events).toEqual(['join', 'leave']);
  });
});
