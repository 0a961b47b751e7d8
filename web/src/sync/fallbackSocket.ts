import { WebSocketShape } from './webSocketShape.js';
import { CloseCode } from '../../../shared/closeCodes.js';
import { HttpSocket, type HttpSocketClass } from './httpSocket.js';

/**
 * A WebSocket-shaped socket that is a real WebSocket where one works and Tandem's HTTP transport
 * (httpSocket.ts) where a proxy refuses or drops WebSocket upgrades — for y-websocket's stock
 * WebsocketProvider (`WebSocketPolyfill`) and the /live client alike.
 *
 * Each socket first tries a WebSocket, unless its TransportChooser already found that they do not
 * work here. The WebSocket is on probation until the server's first frame arrives: when it is
 * refused (any HTTP answer to the upgrade: a close 1006), closes before that frame, does not open
 * within `switchAfterMs` or stays silent that long after opening, the socket switches to HTTP
 * without its user noticing — the frames it sent meanwhile are sent again over HTTP, in order, to a
 * server connection that has seen none of them (the WebSocket's, if it ever existed, is closed) —
 * and the chooser remembers, so later sockets start on HTTP. A WebSocket that dies with 1006 soon
 * after its probation also makes later sockets start on HTTP.
 *
 * While sockets are on HTTP, the chooser keeps trying a WebSocket in the background (a probe to the
 * same address, successful once the server's first frame arrives over it; the first after
 * `probeAfterMs`, then less and less often). When one works, every open HTTP socket closes with
 * CloseCode.transportSwitch and the next ones are WebSockets: the provider reconnects as after any
 * close, its sync resending whatever the server has not acknowledged, so nothing is lost or doubled.
 */

export type TransportKind = 'websocket' | 'http';

export interface FallbackOptions {
  /** The WebSocket class. Default: the global one. */
  WebSocketImpl?: typeof WebSocket;
  /** The HTTP transport's class. Default: HttpSocket. */
  HttpImpl?: HttpSocketClass;
  /** How long a WebSocket may take to open, and then to bring the server's first frame. Default 3000 ms. */
  switchAfterMs?: number;
  /** The first background probe for a WebSocket after sockets went to HTTP. Default 10 s; doubles to 5 min. */
  probeAfterMs?: number;
  /** A WebSocket closing abnormally this soon after opening counts as dropped by a proxy. Default 10 s. */
  diedSoonMs?: number;
}

const ABNORMAL = 1006;
const MAX_PROBE_INTERVAL_MS = 5 * 60_000;

type Frame = string | ArrayBufferLike | Blob | ArrayBufferView;
type Inner = WebSocket | HttpSocket;

/** Which transport sockets use, shared by the sockets of one page; probes for WebSockets while on HTTP. */
export class TransportChooser {
  private current: TransportKind = 'websocket';
  private readonly sockets = new Set<FallbackSocket>();
  private readonly listeners = new Set<(kind: TransportKind) => void>();
  private probeTimer: ReturnType<typeof setTimeout> | null = null;
  private probeDelay: number;
  private probing: WebSocket | null = null;

  constructor(readonly options: FallbackOptions = {}) {
    this.probeDelay = options.probeAfterMs ?? 10_000;
  }

  /** The transport new sockets start on. */
  get kind(): TransportKind {
    return this.current;
  }

  /** Told whenever `kind` changes; returns the unsubscribe. */
  onChange(listener: (kind: TransportKind) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A socket class for WebsocketProvider's `WebSocketPolyfill` (or /live), whose sockets this chooser steers. */
  socketClass(): typeof WebSocket {
    const chooser = this;
    return class extends FallbackSocket {
      constructor(url: string | URL, protocols?: string | string[]) {
        super(chooser, url, protocols);
      }
    } as unknown as typeof WebSocket;
  }

  /** Stops probing (the page is going away). */
  stop(): void {
    if (this.probeTimer !== null) clearTimeout(this.probeTimer);
    this.probeTimer = null;
    this.probing?.close();
    this.probing = null;
  }

  /** @internal */
  register(socket: FallbackSocket): void {
    this.sockets.add(socket);
  }

  /** @internal */
  unregister(socket: FallbackSocket): void {
    this.sockets.delete(socket);
  }

  /** @internal A WebSocket failed here: later sockets start on HTTP, and probing starts. */
  websocketFailed(): void {
    if (this.current !== 'http') this.set('http');
    this.scheduleProbe();
  }

  private set(kind: TransportKind): void {
    this.current = kind;
    for (const listener of [...this.listeners]) listener(kind);
  }

  private scheduleProbe(): void {
    if (this.probeTimer !== null || this.probing !== null) return;
    this.probeTimer = setTimeout(() => {
      this.probeTimer = null;
      this.probe();
    }, this.probeDelay);
  }

  private probe(): void {
    const target = [...this.sockets].find((socket) => socket.transport === 'http');
    if (!target) {
      // Nobody to move: the next socket will try a WebSocket first anyway.
      this.set('websocket');
      return;
    }
    const WebSocketImpl = this.options.WebSocketImpl ?? WebSocket;
    let probe: WebSocket;
    try {
      probe = new WebSocketImpl(target.url);
    } catch {
      return this.probeFailed();
    }
    this.probing = probe;
    probe.binaryType = 'arraybuffer';
    const done = (worked: boolean): void => {
      if (this.probing !== probe) return;
      this.probing = null;
      clearTimeout(timer);
      probe.onopen = probe.onmessage = probe.onclose = null;
      probe.onerror = () => {};
      try {
        probe.close(CloseCode.normal);
      } catch {
        // Closing a socket still connecting may throw in some browsers.
      }
      if (worked) this.probeWorked();
      else this.probeFailed();
    };
    let timer = setTimeout(() => done(false), this.options.switchAfterMs ?? 3_000);
    probe.onopen = () => {
      clearTimeout(timer);
      timer = setTimeout(() => done(false), this.options.switchAfterMs ?? 3_000);
    };
    probe.onmessage = () => done(true);
    probe.onclose = () => done(false);
  }

  private probeWorked(): void {
    this.probeDelay = this.options.probeAfterMs ?? 10_000;
    this.set('websocket');
    for (const socket of [...this.sockets]) if (socket.transport === 'http') socket.moveToWebSocket();
  }

  private probeFailed(): void {
    this.probeDelay = Math.min(this.probeDelay * 2, MAX_PROBE_INTERVAL_MS);
    this.scheduleProbe();
  }
}

/** See the module comment. Made through TransportChooser.socketClass(). */
export class FallbackSocket extends WebSocketShape {

  readonly url: string;
  readonly protocol = '';
  readonly extensions = '';
  binaryType: BinaryType = 'blob';
  readyState = 0;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string; wasClean: boolean }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;

  private inner!: Inner;
  private kind: TransportKind = 'websocket';
  /** Frames sent while the WebSocket is on probation (null: not on probation). */
  private kept: Frame[] | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private openedAt = 0;
  private closing = false;

  constructor(
    private readonly chooser: TransportChooser,
    url: string | URL,
    private readonly protocols?: string | string[],
  ) {
    super();
    this.url = String(url);
    chooser.register(this);
    if (chooser.kind === 'http') this.useHttp();
    else this.useWebSocket();
  }

  /** What carries this socket now. */
  get transport(): TransportKind {
    return this.kind;
  }

  /** Whether it reads the server's frames by long-polling (on HTTP, behind a proxy that held its stream back). */
  get longPolling(): boolean {
    return this.kind === 'http' && (this.inner as HttpSocket).isLongPolling;
  }

  get bufferedAmount(): number {
    return this.inner.bufferedAmount;
  }

  send(data: Frame): void {
    if (this.readyState === FallbackSocket.CONNECTING) throw new DOMException('Still in CONNECTING state.', 'InvalidStateError');
    if (this.readyState !== FallbackSocket.OPEN) return;
    if (this.kept !== null) this.kept.push(data);
    // While switching, the HTTP session is not open yet: what is kept goes once it is.
    if (this.inner.readyState === FallbackSocket.OPEN) this.inner.send(data);
  }

  close(code?: number, reason?: string): void {
    if (this.closing || this.readyState === FallbackSocket.CLOSED) return;
    this.closing = true;
    this.clearTimer();
    if (this.readyState === FallbackSocket.OPEN) this.readyState = FallbackSocket.CLOSING;
    try {
      this.inner.close(code, reason);
    } catch {
      this.closed({ code: ABNORMAL, reason: '', wasClean: false });
    }
  }

  /** @internal The chooser found WebSockets work: this HTTP socket closes so that its user reconnects over one. */
  moveToWebSocket(): void {
    if (this.readyState !== FallbackSocket.OPEN || this.kind !== 'http') return;
    this.closing = true;
    const inner = this.inner;
    inner.onclose = null;
    inner.close(CloseCode.normal, 'moving to a WebSocket');
    this.closed({ code: CloseCode.transportSwitch, reason: 'moving to a WebSocket', wasClean: true });
  }

  private useWebSocket(): void {
    const WebSocketImpl = this.chooser.options.WebSocketImpl ?? WebSocket;
    const switchAfterMs = this.chooser.options.switchAfterMs ?? 3_000;
    let ws: WebSocket;
    try {
      ws = new WebSocketImpl(this.url, this.protocols);
    } catch {
      this.useHttp();
      return;
    }
    this.inner = ws;
    this.kind = 'websocket';
    this.kept = [];
    ws.binaryType = 'arraybuffer';
    this.setTimer(switchAfterMs);
    ws.onopen = () => {
      if (this.inner !== ws) return;
      this.openedAt = Date.now();
      this.setTimer(switchAfterMs);
      this.opened();
    };
    ws.onmessage = (event) => {
      if (this.inner !== ws) return;
      if (this.kept !== null) {
        // The server spoke: this WebSocket works.
        this.kept = null;
        this.clearTimer();
      }
      this.onmessage?.(event);
    };
    ws.onerror = (event) => {
      if (this.inner === ws && this.kept === null) this.onerror?.(event);
    };
    ws.onclose = (event) => {
      if (this.inner !== ws) return;
      if (this.kept !== null && !this.closing && event.code === ABNORMAL) return this.giveUpWebSocket();
      if (event.code === ABNORMAL && !this.closing && Date.now() - this.openedAt < (this.chooser.options.diedSoonMs ?? 10_000)) this.chooser.websocketFailed();
      this.closed(event);
    };
  }

  /** The WebSocket did not prove itself: carry on over HTTP, sending again what it was given. */
  private giveUpWebSocket(): void {
    const ws = this.inner as WebSocket;
    ws.onopen = ws.onmessage = ws.onclose = null;
    ws.onerror = () => {};
    try {
      ws.close();
    } catch {
      // Still connecting: some browsers throw; it is dropped either way.
    }
    this.chooser.websocketFailed();
    this.useHttp();
  }

  private useHttp(): void {
    this.clearTimer();
    const HttpImpl = this.chooser.options.HttpImpl ?? HttpSocket;
    const http = new HttpImpl(this.url, this.protocols);
    this.inner = http;
    this.kind = 'http';
    http.binaryType = 'arraybuffer';
    http.onopen = () => {
      if (this.inner !== http) return;
      if (this.readyState === FallbackSocket.CONNECTING) {
        this.kept = null;
        this.opened();
        return;
      }
      const kept = this.kept ?? [];
      this.kept = null;
      for (const frame of kept) http.send(frame as string | ArrayBufferLike | ArrayBufferView);
    };
    http.onmessage = (event) => {
      if (this.inner === http) this.onmessage?.(event);
    };
    http.onerror = (event) => {
      if (this.inner === http) this.onerror?.(event);
    };
    http.onclose = (event) => {
      if (this.inner === http) this.closed(event);
    };
    if (this.readyState === FallbackSocket.CONNECTING) this.chooser.websocketFailed();
  }

  private opened(): void {
    if (this.closing) return;
    this.readyState = FallbackSocket.OPEN;
    this.onopen?.({ type: 'open' });
  }

  private closed(event: { code: number; reason: string; wasClean: boolean }): void {
    if (this.readyState === FallbackSocket.CLOSED) return;
    this.clearTimer();
    this.readyState = FallbackSocket.CLOSED;
    this.chooser.unregister(this);
    this.onclose?.({ code: event.code, reason: event.reason, wasClean: event.wasClean });
  }

  private setTimer(ms: number): void {
    this.clearTimer();
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.kept !== null && this.kind === 'websocket' && !this.closing) this.giveUpWebSocket();
    }, ms);
  }

  private clearTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}
