import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { isUpdateBearingFrame } from '../../shared/codec.js';
import {
  type ClientFrame,
  formatStreamEvent,
  LONG_POLL_WAIT_MS,
  POST_COMMIT_WAIT_MS,
  PRESENCE_AWAY_MS,
  REPLAY_BUFFER_BYTES,
  TransportEvent,
} from '../../shared/httpTransport.js';
import { CloseCode } from '../../shared/closeCodes.js';
import { type ClientSocket, SocketState } from './clientSocket.js';
import { frameLength } from '../collab/sharedFrame.js';

/** One server → client event: its id, SSE name and data, and what it counts for in bufferedAmount. */
interface StreamItem {
  id: number;
  text: string;
  bytes: number;
  /** Told once the event is taken by a stream or poll (or, with an error, that it never will be). */
  written?: (error?: Error) => void;
}

/** What a stream or poll asking to resume after `lastEventId` gets. */
export type Resumed = { items: string[] } | { gap: true };

/** How a session ended (for the answer to later requests). */
export interface SessionClose {
  code: number;
  reason: string;
}

/** A close code a terminated session reports: no close frame (like ws's 1006). */
const ABNORMAL = 1006;

/**
 * One client of a WebSocket endpoint over the HTTP transport (shared/httpTransport.ts), shaped like
 * ws's WebSocket (ClientSocket) so the endpoint's own connection code runs on it unchanged.
 *
 * Server → client: every `send` becomes an event with the next id, queued; an attached stream gets
 * it at once, a waiting long-poll on the next turn (so one turn's frames go in one answer). Events
 * written out are kept (REPLAY_BUFFER_BYTES at most; the oldest go first) until the client shows it
 * has them — its next stream or poll names the last id it saw — so a stream that broke is resumed
 * without loss or repetition. A client that asks to resume after events no longer kept cannot be:
 * the session is closed (4508) and it starts afresh.
 *
 * Client → server: `receive(seq, frames)` numbers frames per session and emits each as a 'message'
 * exactly once (a retried POST's frames are skipped), counting the update-bearing ones, so that
 * `whenCommitted` resolves when the room's saved count (committed) reaches them.
 *
 * bufferedAmount: the frame bytes of events not yet written to a stream or poll (a client that does
 * not take them: the connection's slow-reader rule applies), plus what its stream still buffers.
 */
export class HttpSession extends EventEmitter implements ClientSocket {
  readyState: number = SocketState.open;
  /** Date.now() of the client's last request, or now while it has a stream or a poll open. */
  lastSeenAt = Date.now();
  /** Set once closed: how (its final event, and the answer to later requests). */
  closedWith: SessionClose | null = null;
  closedAt = 0;
  private nextId = 1;
  /** The newest event id handed to a stream or poll (0: none yet); a client cannot have seen a later one. */
  private sentThrough = 0;
  private queue: StreamItem[] = [];
  private queuedBytes = 0;
  private kept: StreamItem[] = [];
  private keptBytes = 0;
  private stream: ServerResponse | null = null;
  private poll: { resolve(result: Resumed): void; timer: NodeJS.Timeout } | null = null;
  /** Running while no stream or poll is attached: fires 'away' after PRESENCE_AWAY_MS. */
  private awayTimer: NodeJS.Timeout | null = null;
  private pollDue: NodeJS.Immediate | null = null;
  /** Client frames taken so far (the next one's number). */
  private framesTaken = 0;
  private updateFrames = 0;
  private committedCount = 0;
  private commitWaiters: Array<() => void> = [];

  constructor(
    readonly id: string,
    /** Who opened it: the session cookie's hash, or null for a visitor. Every request must match. */
    readonly owner: string | null,
    /** The endpoint's path parameters it was opened with (e.g. the document id). */
    readonly scope: string,
  ) {
    super();
  }

  get bufferedAmount(): number {
    return this.queuedBytes + (this.stream?.writableLength ?? 0);
  }

  /** Whether the client has a stream or a long-poll open now. */
  get attached(): boolean {
    return this.stream !== null || this.poll !== null;
  }

  send(data: Uint8Array | string, written?: (error?: Error) => void): void {
    if (this.readyState !== SocketState.open) {
      if (written) process.nextTick(written, new Error('the session is closed'));
      return;
    }
    if (typeof data === 'string') this.enqueue(TransportEvent.text, data, Buffer.byteLength(data), written);
    else this.enqueue(TransportEvent.binary, Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64'), frameLength(data.length), written);
  }

  close(code: number, reason: string): void {
    if (this.readyState !== SocketState.open) return;
    this.enqueue(TransportEvent.close, JSON.stringify({ code, reason }), 0);
    this.finish({ code, reason });
    // The stream ends after the final event; a poll gets it on the next turn.
    if (this.stream) this.endStream();
  }

  terminate(): void {
    if (this.readyState === SocketState.closed) return;
    this.finish({ code: ABNORMAL, reason: '' });
    this.dropQueue();
    this.queuedBytes = 0;
    this.kept = [];
    this.keptBytes = 0;
    this.stream?.destroy();
    this.stream = null;
    this.answerPoll();
  }

  /**
   * Whether a client may claim to have seen event `id`: one handed to it already. A later id
   * would drop events it never got (and their senders' callbacks with them); it is refused.
   */
  mayResumeAfter(id: number): boolean {
    return id <= this.sentThrough;
  }

  /** A sign of life follows when the client is there: a stream or poll open, or a request lately. */
  ping(): void {
    if (this.readyState !== SocketState.open) return;
    if (this.attached) this.lastSeenAt = Date.now();
    if (this.attached || Date.now() - this.lastSeenAt < LONG_POLL_WAIT_MS * 2) setImmediate(() => this.emit('pong'));
  }

  committed(count: number): void {
    this.committedCount = count;
    if (this.commitWaiters.length === 0) return;
    const waiters = this.commitWaiters;
    this.commitWaiters = [];
    for (const wake of waiters) wake();
  }

  /**
   * Takes a POST's frames, the first being the session's frame number `seq`. Frames already taken
   * (a retried POST) are skipped; a `seq` past the frames taken means frames were lost on the way:
   * refused (4400). Frames over `maxFrameBytes` close the session with 1009, as ws does.
   */
  receive(seq: number, frames: readonly ClientFrame[], maxFrameBytes: number): void {
    if (seq > this.framesTaken) {
      this.close(CloseCode.badMessage, 'frames are missing before this one');
      return;
    }
    for (let i = this.framesTaken - seq; i < frames.length; i++) {
      if (this.readyState !== SocketState.open) return;
      const { data, text } = frames[i]!;
      this.framesTaken++;
      if (data.length > maxFrameBytes) return this.refuseTooBig();
      if (!text && isUpdateBearingFrame(data)) this.updateFrames++;
      this.emit('message', Buffer.from(data.buffer, data.byteOffset, data.byteLength), !text);
    }
  }

  /**
   * A frame over the size limit (here, or one whose request body the server would not read): closes
   * with 1009 and tells the endpoint as ws tells it of an oversized frame, so it is logged and counted.
   */
  refuseTooBig(): void {
    if (this.readyState !== SocketState.open) return;
    this.close(CloseCode.tooBig, 'Max payload size exceeded');
    this.emit('error', Object.assign(new RangeError('Max payload size exceeded'), { code: 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' }));
  }

  /**
   * Resolves once every update-bearing frame taken so far is committed, the session closed, or
   * POST_COMMIT_WAIT_MS passed; true when they are committed.
   */
  whenCommitted(): Promise<boolean> {
    const target = this.updateFrames;
    return new Promise((resolve) => {
      const check = (): boolean => {
        if (this.committedCount >= target) return resolve(true), true;
        if (this.readyState !== SocketState.open) return resolve(false), true;
        return false;
      };
      if (check()) return;
      const timer = setTimeout(() => resolve(false), POST_COMMIT_WAIT_MS);
      const wait = (): void => {
        if (check()) clearTimeout(timer);
        else this.commitWaiters.push(wait);
      };
      this.commitWaiters.push(wait);
    });
  }

  /**
   * Attaches a stream (the previous one, if any, is ended) that resumes after `lastEventId`: what
   * came after it is written at once, then every event as it comes. Returns false (attaching
   * nothing) when events after `lastEventId` are no longer kept.
   */
  attachStream(response: ServerResponse, lastEventId: number): boolean {
    if (!this.resumeFrom(lastEventId)) return false;
    if (this.stream) this.endStream();
    this.cancelPoll();
    this.stream = response;
    this.lastSeenAt = Date.now();
    response.on('close', () => {
      if (this.stream !== response) return;
      this.stream = null;
      this.lastSeenAt = Date.now();
      this.watchAway();
    });
    this.flushStream();
    if (this.readyState !== SocketState.open) this.endStream();
    this.watchAway();
    return true;
  }

  /**
   * A long-poll resuming after `lastEventId`: the events after it, at once if there are any, else
   * as soon as one comes or LONG_POLL_WAIT_MS passed (then none). A newer poll answers an older one.
   */
  nextPoll(lastEventId: number): Promise<Resumed> {
    if (!this.resumeFrom(lastEventId)) return Promise.resolve({ gap: true });
    if (this.stream) this.endStream();
    this.cancelPoll();
    this.lastSeenAt = Date.now();
    if (this.queue.length > 0 || this.readyState !== SocketState.open) {
      // Answered at once: the client is here, and detached again until its next poll.
      this.clearAway();
      this.watchAway();
      return Promise.resolve({ items: this.takeQueue() });
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.answerPoll(), LONG_POLL_WAIT_MS);
      this.poll = { resolve, timer };
      this.watchAway();
    });
  }

  /** The client went away from a poll it was waiting on (its request closed). */
  abandonPoll(): void {
    this.cancelPoll();
    this.lastSeenAt = Date.now();
  }

  /** Writes a comment line to the stream (keeps proxies from timing it out). */
  keepAlive(): void {
    if (this.stream) {
      this.stream.write(': keep-alive\n\n');
      this.lastSeenAt = Date.now();
    } else if (this.poll) this.lastSeenAt = Date.now();
  }

  /** Ends an attached stream and answers a waiting poll with nothing (server shutdown). */
  detach(): void {
    if (this.stream) this.endStream();
    this.answerPoll();
  }

  private enqueue(event: string, data: string, bytes: number, written?: (error?: Error) => void): void {
    const item: StreamItem = { id: this.nextId++, text: formatStreamEvent(this.nextId - 1, event, data), bytes };
    if (written) item.written = written;
    this.queue.push(item);
    this.queuedBytes += bytes;
    if (this.stream) this.flushStream();
    else if (this.poll && this.pollDue === null) {
      this.pollDue = setImmediate(() => {
        this.pollDue = null;
        this.answerPoll();
      });
    }
  }

  private finish(how: SessionClose): void {
    this.readyState = SocketState.closed;
    this.watchAway();
    this.closedWith = how;
    this.closedAt = Date.now();
    this.committed(this.committedCount);
    const reason = Buffer.from(how.reason);
    process.nextTick(() => this.emit('close', how.code, reason));
  }

  /** Drops what the client has (ids ≤ lastEventId); false when some of what it lacks is gone. */
  private resumeFrom(lastEventId: number): boolean {
    while (this.kept.length > 0 && this.kept[0]!.id <= lastEventId) this.keptBytes -= this.kept.shift()!.bytes;
    while (this.queue.length > 0 && this.queue[0]!.id <= lastEventId) this.queuedBytes -= this.queue.shift()!.bytes;
    const first = this.kept[0]?.id ?? this.queue[0]?.id ?? this.nextId;
    if (first > lastEventId + 1) return false;
    // What was written but may not have arrived goes out again, before anything newer.
    if (this.kept.length > 0) {
      this.queue = [...this.kept, ...this.queue];
      this.queuedBytes += this.keptBytes;
      this.kept = [];
      this.keptBytes = 0;
    }
    return true;
  }

  /** Hands the queue over (to a stream or a poll), keeping it for a resume. */
  private takeQueue(): string[] {
    const items = this.queue;
    this.queue = [];
    this.queuedBytes = 0;
    for (const item of items) {
      this.sentThrough = Math.max(this.sentThrough, item.id);
      this.kept.push(item);
      this.keptBytes += item.bytes;
      if (item.written) {
        process.nextTick(item.written);
        delete item.written;
      }
    }
    // The newest events are always kept; beyond the limit the oldest go.
    while (this.keptBytes > REPLAY_BUFFER_BYTES && this.kept.length > 1) this.keptBytes -= this.kept.shift()!.bytes;
    return items.map((item) => item.text);
  }

  /** Forgets what was never taken, telling its senders. */
  private dropQueue(): void {
    const error = new Error('the session is closed');
    for (const item of this.queue) if (item.written) process.nextTick(item.written, error);
    this.queue = [];
    this.queuedBytes = 0;
  }

  private flushStream(): void {
    if (!this.stream || this.queue.length === 0) return;
    const text = this.takeQueue().join('');
    this.stream.write(text);
  }

  private endStream(): void {
    const stream = this.stream;
    this.stream = null;
    stream?.end();
    this.watchAway();
  }

  private answerPoll(): void {
    const poll = this.poll;
    if (!poll) return;
    this.poll = null;
    clearTimeout(poll.timer);
    poll.resolve({ items: this.takeQueue() });
    this.watchAway();
  }

  private cancelPoll(): void {
    const poll = this.poll;
    if (!poll) return;
    this.poll = null;
    clearTimeout(poll.timer);
    // Whatever it was given is taken back: the newer request resumes from what the client saw.
    poll.resolve({ items: [] });
    this.watchAway();
  }

  /**
   * Starts the away timer when nothing is attached (a stream closed, a poll answered or given up),
   * stops it when something is; after PRESENCE_AWAY_MS detached an open session emits 'away' once
   * per absence (its connection removes its presence).
   */
  private watchAway(): void {
    if (this.attached || this.readyState !== SocketState.open) return this.clearAway();
    if (this.awayTimer !== null) return;
    this.awayTimer = setTimeout(() => {
      this.awayTimer = null;
      if (!this.attached && this.readyState === SocketState.open) this.emit('away');
    }, PRESENCE_AWAY_MS);
    this.awayTimer.unref();
  }

  private clearAway(): void {
    if (this.awayTimer !== null) clearTimeout(this.awayTimer);
    this.awayTimer = null;
  }
}
