import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adaAndGraceOnNewDocument, caretToEnd, createDocument, docIdOf, docText, launchBrowser, openPerson, screenshot, shareOnPeoplePage, signUp, statusOf, transportOf } from '../helpers/browser.js';
import { type ProxyMode, startHostileProxy } from '../helpers/hostileProxy.js';
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

function detailOf(page: Page): Promise<string> {
  return page.textContent('#status-detail').then((text) => text?.trim() ?? '');
}

describe.each<ProxyMode>(['refuse', 'drop', 'silent', 'buffer'])('behind a proxy that gets in the way of WebSockets (%s)', (mode) => {
  it('two people edit together, see each other and are told "Saved", over HTTP ("compatibility mode")', async () => {
    const server = await spawnServer({ DATA_DIR: tempDataDir() }, { built: true });
    const proxy = await startHostileProxy(server.port, mode);
    const { ada, grace } = await adaAndGraceOnNewDocument(browser, proxy.base);
    await caretToEnd(ada.page);
    await ada.page.keyboard.type('Through the proxy: ', { delay: 5 });
    await waitFor(async () => (await docText(grace.page)) === 'Through the proxy: ', 'Grace to see Ada’s words', 20_000);
    await caretToEnd(grace.page);
    await Promise.all([ada.page.keyboard.type('abcdefghij', { delay: 20 }), grace.page.keyboard.type('0123456789', { delay: 20 })]);
    await waitFor(async () => (await docText(ada.page)) === (await docText(grace.page)) && (await docText(ada.page)).length === 39, 'both pages to agree');
    const text = await docText(ada.page);
    expect([...text.slice(19)].filter((ch) => /[a-j]/.test(ch)).join('')).toBe('abcdefghij');
    expect([...text.slice(19)].filter((ch) => /[0-9]/.test(ch)).join('')).toBe('0123456789');
    for (const page of [ada.page, grace.page]) {
      await waitFor(async () => (await statusOf(page)) === 'Saved', 'Saved', 20_000);
      expect(await transportOf(page)).toBe('http');
      expect(await detailOf(page)).toBe('Connected (compatibility mode)');
    }
    await waitFor(async () => (await grace.page.textContent('#presence'))?.includes('Ada'), "Ada in Grace's presence list");
    await grace.page.waitForSelector('#editor .ProseMirror-yjs-cursor');
    expect(proxy.upgrades).toBeGreaterThan(0);
    // Behind the buffering proxy no stream gets through: the pages found that out and long-poll.
    const longPolling = (page: Page) => page.evaluate(() => (window.tandem!.provider.ws as unknown as { longPolling: boolean }).longPolling);
    for (const page of [ada.page, grace.page]) expect(await longPolling(page)).toBe(mode === 'buffer');
    await screenshot(grace.page, `fallback-${mode}`);
    expect([...ada.errors, ...grace.errors]).toEqual([]);
    await Promise.all([ada.context.close(), grace.context.close()]);
  });
});

describe('moving back to a WebSocket', () => {
  it('once WebSockets get through again, the pages move to them, losing and doubling nothing', async () => {
    const server = await spawnServer({ DATA_DIR: tempDataDir() }, { built: true });
    const proxy = await startHostileProxy(server.port, 'refuse');
    const { ada, grace } = await adaAndGraceOnNewDocument(browser, proxy.base);
    await caretToEnd(ada.page);
    await ada.page.keyboard.type('over http, ', { delay: 5 });
    await waitFor(async () => (await docText(grace.page)) === 'over http, ', 'Grace to see the first words', 20_000);
    expect(await transportOf(ada.page)).toBe('http');
    proxy.heal();
    // Ada keeps typing while the background probe finds the WebSocket and her page moves to it.
    const typed: string[] = [];
    for (let i = 0; (await transportOf(ada.page)) !== 'websocket' || (await transportOf(grace.page)) !== 'websocket'; i++) {
      if (i > 400) throw new Error('the pages did not move to a WebSocket');
      const word = `w${i} `;
      await ada.page.keyboard.type(word, { delay: 5 });
      typed.push(word);
      await ada.page.waitForTimeout(100);
    }
    await ada.page.keyboard.type('over ws.', { delay: 5 });
    const expected = `over http, ${typed.join('')}over ws.`;
    await waitFor(async () => (await docText(grace.page)) === expected && (await docText(ada.page)) === expected, 'both pages to hold every word once', 20_000);
    await waitFor(async () => (await statusOf(ada.page)) === 'Saved', 'Saved');
    expect(await detailOf(ada.page)).toBe('');
    await screenshot(ada.page, 'fallback-moved-to-websocket');
    expect([...ada.errors, ...grace.errors]).toEqual([]);
    await Promise.all([ada.context.close(), grace.context.close()]);
  });
});

describe('the live socket (/live) in compatibility mode', () => {
  it('presence on the People page, a notification and chat both ways arrive live over HTTP', async () => {
    const server = await spawnServer({ DATA_DIR: tempDataDir() }, { built: true });
    const proxy = await startHostileProxy(server.port, 'refuse');
    const base = proxy.base;
    const ann = await openPerson(browser, 'Ann', '#c0392b');
    const bob = await openPerson(browser, 'Bob', '#2563eb');
    await signUp(ann, base);
    const url = await createDocument(ann, base);
    const docId = docIdOf(url);
    await ann.page.fill('#title', 'Launch plan');
    await waitFor(async () => (await statusOf(ann.page)) === 'Saved', 'the title to be saved');
    expect(await detailOf(ann.page)).toBe('Connected (compatibility mode)');
    await signUp(bob, base);
    await bob.page.waitForSelector('#shared-docs-empty:not([hidden])');

    // Bob shows as online on Ann's People page (his /live presence arrived over HTTP); she shares with him.
    await shareOnPeoplePage(ann, base, 'Bob', docId, 'Launch plan');

    // The notification reaches Bob's open home page live.
    await bob.page.waitForSelector('#notifications-count:not([hidden])');
    expect(await bob.page.textContent('#notifications-count')).toBe('1');
    await bob.page.click('#notifications-button');
    await bob.page.locator('#notifications-panel li', { hasText: 'Ann shared “Launch plan” with you (Can edit)' }).waitFor();
    await screenshot(bob.page, 'fallback-live-notification');

    // Chat both ways in the document.
    await bob.page.goto(url);
    await bob.page.waitForSelector('#editor .ProseMirror');
    await waitFor(async () => (await detailOf(bob.page)) === 'Connected (compatibility mode)', "Bob's page in compatibility mode");
    await ann.page.click('#chat-toggle');
    await ann.page.fill('#chat-input', 'Hello Bob, over HTTP');
    await ann.page.press('#chat-input', 'Enter');
    await ann.page.waitForSelector('#chat-messages li[data-message-id]:has-text("Hello Bob, over HTTP")');
    await bob.page.waitForSelector('#chat-unread:not([hidden])');
    await bob.page.click('#chat-toggle');
    await bob.page.locator('#chat-messages li[data-message-id]', { hasText: 'Hello Bob, over HTTP' }).waitFor();
    await bob.page.fill('#chat-input', 'Hi Ann, me too');
    await bob.page.press('#chat-input', 'Enter');
    await ann.page.locator('#chat-messages li[data-message-id]', { hasText: 'Hi Ann, me too' }).waitFor();
    await bob.page.waitForSelector('#chat-messages li[data-message-id]:has-text("Hi Ann, me too")');
    expect(await bob.page.locator('#chat-messages li[data-pending]').count()).toBe(0);
    await screenshot(bob.page, 'fallback-live-chat');

    // Every page tried /live over a WebSocket and was refused: all of the above came over HTTP.
    expect(proxy.upgradePaths.filter((path) => path === '/live').length).toBeGreaterThan(0);
    expect([...ann.errors, ...bob.errors]).toEqual([]);
    await Promise.all([ann.context.close(), bob.context.close()]);
  });
});
