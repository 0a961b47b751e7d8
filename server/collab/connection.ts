import type { FastifyBaseLogger } from 'fastify';
import WebSocket from 'ws';
import { CloseCode } from '../../shared/closeCodes.js';
import { encodeSavedAck } from '../../shared/savedAck.js';
import { ProtocolError } from '../protocolError.js';
import type { Peer, Room } from './room.js';

/** A close reason may be at most 123 bytes of UTF-8 (RFC 6455); ws throws on a longer one. */
function closeReason(reason: string): string {
  let cut = reason;
  while (Buffer.byteLength(cut) > 123) cut = cut.slice(0, -1);
  return cut;
}

/**
 * One client's WebSocket on one document. Listeners are attached by the route before anything is
 * awaited; frames that arrive while the room loads are buffered (up to a limit) and handed over in
 * order once it is ready. A frame that fails closes only this connection, with a named code.
 */
export class Connection implements Peer {
  readonly awarenessIds = new Set<number>();
  private room: Room | null = null;
  private buffered: Uint8Array[] = [];
  private committedFrames = 0;
  private ackedFrames = 0;
  private closed = false;

  constructor(
    private readonly socket: WebSocket,
    readonly docId: string,
    private readonly ackEnabled: boolean,
    private readonly log: FastifyBaseLogger,
    private readonly maxBufferedFrames: number,
  ) {}

  get isClosed(): boolean {
    return this.closed;
  }

  /** Handles a 'message' event from ws. Never throws. */
  onMessage(data: WebSocket.RawData, isBinary: boolean): void {
    if (this.closed) return;
    if (!isBinary) {
      this.refuse(new ProtocolError(CloseCode.unsupportedData, 'text frames are not part of this protocol'));
      return;
    }
    const frame = toUint8Array(data);
    if (this.room) {
      this.handle(this.room, frame);
    } else if (this.buffered.length >= this.maxBufferedFrames) {
      this.refuse(new ProtocolError(CloseCode.policy, 'too many frames before the document was loaded'));
    } else {
      this.buffered.push(frame);
    }
  }

  /** The room is ready: join it and replay what arrived meanwhile. */
  attach(room: Room): void {
    if (this.closed) return;
    this.room = room;
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
    if (!this.closed && this.socket.readyState === WebSocket.OPEN) this.socket.send(frame);
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.buffered = [];
    this.socket.close(code, closeReason(reason));
    this.room?.leave(this);
  }

  frameCommitted(): void {
    this.committedFrames++;
  }

  flushAck(): void {
    if (!this.ackEnabled || this.committedFrames === this.ackedFrames) return;
    this.ackedFrames = this.committedFrames;
    this.send(encodeSavedAck(this.committedFrames));
  }

  private handle(room: Room, frame: Uint8Array): void {
    try {
      room.receive(this, frame);
    } catch (error) {
      this.refuse(error);
    }
  }

  /** Turns an error into exactly one close and one log line. */
  private refuse(error: unknown): void {
    if (error instanceof ProtocolError) {
      this.log.warn({ docId: this.docId, code: error.code, reason: error.reason }, 'refused client frame');
      this.close(error.code, error.reason);
    } else {
      this.log.error({ err: error, docId: this.docId }, 'error while handling a client frame');
      this.close(CloseCode.serverError, 'internal error');
    }
  }
}

function toUint8Array(data: WebSocket.RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return data;
}
