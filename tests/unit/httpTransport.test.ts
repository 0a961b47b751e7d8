import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { decodeClientFrames, encodeClientFrames, formatStreamEvent, PRESENCE_AWAY_MS, REPLAY_BUFFER_BYTES, StreamParser } from '../../shared/httpTransport.js';
import { HttpSession } from '../../server/sockets/httpSession.js';
import { HttpSocket } from '../../web/src/sync/httpSocket.js';
import { waitFor } from '../helpers/waitFor.js';

/** A stand-in for the ServerResponse of a stream: what is written, and a 'close' to break it. */
class FakeStream extends EventEmitter {
  written = '';
  ended = false;
  writableLength = 0;
  write(text: string): boolean {
    this.written += text;
    return true;
  }
  end(): void {
    this.ended = true;
  }
  destroy(): void {
    this.ended = true;
  }
  /** The ids of the events written so far. */
  ids(): number[] {
    return new StreamParser().push(this.written).map((event) => event.id!);
  }
}

describe('client frames codec', () => {
  it('round-trips binary and text frames, and refuses a truncated body', () => {
    const frames = [
      { data: new Uint8Array([0, 1, 2]), text: false },
      { data: new TextEncoder().encode('{"a":1}'), text: true },
      { data: new Uint8Array(300).fill(7), text: false },
      { data: new Uint8Array(0), text: false },
    ];
    const body = encodeClientFrames(frames);
    const decoded = decodeClientFrames(body)!;
    expect(decoded.map((f) => [Array.from(f.data), f.text])).toEqual(frames.map((f) => [Array.from(f.data), f.text]));
    expect(decodeClientFrames(body.subarray(0, body.length - 2))).toBeNull();
    expect(decodeClientFrames(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]))).toBeNull();
  });
});

describe('StreamParser', () => {
  it('reads events split anywhere, CRLF or LF, skipping comments, joining data lines', () => {
    const text = `: open\r\n\r\n${formatStreamEvent(1, 'message', 'QUJD')}${formatStreamEvent(2, 'text', 'line one\nline two')}: keep-alive\n\n`;
    for (let cut = 0; cut < text.length; cut += 3) {
      const parser = new StreamParser();
      const events = [...parser.push(text.slice(0, cut)), ...parser.push(text.slice(cut))];
      expect(events).toEqual([
        { id: 1, event: 'message', data: 'QUJD' },
        { id: 2, event: 'text', data: 'line one\nline two' },
      ]);
    }
  });
});

describe('HttpSession: away', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("is away once no stream or poll has been attached for PRESENCE_AWAY_MS (its connection drops its presence), not while one comes back in time, and not once closed", async () => {
    vi.useFakeTimers();
    const session = new HttpSession('s', null, '{}');
    let aways = 0;
    session.on('away', () => aways++);
    const first = new FakeStream();
    session.attachStream(first as unknown as ServerResponse, 0);
    await vi.advanceTimersByTimeAsync(PRESENCE_AWAY_MS * 3);
    expect(aways).toBe(0);
    // The stream breaks and the client is back before the time is up: not away.
    first.emit('close');
    await vi.advanceTimersByTimeAsync(PRESENCE_AWAY_MS - 1);
    session.attachStream(new FakeStream() as unknown as ServerResponse, 0);
    await vi.advanceTimersByTimeAsync(PRESENCE_AWAY_MS * 2);
    expect(aways).toBe(0);
    // Long-polling: answered polls followed at once by the next are never away.
    const polling = new HttpSession('p', null, '{}');
    let pollerAway = 0;
    polling.on('away', () => pollerAway++);
    for (let i = 1; i <= 5; i++) {
      polling.send(new Uint8Array([i]));
      await polling.nextPoll(i - 1);
      await vi.advanceTimersByTimeAsync(PRESENCE_AWAY_MS / 2);
    }
    expect(pollerAway).toBe(0);
    // ... until it stops polling.
    await vi.advanceTimersByTimeAsync(PRESENCE_AWAY_MS);
    expect(pollerAway).toBe(1);
    // Gone (a tab closed whose leaving request never came): away once, however long it stays gone.
    const gone = new FakeStream();
    session.attachStream(gone as unknown as ServerResponse, 0);
    gone.emit('close');
    await vi.advanceTimersByTimeAsync(PRESENCE_AWAY_MS);
    expect(aways).toBe(1);
    await vi.advanceTimersByTimeAsync(PRESENCE_AWAY_MS * 4);
    expect(aways).toBe(1);
    // Closed sessions are not away.
    const closing = new HttpSession('c', null, '{}');
    closing.on('away', () => aways++);
    const stream = new FakeStream();
    closing.attachStream(stream as unknown as ServerResponse, 0);
    closing.close(1000, '');
    stream.emit('close');
    await vi.advanceTimersByTimeAsync(PRESENCE_AWAY_MS * 2);
    expect(aways).toBe(1);
  });
});

describe('HttpSession: event ids and resumption', () => {
  it('a stream resumed after the last id its client saw gets what followed, once, in order', () => {
    const session = new HttpSession('s', null, '{}');
    const first = new FakeStream();
    expect(session.attachStream(first as unknown as ServerResponse, 0)).toBe(true);
    for (let i = 0; i < 5; i++) session.send(new Uint8Array([i]));
    expect(first.ids()).toEqual([1, 2, 3, 4, 5]);
    // The stream breaks; events keep coming meanwhile.
    first.emit('close');
    session.send(new Uint8Array([5]));
    session.send('text frame');
    // The client saw up to 3 (4 and 5 were written but lost on the way).
    const second = new FakeStream();
    expect(session.attachStream(second as unknown as ServerResponse, 3)).toBe(true);
    expect(second.ids()).toEqual([4, 5, 6, 7]);
    expect(new StreamParser().push(second.written).at(-1)).toEqual({ id: 7, event: 'text', data: 'text frame' });
  });

  it('a long-poll gets what followed its last id, waits for more, and a close event comes last', async () => {
    const session = new HttpSession('s', null, '{}');
    session.send(new Uint8Array([1]));
    const first = await session.nextPoll(0);
    expect('items' in first && first.items.length).toBe(1);
    const waiting = session.nextPoll(1);
    session.send(new Uint8Array([2]));
    session.send(new Uint8Array([3]));
    const second = await waiting;
    expect('items' in second && new StreamParser().push(second.items.join('')).map((e) => e.id)).toEqual([2, 3]);
    session.close(4401, 'bye');
    const last = await session.nextPoll(3);
    expect('items' in last && new StreamParser().push(last.items.join(''))).toEqual([{ id: 4, event: 'close', data: '{"code":4401,"reason":"bye"}' }]);
  });

  it('cannot resume after events it no longer keeps', () => {
    const session = new HttpSession('s', null, '{}');
    const stream = new FakeStream();
    session.attachStream(stream as unknown as ServerResponse, 0);
    const big = new Uint8Array(REPLAY_BUFFER_BYTES / 4);
    for (let i = 0; i < 6; i++) session.send(big);
    stream.emit('close');
    expect(session.attachStream(new FakeStream() as unknown as ServerResponse, 1)).toBe(false);
    expect(session.attachStream(new FakeStream() as unknown as ServerResponse, 5)).toBe(true);
  });

  it('numbers client frames: a retried POST repeats nothing, a gap is refused', () => {
    const session = new HttpSession('s', null, '{}');
    const got: number[] = [];
    session.on('message', (data: Buffer) => got.push(data[0]!));
    const frame = (n: number) => ({ data: new Uint8Array([n]), text: false });
    session.receive(0, [frame(0), frame(1)], 100);
    session.receive(0, [frame(0), frame(1), frame(2)], 100);
    expect(got).toEqual([0, 1, 2]);
    session.receive(5, [frame(5)], 100);
    expect(session.closedWith?.code).toBe(4400);
  });
});

describe('HttpSocket (the client)', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('opens, resumes a broken stream after the last event id, and delivers each frame once', async () => {
    const streams = [
      `${formatStreamEvent(1, 'message', btoa('\u0001'))}${formatStreamEvent(2, 'message', btoa('\u0002'))}`,
      `${formatStreamEvent(2, 'message', btoa('\u0002'))}${formatStreamEvent(3, 'message', btoa('\u0003'))}`,
      formatStreamEvent(4, 'close', '{"code":4404,"reason":"gone"}'),
    ];
    const asked: string[] = [];
    vi.stubGlobal('fetch', async (url: string, init: RequestInit = {}) => {
      asked.push(`${init.method ?? 'GET'} ${url}`);
      if (init.method === 'POST') return new Response(JSON.stringify({ session: 'abc' }), { status: 201 });
      const body = streams.shift() ?? '';
      return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } });
    });
    const socket = new HttpSocket('ws://example.test/collab/doc?ack=1');
    socket.binaryType = 'arraybuffer';
    const got: number[] = [];
    let closed: { code: number; reason: string } | null = null;
    socket.onmessage = (event) => got.push(new Uint8Array(event.data as ArrayBuffer)[0]!);
    socket.onclose = (event) => (closed = event);
    await waitFor(() => closed !== null, 'the close event');
    expect(got).toEqual([1, 2, 3]);
    expect(closed).toEqual({ type: 'close', code: 4404, reason: 'gone', wasClean: true });
    expect(asked[0]).toBe('POST http://example.test/collab/doc/http?ack=1');
    expect(asked.slice(1)).toEqual([
      'GET http://example.test/collab/doc/http/abc?lastEventId=0',
      'GET http://example.test/collab/doc/http/abc?lastEventId=2',
      'GET http://example.test/collab/doc/http/abc?lastEventId=3',
    ]);
  });

  it('a refused open closes with the code the server gives', async () => {
    vi.stubGlobal('fetch', async () => new Response(JSON.stringify({ error: 'connection_closed', message: 'x', code: 4406, reason: 'no document' }), { status: 404 }));
    const socket = new HttpSocket('ws://example.test/collab/doc');
    let closed: { code: number } | null = null;
    socket.onclose = (event) => (closed = event);
    await waitFor(() => closed !== null, 'the close event');
    expect(closed!.code).toBe(4406);
  });
});
