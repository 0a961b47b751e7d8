import type { CloseCode } from '../shared/closeCodes.js';

/**
 * A client broke the protocol. Thrown anywhere a frame is handled; the connection turns it into
 * exactly one `socket.close(code, reason)` and a log line. `reason` is sent to the client, so it
 * names the problem without echoing the client's bytes (a close reason is at most 123 bytes).
 */
export class ProtocolError extends Error {
  constructor(
    readonly code: CloseCode,
    readonly reason: string,
  ) {
    super(reason);
    this.name = 'ProtocolError';
  }
}
