/**
 * What the endpoints' connections (/collab's Connection, /live's LiveConnection) ask of a client's
 * socket: the part of ws's WebSocket they use, which ws's WebSocket has as it is and the HTTP
 * transport's session (httpSession.ts) implements, so that rooms, limits, access checks, saved acks,
 * close codes, heartbeats and the hostile-input rules are one code over both transports.
 *
 * Events, as ws emits them: 'message' (data, isBinary), 'pong', 'error' (error), 'close' (code,
 * reason). Listeners are called with the socket as `this`.
 */
export interface ClientSocket {
  /** ws's numbering: 0 connecting, 1 open, 2 closing, 3 closed. */
  readonly readyState: number;
  /** Bytes handed to `send` that the client has not taken yet (backpressure, slow readers). */
  readonly bufferedAmount: number;
  /**
   * Sends; `written`, if given, is called once the data is handed on (ws: written to the network;
   * HTTP: taken by the client's stream or poll), with an error if the socket closed first — what a
   * sender paces large frames by (segmentedJoin.ts).
   */
  send(data: Uint8Array | string, written?: (error?: Error) => void): void;
  /** The negotiated WebSocket extensions (ws: e.g. 'permessage-deflate'); absent: none. */
  readonly extensions?: string;
  /** Closes with a code and reason the client is told. */
  close(code: number, reason: string): void;
  /** Drops the client without a close it could read (it stopped reading or answering). */
  terminate(): void;
  /** Asks the client for a sign of life: a 'pong' follows if it is there. */
  ping(): void;
  on(event: 'message', listener: (this: ClientSocket, data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => void): this;
  on(event: 'pong', listener: (this: ClientSocket) => void): this;
  on(event: 'error', listener: (this: ClientSocket, error: Error) => void): this;
  on(event: 'close', listener: (this: ClientSocket, code: number, reason: Buffer) => void): this;
  /** HTTP only: no stream or poll has been attached for PRESENCE_AWAY_MS (a WebSocket never emits it). */
  on(event: 'away', listener: (this: ClientSocket) => void): this;
  /**
   * Optional: told that the client's first `count` update-bearing frames are committed (the room's
   * saved count, whether or not the client asked for saved acks). The HTTP transport answers a
   * frames POST with it; a WebSocket needs nothing.
   */
  committed?(count: number): void;
}

/** ws's readyState numbers (WebSocket.OPEN…), for sockets that are not ws's. */
export const SocketState = { connecting: 0, open: 1, closing: 2, closed: 3 } as const;
