import type { FastifyBaseLogger } from 'fastify';
import type { PublicUser } from '../../shared/api.js';
import { CloseCode } from '../../shared/closeCodes.js';
import type { LiveServerMessage } from '../../shared/live.js';
import type { UserRecord } from '../accounts/accountStore.js';
import { type ClientSocket, SocketState } from '../sockets/clientSocket.js';
import { TokenBucket } from '../tokenBucket.js';

/** Messages a connection may have waiting for its hello; more means the hello is stuck. */
const MAX_QUEUED_BEFORE_HELLO = 1_000;

/** A close reason may be at most 123 bytes of UTF-8 (RFC 6455); ws throws on a longer one. */
function closeReason(reason: string): string {
  let cut = reason;
  while (Buffer.byteLength(cut) > 123) cut = cut.slice(0, -1);
  return cut;
}

export interface LiveConnectionLimits {
  /** Frames per second the client may send, and the burst above that (then 4429). */
  framesPerSecond: number;
  frameBurst: number;
  /** Bytes waiting in the send buffer past which the client counts as not reading (dropped). */
  maxSendBufferBytes: number;
}

/** A guest's /live socket follows one document: who the guest is, and which document. */
export interface LiveGuest {
  user: PublicUser;
  docId: string;
}

/**
 * One /live socket of a signed-in user, or of a guest following one document's comments (`guest`
 * set, `user` null). Until its hello is sent, everything else addressed to it waits in order, so
 * that hello is always the first frame.
 */
export class LiveConnection {
  /** Date.now() when the client last showed it is alive (a frame or a pong). */
  lastSeenAt = Date.now();
  /** Client frames are handled one after another (a 'send' waits for the one before it). */
  work: Promise<void> = Promise.resolve();
  readonly frames: TokenBucket;
  private queue: LiveServerMessage[] | null = [];
  private closed = false;

  constructor(
    private readonly socket: ClientSocket,
    /** The signed-in user; null for a guest. */
    readonly user: UserRecord | null,
    /** The hash of the session the socket was opened with (it closes when that session ends); '' for a guest. */
    readonly sessionHash: string,
    /** The request's logger: it names the connection on every line. */
    readonly log: FastifyBaseLogger,
    private readonly limits: LiveConnectionLimits,
    /** A guest's socket: the guest and the one document it follows (null for an account's). */
    readonly guest: LiveGuest | null = null,
  ) {
    this.frames = new TokenBucket(limits.framesPerSecond, limits.frameBurst);
  }

  /** The account's id, or the guest's ('g:…'). */
  get userId(): string {
    return this.user?.id ?? this.guest!.user.id;
  }

  get isClosed(): boolean {
    return this.closed || this.socket.readyState !== SocketState.open;
  }

  /** Sends the first frame, then whatever waited for it. */
  hello(message: Extract<LiveServerMessage, { type: 'hello' }>): void {
    const waiting = this.queue ?? [];
    this.queue = null;
    this.write(message);
    for (const queued of waiting) this.write(queued);
  }

  send(message: LiveServerMessage): void {
    if (this.closed) return;
    if (this.queue !== null) {
      if (this.queue.length >= MAX_QUEUED_BEFORE_HELLO) {
        this.terminate('too many messages waiting for the hello');
        return;
      }
      this.queue.push(message);
      return;
    }
    this.write(message);
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.queue = null;
    this.log.info({ code }, `closing live connection: ${reason}`);
    this.socket.close(code, closeReason(reason));
  }

  terminate(why: string): void {
    if (this.closed && this.socket.readyState === SocketState.closed) return;
    this.closed = true;
    this.queue = null;
    this.log.warn(`dropping live connection: ${why}`);
    this.socket.terminate();
  }

  /** Pings the client, or drops it when it has been silent for `timeoutMs`. False when dropped. */
  heartbeat(timeoutMs: number): boolean {
    if (this.isClosed) return false;
    if (Date.now() - this.lastSeenAt > timeoutMs) {
      this.terminate(`no sign of life for ${Date.now() - this.lastSeenAt} ms`);
      return false;
    }
    this.socket.ping();
    return true;
  }

  private write(message: LiveServerMessage): void {
    if (this.closed || this.socket.readyState !== SocketState.open) return;
    if (this.socket.bufferedAmount > this.limits.maxSendBufferBytes) {
      this.terminate(`it stopped reading (${this.socket.bufferedAmount} bytes waiting, code ${CloseCode.slowReader})`);
      return;
    }
    this.socket.send(JSON.stringify(message));
  }
}
