import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { passwordProblem, userNameKey, userNameProblem } from '../../shared/accounts.js';
import type { Credentials, PublicUser, SessionInfo, SessionList } from '../../shared/api.js';
import { randomBytes } from 'node:crypto';
import type { AccountStore, UserRecord } from '../accounts/accountStore.js';
import type { AttemptBudget } from '../accounts/attemptBudgets.js';
import { clearSessionCookie, requireUser, setSessionCookie } from '../auth/authPlugin.js';
import { hashPassword, needsRehash, verifyPassword } from '../auth/passwords.js';
import { guessablePasswordProblem } from '../auth/passwordStrength.js';
import { SESSION_COOKIE, type Sessions } from '../auth/sessions.js';
import type { Metrics } from '../metrics.js';
import type { PeopleEvents } from '../people/peopleEvents.js';
import { KeyedTokenBuckets } from '../tokenBucket.js';
import { sendApiError } from './apiError.js';

export interface AccountRoutesOptions {
  accounts: AccountStore;
  sessions: Sessions;
  events: PeopleEvents;
  metrics: Metrics;
  passwordHashCost: number;
  sessionIdleMs: number;
  loginAttemptsPerMinutePerIp: number;
  loginAttemptsPerMinutePerName: number;
}

export function publicUser(user: UserRecord): PublicUser {
  return { id: user.id, name: user.name };
}

/** The credentials in a request body, or null when it is not `{ name: string, password: string }`. */
function readCredentials(body: unknown): Credentials | null {
  if (typeof body !== 'object' || body === null) return null;
  const { name, password } = body as Record<string, unknown>;
  if (typeof name !== 'string' || typeof password !== 'string') return null;
  return { name: name.trim(), password };
}

/** A name's global budget, as a multiple of what one address may try on it. */
const GLOBAL_NAME_FACTOR = 5;
/**
 * Attempts per minute one address gets on a name whose global budget is used up (someone is guessing
 * it from many addresses): instead of the name being refused to everyone, its owner included, each
 * address is slowed to this.
 */
const ATTEMPTS_PER_MINUTE_ON_A_GUESSED_NAME = 1;

/**
 * Accounts and sessions: register, sign in (a new session every time; the one in the old cookie
 * ends), sign out, who am I, my sessions and revoking one. Attempts to register or sign in are
 * limited (HTTP 429 with Retry-After) per client IP, per client IP and name, and per name from
 * anywhere at GLOBAL_NAME_FACTOR times the latter. A sign-in on a name whose global budget is used
 * up is not refused for that alone: each address then gets ATTEMPTS_PER_MINUTE_ON_A_GUESSED_NAME on
 * it, so guessers elsewhere slow each other down but never lock the owner out of a new address. A
 * refused attempt spends nothing; a successful sign-in gives back what it spent. The budgets are kept
 * in the database, so every process on it spends from the same ones, and a restart resets none.
 */
export async function accountRoutes(app: FastifyInstance, options: AccountRoutesOptions): Promise<void> {
  const { accounts, sessions } = options;
  const perName = options.loginAttemptsPerMinutePerName;
  /** Attempts per minute of each budget an attempt spends from. */
  const perMinute = {
    ip: options.loginAttemptsPerMinutePerIp,
    ip_name: perName,
    name: GLOBAL_NAME_FACTOR * perName,
    ip_guessed_name: ATTEMPTS_PER_MINUTE_ON_A_GUESSED_NAME,
  };
  type BudgetKind = keyof typeof perMinute;
  type Budget = AttemptBudget & { kind: BudgetKind };
  const kinds = Object.keys(perMinute) as BudgetKind[];
  // This process's own view of the same budgets. It sees only its own spending, so it never holds
  // fewer attempts than the database does: when it has none, the attempt is refused without asking
  // the database, and a flood of refused attempts costs no database writes.
  const local = Object.fromEntries(kinds.map((kind) => [kind, new KeyedTokenBuckets(perMinute[kind] / 60, perMinute[kind])])) as Record<BudgetKind, KeyedTokenBuckets>;
  const sweep = setInterval(() => {
    for (const buckets of Object.values(local)) buckets.sweep();
    accounts.forgetFullBudgets(Date.now()).catch((error: unknown) => app.log.warn({ err: error }, 'could not forget full sign-in budgets'));
  }, 60_000);
  sweep.unref();
  app.addHook('onClose', async () => clearInterval(sweep));
  // Compared against when the name is unknown, so an unknown name takes as long as a wrong password.
  let decoyHash: Promise<string> | null = null;

  /**
   * The budgets an attempt on `name` from the request's address may spend from. The keys start with
   * the budget's kind, so an address and a name that read alike are different budgets; an address
   * has no newline, so the address-and-name pair cannot collide with another.
   */
  function attemptBudgets(request: FastifyRequest, name: string): Record<BudgetKind, Budget> {
    const nameKey = userNameKey(name);
    const keys: Record<BudgetKind, string> = { ip: request.ip, ip_name: `${request.ip}\n${nameKey}`, name: nameKey, ip_guessed_name: `${request.ip}\n${nameKey}` };
    const budget = (kind: BudgetKind): Budget => ({ kind, key: `${kind}:${keys[kind]}`, ratePerSecond: perMinute[kind] / 60, burst: perMinute[kind] });
    return Object.fromEntries(kinds.map((kind) => [kind, budget(kind)])) as Record<BudgetKind, Budget>;
  }

  /** Spends one attempt from every budget, or from none: resolves to 0, or to the ms until all have one. */
  async function spendFrom(budgets: readonly Budget[]): Promise<number> {
    const localWaitMs = Math.max(...budgets.map((budget) => local[budget.kind].msUntilToken(budget.key)));
    const waitMs = localWaitMs > 0 ? localWaitMs : await accounts.spendAttempt(budgets, Date.now());
    if (waitMs === 0) for (const budget of budgets) local[budget.kind].take(budget.key);
    return waitMs;
  }

  function refuseAttempt(request: FastifyRequest, reply: FastifyReply, name: string, kind: 'register' | 'sign_in', waitMs: number): void {
    options.metrics.accountAttempts.inc({ kind, result: 'rate_limited' });
    request.log.warn({ ip: request.ip, name: name.slice(0, 40) }, 'refused sign-in attempt: rate limit');
    void sendApiError(reply.header('retry-after', String(Math.max(1, Math.ceil(waitMs / 1000)))), 429, 'too_many_attempts', 'Too many attempts; wait a minute and try again.');
  }

  /**
   * Spends an attempt from each budget (the address, the address and name, the name); answers 429
   * and resolves to false, spending nothing, when any is used up.
   */
  async function allowRegistration(request: FastifyRequest, reply: FastifyReply, name: string): Promise<boolean> {
    const { ip, ip_name, name: nameBudget } = attemptBudgets(request, name);
    const waitMs = await spendFrom([ip, ip_name, nameBudget]);
    if (waitMs === 0) return true;
    refuseAttempt(request, reply, name, 'register', waitMs);
    return false;
  }

  /**
   * Spends a sign-in attempt: from the address, the address and name, and the name's global budget;
   * or, when only the latter is used up, from this address's slow budget on a guessed name instead.
   * Resolves to what was spent (to give back if the password is right), or null after answering 429
   * (spending nothing). So guessers elsewhere never refuse a correct password from a new address.
   */
  async function spendSignInAttempt(request: FastifyRequest, reply: FastifyReply, name: string): Promise<Budget[] | null> {
    const budgets = attemptBudgets(request, name);
    const usual = [budgets.ip, budgets.ip_name, budgets.name];
    // The name's budget in this process's view says nothing about this address: it goes to the slow path.
    const nameSpentHere = local.name.msUntilToken(budgets.name.key) > 0;
    let waitMs = nameSpentHere ? 1 : await spendFrom(usual);
    if (waitMs === 0) return usual;
    const slow = [budgets.ip, budgets.ip_name, budgets.ip_guessed_name];
    // Refused for this address's own budgets: the slow path would be refused too.
    const ownWaitMs = Math.max(local.ip.msUntilToken(budgets.ip.key), local.ip_name.msUntilToken(budgets.ip_name.key));
    if (ownWaitMs > 0) waitMs = ownWaitMs;
    else waitMs = await spendFrom(slow);
    if (waitMs === 0) {
      request.log.warn({ ip: request.ip, name: name.slice(0, 40) }, 'sign-in attempt on a name guessed from many addresses: this address is slowed');
      return slow;
    }
    refuseAttempt(request, reply, name, 'sign_in', waitMs);
    return null;
  }

  /** Gives back what a successful sign-in spent, so that signing in never uses up anyone's budget. */
  function refundAttempt(budgets: readonly Budget[]): Promise<void> {
    for (const budget of budgets) local[budget.kind].refund(budget.key);
    return accounts.refundAttempt(budgets, Date.now());
  }

  function refuseRegistration(reply: FastifyReply, status: number, error: string, message: string): FastifyReply {
    options.metrics.accountAttempts.inc({ kind: 'register', result: 'refused' });
    return sendApiError(reply, status, error, message);
  }

  /** Ends the session of the request's cookie, if any (sign-in rotates the session). */
  async function endCookieSession(request: FastifyRequest): Promise<void> {
    const token = request.cookies[SESSION_COOKIE];
    if (token) await sessions.end(token);
  }

  async function signIn(request: FastifyRequest, reply: FastifyReply, user: UserRecord, status: number): Promise<FastifyReply> {
    await endCookieSession(request);
    const { token } = await sessions.start(user.id, request.headers['user-agent']);
    setSessionCookie(request, reply, token, options.sessionIdleMs);
    const body: SessionInfo = { user: publicUser(user) };
    return reply.code(status).send(body);
  }

  app.post('/api/account', async (request, reply) => {
    const credentials = readCredentials(request.body);
    if (credentials === null) return sendApiError(reply, 400, 'bad_request', 'Send a JSON body with a name and a password.');
    const { name, password } = credentials;
    const nameProblem = userNameProblem(name);
    if (nameProblem !== null) return refuseRegistration(reply, 400, 'invalid_name', nameProblem);
    const weakness = passwordProblem(password, name);
    if (weakness !== null) return refuseRegistration(reply, 400, 'weak_password', weakness);
    if (!(await allowRegistration(request, reply, name))) return reply;
    // After the budget: the list check costs a few milliseconds a try.
    const guessable = await guessablePasswordProblem(password, name);
    if (guessable !== null) return refuseRegistration(reply, 400, 'weak_password', guessable);
    const passwordHash = await hashPassword(password, options.passwordHashCost);
    const created = await accounts.createUser({ id: randomBytes(12).toString('base64url'), name, passwordHash, createdAt: Date.now() });
    if (created === 'taken') return refuseRegistration(reply, 409, 'name_taken', `The name “${name}” is taken, or looks like one that is; choose another.`);
    request.log.info({ userId: created.id }, 'user registered');
    options.metrics.accountAttempts.inc({ kind: 'register', result: 'ok' });
    options.events.announce('userAdded', publicUser(created));
    return signIn(request, reply, created, 201);
  });

  app.post('/api/session', async (request, reply) => {
    const credentials = readCredentials(request.body);
    if (credentials === null) return sendApiError(reply, 400, 'bad_request', 'Send a JSON body with a name and a password.');
    const { name, password } = credentials;
    if (name.length > 64 || [...password].length > 1024) return sendApiError(reply, 401, 'wrong_credentials', 'Wrong name or password.');
    const spent = await spendSignInAttempt(request, reply, name);
    if (spent === null) return reply;
    const user = await accounts.findUserByName(name);
    const ok = user
      ? await verifyPassword(password, user.passwordHash)
      : await verifyPassword(password, await (decoyHash ??= hashPassword(randomBytes(16).toString('hex'), options.passwordHashCost))).then(() => false);
    if (!user || !ok) {
      request.log.warn({ ip: request.ip, name: name.slice(0, 40) }, 'sign-in refused: wrong name or password');
      options.metrics.accountAttempts.inc({ kind: 'sign_in', result: 'wrong_credentials' });
      return sendApiError(reply, 401, 'wrong_credentials', 'Wrong name or password.');
    }
    request.log.info({ userId: user.id }, 'signed in');
    options.metrics.accountAttempts.inc({ kind: 'sign_in', result: 'ok' });
    await refundAttempt(spent);
    if (needsRehash(user.passwordHash, options.passwordHashCost)) {
      // Made at a lower cost than today's: upgraded now that the password is at hand.
      await accounts.setPasswordHash(user.id, await hashPassword(password, options.passwordHashCost));
    }
    return signIn(request, reply, user, 200);
  });

  app.get('/api/session', async (request, reply) => {
    const token = request.cookies[SESSION_COOKIE];
    if (request.auth && token) setSessionCookie(request, reply, token, options.sessionIdleMs);
    else if (request.sessionStale) clearSessionCookie(request, reply);
    const body: SessionInfo = { user: request.auth ? publicUser(request.auth.user) : null };
    return body;
  });

  app.delete('/api/session', async (request, reply) => {
    await endCookieSession(request);
    clearSessionCookie(request, reply);
    return reply.code(204).send();
  });

  app.get('/api/sessions', async (request, reply) => {
    const auth = requireUser(request, reply);
    if (!auth) return reply;
    const list = await sessions.list(auth.user.id);
    const body: SessionList = {
      sessions: list.map((session) => ({
        id: session.id,
        createdAt: session.createdAt,
        lastUsedAt: session.lastUsedAt,
        expiresAt: session.expiresAt,
        userAgent: session.userAgent,
        current: session.tokenHash === auth.session.tokenHash,
      })),
    };
    return body;
  });

  app.delete<{ Params: { id: string } }>('/api/sessions/:id', async (request, reply) => {
    const auth = requireUser(request, reply);
    if (!auth) return reply;
    const { id } = request.params;
    if (!(await sessions.revoke(auth.user.id, id))) return sendApiError(reply, 404, 'not_found', 'You have no session with that id.');
    request.log.info({ userId: auth.user.id, sessionId: id }, 'session revoked');
    if (id === auth.session.id) clearSessionCookie(request, reply);
    return reply.code(204).send();
  });
}
