import WebSocket from 'ws';
import { HttpSocket, type HttpSocketClass } from '../web/src/sync/httpSocket.js';
import { encodeAwarenessUpdate, encodeCharInsert } from './edits.js';
import type { RunningServer } from './servers.js';
import { type Dialect, dialectFor, Msg, Sync } from './wire.js';

/** What a client reports upward; all optional. `now` is performance.now() at arrival. */
export interface ClientEvents {
  /** A relayed sync update (y-protocols "update", not step2). */
  onUpdate?(payload: Uint8Array, now: number): void;
  /** Any document content: the server's step2 or an update (C1 watches both). */
  onContent?(payload: Uint8Array, now: number): void;
}

/**
 * The HttpSocket class of one started server. A stream that shows nothing for 2.5 s (as on a starved
 * machine) moves its class to long-polling for good: per server, so that stays within one run, and said.
 */
const httpSockets = new WeakMap<RunningServer, HttpSocketClass>();
function httpSocketFor(server: RunningServer): HttpSocketClass {
  let socketClass = httpSockets.get(server);
  if (!socketClass) {
    let said = false;
    const onLongPoll = (): void => {
      if (!said) console.log(`    (${server.spec.label}: a stream showed nothing for 2.5 s; this run's HTTP clients long-poll from now on)`);
      said = true;
    };
    socketClass = HttpSocket.withOptions({ onLongPoll });
    httpSockets.set(server, socketClass);
  }
  return socketClass;
}

/** A random Yjs client id (uint32, never 0), as Yjs picks them. */
function randomClientId(): number {
  return 1 + Math.floor(Math.random() * 0xfffffffe);
}

/**
 * One simulated editor on one document, speaking the wire directly: no Y.Doc, no provider. It
 * answers the server's step1, asks for the document with an empty state vector, and is `ready`
 * once the server's step2 has arrived. Edits are one-character inserts at the end of its own text.
 */
export class BenchClient {
  readonly clientId = randomClientId();
  /** Clock of the next edit = number of edits sent. */
  clock = 0;
  /** Set when the socket closed before we closed it. */
  closedEarly = false;
  /** Resolves with performance.now() when the server's step2 arrived; rejects if the socket fails first. */
  readonly ready: Promise<number>;
  /** ws's WebSocket, or for a server reached over the HTTP fallback an HttpSocket: both used through the DOM interface. */
  private readonly socket: WebSocket;
  private readonly dialect: Dialect;
  private awarenessClock = 0;
  private closing = false;

  /**
   * @param syncTimeoutMs `ready` rejects (and the socket is dropped) if the server has not synced us by then.
   * @param wsBase which of the server's processes to connect to (a cluster has several); the first by default.
   */
  constructor(server: RunningServer, readonly docId: string, private readonly events: ClientEvents = {}, syncTimeoutMs = 15_000, wsBase = server.wsBase) {
    this.dialect = dialectFor(server.spec.dialect, docId);
    const url = wsBase + server.spec.wsPath(docId);
    this.socket = server.spec.http ? (new (httpSocketFor(server))(url) as unknown as WebSocket) : new WebSocket(url, { perMessageDeflate: false });
    this.socket.binaryType = 'arraybuffer';
    let resolveReady!: (at: number) => void;
    let rejectReady!: (error: Error) => void;
    let isReady = false;
    this.ready = new Promise((resolve, reject) => {
      resolveReady = resolve;
      rejectReady = reject;
    });
    this.ready.catch(() => {}); // observed by whoever awaits it
    const timer = setTimeout(() => {
      rejectReady(new Error(`not synced within ${syncTimeoutMs} ms`));
      this.terminate();
    }, syncTimeoutMs);
    void this.ready.then(() => clearTimeout(timer), () => clearTimeout(timer));
    this.socket.onopen = () => {
      for (const frame of this.dialect.hello()) this.socket.send(frame);
    };
    this.socket.onmessage = (event) => {
      const now = performance.now();
      if (typeof event.data === 'string') return;
      const message = this.dialect.parse(new Uint8Array(event.data as ArrayBuffer));
      if (message.type !== Msg.sync) return; // awareness, auth, sync status: not measured
      if (message.sync === Sync.update) {
        this.events.onUpdate?.(message.payload, now);
        this.events.onContent?.(message.payload, now);
      } else if (message.sync === Sync.step2) {
        this.events.onContent?.(message.payload, now);
        if (!isReady) {
          isReady = true;
          resolveReady(now);
        }
      } else if (message.sync === Sync.step1) {
        this.socket.send(this.dialect.step2Reply());
      }
    };
    this.socket.onerror = (event) => rejectReady(new Error(`socket error ${String((event as { message?: string }).message ?? '')}`));
    this.socket.onclose = (event) => {
      if (!this.closing) this.closedEarly = true;
      rejectReady(new Error(`closed ${event.code} ${event.reason} before sync`));
    };
  }

  get open(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  /** Sends the next one-character insert; returns its clock. */
  sendEdit(): number {
    const clock = this.clock++;
    this.socket.send(this.dialect.update(encodeCharInsert(this.clientId, clock, String.fromCharCode(97 + (clock % 26)))));
    return clock;
  }

  /** Sends our presence with the cursor at the end of our text, as y-prosemirror does after each keystroke. */
  sendAwareness(): void {
    const state = { user: { name: `bench-${this.clientId}`, color: '#30bced' }, cursor: { anchor: this.clock, head: this.clock } };
    this.socket.send(this.dialect.awareness(encodeAwarenessUpdate(this.clientId, ++this.awarenessClock, state)));
  }

  /** Sends a whole update (C1 upload). */
  sendUpdate(update: Uint8Array): void {
    this.socket.send(this.dialect.update(update));
  }

  /** Closes the socket; terminates it if the close handshake has not finished after 1 s. Resolves when closed. */
  close(): Promise<void> {
    this.closing = true;
    if (this.socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.terminate(), 1_000);
      this.socket.addEventListener('close', () => {
        clearTimeout(timer);
        resolve();
      }, { once: true });
      if (this.socket.readyState === WebSocket.CONNECTING) this.terminate();
      else this.socket.close(1000);
    });
  }

  /** Drops the connection without a handshake (an HttpSocket has none to wait for: it closes). */
  private terminate(): void {
    if (this.socket instanceof WebSocket) this.socket.terminate();
    else (this.socket as unknown as HttpSocket).close();
  }
}

/** Runs `task` over `items` with at most `limit` in flight; resolves with the results in order. */
export async function pool<T, R>(items: readonly T[], limit: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
