import { waitFor } from '../helpers/waitFor.js';
import { describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../server/store/sqliteStore.js';
import type { DocStore } from '../../server/store/docStore.js';
import { api, createDoc, registerUser, share, type TestUser } from '../helpers/accounts.js';
import { openDatabase } from '../helpers/database.js';
import { spawnServer } from '../helpers/serverProcess.js';
import { startServer, tempDataDir, type TestServer } from '../helpers/testServer.js';

// The HTTP error pipeline (server/api/errorHandler.ts): every refusal of every route, Fastify's own
// included, answers the documented `{ error, message }` body and nothing else.

/** A raw request: `body` sent as it is, with `contentType` when given. */
async function send(server: TestServer, method: string, path: string, options: { cookie?: string; contentType?: string; body?: string } = {}) {
  const headers: Record<string, string> = {};
  if (options.cookie) headers.cookie = options.cookie;
  if (options.contentType) headers['content-type'] = options.contentType;
  const response = await fetch(`${server.httpUrl}${path}`, { method, headers, body: options.body });
  return { status: response.status, headers: response.headers, body: (await response.json()) as unknown };
}

/** `{ error: code, message: <a sentence> }` and no other property. */
function apiError(code: string) {
  return { error: code, message: expect.stringMatching(/\S/) };
}

async function signedInServer(overrides: Parameters<typeof startServer>[0] = {}): Promise<{ server: TestServer; ann: TestUser }> {
  const server = await startServer({ passwordHashCost: 12, ...overrides });
  return { server, ann: await registerUser(server) };
}

describe('HTTP errors', () => {
  it("answers Fastify's own refusals in the API's shape: unknown route, malformed or empty JSON, too large, unsupported type", async () => {
    const { server, ann } = await signedInServer();
    const cases: Array<[string, Promise<{ status: number; body: unknown }>, number, string]> = [
      ['unknown API route', send(server, 'GET', '/api/nothing-here'), 404, 'not_found'],
      ['unknown route, wrong method', send(server, 'PUT', '/api/docs'), 404, 'not_found'],
      ['unknown page', send(server, 'GET', '/no/such/page?x=1'), 404, 'not_found'],
      ['malformed JSON', send(server, 'POST', '/api/session', { contentType: 'application/json', body: '{"name": "ann", ' }), 400, 'invalid_json'],
      ['empty JSON', send(server, 'POST', '/api/docs', { cookie: ann.cookie, contentType: 'application/json', body: '' }), 400, 'invalid_json'],
      [
        'JSON over the 1 MiB body limit',
        send(server, 'POST', '/api/account', { contentType: 'application/json', body: JSON.stringify({ name: 'x', password: 'y'.repeat(1024 * 1024) }) }),
        413,
        'too_large',
      ],
      ['a type no route parses', send(server, 'POST', '/api/session', { contentType: 'image/png', body: 'PNG' }), 415, 'unsupported_media_type'],
      ['a type another route parses', send(server, 'POST', '/api/docs', { cookie: ann.cookie, contentType: 'text/markdown', body: '# x' }), 415, 'unsupported_media_type'],
    ];
    const answers = await Promise.all(cases.map(async ([name, pending]) => ({ name, ...(await pending) })));
    expect(answers.map(({ name, status, body }) => ({ name, status, body }))).toEqual(
      cases.map(([name, , status, code]) => ({ name, status, body: apiError(code) })),
    );
    // Said in words, not Fastify's ("Route GET:/api/nothing-here not found").
    expect((await send(server, 'GET', '/api/nothing-here?secret=1')).body).toEqual({ error: 'not_found', message: 'There is nothing at GET /api/nothing-here.' });
    expect((await send(server, 'POST', '/api/account', { contentType: 'application/json', body: 'x'.repeat(1024 * 1024 + 1) })).body).toEqual({
      error: 'too_large',
      message: "The body is over this request's limit of 1 MiB.",
    });
  });

  it('refuses bodies, paths and queries of the wrong shape with a named code, checking types as sent', async () => {
    const { server, ann } = await signedInServer();
    const bob = await registerUser(server);
    const docId = await createDoc(server, ann);
    const cases: Array<[string, string, unknown, number, string]> = [
      ['POST', `/api/docs/${docId}/members`, { name: bob.name, role: 'owner' }, 400, 'bad_request'],
      ['POST', `/api/docs/${docId}/members`, { role: 'viewer' }, 400, 'bad_request'],
      ['PATCH', `/api/docs/${docId}/access`, { linkAccess: 'everyone' }, 400, 'bad_request'],
      ['PATCH', `/api/docs/${docId}/access`, undefined, 400, 'bad_request'],
      ['PATCH', '/api/docs/not.an.id/access', { linkAccess: 'view' }, 400, 'invalid_id'],
      // Types are not coerced: "5" is not a message id, 42 not a name, [1] not an object.
      ['POST', `/api/conversations/doc:${docId}/read`, { messageId: '5' }, 400, 'bad_request'],
      ['POST', '/api/session', { name: 42, password: 'x' }, 400, 'bad_request'],
      ['POST', '/api/notifications/read', [1], 400, 'bad_request'],
      ['POST', '/api/notifications/read', { ids: ['1'] }, 400, 'bad_request'],
      ['GET', `/api/conversations/doc:${docId}/messages?limit=0`, undefined, 400, 'invalid_limit'],
      ['GET', `/api/conversations/doc:${docId}/messages?limit=101`, undefined, 400, 'invalid_limit'],
      ['GET', `/api/conversations/doc:${docId}/messages?limit=1&limit=2`, undefined, 400, 'invalid_limit'],
      ['GET', `/api/conversations/doc:${docId}/messages?before=x`, undefined, 400, 'invalid_before'],
      ['GET', `/api/docs/${docId}/export?format=pdf`, undefined, 400, 'invalid_format'],
    ];
    for (const [method, path, body, status, code] of cases) {
      const answer = await api(server, method, path, { cookie: ann.cookie, body });
      expect({ method, path, body, status: answer.status, answer: answer.body }).toEqual({ method, path, body, status, answer: apiError(code) });
    }
    // What the routes accept still passes: limits 1 and 100, no body for "mark all read", a page before an id.
    for (const path of ['?limit=1', '?limit=100', '?limit=007&before=12']) {
      expect((await api(server, 'GET', `/api/conversations/doc:${docId}/messages${path}`, { cookie: ann.cookie })).status).toBe(200);
    }
    expect((await api(server, 'POST', '/api/notifications/read', { cookie: ann.cookie })).status).toBe(204);
    expect((await api(server, 'POST', '/api/notifications/read', { cookie: ann.cookie, body: { ids: [1, 2] } })).status).toBe(204);
  });

  it('answers 401 sign_in_required once, before judging the body, and clears the cookie of an ended session', async () => {
    const { server, ann } = await signedInServer();
    const docId = await createDoc(server, ann);
    for (const [method, path] of [
      ['GET', '/api/docs'],
      ['GET', '/api/people'],
      ['GET', '/api/notifications'],
      ['GET', '/api/conversations'],
      ['POST', `/api/docs/${docId}/members`],
      ['POST', '/api/conversations'],
      ['DELETE', '/api/sessions/x'],
    ] as const) {
      // A body the route would refuse: the visitor is told to sign in, not how to shape it.
      const answer = await api(server, method, path, { body: method === 'GET' || method === 'DELETE' ? undefined : { role: 'owner' } });
      expect({ path, status: answer.status, body: answer.body }).toEqual({ path, status: 401, body: { error: 'sign_in_required', message: 'Sign in first.' } });
    }
    expect((await api(server, 'DELETE', '/api/session', { cookie: ann.cookie })).status).toBe(204);
    const stale = await api(server, 'GET', '/api/docs', { cookie: ann.cookie });
    expect(stale.status).toBe(401);
    expect(stale.body).toEqual({ error: 'sign_in_required', message: 'Your session has ended; sign in again.' });
    expect(stale.headers.getSetCookie().some((line) => /^tandem_session=;/.test(line))).toBe(true);
  });

  it('answers an unexpected failure 500 internal with the request id and none of its detail', async () => {
    const dataDir = tempDataDir();
    const inner = openSqliteStore({ dataDir, synchronous: 'normal' });
    let fail = false;
    const store: DocStore = {
      ...inner,
      async describe(docId) {
        if (fail) throw new Error('SQLITE_IOERR: disk I/O error reading /srv/secret/tandem.sqlite as postgres://admin:hunter2@db');
        return inner.describe(docId);
      },
    };
    const { server, ann } = await signedInServer({ dataDir, store });
    const docId = await createDoc(server, ann);
    fail = true;
    for (const path of [`/api/docs/${docId}`, '/api/docs']) {
      const response = await fetch(`${server.httpUrl}${path}`, { headers: { cookie: ann.cookie } });
      expect(response.status).toBe(500);
      const text = await response.text();
      expect(JSON.parse(text)).toEqual({ error: 'internal', message: expect.stringMatching(/^The server could not complete this request \(request req-\w+\)\.$/) });
      expect(text).not.toMatch(/SQLITE|secret|hunter2|postgres|stack|at /);
    }
  });

  it("logs an unexpected failure under the request id its 500 names (a real server process, its database locked)", async () => {
    const dataDir = tempDataDir();
    const server = await spawnServer({ DATA_DIR: dataDir, LOG_LEVEL: 'error' });
    // Another connection holds the write lock: the sign-up's first write waits out busy_timeout (5 s) and fails.
    const db = openDatabase(dataDir, { writable: true });
    db.exec('BEGIN EXCLUSIVE');
    const response = await fetch(`http://127.0.0.1:${server.port}/api/account`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'locked_out', password: 'correct horse battery staple' }),
    });
    db.exec('ROLLBACK');
    expect(response.status).toBe(500);
    const body = (await response.json()) as { error: string; message: string };
    expect(body.error).toBe('internal');
    const reqId = /\(request (req-\w+)\)/.exec(body.message)?.[1];
    expect(reqId).toBeDefined();
    // The child writes its log line around the time it answers: wait for it to arrive on its stdout.
    const logged = await waitFor(() => {
      const lines = server.output().split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, any>);
      return lines.find((line) => line.reqId === reqId && line.msg === 'request failed');
    }, `the error log line of ${reqId}`);
    expect(logged?.level).toBe(50);
    expect(logged?.err?.message).toMatch(/locked/);
  }, 30_000);

  it('answers keep every property of their shared/api.ts shape (the answer schemas drop nothing)', async () => {
    const { server, ann } = await signedInServer();
    const bob = await registerUser(server);
    const docId = await createDoc(server, ann);
    await share(server, docId, ann, bob, 'viewer');
    const keys = async (path: string, user: TestUser, pick: (body: any) => unknown = (body) => body) => {
      const answer = await api(server, 'GET', path, { cookie: user.cookie });
      expect(answer.status).toBe(200);
      return Object.keys(pick(answer.body) as object).sort();
    };
    expect(await keys(`/api/docs/${docId}`, bob)).toEqual(['connections', 'createdAt', 'id', 'linkAccess', 'myRole', 'owner', 'sizeLimitBytes', 'storedBytes', 'title', 'updatedAt']);
    expect(await keys('/api/docs', bob, (body) => body.documents[0])).toEqual(['createdAt', 'id', 'role', 'title', 'updatedAt']);
    expect(await keys(`/api/docs/${docId}/access`, bob)).toEqual(['docId', 'linkAccess', 'members', 'myRole', 'owner']);
    expect(await keys(`/api/docs/${docId}/access`, bob, (body) => body.members[0])).toEqual(['joinedAt', 'role', 'user']);
    expect(await keys('/api/people', bob, (body) => body.people[0])).toEqual(['id', 'lastSeenAt', 'name', 'online']);
    expect(await keys('/api/sessions', bob, (body) => body.sessions[0])).toEqual(['createdAt', 'current', 'expiresAt', 'id', 'lastUsedAt', 'userAgent']);
    expect(await keys('/api/notifications', bob, (body) => body.notifications[0])).toEqual(
      ['actor', 'createdAt', 'docId', 'docTitle', 'id', 'kind', 'readAt', 'role'],
    );
    const posted = await api(server, 'POST', `/api/conversations/doc:${docId}/messages`, { cookie: ann.cookie, body: { text: `hi @${bob.name}` } });
    expect(posted.status).toBe(201);
    expect(Object.keys(posted.body).sort()).toEqual(['author', 'conversationId', 'createdAt', 'id', 'text']);
    expect(await keys('/api/notifications', bob, (body) => body.notifications[0])).toEqual(
      ['actor', 'conversationId', 'conversationTitle', 'createdAt', 'docId', 'excerpt', 'id', 'kind', 'messageId', 'readAt'],
    );
    expect(await keys('/api/conversations', bob, (body) => body.conversations[0])).toEqual(['docId', 'id', 'kind', 'lastMessageAt', 'members', 'title', 'unread']);
    expect(await keys(`/api/conversations/doc:${docId}/messages`, bob)).toEqual(['hasMore', 'messages']);
  });
});
