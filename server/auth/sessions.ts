import { createHash, randomBytes } from 'node:crypto';
import type { AccountStore, SessionRecord, UserRecord } from '../accounts/accountStore.js';
import type { PeopleEvents } from '../people/peopleEvents.js';

/** Name of the cookie that carries the session's secret. */
export const SESSION_COOKIE = 'tandem_session';
/** A session's lastUsedAt/expiresAt are written at most this often (each request would otherwise write). */
const TOUCH_INTERVAL_MS = 60_000;
const USER_AGENT_CHARS = 200;

/** A signed-in request or connection: who, and through which session. */
export interface Authenticated {
  user: UserRecord;
  session: SessionRecord;
}

/** SHA-256 of a session secret, hex: what the store keeps, so a leaked database holds no usable cookie. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * Sessions: an opaque 256-bit random secret in the cookie, stored only as its hash, ending after
 * `idleMs` unused (each use extends it), revocable one by one. Ending a session (sign-out,
 * revocation) emits `sessionEnded`, which closes its live connections.
 */
export class Sessions {
  /** Sessions with open connections (/collab, /live), by token hash: whose, and how many connections. */
  private readonly open = new Map<string, { userId: string; count: number }>();

  constructor(
    private readonly store: AccountStore,
    private readonly events: PeopleEvents,
    private readonly idleMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Starts a new session for the user; resolves to the secret for the cookie. */
  async start(userId: string, userAgent: string | undefined): Promise<{ token: string; session: SessionRecord }> {
    const token = randomBytes(32).toString('base64url');
    const at = this.now();
    const session: SessionRecord = {
      tokenHash: hashToken(token),
      id: randomBytes(12).toString('base64url'),
      userId,
      createdAt: at,
      lastUsedAt: at,
      expiresAt: at + this.idleMs,
      userAgent: (userAgent ?? '').slice(0, USER_AGENT_CHARS),
    };
    await this.store.createSession(session);
    return { token, session };
  }

  /** The user and session a cookie's secret stands for, or null (unknown, expired, or the user is gone). */
  async resolve(token: string): Promise<Authenticated | null> {
    // A well-formed secret is 43 base64url characters; anything else cannot be one of ours.
    if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
    const tokenHash = hashToken(token);
    const session = await this.store.findSession(tokenHash);
    if (session === null) return null;
    const at = this.now();
    if (session.expiresAt <= at) {
      await this.store.deleteSession(tokenHash);
      return null;
    }
    const user = await this.store.getUser(session.userId);
    if (user === null) return null;
    if (at - session.lastUsedAt >= TOUCH_INTERVAL_MS) {
      session.lastUsedAt = at;
      session.expiresAt = at + this.idleMs;
      await this.store.touchSession(tokenHash, session.lastUsedAt, session.expiresAt);
    }
    return { user, session };
  }

  /** Ends the session a cookie's secret stands for (sign-out). */
  async end(token: string): Promise<void> {
    const ended = await this.store.deleteSession(hashToken(token));
    if (ended) this.events.announce('sessionEnded', ended);
  }

  /** Ends one of the user's sessions by its public id; false when they have none with that id. */
  async revoke(userId: string, id: string): Promise<boolean> {
    const ended = await this.store.deleteSessionById(userId, id);
    if (ended) this.events.announce('sessionEnded', ended);
    return ended !== null;
  }

  /** A connection opened with this session. */
  opened(session: SessionRecord): void {
    const entry = this.open.get(session.tokenHash);
    if (entry) entry.count += 1;
    else this.open.set(session.tokenHash, { userId: session.userId, count: 1 });
  }

  /** A connection opened with this session closed. */
  closed(session: SessionRecord): void {
    const entry = this.open.get(session.tokenHash);
    if (!entry) return;
    entry.count -= 1;
    if (entry.count === 0) this.open.delete(session.tokenHash);
  }

  /**
   * Run now and then: an open connection counts as using its session, so the sessions of open
   * connections are extended like any used session; one that is gone or expired anyway (deleted
   * elsewhere, or the process could not extend it in time) is announced as ended, which closes its
   * connections (4401).
   */
  async keepOpenSessionsAlive(): Promise<void> {
    const at = this.now();
    for (const [tokenHash, { userId }] of [...this.open]) {
      const session = await this.store.findSession(tokenHash);
      if (session === null || session.expiresAt <= at) {
        if (session) await this.store.deleteSession(tokenHash);
        this.open.delete(tokenHash);
        this.events.announce('sessionEnded', session ?? { tokenHash, id: '', userId, createdAt: 0, lastUsedAt: 0, expiresAt: 0, userAgent: '' });
      } else if (at - session.lastUsedAt >= Math.min(TOUCH_INTERVAL_MS, this.idleMs / 4)) {
        await this.store.touchSession(tokenHash, at, at + this.idleMs);
      }
    }
  }

  list(userId: string): Promise<SessionRecord[]> {
    return this.store.listSessions(userId, this.now());
  }

  /** Deletes expired sessions (run now and then). */
  sweep(): Promise<number> {
    return this.store.deleteExpiredSessions(this.now());
  }
}
