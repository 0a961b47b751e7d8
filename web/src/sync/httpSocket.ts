import { WebSocketShape } from './webSocketShape.js';
import {
  type ClientFrame,
  encodeClientFrames,
  HTTP_TRANSPORT_SEGMENT,
  LAST_EVENT_ID_PARAM,
  POLL_PARAM,
  SEQ_PARAM,
  StreamParser,
  type StreamEvent,
  type TransportClosed,
  TransportEvent,
} from '../../../shared/httpTransport.js';

/**
 * A WebSocket-shaped client of Tandem's HTTP transport (shared/httpTransport.ts), for where a proxy
 * refuses or drops WebSocket upgrades. It takes the WebSocket's URL (`ws://host/collab/<doc>?ack=1`)
 * and behaves as a WebSocket would: `readyState`, `binaryType`, `bufferedAmount`, `send`, `close`,
 * `onopen`/`onmessage`/`onclose`/`onerror` (and addEventListener), so y-websocket's stock
 * WebsocketProvider takes it as `WebSocketPolyfill` and /live's client as its socket.
 *
 * - Open: `POST …/http`; a refusal closes it with the code the WebSocket would have been closed with.
 * - Server → client: a stream of events read with fetch (so it runs in browsers and Node alike); each
 *   event's id is remembered, a broken stream is resumed after the last one seen, and an event seen
 *   already is never delivered twice. A stream that shows nothing within `streamOpenTimeoutMs` (a
 *   proxy that buffers it until it ends) is replaced by long-polling, for this socket and the next
 *   ones made from the same class.
 * - Client → server: frames are queued and POSTed one batch at a time, in order, each POST naming the
 *   number of its first frame, so a retried POST repeats nothing; a POST answers once its frames are
 *   handled (updates committed).
 * - Lost: when the server cannot be reached for `giveUpMs`, it closes with 1006, like a WebSocket
 *   whose connection broke.
 */

export interface HttpSocketOptions {
  /** Headers for every request (Node tests: a session cookie and an Origin). Browsers send cookies themselves. */
  headers?: Record<string, string>;
  /** How long a new stream may show nothing before it is taken as held back by a proxy. Default 2500 ms. */
  streamOpenTimeoutMs?: number;
  /** Start with long-polling instead of a stream. */
  longPoll?: boolean;
  /** How long the server may stay unreachable before the socket closes with 1006. Default 4000 ms. */
  giveUpMs?: number;
  /** Told when a socket of this class switched to long-polling. */
  onLongPoll?(): void;
}

/** Largest POST body the client builds from queued frames (one larger frame goes alone). */
const MAX_BATCH_BYTES = 1024 * 1024;
const ABNORMAL = 1006;

type Listener = (event: never) => void;
export type HttpSocketClass = typeof HttpSocket;

export class HttpSocket extends WebSocketShape {

  /** Options every socket of this class uses (see `withOptions`). */
  static options: HttpSocketOptions = {};

  /** A class of sockets with these options (WebsocketProvider takes a class, not an instance). */
  static withOptions(options: HttpSocketOptions): HttpSocketClass {
    const shared = { ...options };
    return class extends HttpSocket {
      static override options = shared;
    };
  }

  readonly url: string;
  readonly protocol = '';
  readonly extensions = '';
  binaryType: 'arraybuffer' | 'blob' = 'blob';
  readyState = 0;
  onopen: ((event: { type: 'open' }) => void) | null = null;
  onmessage: ((event: { type: 'message'; data: ArrayBuffer | string }) => void) | null = null;
  onclose: ((event: { type: 'close'; code: number; reason: string; wasClean: boolean }) => void) | null = null;
  onerror: ((event: { type: 'error' }) => void) | null = null;

  private readonly options: HttpSocketOptions;
  private readonly base: string;
  private readonly query: string;
  private sessionUrl: string | null = null;
  private lastEventId = 0;
  private readonly outbox: ClientFrame[] = [];
  private outboxBytes = 0;
  private nextSeq = 0;
  private posting = false;
  private readonly aborts = new Set<AbortController>();
  private readonly listeners = new Map<string, Set<Listener>>();
  private longPolling: boolean;

  constructor(url: string | URL, _protocols?: string | string[]) {
    super();
    this.options = (this.constructor as typeof HttpSocket).options;
    this.url = String(url);
    const parsed = new URL(this.url);
    parsed.protocol = parsed.protocol === 'wss:' ? 'https:' : parsed.protocol === 'ws:' ? 'http:' : parsed.protocol;
    this.base = `${parsed.origin}${parsed.pathname.replace(/\/$/, '')}/${HTTP_TRANSPORT_SEGMENT}`;
    this.query = parsed.search;
    this.longPolling = this.options.longPoll === true;
    void this.open();
  }

  get bufferedAmount(): number {
    return this.outboxBytes;
  }

  /** Whether this socket reads the server's frames by long-polling (a proxy held its stream back). */
  get isLongPolling(): boolean {
    return this.longPolling;
  }

  addEventListener(type: string, listener: Listener): void {
    let set = this.listeners.get(type);
    if (!set) this.listeners.set(type, (set = new Set()));
    set.add(listener);
  }

  removeEventListener(type: string, listener: Listener): void {
    this.listeners.get(type)?.delete(listener);
  }

  send(data: string | ArrayBufferLike | Blob | ArrayBufferView): void {
    if (this.readyState === HttpSocket.CONNECTING) throw new DOMException('Still in CONNECTING state.', 'InvalidStateError');
    if (this.readyState !== HttpSocket.OPEN) return;
    let frame: ClientFrame;
    if (typeof data === 'string') frame = { data: new TextEncoder().encode(data), text: true };
    else if (ArrayBuffer.isView(data)) frame = { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice(), text: false };
    else if (data instanceof ArrayBuffer) frame = { data: new Uint8Array(data.slice(0)), text: false };
    else throw new TypeError('HttpSocket sends strings and bytes, not Blobs');
    this.outbox.push(frame);
    this.outboxBytes += frame.data.length;
    queueMicrotask(() => void this.flush());
  }

  close(code = 1000, reason = ''): void {
    if (this.readyState === HttpSocket.CLOSING || this.readyState === HttpSocket.CLOSED) return;
    const wasOpen = this.readyState === HttpSocket.OPEN;
    this.readyState = HttpSocket.CLOSING;
    void (async () => {
      if (wasOpen) {
        // What was sent before close() goes first, as a WebSocket's buffered frames do.
        const deadline = Date.now() + 2_000;
        while ((this.outbox.length > 0 || this.posting) && Date.now() < deadline && this.readyState === HttpSocket.CLOSING) await delay(10);
        this.tellServerClosed(code, reason);
      }
      this.finish(code, reason, wasOpen);
    })();
  }

  private async open(): Promise<void> {
    let response: Response;
    try {
      response = await this.request(`${this.base}${this.query}`, { method: 'POST' });
    } catch {
      return this.fail();
    }
    if (response.status !== 201) return this.closedBy(response);
    const { session } = (await response.json()) as { session: string };
    this.sessionUrl = `${this.base}/${encodeURIComponent(session)}`;
    if (this.readyState !== HttpSocket.CONNECTING) {
      // close() was called while opening.
      this.tellServerClosed(1000, '');
      return;
    }
    this.readyState = HttpSocket.OPEN;
    leaveOnPageHide(this);
    this.dispatch('open', { type: 'open' });
    void this.read();
    void this.flush();
  }

  /** Reads the server's events until the session closes: streams, or long-polls. */
  private async read(): Promise<void> {
    let failingSince = 0;
    while (this.readyState === HttpSocket.OPEN) {
      try {
        const finished = this.longPolling ? await this.pollOnce() : await this.streamOnce();
        if (finished) return;
        failingSince = 0;
      } catch {
        if (this.readyState !== HttpSocket.OPEN) return;
        const now = Date.now();
        if (failingSince === 0) failingSince = now;
        else if (now - failingSince > (this.options.giveUpMs ?? 4_000)) return this.lose();
        await delay(250);
      }
    }
  }

  /** One stream; true once the session is over. Throws when the server could not be reached. */
  private async streamOnce(): Promise<boolean> {
    const abort = this.abortable();
    let sawBytes = false;
    // Nothing (not even the answer's headers) within the limit: a proxy holds the stream back
    // until it ends. Long-poll instead.
    const timeout = setTimeout(() => {
      if (sawBytes) return;
      this.longPolling = true;
      (this.constructor as typeof HttpSocket).options.longPoll = true;
      this.options.onLongPoll?.();
      abort.abort();
    }, this.options.streamOpenTimeoutMs ?? 2_500);
    try {
      const response = await this.request(`${this.sessionUrl}?${LAST_EVENT_ID_PARAM}=${this.lastEventId}`, {
        headers: { accept: 'text/event-stream', 'last-event-id': String(this.lastEventId) },
        signal: abort.signal,
      });
      if (response.status !== 200 || response.body === null) {
        sawBytes = true;
        await this.closedBy(response);
        return true;
      }
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      const parser = new StreamParser();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return this.readyState !== HttpSocket.OPEN;
        sawBytes = true;
        if (this.deliver(parser.push(decoder.decode(value, { stream: true })))) return true;
      }
    } catch (error) {
      if (abort.signal.aborted) return this.readyState !== HttpSocket.OPEN;
      throw error;
    } finally {
      clearTimeout(timeout);
      this.aborts.delete(abort);
    }
  }

  /** One long-poll; true once the session is over. */
  private async pollOnce(): Promise<boolean> {
    const abort = this.abortable();
    try {
      const response = await this.request(`${this.sessionUrl}?${POLL_PARAM}=1&${LAST_EVENT_ID_PARAM}=${this.lastEventId}`, { signal: abort.signal });
      if (response.status !== 200) {
        await this.closedBy(response);
        return true;
      }
      const text = await response.text();
      return this.deliver(new StreamParser().push(text));
    } catch (error) {
      if (abort.signal.aborted) return true;
      throw error;
    } finally {
      this.aborts.delete(abort);
    }
  }

  /** Hands events over in order, each once; true when one closed the session. */
  private deliver(events: StreamEvent[]): boolean {
    for (const event of events) {
      if (this.readyState === HttpSocket.CLOSED) return true;
      if (event.id !== null) {
        if (event.id <= this.lastEventId) continue;
        this.lastEventId = event.id;
      }
      if (event.event === TransportEvent.close) {
        const { code, reason } = parseClose(event.data);
        this.finish(code, reason, true);
        return true;
      }
      if (this.readyState !== HttpSocket.OPEN) continue;
      const data = event.event === TransportEvent.text ? event.data : base64ToBuffer(event.data);
      this.dispatch('message', { type: 'message', data });
    }
    return false;
  }

  /** POSTs queued frames, one batch at a time, until none is left. */
  private async flush(): Promise<void> {
    if (this.posting || this.outbox.length === 0 || this.sessionUrl === null) return;
    if (this.readyState !== HttpSocket.OPEN && this.readyState !== HttpSocket.CLOSING) return;
    this.posting = true;
    let failingSince = 0;
    try {
      while (this.outbox.length > 0 && (this.readyState === HttpSocket.OPEN || this.readyState === HttpSocket.CLOSING)) {
        let count = 0;
        let bytes = 0;
        while (count < this.outbox.length && (count === 0 || bytes + this.outbox[count]!.data.length <= MAX_BATCH_BYTES)) bytes += this.outbox[count++]!.data.length;
        const batch = this.outbox.slice(0, count);
        let response: Response;
        try {
          response = await this.request(`${this.sessionUrl}?${SEQ_PARAM}=${this.nextSeq}`, {
            method: 'POST',
            headers: { 'content-type': 'application/octet-stream' },
            body: encodeClientFrames(batch) as BodyInit,
          });
        } catch {
          const now = Date.now();
          if (failingSince === 0) failingSince = now;
          else if (now - failingSince > (this.options.giveUpMs ?? 4_000)) return this.lose();
          await delay(250);
          continue;
        }
        failingSince = 0;
        if (response.status !== 200 && response.status !== 202) return await this.closedBy(response);
        this.outbox.splice(0, count);
        this.outboxBytes -= bytes;
        this.nextSeq += count;
      }
    } finally {
      this.posting = false;
    }
  }

  private request(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = { ...(this.options.headers ?? {}), ...((init.headers as Record<string, string> | undefined) ?? {}) };
    return fetch(url, { ...init, headers, credentials: 'same-origin', cache: 'no-store' });
  }

  private abortable(): AbortController {
    const abort = new AbortController();
    this.aborts.add(abort);
    return abort;
  }

  /** A refusal or a closed session's answer: closes with the code it carries (1006 without one). */
  private async closedBy(response: Response): Promise<void> {
    let body: Partial<TransportClosed> = {};
    try {
      body = (await response.json()) as Partial<TransportClosed>;
    } catch {
      // Not ours (a proxy's page): the code stays 1006.
    }
    const code = typeof body.code === 'number' ? body.code : ABNORMAL;
    if (code === ABNORMAL) this.dispatch('error', { type: 'error' });
    this.finish(code, typeof body.reason === 'string' ? body.reason : '', code !== ABNORMAL);
  }

  /** The server could not be reached to open. */
  private fail(): void {
    this.dispatch('error', { type: 'error' });
    this.finish(ABNORMAL, '', false);
  }

  /** The server stayed out of reach: the connection is lost (the server drops the session too). */
  private lose(): void {
    this.tellServerClosed(1000, 'connection lost');
    this.dispatch('error', { type: 'error' });
    this.finish(ABNORMAL, '', false);
  }

  /** @internal Tells the server this socket is closed; `keepalive` lets it leave with the page. */
  tellServerClosed(code: number, reason: string, keepalive = false): void {
    if (this.sessionUrl === null) return;
    const url = `${this.sessionUrl}?code=${code}&reason=${encodeURIComponent(reason)}`;
    this.request(url, { method: 'DELETE', keepalive }).catch(() => {
      // Unreachable: the server drops the session once it has not seen us for a while.
    });
  }

  private finish(code: number, reason: string, wasClean: boolean): void {
    if (this.readyState === HttpSocket.CLOSED) return;
    this.readyState = HttpSocket.CLOSED;
    for (const abort of this.aborts) abort.abort();
    this.aborts.clear();
    this.outbox.length = 0;
    this.outboxBytes = 0;
    this.dispatch('close', { type: 'close', code, reason, wasClean });
  }

  private dispatch(type: 'open' | 'message' | 'close' | 'error', event: { type: string; [key: string]: unknown }): void {
    const handler = this[`on${type}`] as ((event: never) => void) | null;
    try {
      handler?.call(this, event as never);
    } finally {
      for (const listener of [...(this.listeners.get(type) ?? [])]) listener.call(this, event as never);
    }
  }
}

/**
 * Open sockets of this page. A WebSocket goes when its page goes; a session of the HTTP transport
 * would wait out its expiry on the server (and its presence with it), so leaving the page closes it.
 */
const openSockets = new Set<HttpSocket>();
let pageHideListening = false;

function leaveOnPageHide(socket: HttpSocket): void {
  if (typeof window === 'undefined' || typeof window.addEventListener !== 'function') return;
  openSockets.add(socket);
  socket.addEventListener('close', () => openSockets.delete(socket));
  if (pageHideListening) return;
  pageHideListening = true;
  window.addEventListener('pagehide', () => {
    for (const open of openSockets) open.tellServerClosed(1001, 'the page went away', true);
  });
}

function parseClose(data: string): { code: number; reason: string } {
  try {
    const value = JSON.parse(data) as { code?: unknown; reason?: unknown };
    return { code: typeof value.code === 'number' ? value.code : ABNORMAL, reason: typeof value.reason === 'string' ? value.reason : '' };
  } catch {
    return { code: ABNORMAL, reason: '' };
  }
}

function base64ToBuffer(text: string): ArrayBuffer {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes.buffer;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
