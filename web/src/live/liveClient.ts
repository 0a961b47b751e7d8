import type { Role } from '../../../shared/accounts.js';
import type { ChatMessage, Conversation, Notification, Person } from '../../../shared/api.js';
import { CloseCode, isReconnectAtOnce } from '../../../shared/closeCodes.js';
import type { LiveClientMessage, LiveServerMessage } from '../../../shared/live.js';

/**
 * The client of the per-user socket /live (shared/live.ts): one per page, signed in only. No DOM
 * here, so it is unit-tested with a fake socket; pageLive.ts makes the page's one instance.
 *
 * - Connects, and after any close but 4401 (the session ended: reconnecting cannot help), and a guest's
 *   4404 and 4410 (no access to its document, or the document was deleted)
 *   reconnects after `delayFor(attempt)` (jittered, see reconnect.ts); attempts restart at 1 once a
 *   connection has said hello.
 * - `send(conversationId, text)` numbers the message with a fresh nonce and resolves with the
 *   stored ChatMessage when the server answers `sent` with that nonce; it rejects with a
 *   LiveSendError when the server answers `refused` (its code and sentence), when no answer comes
 *   within `sendTimeoutMs`, or when the connection closes first (the message may or may not have
 *   been stored then: the page reloads the conversation after reconnecting to find out).
 * - Server messages are handed to typed listeners (`on`).
 */

/** open: hello received; connecting: first attempt; reconnecting: waiting or trying again; stopped: 4401, 4404, 4410 or close(). */
export type LiveState = 'connecting' | 'open' | 'reconnecting' | 'stopped';

export type HelloMessage = Extract<LiveServerMessage, { type: 'hello' }>;

/** What listeners receive, by event name. */
export interface LiveEvents {
  hello: HelloMessage;
  /** A message in one of my conversations (also my own, once stored). */
  message: ChatMessage;
  presence: Person;
  notification: Notification;
  conversation: Conversation;
  conversationGone: string;
  access: { docId: string; role: Role | null };
  /** A comment thread of a document changed (or is gone): read it again. */
  comments: { docId: string; threadId: number };
  versions: { docId: string };
  state: LiveState;
}

/** Why a `send` failed. `code` is the server's (not_member, too_long, empty, rate_limited…) or timeout, closed, not_connected. */
export class LiveSendError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'LiveSendError';
  }
}

/** The part of a WebSocket used here (the browser's, or a fake in tests). */
export interface LiveSocket {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason?: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

export interface LiveClientOptions {
  url: string;
  /** Makes a socket for `url`. Default: the browser's WebSocket. */
  openSocket?: (url: string) => LiveSocket;
  /** Delay before reconnect attempt n (1, 2, …). */
  delayFor: (attempt: number) => number;
  /** How long a `send` waits for `sent`/`refused`. Default 15 s. */
  sendTimeoutMs?: number;
  /** A new unique nonce. Default: crypto.randomUUID(). */
  newNonce?: () => string;
}

const OPEN = 1;
/** Closes after which reconnecting cannot help (a guest's socket gets the last two; an account's never does). */
const FINAL_CLOSES: ReadonlySet<number> = new Set([CloseCode.unauthenticated, CloseCode.noAccess, CloseCode.docDeleted]);
export const DEFAULT_SEND_TIMEOUT_MS = 15_000;

interface PendingSend {
  resolve(message: ChatMessage): void;
  reject(error: LiveSendError): void;
  timer: ReturnType<typeof setTimeout>;
}

type Listener<K extends keyof LiveEvents> = (value: LiveEvents[K]) => void;

export class LiveClient {
  private socket: LiveSocket | null = null;
  private currentState: LiveState = 'connecting';
  private attempt = 0;
  /** Whether a close since the last hello already reconnected at once (see closed()). */
  private atOnceSinceHello = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;
  private helloMessage: HelloMessage | null = null;
  private readonly pending = new Map<string, PendingSend>();
  private readonly listeners = new Map<keyof LiveEvents, Set<(value: never) => void>>();
  private readonly openSocket: (url: string) => LiveSocket;
  private readonly sendTimeoutMs: number;
  private readonly newNonce: () => string;
  /** The code of the last close, or null (for the status text). */
  lastCloseCode: number | null = null;

  constructor(private readonly options: LiveClientOptions) {
    this.openSocket = options.openSocket ?? ((url) => new WebSocket(url) as unknown as LiveSocket);
    this.sendTimeoutMs = options.sendTimeoutMs ?? DEFAULT_SEND_TIMEOUT_MS;
    this.newNonce = options.newNonce ?? defaultNonce;
  }

  get state(): LiveState {
    return this.currentState;
  }

  /** The latest hello (who I am, everyone's presence), or null before the first. */
  get hello(): HelloMessage | null {
    return this.helloMessage;
  }

  /** Whether a message can be sent now (connected and greeted). */
  get isOpen(): boolean {
    return this.currentState === 'open' && this.socket !== null && this.socket.readyState === OPEN;
  }

  /** Messages sent and not yet answered. */
  get pendingSends(): number {
    return this.pending.size;
  }

  /** Subscribes to an event; returns the unsubscribe. */
  on<K extends keyof LiveEvents>(event: K, listener: Listener<K>): () => void {
    let set = this.listeners.get(event);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(listener as (value: never) => void);
    return () => set.delete(listener as (value: never) => void);
  }

  /** Opens the first connection. */
  start(): void {
    if (this.stopped || this.socket !== null) return;
    this.connect();
  }

  /** If a reconnect is scheduled, makes it now (the browser came back online). */
  connectNow(): void {
    if (this.stopped || this.timer === null) return;
    clearTimeout(this.timer);
    this.timer = null;
    this.connect();
  }

  /** Closes for good (the page is going away, or the user signed out). */
  close(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const socket = this.socket;
    this.socket = null;
    if (socket !== null) {
      detach(socket);
      socket.close(CloseCode.normal);
    }
    this.failPending('closed', 'The connection closed before the server confirmed this message.');
    this.setState('stopped');
  }

  /** Posts a chat message; resolves once the server has stored it (see the class comment). */
  send(conversationId: string, text: string): Promise<ChatMessage> {
    if (!this.isOpen || this.socket === null) {
      return Promise.reject(new LiveSendError('Live connection is down.', 'not_connected'));
    }
    const nonce = this.newNonce();
    const frame: LiveClientMessage = { type: 'send', nonce, conversationId, text };
    const socket = this.socket;
    return new Promise<ChatMessage>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(nonce);
        reject(new LiveSendError('The server did not confirm this message in time.', 'timeout'));
      }, this.sendTimeoutMs);
      this.pending.set(nonce, { resolve, reject, timer });
      try {
        socket.send(JSON.stringify(frame));
      } catch {
        clearTimeout(timer);
        this.pending.delete(nonce);
        reject(new LiveSendError('Live connection is down.', 'not_connected'));
      }
    });
  }

  /** Tells the server I have read `conversationId` up to `messageId`. Returns false when not connected. */
  markRead(conversationId: string, messageId: number): boolean {
    if (!this.isOpen || this.socket === null) return false;
    const frame: LiveClientMessage = { type: 'read', conversationId, messageId };
    try {
      this.socket.send(JSON.stringify(frame));
      return true;
    } catch {
      return false;
    }
  }

  private connect(): void {
    let socket: LiveSocket;
    try {
      socket = this.openSocket(this.options.url);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    socket.onmessage = (event) => {
      if (this.socket === socket && typeof event.data === 'string') this.receive(event.data);
    };
    socket.onclose = (event) => {
      if (this.socket === socket) this.closed(event.code);
    };
    socket.onerror = () => {
      // A close event always follows.
    };
  }

  private receive(data: string): void {
    let message: LiveServerMessage;
    try {
      message = JSON.parse(data) as LiveServerMessage;
    } catch {
      return;
    }
    if (typeof message !== 'object' || message === null) return;
    switch (message.type) {
      case 'hello':
        this.helloMessage = message;
        this.attempt = 0;
        this.atOnceSinceHello = false;
        this.lastCloseCode = null;
        this.setState('open');
        this.emit('hello', message);
        return;
      case 'sent': {
        const waiting = this.pending.get(message.nonce);
        if (waiting !== undefined) {
          this.pending.delete(message.nonce);
          clearTimeout(waiting.timer);
          waiting.resolve(message.message);
        }
        this.emit('message', message.message);
        return;
      }
      case 'refused': {
        const waiting = this.pending.get(message.nonce);
        if (waiting === undefined) return;
        this.pending.delete(message.nonce);
        clearTimeout(waiting.timer);
        waiting.reject(new LiveSendError(message.message || 'The server refused this message.', message.error));
        return;
      }
      case 'message':
        this.emit('message', message.message);
        return;
      case 'presence':
        this.emit('presence', message.person);
        return;
      case 'notification':
        this.emit('notification', message.notification);
        return;
      case 'conversation':
        this.emit('conversation', message.conversation);
        return;
      case 'conversationGone':
        this.emit('conversationGone', message.conversationId);
        return;
      case 'access':
        this.emit('access', { docId: message.docId, role: message.role });
        return;
      case 'comments':
        this.emit('comments', { docId: message.docId, threadId: message.threadId });
        return;
      case 'versions':
        this.emit('versions', { docId: message.docId });
        return;
      default:
        return;
    }
  }

  private closed(code: number): void {
    const socket = this.socket;
    this.socket = null;
    if (socket !== null) detach(socket);
    this.lastCloseCode = code;
    this.failPending('closed', 'The connection closed before the server confirmed this message.');
    if (FINAL_CLOSES.has(code)) {
      this.stopped = true;
      this.setState('stopped');
      return;
    }
    // Our socket moving from the HTTP transport to a WebSocket, or an HTTP session another process
    // holds: nothing a wait would help, so none — once per hello: a second such close before the next
    // hello (a balancer that keeps sending this client's requests to other processes) waits as any other.
    if (isReconnectAtOnce(code) && !this.stopped && !this.atOnceSinceHello) {
      this.atOnceSinceHello = true;
      return this.connect();
    }
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    this.attempt += 1;
    this.setState('reconnecting');
    this.timer = setTimeout(() => {
      this.timer = null;
      this.connect();
    }, this.options.delayFor(this.attempt));
  }

  private failPending(code: string, text: string): void {
    for (const [nonce, waiting] of this.pending) {
      this.pending.delete(nonce);
      clearTimeout(waiting.timer);
      waiting.reject(new LiveSendError(text, code));
    }
  }

  private setState(state: LiveState): void {
    if (this.currentState === state) return;
    this.currentState = state;
    this.emit('state', state);
  }

  private emit<K extends keyof LiveEvents>(event: K, value: LiveEvents[K]): void {
    for (const listener of [...(this.listeners.get(event) ?? [])]) {
      try {
        (listener as Listener<K>)(value);
      } catch (err) {
        console.error(`live ${event} listener failed`, err);
      }
    }
  }
}

function detach(socket: LiveSocket): void {
  socket.onopen = null;
  socket.onmessage = null;
  socket.onclose = null;
  socket.onerror = null;
}

function defaultNonce(): string {
  if (typeof crypto !== 'undefined' && typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}
