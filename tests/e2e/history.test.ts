import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adaAndGraceOnNewDocument, caretToEnd, docText, launchBrowser, openDocument, screenshot, statusOf } from '../helpers/browser.js';
import { type ServerProcess, spawnServer } from '../helpers/serverProcess.js';
import { tempDataDir } from '../helpers/testServer.js';
import { waitFor } from '../helpers/waitFor.js';

let browser: Browser;
let server: ServerProcess;

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

describe('version history in the browser', () => {
  it('names a version, opens it with its attributed changes, compares it with now, and restores it live in a second page', async () => {
    server = await spawnServer({ DATA_DIR: tempDataDir(), VERSION_IDLE_MS: '60000' }, { built: true });
    const base = `http://127.0.0.1:${server.port}`;
    const { ada, grace, url } = await adaAndGraceOnNewDocument(browser, base);
    await caretToEnd(ada.page);
    await ada.page.keyboard.type('Ada wrote this.');
    await waitFor(async () => (await docText(grace.page)) === 'Ada wrote this.', 'Grace to see Ada');
    await caretToEnd(grace.page);
    await grace.page.keyboard.type(' Grace added that.');
    const draft = 'Ada wrote this. Grace added that.';
    await waitFor(async () => (await docText(ada.page)) === draft && (await statusOf(grace.page)) === 'Saved', 'the draft on both pages, saved');

    // A second window of Ada's (signed in, in a browser context of its own), its History panel open:
    // it follows the list without being touched.
    const adaTwoContext = await browser.newContext();
    await adaTwoContext.addCookies(await ada.context.cookies());
    const adaTwo = { ...ada, context: adaTwoContext, page: await adaTwoContext.newPage() };
    adaTwo.page.on('pageerror', (error) => ada.errors.push(String(error)));
    await openDocument(adaTwo, url);
    await adaTwo.page.click('#history-toggle');
    await adaTwo.page.waitForSelector('#history-list li');

    // Ada names the current version in the History panel.
    await ada.page.click('#history-toggle');
    await ada.page.fill('#history-name-input', 'First draft');
    await ada.page.click('#history-name-current');
    const item = ada.page.locator('.history-item', { hasText: 'First draft' });
    await item.waitFor();
    expect(await item.locator('.history-author').allTextContents()).toEqual(['Ada', 'Guest']);
    await adaTwo.page.locator('.history-item', { hasText: 'First draft' }).waitFor();
    await screenshot(adaTwo.page, 'history-named-in-another-window');

    // Later changes: a new paragraph, and a word deleted.
    await caretToEnd(ada.page);
    await ada.page.keyboard.press('Enter');
    await ada.page.keyboard.type('A second paragraph.');
    await waitFor(async () => (await docText(grace.page)).includes('second paragraph') && (await statusOf(ada.page)) === 'Saved', 'the later change to be saved');

    // Open the named version: what changed in it, by whom, read only, in a view of its own.
    await item.locator('.history-open').click();
    await ada.page.waitForSelector('#history-doc ins.change');
    const inserted = await ada.page.$$eval('#history-doc ins.change', (nodes) => nodes.map((n) => [n.textContent, n.getAttribute('title')?.split(',')[0]]));
    expect(inserted).toEqual([
      ['Ada wrote this.', 'Added by Ada'],
      [' Grace added that.', 'Added by Guest'],
    ]);
    expect(await ada.page.getAttribute('#history-doc .history-doc', 'contenteditable')).toBe('false');
    await screenshot(ada.page, 'history-version-opened');

    // Compare with current: the later paragraph is an insertion by Ada; the live editor is untouched.
    await ada.page.click('#history-compare');
    await ada.page.waitForSelector('#history-view-heading:has-text("Changes since")');
    await waitFor(async () => (await ada.page.textContent('#history-doc ins.change')) === 'A second paragraph.', 'the compared insertion');
    expect(await docText(ada.page)).toContain('A second paragraph.');
    await screenshot(ada.page, 'history-compare-with-current');

    // Restore: Grace's page receives it live, and her typing after it stays.
    await ada.page.click('#history-restore');
    await ada.page.click('#history-restore-confirm');
    await waitFor(async () => (await docText(grace.page)) === draft, "Grace's page to show the restored version", 15_000);
    await screenshot(grace.page, 'history-restored-in-second-page');
    await adaTwo.page.waitForSelector('.history-item[data-kind="restore"]');
    await screenshot(adaTwo.page, 'history-restore-listed-in-another-window');
    await caretToEnd(grace.page);
    await grace.page.keyboard.type(' After.');
    await waitFor(async () => (await docText(ada.page)) === `${draft} After.`, 'typing after the restore to reach Ada');
    await ada.page.waitForSelector('.history-item[data-kind="restore"]');
    await screenshot(ada.page, 'history-panel-after-restore');
    expect([...ada.errors, ...grace.errors]).toEqual([]);
    await Promise.all([ada.context.close(), grace.context.close(), adaTwoContext.close()]);
  });
});
