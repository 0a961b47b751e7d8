// Regression tests for the security review: each case below failed before its fix.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { CloseCode } from '../../shared/closeCodes.js';
import { BODY_FRAGMENT } from '../../shared/schema.js';
import { encodeSyncUpdate } from '../../shared/codec.js';
import { connectClient, whenSynced } from '../helpers/clients.js';
import { openDatabase, rowCounts } from '../helpers/database.js';
import { openRawSocket } from '../helpers/rawSocket.js';
import { GOOD_PASSWORD, uniqueName } from '../helpers/accounts.js';
import { startServer, tempDataDir, type TestServer, uniqueDocId } from '../helpers/testServer.js';
import { waitFor } from '../helpers/waitFor.js';

/** The update a client makes when it writes `build` into a fresh doc's body. */
function updateOf(build: (body: Y.XmlFragment) => void): Uint8Array {
  const doc = new Y.Doc();
  let update: Uint8Array | null = null;
  doc.on('update', (u: Uint8Array) => (update = update === null ? u : Y.mergeUpdates([update, u])));
  build(doc.getXmlFragment(BODY_FRAGMENT));
  return update!;
}

/** A paragraph holding `text` formatted with `format`, as y-prosemirror writes a linked run. */
function paragraphWith(body: Y.XmlFragment, text: string, format: Record<string, unknown>): void {
  const paragraph = new Y.XmlElement('paragraph');
  body.push([paragraph]);
  const run = new Y.XmlText();
  paragraph.insert(0, [run]);
  run.insert(0, text, format);
}

/** The body's XML as another client sees it. */
function bodyOf(doc: Y.Doc): string {
  return doc.getXmlFragment(BODY_FRAGMENT).toString();
}

describe('1. unsafe URLs in documents are refused by the server', () => {
  it('a stock client writing a javascript: link is closed with 4422; nothing is stored or relayed', async () => {
    const server = await startServer({ openDocuments: true });
    const docId = uniqueDocId('jslink');
    const db = openDatabase(server.config.dataDir);
    const reader = connectClient(server.collabUrl, docId);
    const attacker = connectClient(server.collabUrl, docId);
    await Promise.all([whenSynced(reader), whenSynced(attacker)]);
    const closes: number[] = [];
    attacker.provider.on('connection-close', (event) => {
      if (event) closes.push(event.code);
    });
    attacker.doc.transact(() =>
      paragraphWith(attacker.doc.getXmlFragment(BODY_FRAGMENT), 'click me', { link: { href: 'javascript:fetch("/api/sessions")' } }),
    );
    await waitFor(() => closes.includes(CloseCode.updateRejected), 'the attacker to be closed with 4422');
    attacker.destroy();
    expect(rowCounts(db, docId).updates).toBe(0);
    // The reader got nothing, and a client joining later is served nothing of it.
    expect(bodyOf(reader.doc)).toBe('');
    const late = connectClient(server.collabUrl, docId);
    await whenSynced(late);
    expect(bodyOf(late.doc)).toBe('');
  });

  const unsafe: Array<{ name: string; update: Uint8Array }> = [
    { name: 'an image with a javascript: src', update: updateOf((body) => {
      const image = new Y.XmlElement('image');
      image.setAttribute('src', 'javascript:alert(1)');
      body.push([image]);
    }) },
    { name: 'an image with a data: src', update: updateOf((body) => {
      const image = new Y.XmlElement('image');
      image.setAttribute('src', 'data:image/svg+xml,<svg onload=alert(1)>');
      body.push([image]);
    }) },
    { name: 'a link hidden by a newline (java\\nscript:)', update: updateOf((body) => paragraphWith(body, 'x', { link: { href: 'java\nscript:alert(1)' } })) },
    { name: "a link under y-prosemirror's hashed mark key", update: updateOf((body) => paragraphWith(body, 'x', { 'link--a1b2': { href: 'JAVASCRIPT:alert(1)' } })) },
    { name: 'a link whose href is not a string', update: updateOf((body) => paragraphWith(body, 'x', { link: { href: ['javascript:alert(1)'] } })) },
    { name: 'a format straight under an "href" key', update: updateOf((body) => paragraphWith(body, 'x', { href: 'vbscript:x' })) },
  ];
  for (const { name, update } of unsafe) {
    it(`${name} → 4422, not stored`, async () => {
      const server = await startServer({ openDocuments: true });
      const docId = uniqueDocId('unsafe');
      const db = openDatabase(server.config.dataDir);
      const socket = await openRawSocket(`${server.collabUrl}/${docId}`);
      socket.send(encodeSyncUpdate(update));
      const closed = await socket.closed;
      expect(closed.code).toBe(CloseCode.updateRejected);
      expect(closed.reason).toMatch(/link or image address/);
      expect(rowCounts(db, docId).updates).toBe(0);
    });
  }

  it('safe links and images (https, mailto, relative) are stored and relayed as they came', async () => {
    const server = await startServer({ openDocuments: true });
    const docId = uniqueDocId('safelink');
    const writer = connectClient(server.collabUrl, docId);
    const reader = connectClient(server.collabUrl, docId);
    await Promise.all([whenSynced(writer), whenSynced(reader)]);
    writer.doc.transact(() => {
      const body = writer.doc.getXmlFragment(BODY_FRAGMENT);
      paragraphWith(body, 'web', { link: { href: 'https://example.com/?a=1&b=2', title: null } });
      paragraphWith(body, 'mail', { link: { href: 'mailto:a@example.com' } });
      const image = new Y.XmlElement('image');
      image.setAttribute('src', '/pictures/a.png');
      body.push([image]);
    });
    await waitFor(() => bodyOf(reader.doc) === bodyOf(writer.doc), 'the safe links to reach the reader');
    expect(writer.provider.wsconnected).toBe(true);
    expect(bodyOf(reader.doc)).toContain('https://example.com/?a=1&b=2');
  });
});

/** An HTTP request with headers `fetch` will not let a test set (Host); resolves to status, headers and body. */
function request(
  server: TestServer,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  const url = new URL(server.httpUrl);
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const outgoing = http.request(
      {
        host: url.hostname,
        port: url.port,
        method,
        path,
        headers: { ...headers, ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }) },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text }));
      },
    );
    outgoing.on('error', reject);
    outgoing.end(payload);
  });
}

/** Opens a WebSocket to `path` with `headers`; resolves to 'open' or the HTTP status that refused it. */
function upgrade(server: TestServer, path: string, headers: Record<string, string>): Promise<'open' | number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${server.httpUrl.replace(/^http/, 'ws')}${path}`, { headers });
    ws.on('error', () => {});
    ws.once('open', () => {
      ws.terminate();
      resolve('open');
    });
    ws.once('unexpected-response', (_request, response) => {
      response.resume();
      ws.terminate();
      resolve(response.statusCode ?? 0);
    });
  });
}

/** A folder with a stand-in built web app (an index.html), for tests of the pages' headers. */
function fakeWebRoot(): string {
  const dir = tempDataDir();
  fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>Tandem</title><script type="module" src="/app.js"></script>');
  return dir;
}

describe('7. security headers on every page', () => {
  it('the app pages, assets, the API and unknown paths carry a CSP without inline script, frame-ancestors none, nosniff and no-referrer', async () => {
    const server = await startServer({ webRoot: fakeWebRoot() });
    const { port } = new URL(server.httpUrl);
    for (const page of ['/', `/d/${uniqueDocId('page')}`, '/signin', '/api/session', '/app.js', '/no-such-page']) {
      const answer = await fetch(`${server.httpUrl}${page}`);
      const csp = answer.headers.get('content-security-policy') ?? '';
      expect(csp, page).toContain("script-src 'self'");
      expect(csp, page).not.toMatch(/script-src[^;]*('unsafe-inline'|'unsafe-eval')/);
      expect(csp, page).toContain("frame-ancestors 'none'");
      expect(csp, page).toContain("object-src 'none'");
      expect(csp, page).toContain(`connect-src 'self' ws://127.0.0.1:${port} wss://127.0.0.1:${port}`);
      expect(csp, page).not.toContain('upgrade-insecure-requests');
      expect(answer.headers.get('x-frame-options'), page).toBe('DENY');
      expect(answer.headers.get('x-content-type-options'), page).toBe('nosniff');
      expect(answer.headers.get('referrer-policy'), page).toBe('no-referrer');
      expect(answer.headers.get('strict-transport-security'), page).toBeNull();
    }
  });

  it('a Host header cannot write into the policy', async () => {
    const server = await startServer({ allowedHosts: '*' });
    const answer = await request(server, 'GET', '/api/session', { host: "evil;script-src 'unsafe-inline'" });
    expect(answer.status).toBe(200);
    expect(String(answer.headers['content-security-policy'])).toContain("connect-src 'self' 'self' 'self'");
    expect(String(answer.headers['content-security-policy'])).not.toContain('evil');
    expect(String(answer.headers['content-security-policy'])).not.toMatch(/script-src[^;]*'unsafe-inline'/);
  });
});

describe('8. only requests for this server\'s own host names are answered (DNS rebinding)', () => {
  it('Host: rebind.example with a matching Origin: registration, pages, /collab and /live are refused with 421', async () => {
    const server = await startServer({ webRoot: fakeWebRoot() });
    const rebound = { host: 'rebind.example', origin: 'http://rebind.example' };
    const name = uniqueName('rebind');
    const registration = await request(server, 'POST', '/api/account', rebound, { name, password: GOOD_PASSWORD });
    expect(registration.status).toBe(421);
    expect(JSON.parse(registration.body)).toMatchObject({ error: 'host_not_allowed' });
    for (const page of ['/', '/api/session', '/healthz', '/no-such-page']) {
      const answer = await request(server, 'GET', page, rebound);
      expect(answer.status, page).toBe(421);
      // The refusal carries the security headers too.
      expect(String(answer.headers['content-security-policy']), page).toContain("frame-ancestors 'none'");
      expect(answer.headers['x-frame-options'], page).toBe('DENY');
    }
    expect(await upgrade(server, `/collab/${uniqueDocId('rebind')}`, rebound)).toBe(421);
    expect(await upgrade(server, '/live', rebound)).toBe(421);
    // Nobody was registered.
    expect(await server.app.accountStore.findUserByName(name)).toBeNull();
  });

  it('IP addresses, localhost names, ALLOWED_HOSTS and the hosts of ALLOWED_ORIGINS are answered, with any port', async () => {
    const server = await startServer({ allowedHosts: ['docs.example.com'], allowedOrigins: ['https://tandem.example.org'] });
    for (const host of ['127.0.0.1:1234', '127.0.0.1', '[::1]:3000', '192.168.1.20:3000', 'localhost:3000', 'app.localhost', 'DOCS.example.com:443', 'tandem.example.org']) {
      expect((await request(server, 'GET', '/api/session', { host })).status, host).toBe(200);
    }
    for (const host of ['rebind.example', 'docs.example.com.rebind.example', 'localhost.rebind.example', 'example.com']) {
      expect((await request(server, 'GET', '/api/session', { host })).status, host).toBe(421);
    }
    const registered = await request(server, 'POST', '/api/account', { host: 'docs.example.com', origin: 'http://docs.example.com' }, { name: uniqueName('named'), password: GOOD_PASSWORD });
    expect(registered.status).toBe(201);
    expect(await upgrade(server, `/collab/${uniqueDocId('named')}`, { host: 'docs.example.com', origin: 'http://docs.example.com' })).toBe('open');
  });

  it('ALLOWED_HOSTS=* answers any host', async () => {
    const server = await startServer({ allowedHosts: '*' });
    expect((await request(server, 'GET', '/api/session', { host: 'rebind.example' })).status).toBe(200);
  });
});

describe('9. /metrics needs the metrics token', () => {
  it('without a token or with a wrong one: 401 and no figures; with it: the figures', async () => {
    const server = await startServer({ metricsToken: 'the-right-metrics-token-42' });
    for (const authorization of [undefined, 'Bearer wrong-token-wrong-token', 'Basic dGhlLXJpZ2h0LW1ldHJpY3MtdG9rZW4tNDI=', 'Bearer the-right-metrics-token-4']) {
      const answer = await fetch(`${server.httpUrl}/metrics`, { headers: authorization ? { authorization } : {} });
      expect(answer.status, authorization).toBe(401);
      expect(answer.headers.get('www-authenticate')).toContain('Bearer');
      const body = await answer.text();
      expect(JSON.parse(body)).toMatchObject({ error: 'metrics_token_required' });
      expect(body).not.toContain('tandem_');
    }
    const answer = await fetch(`${server.httpUrl}/metrics`, { headers: { authorization: 'Bearer the-right-metrics-token-42' } });
    expect(answer.status).toBe(200);
    expect(await answer.text()).toMatch(/^tandem_people_online /m);
  });

  it('without METRICS_TOKEN configured, /metrics is closed (403)', async () => {
    const server = await startServer({ metricsToken: null });
    const answer = await fetch(`${server.httpUrl}/metrics`, { headers: { authorization: 'Bearer anything-at-all-here' } });
    expect(answer.status).toBe(403);
    expect(await answer.json()).toMatchObject({ error: 'metrics_disabled' });
  });
});
