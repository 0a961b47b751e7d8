import type { ApiErrorCode } from './api.js';

/**
 * The HTTP transport: the frames of a WebSocket endpoint (/collab/<docId>, /live) carried over plain
 * HTTP where a proxy refuses or drops WebSocket upgrades. Defined once for server and web.
 *
 * For an endpoint at path P (with the query the WebSocket would carry, e.g. `?ack=1`):
 *
 * - `POST P/http?…` opens a session: `201 { session }` (an opaque id), or a refusal — the HTTP
 *   status of the close code the WebSocket would have been closed with (closeStatus), body
 *   `TransportClosed` carrying that code and reason; or the WebSocket's own pre-upgrade refusals (403
 *   Origin, 429 too many connections).
 * - `GET P/http/<session>` is the server → client stream (Server-Sent Events): every frame is one
 *   event with an id (1, 2, 3… per session); binary frames are the event `message` with base64 data,
 *   text frames the event `text`. The last event of a closed session is `close` with
 *   `{ code, reason }`. A stream resumes after the last event its client saw: `Last-Event-ID` header
 *   or `?lastEventId=` (EventSource sends the header itself; fetch clients may use either). A comment
 *   line every STREAM_COMMENT_INTERVAL_MS keeps proxies from timing it out. With `?poll=1` the same
 *   events come as one answer that ends: at once if there are any after `lastEventId`, else after at
 *   most LONG_POLL_WAIT_MS (long-polling, for proxies that buffer a stream until it ends).
 * - `POST P/http/<session>?seq=N` carries client → server frames (encodeClientFrames), the first of
 *   which is the session's frame number N (0-based); frames the server already has (a retried POST)
 *   are skipped, so a retry never repeats one. Answered once they are handled — for /collab, once
 *   every update among them is committed (`200`; `202` if that takes longer than POST_COMMIT_WAIT_MS:
 *   the acks still come down the stream).
 * - `DELETE P/http/<session>?code=&reason=` closes it from the client side.
 *
 * A session belongs to the session cookie (or the visitor without one) that opened it: a request
 * for it with another cookie is answered 404, as for a session that never existed. A session lives
 * in the memory of the process that opened it; a request it does not know (another process's in a
 * cluster, one from before a restart, an expired one) is answered `404 { error: 'session_unknown',
 * code: 4101 }` (CloseCode.sessionUnknown): the client opens a new session at once. A session whose
 * client has neither a stream open nor made a request for SESSION_EXPIRY_MS is dropped (1006). A
 * closed session answers every later request with its close's status and body, for a while.
 */

/** The path segment after an endpoint's path: `${P}/http`. */
export const HTTP_TRANSPORT_SEGMENT = 'http';

/** A comment line on every open stream this often, so that proxies do not time it out. */
export const STREAM_COMMENT_INTERVAL_MS = 15_000;
/** A session whose client shows no sign of life (no stream, no request) for this long is dropped. */
export const SESSION_EXPIRY_MS = 60_000;
/**
 * A session with no stream or poll for this long is taken as away: its presence (cursor, name in
 * the list) is removed from everyone's screens, as a closed WebSocket's is at once, while the session
 * itself stays resumable until SESSION_EXPIRY_MS. A page closing normally says it leaves; this covers
 * a page whose leaving request never arrives. A client that comes back is told of the removal with
 * its resumed events and announces itself again (y-protocols awareness never lets others remove a
 * live local state).
 */
export const PRESENCE_AWAY_MS = 5_000;
/** Longest wait of a long-poll with nothing to deliver (below common proxy timeouts of 30–60 s). */
export const LONG_POLL_WAIT_MS = 20_000;
/** Longest a frames POST waits for its updates to be committed before answering 202. */
export const POST_COMMIT_WAIT_MS = 10_000;
/** Events kept after they were written to a stream, for a client that resumes (their frame bytes). */
export const REPLAY_BUFFER_BYTES = 4 * 1024 * 1024;

/** Query parameters. */
export const SEQ_PARAM = 'seq';
export const LAST_EVENT_ID_PARAM = 'lastEventId';
export const POLL_PARAM = 'poll';

/** The SSE event names. */
export const TransportEvent = {
  /** A binary frame, base64. */
  binary: 'message',
  /** A text frame (JSON for /live), as is. */
  text: 'text',
  /** The session closed: `{ code, reason }`. The last event. */
  close: 'close',
} as const;

/** The body of a refused open, and of any request to a closed session. */
export interface TransportClosed {
  error: Extract<ApiErrorCode, 'connection_closed' | 'origin_not_allowed' | 'too_many_connections' | 'session_unknown'>;
  message: string;
  /** The close code the WebSocket would carry. */
  code: number;
  reason: string;
}

/** `201` answer of an open. */
export interface TransportOpened {
  session: string;
}

/**
 * The HTTP status that stands for a close code: the 44xx codes mirror HTTP's 4xx, the 45xx its
 * 5xx; the WebSocket-only codes map to the nearest meaning. The body carries the code itself.
 */
export function closeStatus(code: number): number {
  if (code >= 4400 && code < 4600 && code !== 4406 && code !== 4508) return code - 4000;
  switch (code) {
    case 4406:
      return 404;
    case 4508:
      return 503;
    case 1003:
      return 415;
    case 1008:
      return 400;
    case 1009:
      return 413;
    case 1011:
      return 500;
    case 1012:
      return 503;
    case 1013:
      return 409;
    default:
      return 410;
  }
}

/**
 * Client frames in one POST body: for each, a varUint `length * 2 + (text ? 1 : 0)`, then the bytes
 * (UTF-8 for a text frame).
 */
export interface ClientFrame {
  data: Uint8Array;
  text: boolean;
}

export function encodeClientFrames(frames: readonly ClientFrame[]): Uint8Array {
  let size = 0;
  for (const frame of frames) size += varUintLength(frame.data.length * 2 + 1) + frame.data.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const frame of frames) {
    at = writeVarUint(out, at, frame.data.length * 2 + (frame.text ? 1 : 0));
    out.set(frame.data, at);
    at += frame.data.length;
  }
  return out;
}

/** Decodes a POST body; null when it is not a well-formed sequence of frames (nothing is taken then). */
export function decodeClientFrames(body: Uint8Array): ClientFrame[] | null {
  const frames: ClientFrame[] = [];
  let at = 0;
  while (at < body.length) {
    let header = 0;
    let shift = 0;
    for (;;) {
      if (at >= body.length || shift > 35) return null;
      const byte = body[at++]!;
      header += (byte & 0x7f) * 2 ** shift;
      shift += 7;
      if (byte < 0x80) break;
    }
    const length = Math.floor(header / 2);
    if (at + length > body.length) return null;
    frames.push({ data: body.subarray(at, at + length), text: header % 2 === 1 });
    at += length;
  }
  return frames;
}

function varUintLength(value: number): number {
  let n = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
    n++;
  }
  return n;
}

function writeVarUint(out: Uint8Array, at: number, value: number): number {
  while (value >= 0x80) {
    out[at++] = (value & 0x7f) | 0x80;
    value = Math.floor(value / 128);
  }
  out[at++] = value;
  return at;
}

/** One server → client event as the stream parser hands it over. */
export interface StreamEvent {
  id: number | null;
  event: string;
  data: string;
}

/**
 * An incremental Server-Sent Events parser (the WHATWG rules this transport needs: `id`, `event`,
 * `data` lines, comments, CRLF or LF). Feed it text as it arrives; it returns each complete event.
 */
export class StreamParser {
  private pending = '';
  private id: number | null = null;
  private event = '';
  private data: string[] = [];

  push(chunk: string): StreamEvent[] {
    this.pending += chunk;
    const events: StreamEvent[] = [];
    let newline: number;
    while ((newline = this.pending.search(/\r?\n/)) >= 0) {
      const line = this.pending.slice(0, newline);
      this.pending = this.pending.slice(newline + (this.pending[newline] === '\r' ? 2 : 1));
      if (line === '') {
        if (this.data.length > 0) events.push({ id: this.id, event: this.event || TransportEvent.binary, data: this.data.join('\n') });
        this.id = null;
        this.event = '';
        this.data = [];
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'id') this.id = /^\d+$/.test(value) ? Number(value) : null;
      else if (field === 'event') this.event = value;
      else if (field === 'data') this.data.push(value);
    }
    return events;
  }
}

/** One event in the stream's text form (a text frame's lines each become a `data:` line). */
export function formatStreamEvent(id: number, event: string, data: string): string {
  const lines = data.split(/\r\n|\r|\n/).map((line) => `data: ${line}\n`).join('');
  return event === TransportEvent.binary ? `id: ${id}\n${lines}\n` : `id: ${id}\nevent: ${event}\n${lines}\n`;
}
