/**
 * The readyState constants a WebSocket has on the class and on each socket, for Tandem's
 * WebSocket-shaped classes (HttpSocket, FallbackSocket) that y-websocket's provider compares against.
 */
export abstract class WebSocketShape {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  readonly CONNECTING = 0;
  readonly OPEN = 1;
  readonly CLOSING = 2;
  readonly CLOSED = 3;
}
