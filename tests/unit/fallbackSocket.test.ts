import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CloseCode } from '../../shared/closeCodes.js';
import { TransportChooser } from '../../web/src/sync/fallbackSocket.js';
import type { HttpSocketClass } from '../../web/src/sync/httpSocket.js';

type CloseEvent = { code: number; reason: string; wasClean: boolean };

/** A socket the test drives, standing for a browser WebSocket or an HttpSocket. */
class FakeSocket {
  readyState = 0;
  binaryType = 'blob';
  bufferedAmount = 0;
  isLongPolling = false;
  sent: unknown[] = [];
  closedWith: number | null = null;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: CloseEvent) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  constructor(readonly url: string) {}
  send(data: unknown): void {
    if (this.readyState !== 1) throw new Error('not open');
    this.sent.push(data);
  }
  close(code = 1000): void {
    this.closedWith = code;
    this.readyState = 3;
  }
  open(): void {
    this.readyState = 1;
    this.onopen?.({ type: 'open' });
  }
  message(data: unknown): void {
    this.onmessage?.({ data });
  }
  drop(code = 1006): void {
    this.readyState = 3;
    this.onclose?.({ code, reason: '', wasClean: code !== 1006 });
  }
}

let webSockets: FakeSocket[];
let httpSockets: FakeSocket[];
class FakeWebSocket extends FakeSocket {
  constructor(url: string) {
    super(url);
    webSockets.push(this);
  }
}
class FakeHttpSocket extends FakeSocket {
  constructor(url: string) {
    super(url);
    httpSockets.push(this);
  }
}

/** A chooser with the defaults (3 s to switch, first probe after 10 s) over the fake sockets. */
function chooser(): TransportChooser {
  return new TransportChooser({ WebSocketImpl: FakeWebSocket as unknown as typeof WebSocket, HttpImpl: FakeHttpSocket as unknown as HttpSocketClass });
}

interface Opened {
  socket: WebSocket & { transport: string };
  opens: number;
  messages: unknown[];
  closes: CloseEvent[];
}

function openSocket(from: TransportChooser): Opened {
  const Socket = from.socketClass();
  const socket = new Socket('ws://tandem.test/collab/doc') as WebSocket & { transport: string };
  const opened: Opened = { socket, opens: 0, messages: [], closes: [] };
  socket.onopen = () => opened.opens++;
  socket.onmessage = (event) => opened.messages.push(event.data);
  socket.onclose = (event) => opened.closes.push({ code: event.code, reason: event.reason, wasClean: event.wasClean });
  return opened;
}

beforeEach(() => {
  vi.useFakeTimers();
  webSockets = [];
  httpSockets = [];
});
afterEach(() => {
  vi.useRealTimers();
});

describe('FallbackSocket', () => {
  it('a refused upgrade (closed before it opened) goes to HTTP at once, and later sockets start there', () => {
    const transports = chooser();
    const a = openSocket(transports);
    webSockets[0]!.drop(1006);
    expect(httpSockets).toHaveLength(1);
    httpSockets[0]!.open();
    expect(a.opens).toBe(1);
    expect(a.socket.transport).toBe('http');
    expect(a.closes).toEqual([]);
    expect(transports.kind).toBe('http');
    const b = openSocket(transports);
    expect(webSockets).toHaveLength(1);
    expect(httpSockets).toHaveLength(2);
    expect(b.socket.transport).toBe('http');
    transports.stop();
  });

  it('an upgrade that opens and then stays silent goes to HTTP 3 s after opening; what was sent meanwhile goes again, in order', () => {
    const transports = chooser();
    const a = openSocket(transports);
    webSockets[0]!.open();
    expect(a.opens).toBe(1);
    a.socket.send('first');
    a.socket.send('second');
    vi.advanceTimersByTime(2_999);
    expect(httpSockets).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(httpSockets).toHaveLength(1);
    expect(webSockets[0]!.closedWith).not.toBeNull();
    // Sent while the HTTP session opens: kept, and sent after the others.
    a.socket.send('third');
    httpSockets[0]!.open();
    expect(httpSockets[0]!.sent).toEqual(['first', 'second', 'third']);
    a.socket.send('fourth');
    expect(httpSockets[0]!.sent).toEqual(['first', 'second', 'third', 'fourth']);
    // Its user saw one open and no close: the switch is invisible.
    expect(a.opens).toBe(1);
    expect(a.closes).toEqual([]);
    httpSockets[0]!.message('from the server');
    expect(a.messages).toEqual(['from the server']);
    transports.stop();
  });

  it('an upgrade that never opens goes to HTTP after 3 s', () => {
    const transports = chooser();
    const a = openSocket(transports);
    vi.advanceTimersByTime(2_999);
    expect(httpSockets).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(httpSockets).toHaveLength(1);
    httpSockets[0]!.open();
    expect(a.opens).toBe(1);
    transports.stop();
  });

  it('an upgrade let through and dropped before the server spoke goes to HTTP at once', () => {
    const transports = chooser();
    const a = openSocket(transports);
    webSockets[0]!.open();
    a.socket.send('sync step 1');
    webSockets[0]!.drop(1006);
    expect(httpSockets).toHaveLength(1);
    httpSockets[0]!.open();
    expect(httpSockets[0]!.sent).toEqual(['sync step 1']);
    expect(a.closes).toEqual([]);
    transports.stop();
  });

  it('a WebSocket whose server spoke is kept; its later close is an ordinary close', () => {
    const transports = chooser();
    const a = openSocket(transports);
    webSockets[0]!.open();
    webSockets[0]!.message('hello');
    vi.advanceTimersByTime(60_000);
    expect(httpSockets).toHaveLength(0);
    expect(a.socket.transport).toBe('websocket');
    webSockets[0]!.drop(CloseCode.restarting);
    expect(a.closes.map((close) => close.code)).toEqual([CloseCode.restarting]);
    expect(transports.kind).toBe('websocket');
  });

  it('on HTTP, a background probe finds WebSockets working again: the HTTP socket closes with 4100 and the next one is a WebSocket', () => {
    const transports = chooser();
    const a = openSocket(transports);
    webSockets[0]!.drop(1006);
    httpSockets[0]!.open();
    vi.advanceTimersByTime(9_999);
    expect(webSockets).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(webSockets).toHaveLength(2);
    const probe = webSockets[1]!;
    probe.open();
    probe.message('the server speaks');
    expect(a.closes.map((close) => close.code)).toEqual([CloseCode.transportSwitch]);
    expect(httpSockets[0]!.closedWith).toBe(CloseCode.normal);
    expect(transports.kind).toBe('websocket');
    const b = openSocket(transports);
    expect(webSockets).toHaveLength(3);
    expect(b.socket.transport).toBe('websocket');
    transports.stop();
  });

  it('says whether its HTTP transport long-polls', () => {
    const transports = chooser();
    const a = openSocket(transports);
    expect((a.socket as unknown as { longPolling: boolean }).longPolling).toBe(false);
    webSockets[0]!.drop(1006);
    httpSockets[0]!.isLongPolling = true;
    expect((a.socket as unknown as { longPolling: boolean }).longPolling).toBe(true);
    transports.stop();
  });
});
