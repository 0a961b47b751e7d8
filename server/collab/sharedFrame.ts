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
