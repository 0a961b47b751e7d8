import type { Duplex } from 'node:stream';
import * as wsModule from 'ws';

// A relayed update or presence change goes to every other connection of a document. ws frames each
// send anew (a header, an options object, a two-part write); framed once here, the same bytes are
// written to every socket. ws's own framing does the work (its `Sender.frame`, exported but not
// typed); its socket and sender state are ws internals (stable across ws 8), checked at each
// write: where they are not as expected, the message goes through `ws.send` as before.

interface FrameOptions {
  fin: boolean;
  opcode: number;
  mask: boolean;
  readOnly: boolean;
  rsv1: boolean;
}
type FrameFunction = (data: Uint8Array, options: FrameOptions) => Uint8Array[];

const wsFrame: FrameFunction | null = (() => {
  const frame = (wsModule as unknown as { Sender?: { frame?: unknown } }).Sender?.frame;
  return typeof frame === 'function' ? (frame as FrameFunction) : null;
})();

/** A final, unmasked (server-sent), uncompressed binary frame. */
const BINARY: FrameOptions = { fin: true, opcode: 2, mask: false, readOnly: false, rsv1: false };

/** One binary message for several connections, framed for the wire at most once. */
export class SharedFrame {
  private framed: Buffer | null | undefined;

  constructor(readonly payload: Uint8Array) {}

  /** The whole WebSocket frame (header and payload), or null if ws cannot frame it for us. */
  get wire(): Buffer | null {
    if (this.framed === undefined) this.framed = wsFrame ? Buffer.concat(wsFrame(this.payload, BINARY)) : null;
    return this.framed;
  }
}

/**
 * The frames one write takes to a peer, in order (a group commit's relays, the turn's presence): a
 * peer gets them as one buffer, framed and joined once for every peer that gets the same batch, in
 * one write (no cork, no writev: a relay batch goes to every peer of a document but the sender).
 */
export class SharedBatch {
  private joined: Buffer | null | undefined;
  /** The largest payload (a batch holding one large enough to compress goes through ws, frame by frame). */
  readonly largestPayload: number;
  /** The bytes the batch takes on the wire. */
  readonly wireLength: number;

  constructor(readonly frames: readonly SharedFrame[]) {
    let largest = 0;
    let length = 0;
    for (const frame of frames) {
      largest = Math.max(largest, frame.payload.length);
      length += frameLength(frame.payload.length);
    }
    this.largestPayload = largest;
    this.wireLength = length;
  }

  /** Every frame's wire bytes, joined; null if ws cannot frame them for us. */
  get wire(): Buffer | null {
    if (this.joined === undefined) {
      if (this.frames.length === 1) {
        this.joined = this.frames[0]!.wire;
      } else {
        const wires: Buffer[] = [];
        for (const frame of this.frames) {
          const wire = frame.wire;
          if (wire === null) return (this.joined = null);
          wires.push(wire);
        }
        this.joined = Buffer.concat(wires, this.wireLength);
      }
    }
    return this.joined;
  }
}

/** The bytes a server-sent (unmasked) frame of this payload takes on the wire (RFC 6455 §5.2). */
export function frameLength(payloadLength: number): number {
  return payloadLength + (payloadLength < 126 ? 2 : payloadLength < 65_536 ? 4 : 10);
}

interface WsInternals {
  _socket?: Duplex;
  _sender?: { _state?: unknown; _queue?: unknown[] };
}

/**
 * The TCP socket under `ws` when whole frames may be written to it directly: ws's sender is idle
 * (state 0: not compressing, not reading a Blob) and holds nothing queued, so a direct write keeps
 * the order of everything sent. Null otherwise (send through ws). Compression is off on our server,
 * so the sender is idle whenever the event loop runs our code. Null for a socket that is not ws's
 * (a session of the HTTP transport).
 */
export function idleRawSocket(socket: object): Duplex | null {
  const internals = socket as unknown as WsInternals;
  const sender = internals._sender;
  if (!sender || sender._state !== 0 || !Array.isArray(sender._queue) || sender._queue.length > 0) return null;
  return internals._socket ?? null;
}
