import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { BODY_FRAGMENT } from '../../shared/schema.js';
import { adaAndGraceOnNewDocument, caretToEnd, docIdOf, docText, launchBrowser, openDocument, screenshot, statusOf } from '../helpers/browser.js';
import { connectClient, type TestClient, whenSynced } from '../helpers/clients.js';
import { seededRandom } from '../helpers/seededRandom.js';
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

  it('restores while three stock clients and a browser page keep typing: all converge on the version plus everything typed after the restore', async () => {
    const seed = Number(process.env.HISTORY_SEED ?? Date.now() % 1_000_000);
    console.log(`restore-while-a-page-types seed ${seed}`);
    const random = seededRandom(seed);
    server = await spawnServer({ DATA_DIR: tempDataDir(), VERSION_IDLE_MS: '60000', COMPACT_AFTER_UPDATES: '200' }, { built: true });
    const base = `http://127.0.0.1:${server.port}`;
    const { ada, grace, url } = await adaAndGraceOnNewDocument(browser, base);
    const docId = docIdOf(url);
    // The version: two paragraphs, the second one Grace's.
    await caretToEnd(ada.page);
    await ada.page.keyboard.type('Version text.');
    await ada.page.keyboard.press('Enter');
    await ada.page.keyboard.type('Grace:');
    await waitFor(async () => (await paragraphs(grace.page)).join('|') === 'Version text.|Grace:' && (await statusOf(ada.page)) === 'Saved', 'the version text, saved');
    const named = await ada.page.evaluate(async (id) => {
      const response = await fetch(`/api/docs/${id}/versions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Before' }) });
      return { status: response.status, id: ((await response.json()) as { id: number }).id };
    }, docId);
    expect(named.status).toBe(201);

    // Three stock clients (Ada's account) type into the first paragraph, Grace's page types numbered
    // tokens at the end of the second, and one change after the version adds a paragraph.
    const session = (await ada.context.cookies()).find((c) => c.name === 'tandem_session')!;
    const cookie = `${session.name}=${session.value}`;
    const collabUrl = `ws://127.0.0.1:${server.port}/collab`;
    const typists = ['a', 'b', 'c'].map((letter) => ({ letter, client: connectClient(collabUrl, docId, { cookie }) }));
    for (const { client, letter } of typists) await whenSynced(client, letter);
    const writer = typists[0]!.client;
    firstText(writer).insert(13, ' EXTRA');
    const later = new Y.XmlElement('paragraph');
    later.insert(0, [new Y.XmlText('later paragraph')]);
    writer.doc.getXmlFragment(BODY_FRAGMENT).push([later]);
    await waitFor(async () => (await paragraphs(grace.page)).length === 3, 'the later paragraph on Grace\u2019s page');
    await grace.page.click('#editor .ProseMirror > :nth-child(2)');
    await grace.page.keyboard.press('End');
    let typing = true;
    const letters = typists.map(async ({ client, letter }) => {
      while (typing) {
        const text = firstText(client);
        text.insert(text.length, letter);
        await new Promise((resolve) => setTimeout(resolve, 5 + Math.floor(random() * 20)));
      }
    });
    let next = 0;
    const tokens = (async () => {
      while (typing) await grace.page.keyboard.type(`[${next++}]`);
    })();
    await waitFor(async () => next >= 3 && (await paragraphs(ada.page)).length === 3, 'typing under way, the later paragraph everywhere');

    // Ada restores the version in her History panel while everyone types.
    await ada.page.click('#history-toggle');
    const item = ada.page.locator('.history-item', { hasText: 'Before' });
    await item.locator('.history-open').click();
    await ada.page.click('#history-restore');
    const [answer] = await Promise.all([
      ada.page.waitForResponse((response) => response.url().endsWith('/restore') && response.request().method() === 'POST'),
      ada.page.click('#history-restore-confirm'),
    ]);
    // Every token Grace starts from here on is typed after the restore was committed.
    const firstAfter = next;
    expect(answer.status()).toBe(200);
    await screenshot(grace.page, 'history-restore-while-typing-during');
    await waitFor(() => next >= firstAfter + 8, 'Grace to type on after the restore');
    typing = false;
    await Promise.all([...letters, tokens]);
    for (const { client, letter } of typists) firstText(client).insert(firstText(client).length, `<${letter.toUpperCase()}>`);

    const stock = (client: TestClient) => (client.doc.getXmlFragment(BODY_FRAGMENT).toArray() as Y.XmlElement[]).map((p) => p.toArray().map(String).join(''));
    const done = await waitFor(async () => {
      const seen = [...typists.map(({ client }) => stock(client)), await paragraphs(grace.page), await paragraphs(ada.page)].map((p) => JSON.stringify(p));
      return seen.every((one) => one === seen[0]) && ['<A>', '<B>', '<C>'].every((m) => seen[0]!.includes(m)) && (JSON.parse(seen[0]!) as string[]);
    }, 'the three clients and both pages to converge', 30_000);
    const [first, second] = done as string[];
    expect(done).toHaveLength(2); // the later paragraph is gone
    expect(first!.startsWith('Version text.')).toBe(true);
    expect(first).not.toContain('EXTRA');
    expect(second!.startsWith('Grace:')).toBe(true);
    // Every token typed after the restore, in order, none lost.
    const typedAfter = Array.from({ length: next - firstAfter }, (_, i) => `[${firstAfter + i}]`).join('');
    expect(second).toContain(typedAfter);
    await screenshot(grace.page, 'history-restore-while-typing-after');
    await screenshot(ada.page, 'history-restore-while-typing-restorer');
    expect([...ada.errors, ...grace.errors]).toEqual([]);
    await Promise.all([ada.context.close(), grace.context.close()]);
  });
});

/** The first paragraph's text of a stock client's document. */
function firstText(client: TestClient): Y.XmlText {
  return (client.doc.getXmlFragment(BODY_FRAGMENT).get(0) as Y.XmlElement).get(0) as Y.XmlText;
}

/** The text of each top-level block as the page's editor holds it. */
function paragraphs(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    type Node = { childCount: number; child(i: number): Node; textContent: string };
    const doc = (window as unknown as { tandem: { view: { state: { doc: Node } } } }).tandem.view.state.doc;
    return Array.from({ length: doc.childCount }, (_, i) => doc.child(i).textContent);
  });
}
