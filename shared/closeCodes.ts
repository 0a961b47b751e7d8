/**
 * WebSocket close codes the server uses, named once so the client can tell the user what happened.
 *
 * y-websocket's provider stops reconnecting on 4400–4499 ("the server decided; retrying cannot
 * help") and retries everything else, so our own codes follow the HTTP classes: 44xx refuses the
 * client for good, 45xx is a server-side fault worth retrying.
 */
export const CloseCode = {
  /** Normal closure. */
  normal: 1000,
  /** A text frame: this protocol is binary only. */
  unsupportedData: 1003,
  /** Policy violation, e.g. an invalid document id. */
  policy: 1008,
  /** A frame over the size limit (ws sends this itself when maxPayload is exceeded). */
  tooBig: 1009,
  /** An unexpected server error. */
  serverError: 1011,
  /** The server is restarting; reconnect. */
  restarting: 1012,
  /** Something changed while the connection was being opened (e.g. the person's access); reconnect. */
  tryAgain: 1013,
  /**
   * Never sent by the server: the web app's socket closes itself with it when it moves from the HTTP
   * transport to a WebSocket that works again (web/src/sync/fallbackSocket.ts); reconnect at once.
   */
  transportSwitch: 4100,
  /**
   * The HTTP transport's answer (in the body of a 404) to a request for a session this server process
   * does not know: it was opened on another process (a load balancer that does not route a session's
   * requests to one process), before a restart, or it expired. Reconnect at once: the new session's
   * sync resends whatever the server lacks, so nothing is lost.
   */
  sessionUnknown: 4101,
  /** A frame that is not a valid y-websocket message (truncated, unknown type, trailing bytes). */
  badMessage: 4400,
  /** No valid session: signed out, revoked or expired, or a visitor where the link does not admit visitors. */
  unauthenticated: 4401,
  /** The connection tried to speak for presence (awareness) it does not own. */
  forbidden: 4403,
  /** This person has no access to the document (never had, or it was taken away). */
  noAccess: 4404,
  /**
   * There is no document with this id (and the server does not create documents on connection:
   * OPEN_DOCUMENTS). 4404 is noAccess, which does not say whether the document exists.
   */
  docNotFound: 4406,
  /** The document was deleted by its owner. */
  docDeleted: 4410,
  /** The document's stored state would pass its size cap; the update was not applied. */
  docTooLarge: 4413,
  /** An update Yjs cannot apply, one writing an unsafe link or image URL (shared/safeUrl.ts), or one whose dependencies the server never received. */
  updateRejected: 4422,
  /** The connection sent updates or awareness faster than its rate limit. */
  rateLimited: 4429,
  /** The document could not be loaded from storage; nothing was served in its place. */
  loadFailed: 4500,
  /** Storage has refused writes for too long and the unsaved backlog is full. Reconnect later. */
  storageFailed: 4503,
  /** The client stopped reading: its send buffer passed the limit. */
  slowReader: 4508,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/** Human-readable explanation of a close code, for status lines and logs. */
export function describeCloseCode(code: number): string {
  switch (code) {
    case CloseCode.normal:
      return 'Connection closed';
    case CloseCode.unsupportedData:
      return 'The server refused a text frame';
    case CloseCode.policy:
      return 'The server refused this document address';
    case CloseCode.tooBig:
      return 'A change was too large for the server';
    case CloseCode.serverError:
      return 'The server hit an unexpected error';
    case CloseCode.restarting:
      return 'The server is restarting';
    case CloseCode.tryAgain:
      return 'Access changed while connecting; reconnecting';
    case CloseCode.transportSwitch:
      return 'Moving to a faster connection';
    case CloseCode.sessionUnknown:
      return 'The server did not know this connection; reconnecting';
    case CloseCode.badMessage:
      return 'The server refused a malformed message';
    case CloseCode.unauthenticated:
      return 'Sign in to open this document';
    case CloseCode.forbidden:
      return 'The server refused an action this window may not take';
    case CloseCode.noAccess:
      return 'You do not have access to this document';
    case CloseCode.docNotFound:
      return 'There is no document at this address';
    case CloseCode.docDeleted:
      return 'This document was deleted';
    case CloseCode.docTooLarge:
      return 'This document has reached its size limit';
    case CloseCode.updateRejected:
      return 'The server refused a change it could not apply';
    case CloseCode.rateLimited:
      return 'Too many changes too fast; the server paused this window';
    case CloseCode.loadFailed:
      return 'The document could not be loaded';
    case CloseCode.storageFailed:
      return 'The server could not save changes';
    case CloseCode.slowReader:
      return 'The connection was too slow to keep up';
    default:
      return `Connection closed (code ${code})`;
  }
}

/** Whether a close code means the server refused this client for good (do not reconnect). */
export function isPermanentRefusal(code: number): boolean {
  return code >= 4400 && code < 4500;
}

/**
 * Whether a close code means "reconnect at once, nothing went wrong that waiting would help": the
 * web app's own move to a WebSocket (4100), or an HTTP session another process holds (4101).
 */
export function isReconnectAtOnce(code: number): boolean {
  return code === CloseCode.transportSwitch || code === CloseCode.sessionUnknown;
}
