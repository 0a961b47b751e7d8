import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adaAndGraceOnNewDocument, caretToEnd, createDocument, docIdOf, docText, launchBrowser, openDocument, openPerson, screenshot, signUp, statusOf, storedOfflineUpdates, transportOf } from '../helpers/browser.js';
import { spawnServer } from '../helpers/serverProcess.js';
import { appBaseOver, BROWSER_TRANSPORTS } from '../helpers/hostileProxy.js';
import { tempDataDir } from '../helpers/testServer.js';
import { waitFor } from '../helpers/waitFor.js';

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

const OFFLINE = /^Offline/;

/** The core cases run on both transports: directly (WebSockets), and behind a proxy that refuses upgrades (HTTP). */
describe.each(BROWSER_TRANSPORTS)('durability in the browser over %s', (transport) => {
  it('kill -9 while typing: the page keeps going offline, reconnects by itself, and nothing is lost', async () => {
    const dataDir = tempDataDir();
    const first = await spawnServer({ DATA_DIR: dataDir }, { built: true });
    const base = await appBaseOver(transport, first.port);
    const { ada, grace, url } = await adaAndGraceOnNewDocument(browser, base);
    await caretToEnd(ada.page);
    await ada.page.keyboard.type('before the crash. ', { delay: 5 });
    await waitFor(async () => (await docText(grace.page)) === 'before the crash. ', 'Grace to see the first words');
    expect(await transportOf(ada.page)).toBe(transport);

    // Kill the server while Ada is typing.
    const typing = ada.page.keyboard.type('typed while the server dies, ', { delay: 20 });
    // Once the typing is under way and reaching Grace, the server dies mid-phrase.
    await waitFor(async () => (await docText(grace.page)).startsWith('before the crash. ty'), 'the typing to start reaching Grace');
    await first.kill9();
    await typing;
    await waitFor(async () => OFFLINE.test(await statusOf(ada.page)), "Ada's status to say offline");
    await ada.page.keyboard.type('and typed offline.', { delay: 5 });
    expect(await statusOf(ada.page)).toMatch(OFFLINE);
    const expected = 'before the crash. typed while the server dies, and typed offline.';
    expect(await docText(ada.page)).toBe(expected);

    await spawnServer({ DATA_DIR: dataDir }, { built: true, port: first.port });
    await waitFor(async () => (await statusOf(ada.page)) === 'Saved', 'Ada to reconnect by herself and be saved', 30_000);
    await waitFor(async () => (await docText(grace.page)) === expected, "Ada's offline edits to reach Grace", 30_000);
    const carol = await openPerson(browser, 'Carol', '#16a34a');
    await openDocument(carol, url);
    await waitFor(async () => (await docText(carol.page)) === expected, 'a fresh page to see everything');
    await screenshot(carol.page, `after-crash-fresh-page-${transport}`);
    await Promise.all([ada.context.close(), grace.context.close(), carol.context.close()]);
  });

  it('"Saved" appears only once the server has committed: never while the server is frozen or down', async () => {
    const dataDir = tempDataDir();
    const server = await spawnServer({ DATA_DIR: dataDir }, { built: true });
    const base = await appBaseOver(transport, server.port);
    const ada = await openPerson(browser, 'Ada', '#c0392b');
    await signUp(ada, base);
    await createDocument(ada, base);
    await caretToEnd(ada.page);
    await ada.page.keyboard.type('committed');
    await waitFor(async () => (await statusOf(ada.page)) === 'Saved', 'the first words to be saved');
    expect(await transportOf(ada.page)).toBe(transport);

    // Frozen: the socket stays open and the frames are sent, but nothing is committed or acknowledged.
    server.pause();
    await ada.page.keyboard.type(' and pending');
    const seen = new Set<string>();
    for (let i = 0; i < 20; i++) {
      seen.add(await statusOf(ada.page));
      // The window is the thing tested: nothing can arrive from a stopped server, so "never Saved"
      // can only be watched for a while (a page that assumed saved after a delay would show it).
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(seen.has('Saved')).toBe(false);
    expect([...seen].some((s) => s.startsWith('Saving'))).toBe(true);
    await screenshot(ada.page, `saving-while-server-frozen-${transport}`);
    server.resume();
    await waitFor(async () => (await statusOf(ada.page)) === 'Saved', 'Saved once the server commits');

    // Down: offline, never saved.
    await server.kill9();
    await ada.page.keyboard.type(' and offline');
    await waitFor(async () => OFFLINE.test(await statusOf(ada.page)), 'offline status');
    for (let i = 0; i < 10; i++) {
      expect(await statusOf(ada.page)).not.toBe('Saved');
      // As above: with the server dead no marker can arrive; watching for a while is the test.
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await screenshot(ada.page, `offline-not-saved-${transport}`);
    await ada.context.close();
  });
});

describe('durability in the browser', () => {
  it('a page reloaded while the server is down keeps its unsynced edits, and they sync when it is back', async () => {
    const dataDir = tempDataDir();
    const first = await spawnServer({ DATA_DIR: dataDir }, { built: true });
    const base = `http://127.0.0.1:${first.port}`;
    const ada = await openPerson(browser, 'Ada', '#c0392b');
    await signUp(ada, base);
    const url = await createDocument(ada, base);
    await caretToEnd(ada.page);
    await ada.page.keyboard.type('online part. ');
    await waitFor(async () => (await statusOf(ada.page)) === 'Saved', 'saved');
    // The service worker has cached the app and controls the page.
    await ada.page.evaluate(() => navigator.serviceWorker.ready);
    await waitFor(() => ada.page.evaluate(() => navigator.serviceWorker.controller !== null), 'the service worker to take control');
    await first.kill9();
    await waitFor(async () => OFFLINE.test(await statusOf(ada.page)), 'offline status');
    const storedBefore = await storedOfflineUpdates(ada.page, docIdOf(url));
    await ada.page.keyboard.type('offline part.');
    await waitFor(async () => OFFLINE.test(await statusOf(ada.page)), 'still offline');
    // Reloading before the browser has written them would lose them in any editor: wait for the write.
    await waitFor(async () => (await storedOfflineUpdates(ada.page, docIdOf(url))) >= storedBefore + 'offline part.'.length, 'the offline copy to hold the new edits');
    // Reload with the server down: the app comes from the browser (service worker cache), the
    // unsynced edits from IndexedDB, and the status says they wait to sync.
    await ada.page.reload();
    await ada.page.waitForSelector('#editor .ProseMirror');
    await waitFor(async () => (await docText(ada.page)) === 'online part. offline part.', 'the unsynced edits after the reload');
    await waitFor(async () => OFFLINE.test(await statusOf(ada.page)), 'offline status after the reload');
    await screenshot(ada.page, 'reloaded-offline');

    await spawnServer({ DATA_DIR: dataDir }, { built: true, port: first.port });
    await waitFor(async () => (await statusOf(ada.page)) === 'Saved', 'the edits to sync once the server is back', 30_000);
    const grace = await openPerson(browser, 'Grace', '#2563eb');
    await openDocument(grace, url);
    await waitFor(async () => (await docText(grace.page)) === 'online part. offline part.', 'another page to see them');
    await screenshot(grace.page, 'offline-edits-synced');
    await Promise.all([ada.context.close(), grace.context.close()]);
  });
});
