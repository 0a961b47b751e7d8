import type { FastifyBaseLogger } from 'fastify';
import { CloseCode } from '../../shared/closeCodes.js';
import { canEdit, type Role } from '../../shared/accounts.js';
import { encodeAccess, encodePermissionDenied, isUpdateBearingFrame } from '../../shared/codec.js';
import type { SessionRecord } from '../accounts/accountStore.js';
import type { Metrics } from '../metrics.js';
import { ProtocolError } from '../protocolError.js';
import { frameLength, idleRawSocket, type SharedBatch } from './sharedFrame.js';
import type { Peer, RoomOfPeer } from './roomContracts.js';
import type { PresenceUser } from './roomPresence.js';
import { TokenBucket } from '../tokenBucket.js';
import { newGuestAuthor, userAuthor } from '../history/historyAuthors.js';
import { type ClientSocket, SocketState } from '../sockets/clientSocket.js';

/** Per-connection limits. */
export interface ConnectionLimits {
  /** Frames a connection may send while its document is still loading. */
  maxBufferedFrames: number;
  /**
   * Bytes waiting in the socket's send buffer past which a client that takes nothing for
   * SLOW_READER_STALL_MS counts as not reading (and is dropped at the next frame for it).
   */
  maxSendBufferBytes: number;
  /**
   * The largest document: one frame (a sync step 2) may be that large, so a client is dropped at once
   * only past this much beyond maxSendBufferBytes.
   */
  maxDocBytes: number;
  /** Update frames (sync step2/update) per second, and the burst allowed above that rate. */
  updatesPerSecond: number;
  updateBurst: number;
  /** Every other frame (awareness, sync step1, queries) per second, and the burst. */
  awarenessPerSecond: number;
  awarenessBurst: number;
  /** Frames of at least this many bytes are compressed when the socket negotiated permessage-deflate (0: never). */
  compressAboveBytes: number;
}

/** Who is on the other end of a connection, as its session (or its absence) says. */
export interface Viewer {
  /** The signed-in user, or null for a visitor. */
  userId: string | null;
  /** The account name, or null for a visitor. */
  name: string | null;
  /** The session the connection was opened with (null: a visitor). */
  session: SessionRecord | null;
}

/** Every visitor's presence is stamped the same way: one object for all. */
const GUEST: PresenceUser = Object.freeze({ guest: true });

/**
 * How long a client whose backlog is over the limit may go without taking a byte. A document larger
 * than the limit is sent as one frame: a client reading it is over the limit, and keeps taking bytes.
 */
export const SLOW_READER_STALL_MS = 5_000;

/** A close reason may be at most 123 bytes of UTF-8 (RFC 6455); ws throws on a longer one. */
function closeReason(reason: string): string {
  let cut = reason;
  while (Buffer.byteLength(cut) > 123) cut = cut.slice(0, -1);
  return cut;
}

const CLOSE_CODE_NAMES = new Map<number, string>(Object.entries(CloseCode).map(([name, code]) => [code, name]));

/**
 * One client's socket on one document: a WebSocket, or a session of the HTTP transport (both are a
 * ClientSocket). Listeners are attached by the route before anything is
 * awaited; frames that arrive while the room loads are buffered (up to a limit) and handed over in
 * order once it is ready. A frame that fails closes only this connection, with a named code.
 */
export class Connection implements Peer {
  /** Date.now() when the client last showed it is alive (a frame or a pong). */
  lastSeenAt = Date.now();
  private room: RoomOfPeer | null = null;
  private buffered: Uint8Array[] = [];
  private closed = false;
  /** Bytes handed to the socket (whole frames). Less what it still buffers: what the client has taken. */
  private bytesQueued = 0;
  /** While over the send limit: what the client had taken when last seen taking more, and when (0: not over). */
  private bytesTaken = 0;
  private takingAt = 0;
  private readonly updateBucket: TokenBucket;
  private readonly otherBucket: TokenBucket;
  /** Made when the client first speaks presence (a client may never). */
  private presenceIds: Set<number> | null = null;

  readonly presenceUser: PresenceUser;
  /** Who the stored updates of this connection are attributed to: its account, else this guest connection. */
  readonly author: string;
  /** Shared frames this large go through ws, which compresses them; smaller ones are written as framed. */
  private readonly compressFrom: number;

  constructor(
    private readonly socket: ClientSocket,
    readonly docId: string,
    readonly viewer: Viewer,
    /** The connection's role on the document; changes with setRole. */
    private role: Role,
    /** The client asked for our own messages (`?ack=1`): access [102], saved acks, storage status. */
    readonly ownMessages: boolean,
    /**
     * The app's logger and the request id that names this connection: a child logger (as the
     * request's own, plus the document id) is made only when the connection first logs.
     */
    private readonly appLog: FastifyBaseLogger,
    private readonly reqId: string,
    private readonly metrics: Metrics,
    private readonly limits: ConnectionLimits,
  ) {
    this.presenceUser = viewer.userId !== null && viewer.name !== null ? { userId: viewer.userId, name: viewer.name } : GUEST;
    this.author = viewer.userId !== null ? userAuthor(viewer.userId) : newGuestAuthor();
    this.updateBucket = new TokenBucket(limits.updatesPerSecond, limits.updateBurst);
    this.otherBucket = new TokenBucket(limits.awarenessPerSecond, limits.awarenessBurst);
    const deflates = limits.compressAboveBytes > 0 && (socket.extensions ?? '').includes('permessage-deflate');
    this.compressFrom = deflates ? limits.compressAboveBytes : Infinity;
  }

  private childLog: FastifyBaseLogger | null = null;

  /** A logger whose every line names the connection (request id) and the document; made when first used. */
  private get log(): FastifyBaseLogger {
    return (this.childLog ??= this.appLog.child({ reqId: this.reqId, docId: this.docId }));
  }

  /** The awareness client ids this connection speaks for (PresenceOwner). */
  get awarenessIds(): Set<number> {
    return (this.presenceIds ??= new Set());
  }

  /** ws reported a socket error (e.g. a frame over maxPayload, which it already closed with 1009). */
  onSocketError(error: Error): void {
    this.log.warn({ err: error }, 'websocket error');
    this.metrics.framesRefused.inc({ reason: (error as { code?: string }).code ?? 'websocketError' });
    this.closed = true;
    this.socket.terminate();
    this.room?.leave(this);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Handles a 'message' event from the socket. Never throws. */
  onMessage(data: RawData, isBinary: boolean): void {
    if (this.closed) return;
    this.lastSeenAt = Date.now();
    if (!isBinary) {
      this.fail(new ProtocolError(CloseCode.unsupportedData, 'text frames are not part of this protocol'));
      return;
    }
    const frame = toUint8Array(data);
    const isUpdate = isUpdateBearingFrame(frame);
    if (!(isUpdate ? this.updateBucket : this.otherBucket).take()) {
      this.fail(new ProtocolError(CloseCode.rateLimited, isUpdate ? 'too many updates per second' : 'too many messages per second'));
      return;
    }
    if (isUpdate) {
      this.metrics.updatesReceived.inc();
      this.metrics.updateBytesReceived.inc(frame.length);
    }
    if (this.room) {
      this.handle(this.room, frame);
    } else if (this.buffered.length >= this.limits.maxBufferedFrames) {
      this.fail(new ProtocolError(CloseCode.policy, 'too many frames before the document was loaded'));
    } else {
      this.buffered.push(frame);
    }
  }

  /** A pong arrived: the client is alive. */
  onPong(): void {
    this.lastSeenAt = Date.now();
  }

  /** The client is away (an HTTP session with no stream or poll for a while): others stop showing its presence. */
  onAway(): void {
    if (!this.closed) this.room?.away(this);
  }

  get mayEdit(): boolean {
    return canEdit(this.role);
  }

  get currentRole(): Role {
    return this.role;
  }

  /** The person's role changed while connected: from now on it rules, and the client is told. */
  setRole(role: Role): void {
    if (role === this.role) return;
    const couldEdit = this.mayEdit;
    this.role = role;
    this.log.info({ role }, 'role changed while connected');
    if (this.ownMessages && this.room) this.send(encodeAccess(role));
    if (!couldEdit && this.mayEdit) this.room?.askForMissing(this);
  }

  refuseEdit(): void {
    this.log.warn({ userId: this.viewer.userId, role: this.role }, 'refused a change from a connection that may only view');
    this.metrics.framesRefused.inc({ reason: 'readOnly' });
    this.send(encodePermissionDenied('read-only: you may view this document but not change it'));
  }

  /** The room is ready: join it and replay what arrived meanwhile. */
  attach(room: RoomOfPeer): void {
    if (this.closed) return;
    this.room = room;
    if (this.ownMessages) this.send(encodeAccess(this.role));
    room.join(this);
    const early = this.buffered;
    this.buffered = [];
    for (const frame of early) {
      if (this.closed) break;
      this.handle(room, frame);
    }
  }

  /** ws reported the socket closed (by either side): leave the room. Safe to call twice. */
  onSocketClosed(): void {
    this.closed = true;
    this.buffered = [];
    this.room?.leave(this);
  }

  send(frame: Uint8Array): void {
    if (!this.writable()) return;
    this.socket.send(frame);
    this.bytesQueued += frameLength(frame.length);
  }

  sendThen(frame: Uint8Array, done: (error?: Error) => void): void {
    if (!this.writable()) return done(new Error('the connection is closed'));
    this.socket.send(frame, (error) => done(error ?? undefined));
    this.bytesQueued += frameLength(frame.length);
  }

  sendShared(batch: SharedBatch): void {
    // Checked once: the frames of one batch may together pass the limit without the client lagging.
    if (!this.writable()) return;
    const raw = idleRawSocket(this.socket);
    // One write of the batch's joined frames; through ws, frame by frame, when it must compress one
    // (ws then keeps the order) or the socket is not ws's.
    const wire = raw !== null && batch.largestPayload < this.compressFrom ? batch.wire : null;
    if (wire) raw!.write(wire);
    else for (const frame of batch.frames) this.socket.send(frame.payload);
    this.bytesQueued += batch.wireLength;
  }

  /**
   * Whether a frame may be sent now: the socket is open and the client keeps reading. A client over
   * the send limit that has taken nothing for SLOW_READER_STALL_MS, or is a whole document beyond
   * the limit, is dropped at once: a client that does not read cannot read a close frame either.
   */
  private writable(): boolean {
    if (this.closed || this.socket.readyState !== SocketState.open) return false;
    const buffered = this.socket.bufferedAmount;
    if (buffered <= this.limits.maxSendBufferBytes) {
      this.takingAt = 0;
      return true;
    }
    const taken = this.bytesQueued - buffered;
    const now = Date.now();
    if (this.takingAt === 0 || taken > this.bytesTaken) {
      this.bytesTaken = taken;
      this.takingAt = now;
    }
    if (now - this.takingAt < SLOW_READER_STALL_MS && buffered <= this.limits.maxSendBufferBytes + this.limits.maxDocBytes) return true;
    this.log.warn({ code: CloseCode.slowReader, bufferedBytes: buffered, idleMs: now - this.takingAt }, 'dropping a client that stopped reading');
    this.metrics.framesRefused.inc({ reason: 'slowReader' });
    this.closed = true;
    this.socket.terminate();
    this.room?.leave(this);
    return false;
  }

  /** Pings the client, or drops it if it has not shown life for `timeoutMs`. Returns false when dropped. */
  heartbeat(timeoutMs: number): boolean {
    if (this.closed) return false;
    if (Date.now() - this.lastSeenAt > timeoutMs) {
      this.log.warn({ silentMs: Date.now() - this.lastSeenAt }, 'dropping a client that stopped answering pings');
      this.closed = true;
      this.socket.terminate();
      this.room?.leave(this);
      return false;
    }
    this.socket.ping();
    return true;
  }

  /** The room's saved count moved: the socket may want it (the HTTP transport answers POSTs with it). */
  committedThrough(count: number): void {
    this.socket.committed?.(count);
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.buffered = [];
    this.socket.close(code, closeReason(reason));
    this.room?.leave(this);
  }

  private handle(room: RoomOfPeer, frame: Uint8Array): void {
    try {
      room.receive(this, frame);
    } catch (error) {
      this.fail(error);
    }
  }

  /** Turns an error into exactly one close, one log line and one count. */
  fail(error: unknown): void {
    if (error instanceof ProtocolError) {
      this.log.warn({ code: error.code, reason: error.reason }, 'refused client frame');
      this.metrics.framesRefused.inc({ reason: CLOSE_CODE_NAMES.get(error.code) ?? String(error.code) });
      this.close(error.code, error.reason);
    } else {
      this.log.error({ err: error }, 'error while handling a client frame');
      this.metrics.framesRefused.inc({ reason: 'serverError' });
      this.close(CloseCode.serverError, 'internal error');
    }
  }
}

type RawData = Buffer | ArrayBuffer | Buffer[];

function toUint8Array(data: RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return data;
}
