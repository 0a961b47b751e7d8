import type { Credentials, PeopleList, Person, PublicUser, SessionInfo, SessionList, SessionSummary } from '../../../shared/api.js';
import { request, sendJson } from './request.js';

/**
 * Who is signed in on this page. The server is the only authority (an HttpOnly cookie this code
 * never sees); the page asks GET /api/session once at start. The answer is remembered in
 * localStorage only so that a page loaded while the server is unreachable (offline editing) can
 * still show whose window it is; nothing is ever allowed on the strength of that copy.
 */
export interface Session {
  user: PublicUser | null;
  /** True when the server could not be asked and `user` is the last answer this browser saw. */
  fromCache: boolean;
}

const CACHE_KEY = 'tandem.session.user';

/** Asks the server who is signed in (falls back to the remembered answer when it cannot be reached). */
export async function loadSession(): Promise<Session> {
  try {
    const info = await request<SessionInfo>('/api/session');
    const user = isPublicUser(info?.user) ? info.user : null;
    remember(user);
    return { user, fromCache: false };
  } catch (err) {
    const status = (err as { status?: number }).status;
    if (status === 0) return { user: remembered(), fromCache: true };
    // The server answered but not with a session (e.g. a server without accounts): nobody.
    return { user: null, fromCache: false };
  }
}

/** POST /api/session: signs in (a new session; the cookie is set by the server). */
export async function signIn(credentials: Credentials): Promise<PublicUser> {
  const info = await sendJson<SessionInfo>('POST', '/api/session', credentials);
  return acceptUser(info);
}

/** POST /api/account: registers and signs in. */
export async function register(credentials: Credentials): Promise<PublicUser> {
  const info = await sendJson<SessionInfo>('POST', '/api/account', credentials);
  return acceptUser(info);
}

/** DELETE /api/session: ends this session on the server. */
export async function signOut(): Promise<void> {
  await request<void>('/api/session', { method: 'DELETE' });
  remember(null);
}

/** GET /api/sessions: my signed-in browsers. */
export async function listSessions(): Promise<SessionSummary[]> {
  const body = await request<SessionList>('/api/sessions');
  return Array.isArray(body?.sessions) ? body.sessions : [];
}

/** DELETE /api/sessions/:id: ends one of my sessions. */
export function revokeSession(id: string): Promise<void> {
  return request<void>(`/api/sessions/${encodeURIComponent(id)}`, { method: 'DELETE' });
}

/** GET /api/people: every user with presence, by name. */
export async function listPeople(): Promise<Person[]> {
  const body = await request<PeopleList>('/api/people');
  return Array.isArray(body?.people) ? body.people.filter(isPublicUser) : [];
}

function acceptUser(info: SessionInfo): PublicUser {
  if (!isPublicUser(info?.user)) throw new Error('The server did not say who is signed in.');
  remember(info.user);
  return info.user;
}

function isPublicUser(value: unknown): value is PublicUser {
  const user = value as PublicUser;
  return typeof value === 'object' && value !== null && typeof user.id === 'string' && typeof user.name === 'string';
}

function remember(user: PublicUser | null): void {
  try {
    if (user === null) localStorage.removeItem(CACHE_KEY);
    else localStorage.setItem(CACHE_KEY, JSON.stringify({ id: user.id, name: user.name }));
  } catch {
    // Private mode: offline pages just show nobody.
  }
}

function remembered(): PublicUser | null {
  try {
    const raw = localStorage.getItem(CACHE_KEY);
    const value: unknown = raw === null ? null : JSON.parse(raw);
    return isPublicUser(value) ? value : null;
  } catch {
    return null;
  }
}
