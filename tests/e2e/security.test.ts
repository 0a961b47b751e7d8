// Browser regression tests for the security review (items 1, 2 and 7): each failed before its fix.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { BODY_FRAGMENT } from '../../shared/schema.js';
import { openSqliteStore } from '../../server/store/sqliteStore.js';
import { docText, launchBrowser, openPerson, screenshot, signIn, statusOf, TEST_PASSWORD } from '../helpers/browser.js';
import { spawnServer } from '../helpers/serverProcess.js';
import { tempDataDir } from '../helpers/testServer.js';
import { waitFor } from '../helpers/waitFor.js';

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

/** Calls the app's API as a script would (no Origin: not a browser page); resolves to status, body and cookie. */
async function call(base: string, method: string, path: string, body?: unknown, cookie?: string): Promise<{ status: number; body: any; cookie: string | null }> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(cookie ? { cookie } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const set = response.headers.getSetCookie().find((line) => line.startsWith('tandem_session='));
  return { status: response.status, body: text === '' ? null : JSON.parse(text), cookie: set ? set.split(';')[0]! : null };
}

/** The update a stock client made before the server refused unsafe URLs: a paragraph with a javascript: link. */
function maliciousLinkUpdate(): Uint8Array {
  const doc = new Y.Doc();
  const paragraph = new Y.XmlElement('paragraph');
  doc.getXmlFragment(BODY_FRAGMENT).push([paragraph]);
  const text = new Y.XmlText();
  paragraph.insert(0, [text]);
  text.insert(0, 'before ');
  text.insert(7, 'click me', { link: { href: 'javascript:window.__pwned=1' } });
  text.insert(15, ' after');
  return Y.encodeStateAsUpdate(doc);
}

describe('security in the browser', () => {
  it('a javascript: link stored in a document renders without its href, and clicking it runs nothing; every page has a CSP that blocks javascript: URLs', async () => {
    const dataDir = tempDataDir();
    const server = await spawnServer({ DATA_DIR: dataDir }, { built: true });
    const base = `http://127.0.0.1:${server.port}`;
    // Ada owns a document that anyone with the link may only view.
    const ada = await call(base, 'POST', '/api/account', { name: 'Ada', password: TEST_PASSWORD });
    expect(ada.status).toBe(201);
    const created = await call(base, 'POST', '/api/docs', undefined, ada.cookie!);
    expect(created.status).toBe(201);
    const docId = created.body.id as string;
    expect((await call(base, 'PATCH', `/api/docs/${docId}/access`, { linkAccess: 'view' }, ada.cookie!)).status).toBe(200);
    // The malicious link goes straight into storage, as if written before the server refused it.
    const store = openSqliteStore({ dataDir, synchronous: 'normal' });
    try {
      await store.appendBatch([{ docId, update: maliciousLinkUpdate() }]);
    } finally {
      await store.close();
    }

    // Vic, a visitor, opens it: a viewer, for whom links are live (the editor is not editable).
    const vic = await openPerson(browser, 'Vic', '#16a34a');
    const response = await vic.page.goto(`${base}/d/${docId}`);
    const csp = response?.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    const link = vic.page.locator('#editor .ProseMirror a', { hasText: 'click me' });
    await link.waitFor();
    await waitFor(async () => (await vic.page.locator('#editor .ProseMirror').getAttribute('contenteditable')) === 'false', 'the editor to be read-only');
    expect(await link.getAttribute('href')).toBeNull();
    await link.click();
    // A script link would have run at the click; give the page a moment to prove it did not.
    await vic.page.waitForTimeout(300);
    expect(await vic.page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(vic.page.url()).toBe(`${base}/d/${docId}`);
    // The app itself ran under the policy without a violation.
    expect(vic.errors).toEqual([]);

    // The CSP blocks a javascript: URL even if one reached the page some other way.
    const violations: string[] = [];
    vic.page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
    await vic.page.evaluate(() => {
      const a = document.createElement('a');
      a.href = 'javascript:window.__pwned=2';
      a.textContent = 'injected';
      document.body.append(a);
      a.click();
    });
    await waitFor(() => violations.length > 0, 'the CSP to refuse the javascript: URL');
    expect(await vic.page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(vic.errors.every((error) => error.includes('javascript:'))).toBe(true);
    await screenshot(vic.page, 'security-javascript-link');
  });

  it('an editor of a document holding such a link keeps saving: the link is cleared (its text stays) and splitting it is not refused', async () => {
    const dataDir = tempDataDir();
    // Ada's document gets the link while no server runs (one process writes the SQLite file at a time).
    const first = await spawnServer({ DATA_DIR: dataDir }, { built: true });
    const made = await call(`http://127.0.0.1:${first.port}`, 'POST', '/api/account', { name: 'Ada', password: TEST_PASSWORD });
    expect(made.status).toBe(201);
    const created = await call(`http://127.0.0.1:${first.port}`, 'POST', '/api/docs', undefined, made.cookie!);
    const docId = created.body.id as string;
    expect(await first.stop()).toBe(0);
    const store = openSqliteStore({ dataDir, synchronous: 'normal' });
    try {
      await store.appendBatch([{ docId, update: maliciousLinkUpdate() }]);
    } finally {
      await store.close();
    }
    const server = await spawnServer({ DATA_DIR: dataDir }, { built: true });
    const base = `http://127.0.0.1:${server.port}`;
    const ada = await openPerson(browser, 'Ada', '#c0392b');
    await signIn(ada, base);
    const cookie = (await ada.context.cookies()).find((c) => c.name === 'tandem_session');
    // Ada opens it and presses Enter inside the link's text ("before click| me after"), then types.
    await ada.page.goto(`${base}/d/${docId}`);
    await ada.page.locator('#editor .ProseMirror', { hasText: 'click me' }).waitFor();
    // Caret after "before click" (the link's text is "click me"), checked before each key goes on.
    const caret = () => ada.page.evaluate(() => window.tandem!.view.state.selection.from);
    const start = await ada.page.evaluate(() => {
      let at = -1;
      window.tandem!.view.state.doc.descendants((node, pos) => {
        if (at < 0 && node.isTextblock && node.textContent.startsWith('before')) at = pos + 1;
      });
      return at;
    });
    await ada.page.locator('#editor .ProseMirror p', { hasText: 'before' }).click({ position: { x: 1, y: 8 } });
    await ada.page.keyboard.press('Home');
    await waitFor(async () => (await caret()) === start, 'the caret at the start of the paragraph');
    for (let i = 0; i < 'before click'.length; i++) await ada.page.keyboard.press('ArrowRight');
    await waitFor(async () => (await caret()) === start + 'before click'.length, 'the caret after "before click"');
    await ada.page.keyboard.press('Enter');
    await ada.page.keyboard.type('ok');
    await waitFor(async () => (await statusOf(ada.page)) === 'Saved', 'the change to be saved', 15_000).catch(async (error) => {
      throw new Error(`${(error as Error).message}: the status says ${JSON.stringify(await statusOf(ada.page))}; server: ${server.output().slice(-1500)}`);
    });
    expect(await docText(ada.page)).toBe('before clickok me after');
    expect(await ada.page.locator('#editor .ProseMirror a').count()).toBe(0);
    // What the server stored: the text, no address.
    const exported = await fetch(`${base}/api/docs/${docId}/export?format=md`, { headers: { cookie: `tandem_session=${cookie!.value}` } });
    expect(exported.status).toBe(200);
    const markdown = await exported.text();
    expect(markdown).toContain('ok me after');
    expect(markdown).not.toContain('javascript');
    await screenshot(ada.page, 'security-unsafe-link-cleared');
    expect(ada.errors).toEqual([]);
    await ada.context.close();
  });

  it('signing in with next=/.//evil.example/x stays on the app', async () => {
    const server = await spawnServer({ DATA_DIR: tempDataDir() }, { built: true });
    const base = `http://127.0.0.1:${server.port}`;
    expect((await call(base, 'POST', '/api/account', { name: 'Nell', password: TEST_PASSWORD })).status).toBe(201);
    for (const next of ['/.//evil.example/x', '/..//evil.example/x', '/./\\evil.example/x']) {
      const nell = await openPerson(browser, 'Nell', '#9333ea');
      await nell.page.goto(`${base}/signin?next=${encodeURIComponent(next)}`);
      await nell.page.fill('#name', 'Nell');
      await nell.page.fill('#password', TEST_PASSWORD);
      await nell.page.click('#signin-form button[type=submit]');
      await nell.page.waitForURL((url) => url.pathname !== '/signin', { waitUntil: 'commit' });
      expect(new URL(nell.page.url()).origin, next).toBe(base);
      await nell.page.waitForSelector('#user-name');
      expect(new URL(nell.page.url()).pathname, next).toBe('/');
      expect(nell.errors).toEqual([]);
      await nell.context.close();
    }
  });
});
