// Shared by the integration tests about people (accounts, sharing, chat, live): extend it, don't fork it.
import { onTestFinished } from 'vitest';
import WebSocket from 'ws';
import { LIVE_PATH, type LiveServerMessage } from '../../shared/live.js';
import type { LinkAccess, Role } from '../../shared/accounts.js';
import type { TestServer } from './testServer.js';
import { waitFor } from './waitFor.js';

/** A password every rule accepts. */
export const GOOD_PASSWORD = 'correct horse battery staple';

export interface ApiAnswer<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

/**
 * Calls the REST API like a browser would (JSON body, optional session cookie and Origin); `headers`
 * adds others (X-Forwarded-For, as a reverse proxy would send it).
 */
export async function api<T = any>(
  server: TestServer,
  method: string,
  path: string,
  options: { cookie?: string; body?: unknown; origin?: string; headers?: Record<string, string> } = {},
): Promise<ApiAnswer<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.cookie) headers.cookie = options.cookie;
  if (options.origin) headers.origin = options.origin;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${server.httpUrl}${path}`, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text === '' ? null : JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, body: body as T, headers: response.headers };
}

/** The `name=value` part of the session cookie a response set, or null. */
export function sessionCookieOf(headers: Headers): string | null {
  for (const line of headers.getSetCookie()) {
    const pair = line.split(';')[0]!;
    if (pair.startsWith('tandem_session=') && pair !== 'tandem_session=') return pair;
  }
  return null;
}

export interface TestUser {
  id: string;
  name: string;
  password: string;
  /** `tandem_session=…`, for a Cookie header. */
  cookie: string;
}

let counter = 0;
/** A user name unique to this test run (letters, digits and "_" only). */
export function uniqueName(label = 'user'): string {
  counter += 1;
  return `${label}_${process.pid % 10000}_${counter}`;
}

/** Registers a user through the API and returns it signed in. Throws unless the server says 201. */
export async function registerUser(server: TestServer, name = uniqueName(), password = GOOD_PASSWORD): Promise<TestUser> {
  const answer = await api<{ user: { id: string; name: string } }>(server, 'POST', '/api/account', { body: { name, password } });
  const cookie = sessionCookieOf(answer.headers);
  if (answer.status !== 201 || !cookie) throw new Error(`register ${name}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return { id: answer.body.user.id, name, password, cookie };
}

/**
 * Signs in through the API; resolves to the answer and the new session cookie (null when refused).
 * `headers` are sent too (X-Forwarded-For: a client at another address, behind a trusted proxy).
 */
export async function signIn(
  server: TestServer,
  name: string,
  password: string,
  cookie?: string,
  headers?: Record<string, string>,
): Promise<ApiAnswer<any> & { cookie: string | null }> {
  const answer = await api<any>(server, 'POST', '/api/session', { body: { name, password }, cookie, headers });
  return { ...answer, cookie: sessionCookieOf(answer.headers) };
}

/** Creates a document owned by `user`; resolves to its id. */
export async function createDoc(server: TestServer, user: TestUser): Promise<string> {
  const answer = await api<{ id: string }>(server, 'POST', '/api/docs', { cookie: user.cookie });
  if (answer.status !== 201) throw new Error(`create doc: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body.id;
}

/** Shares a document (as `by`) with `to` in `role`. Throws unless 201. */
export async function share(server: TestServer, docId: string, by: TestUser, to: TestUser, role: Exclude<Role, 'owner'>): Promise<void> {
  const answer = await api(server, 'POST', `/api/docs/${docId}/members`, { cookie: by.cookie, body: { userId: to.id, role } });
  if (answer.status !== 201) throw new Error(`share: ${answer.status} ${JSON.stringify(answer.body)}`);
}

/** Sets a document's link access (as its owner). Throws unless 200. */
export async function setLinkAccess(server: TestServer, docId: string, owner: TestUser, linkAccess: LinkAccess): Promise<void> {
  const answer = await api(server, 'PATCH', `/api/docs/${docId}/access`, { cookie: owner.cookie, body: { linkAccess } });
  if (answer.status !== 200) throw new Error(`link access: ${answer.status} ${JSON.stringify(answer.body)}`);
}

/** The /live URL of a server. */
export function liveUrl(server: TestServer): string {
  return `${server.httpUrl.replace(/^http/, 'ws')}${LIVE_PATH}`;
}

export interface LiveTestSocket {
  ws: WebSocket;
  /** The HTTP status when the upgrade was refused (then the socket never opened), else null. */
  refusedStatus: number | null;
  /** Every message received so far, in order. */
  messages: LiveServerMessage[];
  /** Resolves with the close code and reason, whoever closed. */
  closed: Promise<{ code: number; reason: string }>;
  /** Sends a frame: an object as JSON, a string or bytes as they are. */
  send(frame: unknown): void;
  /** Messages of `type` received so far. */
  all<K extends LiveServerMessage['type']>(type: K): Array<Extract<LiveServerMessage, { type: K }>>;
  /** Waits for a message of `type` matching `match` (already received or still to come). */
  next<K extends LiveServerMessage['type']>(
    type: K,
    match?: (message: Extract<LiveServerMessage, { type: K }>) => boolean,
    label?: string,
  ): Promise<Extract<LiveServerMessage, { type: K }>>;
  /** Closes from the client side and waits for the close. */
  close(): Promise<void>;
}

/**
 * Opens the per-user socket /live as `user` (null: no cookie), with the server's own Origin unless
 * `headers` say otherwise. Resolves once open, closed, or refused before the upgrade (see
 * refusedStatus); terminated when the test finishes.
 */
export async function openLive(
  server: TestServer,
  user: TestUser | null,
  headers: Record<string, string> = {},
  /** Path and query instead of /live (a guest's: guestLivePath(docId)). */
  path?: string,
): Promise<LiveTestSocket> {
  const url = path === undefined ? liveUrl(server) : `${server.httpUrl.replace(/^http/, 'ws')}${path}`;
  const ws = new WebSocket(url, {
    headers: { origin: server.httpUrl, ...(user ? { cookie: user.cookie } : {}), ...headers },
  });
  const messages: LiveServerMessage[] = [];
  ws.on('message', (data, isBinary) => {
    if (!isBinary) messages.push(JSON.parse(data.toString()) as LiveServerMessage);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
  });
  ws.on('error', () => {});
  onTestFinished(() => ws.terminate());
  let refusedStatus: number | null = null;
  await new Promise<void>((resolve) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_request, response) => {
      refusedStatus = response.statusCode ?? null;
      response.resume();
      ws.terminate();
      resolve();
    });
    ws.once('close', () => resolve());
  });
  const of = <K extends LiveServerMessage['type']>(type: K) =>
    messages.filter((message): message is Extract<LiveServerMessage, { type: K }> => message.type === type);
  return {
    ws,
    refusedStatus,
    messages,
    closed,
    send: (frame) => ws.send(typeof frame === 'string' || frame instanceof Uint8Array ? frame : JSON.stringify(frame)),
    all: of,
    next: (type, match = () => true, label) => waitFor(() => of(type).find(match), label ?? `a live '${type}' message`),
    async close() {
      ws.close();
      await closed;
    },
  };
}

/** Opens /live as `user` and waits for its hello. */
export async function openLiveReady(server: TestServer, user: TestUser): Promise<LiveTestSocket> {
  const socket = await openLive(server, user);
  if (socket.refusedStatus !== null) throw new Error(`/live refused the upgrade with ${socket.refusedStatus}`);
  await socket.next('hello');
  return socket;
}
