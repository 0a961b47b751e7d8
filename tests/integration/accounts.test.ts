import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { CloseCode } from '../../shared/closeCodes.js';
import { openSqliteAccountStore } from '../../server/accounts/sqliteAccountStore.js';
import { loadConfig } from '../../server/config.js';
import { openDatabase } from '../helpers/database.js';
import { api, GOOD_PASSWORD, openLiveReady, registerUser, sessionCookieOf, signIn, uniqueName } from '../helpers/accounts.js';
import { postgresDatabases } from '../helpers/postgres.js';
import { openRawSocket } from '../helpers/rawSocket.js';
import { readMetrics, startServer, tempDataDir } from '../helpers/testServer.js';
import { waitFor } from '../helpers/waitFor.js';

// Accounts and sessions through the real API: a real server on port 0 with its SQLite file.
// Hashing at a low cost keeps these fast, except in the test that checks the default cost.

const databases = postgresDatabases();

describe('accounts and sessions', () => {
  it('registers with a memory-hard hash at OWASP parameters, signs in and out', async () => {
    const server = await startServer();
    const name = uniqueName('ann');
    const registered = await api(server, 'POST', '/api/account', { body: { name, password: GOOD_PASSWORD } });
    expect(registered.status).toBe(201);
    expect(registered.body.user.name).toBe(name);
    const setCookie = registered.headers.getSetCookie().join('\n');
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Lax/i);
    expect(setCookie).not.toMatch(/Secure/i); // plain HTTP here; Secure over TLS
    const cookie = sessionCookieOf(registered.headers)!;

    // What is stored: a scrypt hash with N = 2^17, r = 8, p = 1 — never the password; the session only as a hash.
    const db = openDatabase(server.config.dataDir);
    const row = db.prepare('SELECT password_hash FROM users WHERE id = ?').get(registered.body.user.id) as { password_hash: string };
    expect(row.password_hash).toMatch(/^scrypt\$17\$8\$1\$/);
    expect(row.password_hash).not.toContain(GOOD_PASSWORD);
    const secret = cookie.split('=')[1]!;
    const sessions = db.prepare('SELECT * FROM sessions').all() as Array<Record<string, unknown>>;
    expect(sessions).toHaveLength(1);
    expect(JSON.stringify(sessions)).not.toContain(secret);

    expect((await api(server, 'GET', '/api/session', { cookie })).body).toEqual({ user: registered.body.user });
    const out = await api(server, 'DELETE', '/api/session', { cookie });
    expect(out.status).toBe(204);
    expect(out.headers.getSetCookie().join()).toMatch(/tandem_session=;/);
    // Ended on the server: the old cookie is worth nothing now.
    expect((await api(server, 'GET', '/api/session', { cookie })).body).toEqual({ user: null });
    expect((await api(server, 'GET', '/api/docs', { cookie })).status).toBe(401);

    const again = await signIn(server, name, GOOD_PASSWORD);
    expect(again.status).toBe(200);
    expect(again.cookie).not.toBeNull();
    expect(again.cookie).not.toBe(cookie);
  });

  it('refuses taken names (case-insensitively), bad names and weak or over-long passwords, each with its reason', async () => {
    const server = await startServer({ passwordHashCost: 12 });
    const ann = await registerUser(server, uniqueName('Ann'));
    const cases: Array<[unknown, number, string]> = [
      [{ name: ann.name.toUpperCase(), password: GOOD_PASSWORD }, 409, 'name_taken'],
      [{ name: 'a', password: GOOD_PASSWORD }, 400, 'invalid_name'],
      [{ name: 'has space', password: GOOD_PASSWORD }, 400, 'invalid_name'],
      [{ name: uniqueName(), password: 'short' }, 400, 'weak_password'],
      [{ name: uniqueName(), password: 'password123' }, 400, 'weak_password'],
      [{ name: uniqueName(), password: 'x'.repeat(129) + 'abcd' }, 400, 'weak_password'],
      [{ name: uniqueName(), password: 'aaaaaaaaaaaa' }, 400, 'weak_password'],
      [{ name: 'bob_smith', password: 'bob_smith_rules' }, 400, 'weak_password'],
      [{ name: 42 }, 400, 'bad_request'],
      ['not json at all', 400, 'bad_request'],
    ];
    for (const [body, status, error] of cases) {
      const answer = await api(server, 'POST', '/api/account', { body });
      expect({ body, status: answer.status, error: answer.body.error }).toEqual({ body, status, error });
      expect(answer.body.message).toEqual(expect.any(String));
      expect(sessionCookieOf(answer.headers)).toBeNull();
    }
  });

  it('re-hashes a password made at a lower cost when its owner signs in', async () => {
    const cheap = await startServer({ passwordHashCost: 12 });
    const ann = await registerUser(cheap);
    await cheap.close();
    const server = await startServer({ dataDir: cheap.config.dataDir, passwordHashCost: 13 });
    const stored = () => (openDatabase(server.config.dataDir).prepare('SELECT password_hash FROM users WHERE id = ?').get(ann.id) as { password_hash: string }).password_hash;
    expect(stored()).toMatch(/^scrypt\$12\$/);
    expect((await signIn(server, ann.name, 'wrong password!')).status).toBe(401);
    expect(stored()).toMatch(/^scrypt\$12\$/);
    expect((await signIn(server, ann.name, ann.password)).status).toBe(200);
    expect(stored()).toMatch(/^scrypt\$13\$/);
    expect((await signIn(server, ann.name, ann.password)).status).toBe(200);
  });

  it('answers a wrong password and an unknown name the same way, without a hint', async () => {
    const server = await startServer({ passwordHashCost: 12 });
    const ann = await registerUser(server);
    const wrongPassword = await signIn(server, ann.name, 'not the password at all');
    const unknownName = await signIn(server, uniqueName('nobody'), GOOD_PASSWORD);
    for (const answer of [wrongPassword, unknownName]) {
      expect(answer.status).toBe(401);
      expect(answer.body).toEqual({ error: 'wrong_credentials', message: 'Wrong name or password.' });
      expect(answer.cookie).toBeNull();
    }
    // The name is matched case-insensitively.
    expect((await signIn(server, ann.name.toUpperCase(), ann.password)).status).toBe(200);
  });

  it('rotates the session on sign-in: the cookie the browser held before stops working', async () => {
    const server = await startServer({ passwordHashCost: 12 });
    const ann = await registerUser(server);
    const next = await signIn(server, ann.name, ann.password, ann.cookie);
    expect(next.status).toBe(200);
    expect((await api(server, 'GET', '/api/session', { cookie: ann.cookie })).body.user).toBeNull();
    expect((await api(server, 'GET', '/api/session', { cookie: next.cookie! })).body.user.id).toBe(ann.id);
  });

  it('limits sign-in attempts per address and name, and per address, with 429 and Retry-After', async () => {
    const server = await startServer({ passwordHashCost: 12, loginAttemptsPerMinutePerName: 3, loginAttemptsPerMinutePerIp: 6 });
    const ann = await registerUser(server);
    for (let i = 0; i < 2; i++) expect((await signIn(server, ann.name, 'wrong password!')).status).toBe(401);
    const limited = await signIn(server, ann.name, 'wrong password!');
    // Registration spent one of this address's three attempts on the name.
    expect(limited.status).toBe(429);
    expect(limited.body.error).toBe('too_many_attempts');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    // From this address even the right password waits: the limit is on attempts, not failures.
    expect((await signIn(server, ann.name, ann.password)).status).toBe(429);
    // Refused attempts spent nothing: other names from the same address have the address's last three.
    for (const label of ['x', 'y', 'z']) expect((await signIn(server, uniqueName(label), 'whatever123')).status).toBe(401);
    expect((await signIn(server, uniqueName('w'), 'whatever123')).status).toBe(429);
  });

  it("an attacker's failed attempts from one address do not lock the owner out elsewhere; signing in spends no budget", async () => {
    const server = await startServer({ passwordHashCost: 12, trustProxy: 1, loginAttemptsPerMinutePerName: 3, loginAttemptsPerMinutePerIp: 100 });
    const ann = await registerUser(server);
    // Behind one trusted proxy: the last X-Forwarded-For hop is the client's address.
    const from = (address: string) => ({ 'x-forwarded-for': address });
    const attacker = from('203.0.113.66');
    const owner = from('198.51.100.7');
    for (let i = 0; i < 3; i++) expect((await signIn(server, ann.name, `wrong password ${i}`, undefined, attacker)).status).toBe(401);
    expect((await signIn(server, ann.name, 'wrong password 3', undefined, attacker)).status).toBe(429);
    // The owner, elsewhere, signs in — again and again: a successful sign-in gives its attempt back.
    for (let i = 0; i < 5; i++) expect((await signIn(server, ann.name, ann.password, undefined, owner)).status).toBe(200);
    // …so the owner's address still has all three attempts on the name (a typo and two more).
    for (let i = 0; i < 3; i++) expect((await signIn(server, ann.name, `typo ${i}`, undefined, owner)).status).toBe(401);
    expect((await signIn(server, ann.name, ann.password, undefined, owner)).status).toBe(429);

    // Guessing one name from many addresses stays slow: the name's global budget is five times one
    // address's (15 here), of which registration and the six failures above spent seven. Past it,
    // each further address gets one attempt a minute on the name (not none: see the next test).
    let slowedAfter = -1;
    for (let i = 0; i < 20 && slowedAfter < 0; i++) {
      const address = from(`192.0.2.${i + 1}`);
      expect((await signIn(server, ann.name, 'distributed guess', undefined, address)).status).toBe(401);
      if ((await signIn(server, ann.name, 'distributed guess 2', undefined, address)).status === 429) slowedAfter = i;
    }
    // Eight left, two per address (a ninth may have refilled, at 15 a minute, on a slow run).
    expect(slowedAfter).toBeGreaterThanOrEqual(4);
    expect(slowedAfter).toBeLessThanOrEqual(5);
    // Other names are not affected.
    expect((await signIn(server, uniqueName('other'), 'whatever123', undefined, from('192.0.2.200'))).status).toBe(401);
  });

  it('guessers at many addresses cannot lock the owner out: a right password from a new address signs in', async () => {
    const server = await startServer({ passwordHashCost: 12, trustProxy: 1 });
    const ann = await registerUser(server);
    const from = (address: string) => ({ 'x-forwarded-for': address });
    // Ten wrong guesses from each of eight addresses: past the name's budget of 50 a minute.
    const statuses: number[] = [];
    for (let a = 0; a < 8; a++) {
      for (let i = 0; i < 10; i++) statuses.push((await signIn(server, ann.name, `guess ${a}-${i}`, undefined, from(`203.0.113.${a + 1}`))).status);
    }
    expect(statuses.filter((status) => status === 429).length).toBeGreaterThan(0);
    // The owner, from an address of their own, signs in; and again (success gives the attempt back).
    for (let i = 0; i < 3; i++) expect((await signIn(server, ann.name, ann.password, undefined, from('198.51.100.7'))).status).toBe(200);
    // A guesser at a fresh address is slowed to one attempt a minute on the name. An attempt may
    // first pass on what the name's budget refilled meanwhile (50 a minute: the owner's sign-ins
    // above take a second or more on a busy machine; CI once saw that), so count the guesses that
    // pass before the refusal rather than expect exactly one.
    let slowed: Awaited<ReturnType<typeof signIn>> | null = null;
    let passed = 0;
    for (let i = 0; i < 6 && slowed === null; i++) {
      const attempt = await signIn(server, ann.name, `guess from a fresh address ${i}`, undefined, from('203.0.113.99'));
      if (attempt.status === 429) slowed = attempt;
      else {
        expect(attempt.status).toBe(401);
        passed++;
      }
    }
    expect(passed).toBeGreaterThanOrEqual(1);
    expect(passed).toBeLessThanOrEqual(3);
    expect([slowed?.status, slowed?.body.error]).toEqual([429, 'too_many_attempts']);
    expect(Number(slowed!.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('sign-in budgets are kept in the database: a restart resets none, and processes on one database share them', async () => {
    const limits = { passwordHashCost: 12, loginAttemptsPerMinutePerName: 3, loginAttemptsPerMinutePerIp: 100 };
    // SQLite: the restarted app on the same file remembers what was spent.
    const first = await startServer(limits);
    const ann = await registerUser(first);
    for (let i = 0; i < 2; i++) expect((await signIn(first, ann.name, `wrong ${i}`)).status).toBe(401);
    await first.close();
    const restarted = await startServer({ ...limits, dataDir: first.config.dataDir });
    expect((await signIn(restarted, ann.name, 'wrong 2')).status).toBe(429);

    // PostgreSQL: two processes on one database spend from the same budget, whichever is asked.
    const databaseUrl = await databases.create();
    const [a, b] = [await startServer({ ...limits, databaseUrl }), await startServer({ ...limits, databaseUrl })];
    const bob = await registerUser(a);
    expect((await signIn(b, bob.name, 'wrong 0')).status).toBe(401);
    expect((await signIn(a, bob.name, 'wrong 1')).status).toBe(401);
    const refused = await signIn(b, bob.name, 'wrong 2');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await signIn(a, bob.name, bob.password)).status).toBe(429);
  });

  it('attempts this process already knows to be over the limit are refused without asking the database', async () => {
    const dataDir = tempDataDir();
    const store = openSqliteAccountStore({ dataDir, synchronous: 'normal' });
    let asked = 0;
    const accounts = new Proxy(store, {
      get: (target, property, receiver) =>
        property === 'spendAttempt'
          ? (...args: Parameters<typeof store.spendAttempt>) => {
              asked += 1;
              return target.spendAttempt(...args);
            }
          : Reflect.get(target, property, receiver),
    });
    const server = await startServer({ passwordHashCost: 12, loginAttemptsPerMinutePerIp: 3, dataDir, accounts });
    for (let i = 0; i < 3; i++) expect((await signIn(server, uniqueName('guess'), 'whatever123')).status).toBe(401);
    for (let i = 0; i < 10; i++) expect((await signIn(server, uniqueName('flood'), 'whatever123')).status).toBe(429);
    expect(asked).toBe(3);
  });

  it('keys per-address limits on the address the trusted proxy saw, not on what the client wrote in X-Forwarded-For', async () => {
    // TRUST_PROXY=true: one reverse proxy in front, which appends the address it saw.
    const server = await startServer({ passwordHashCost: 12, trustProxy: loadConfig({ TRUST_PROXY: 'true' }).trustProxy, loginAttemptsPerMinutePerIp: 3 });
    const attempt = (forwardedFor: string) =>
      signIn(server, uniqueName('guess'), 'whatever123', undefined, { 'x-forwarded-for': forwardedFor });
    // The client forges the start of the header; nginx appends the client's real address, 10.0.0.9.
    for (let i = 0; i < 3; i++) expect((await attempt(`1.2.3.${i}, 10.0.0.9`)).status).toBe(401);
    for (let i = 3; i < 6; i++) expect((await attempt(`1.2.3.${i}, 10.0.0.9`)).status).toBe(429);
    expect((await attempt('10.0.0.9')).status).toBe(429);
    // Another client of the same proxy has its own budget.
    expect((await attempt('1.2.3.4, 10.0.0.10')).status).toBe(401);
    // Without a trusted proxy the header means nothing: every request here comes from 127.0.0.1.
    const direct = await startServer({ passwordHashCost: 12, loginAttemptsPerMinutePerIp: 3 });
    const directAttempt = (forwardedFor: string) =>
      signIn(direct, uniqueName('guess'), 'whatever123', undefined, { 'x-forwarded-for': forwardedFor });
    for (let i = 0; i < 3; i++) expect((await directAttempt(`10.0.1.${i}`)).status).toBe(401);
    expect((await directAttempt('10.0.1.99')).status).toBe(429);
  });

  it('exposes account, live and chat figures on /metrics', async () => {
    const server = await startServer({ passwordHashCost: 12 });
    const ann = await registerUser(server);
    await signIn(server, ann.name, 'wrong password!');
    await api(server, 'POST', '/api/account', { body: { name: ann.name, password: GOOD_PASSWORD } });
    const live = await openLiveReady(server, ann);
    const docId = (await api(server, 'POST', '/api/docs', { cookie: ann.cookie })).body.id as string;
    expect((await api(server, 'POST', `/api/conversations/doc:${docId}/messages`, { cookie: ann.cookie, body: { text: 'hi' } })).status).toBe(201);
    const text = await readMetrics(server.httpUrl);
    expect(text).toMatch(/tandem_account_attempts_total\{kind="register",result="ok"\} 1/);
    expect(text).toMatch(/tandem_account_attempts_total\{kind="register",result="refused"\} 1/);
    expect(text).toMatch(/tandem_account_attempts_total\{kind="sign_in",result="wrong_credentials"\} 1/);
    expect(text).toMatch(/tandem_live_connections 1/);
    expect(text).toMatch(/tandem_people_online 1/);
    expect(text).toMatch(/tandem_chat_messages_total 1/);
    await live.close();
  });

  it('lists my sessions and revokes one: its API calls and open sockets end at once (4401)', async () => {
    const server = await startServer({ passwordHashCost: 12 });
    const ann = await registerUser(server);
    const laptop = (await signIn(server, ann.name, ann.password)).cookie!;
    const list = await api(server, 'GET', '/api/sessions', { cookie: ann.cookie });
    expect(list.status).toBe(200);
    expect(list.body.sessions).toHaveLength(2);
    const other = list.body.sessions.find((s: { current: boolean }) => !s.current);
    expect(list.body.sessions.filter((s: { current: boolean }) => s.current)).toHaveLength(1);

    const docId = (await api(server, 'POST', '/api/docs', { cookie: laptop })).body.id as string;
    const socket = await openRawSocket(`${server.collabUrl}/${docId}`, { cookie: laptop });
    await waitFor(() => socket.frames.length > 0, 'the document to be served');

    expect((await api(server, 'DELETE', `/api/sessions/${other.id}`, { cookie: ann.cookie })).status).toBe(204);
    expect(await socket.closed).toEqual({ code: CloseCode.unauthenticated, reason: 'your session has ended; sign in again' });
    expect((await api(server, 'GET', '/api/docs', { cookie: laptop })).status).toBe(401);
    // Opening a document with the dead cookie is refused with the same code, not served as a visitor.
    const retry = await openRawSocket(`${server.collabUrl}/${docId}`, { cookie: laptop });
    expect((await retry.closed).code).toBe(CloseCode.unauthenticated);
    // Someone else's session id cannot be revoked.
    const bob = await registerUser(server);
    const annSessions = (await api(server, 'GET', '/api/sessions', { cookie: ann.cookie })).body.sessions;
    expect((await api(server, 'DELETE', `/api/sessions/${annSessions[0].id}`, { cookie: bob.cookie })).status).toBe(404);
    expect((await api(server, 'GET', '/api/session', { cookie: ann.cookie })).body.user.id).toBe(ann.id);
  });

  it('ends a session that went unused for longer than the idle limit', async () => {
    const server = await startServer({ passwordHashCost: 12, sessionIdleMs: 60_000 });
    const ann = await registerUser(server);
    const db = openDatabase(server.config.dataDir, { writable: true });
    db.prepare('UPDATE sessions SET expires_at = ? WHERE user_id = ?').run(Date.now() - 1, ann.id);
    const answer = await api(server, 'GET', '/api/sessions', { cookie: ann.cookie });
    expect(answer.status).toBe(401);
    expect(answer.body.message).toMatch(/session has ended/);
    expect(db.prepare('SELECT count(*) AS n FROM sessions WHERE user_id = ?').get(ann.id)).toEqual({ n: 0 });
  });

  it('refuses state-changing requests from a foreign Origin (403) and lets the own origin through', async () => {
    const server = await startServer({ passwordHashCost: 12 });
    const ann = await registerUser(server);
    const foreign = await api(server, 'POST', '/api/docs', { cookie: ann.cookie, origin: 'https://evil.example' });
    expect(foreign.status).toBe(403);
    expect(foreign.body.error).toBe('origin_not_allowed');
    const own = await api(server, 'POST', '/api/docs', { cookie: ann.cookie, origin: server.httpUrl });
    expect(own.status).toBe(201);
    const register = await api(server, 'POST', '/api/account', { body: { name: uniqueName(), password: GOOD_PASSWORD }, origin: 'https://evil.example' });
    expect(register.status).toBe(403);
  });

  it('authenticates and checks the Origin by the route matched, however the path is spelled', async () => {
    const server = await startServer({ passwordHashCost: 12 });
    const ann = await registerUser(server);
    // Fastify routes /%61pi/docs to /api/docs: the same checks must run as for /api/docs.
    const foreign = await api(server, 'POST', '/%61pi/docs', { cookie: ann.cookie, origin: 'https://evil.example' });
    expect(foreign.status).toBe(403);
    expect(foreign.body.error).toBe('origin_not_allowed');
    const list = await api(server, 'GET', '/%61pi/docs', { cookie: ann.cookie });
    expect(list.status).toBe(200);
    const created = await api(server, 'POST', '/%61pi/%64ocs', { cookie: ann.cookie, origin: server.httpUrl });
    expect(created.status).toBe(201);
    expect((await api(server, 'GET', `/api/docs/${created.body.id}`, { cookie: ann.cookie })).status).toBe(200);
    // An unknown path is a plain 404, with or without a cookie.
    expect((await api(server, 'POST', '/api/nothing-here', { cookie: ann.cookie, origin: 'https://evil.example' })).status).toBe(404);
  });
});

describe('sessions of open connections', () => {
  it('an open window keeps its session alive; a session gone from the store closes its sockets (4401)', async () => {
    // Sessions tell time by Date.now: with only Date faked, the test moves the clock past three idle
    // periods at once, while the keep-alive (a real interval of idle / 4) still has to run and extend
    // the session every time. No sleep: each step waits for the extension it needs.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
    onTestFinished(() => void vi.useRealTimers());
    const idleMs = 400;
    const server = await startServer({ passwordHashCost: 12, sessionIdleMs: idleMs });
    const ann = await registerUser(server);
    const docId = (await api(server, 'POST', '/api/docs', { cookie: ann.cookie })).body.id as string;
    const collab = await openRawSocket(`${server.collabUrl}/${docId}`, { cookie: ann.cookie });
    const live = await openLiveReady(server, ann);
    const db = openDatabase(server.config.dataDir);
    const expiresAt = () => (db.prepare('SELECT expires_at FROM sessions WHERE user_id = ?').get(ann.id) as { expires_at: number } | undefined)?.expires_at;
    // Three idle periods pass, half a period at a time, with nothing but the open sockets.
    for (let half = 0; half < 6; half++) {
      vi.setSystemTime(Date.now() + idleMs / 2);
      const now = Date.now();
      await waitFor(() => expiresAt() === now + idleMs, `the keep-alive to extend the session at +${(half + 1) * (idleMs / 2)} ms`);
    }
    // The session is still valid.
    expect((await api(server, 'GET', '/api/session', { cookie: ann.cookie })).body.user?.id).toBe(ann.id);
    expect(collab.ws.readyState).toBe(collab.ws.OPEN);

    // Deleted behind the server's back (another process's sweep, an administrator): closed within a keep-alive round.
    openDatabase(server.config.dataDir, { writable: true }).prepare('DELETE FROM sessions WHERE user_id = ?').run(ann.id);
    expect((await collab.closed).code).toBe(CloseCode.unauthenticated);
    expect((await live.closed).code).toBe(CloseCode.unauthenticated);
  });
});
