import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caretToEnd, createDocument, docIdOf, launchBrowser, openDocument, openPerson, screenshot, signUp, statusOf } from '../helpers/browser.js';
import { spawnServer } from '../helpers/serverProcess.js';
import { tempDataDir, TEST_METRICS_TOKEN } from '../helpers/testServer.js';
import { waitFor } from '../helpers/waitFor.js';

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

const threadCards = (page: Page) => page.locator('#comment-threads .comment-thread');

describe('guest comments in the browser', () => {
  it('a guest (not signed in, the link lets visitors comment) comments on a selection; Ann sees it live as a guest, replies with an @mention and reacts; both see each other live', async () => {
    const server = await spawnServer({ DATA_DIR: tempDataDir(), METRICS_TOKEN: TEST_METRICS_TOKEN }, { built: true });
    const base = `http://127.0.0.1:${server.port}`;
    const ann = await openPerson(browser, 'Ann', '#c0392b');
    // Gwen never signs in: her name and colour are the ones she gave this browser.
    const gwen = await openPerson(browser, 'Gwen', '#16a34a');
    const dialogs: string[] = [];
    for (const person of [ann, gwen]) person.page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });

    await signUp(ann, base);
    const url = await createDocument(ann, base);
    const docId = docIdOf(url);
    await caretToEnd(ann.page);
    await ann.page.keyboard.type('The launch is on Friday. Budget is tight.');
    await waitFor(async () => (await statusOf(ann.page)) === 'Saved', "Ann's text to be saved");
    const linkSet = await ann.page.evaluate(
      async (id) => (await fetch(`/api/docs/${id}/access`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ linkAccess: 'comment' }) })).status,
      docId,
    );
    expect(linkSet).toBe(200);

    await openDocument(gwen, url);
    await gwen.page.locator('#role-badge', { hasText: 'Can comment' }).waitFor();
    expect(await gwen.page.getAttribute('#editor .ProseMirror', 'contenteditable')).toBe('false');
    await gwen.page.locator('#comments-panel .comments-empty').waitFor();

    // Gwen selects "Friday" (a double click: she cannot edit, so no caret) and presses Ctrl+Alt+M.
    await gwen.page.locator('#editor .ProseMirror p', { hasText: 'Friday' }).first().waitFor();
    await waitFor(async () => (await gwen.page.locator('#editor .ProseMirror').innerText()).includes('Budget is tight.'), "Ann's text in Gwen's window");
    const friday = await gwen.page.evaluate(() => {
      const paragraph = [...document.querySelectorAll('#editor .ProseMirror p')].find((p) => p.textContent?.includes('Friday'))!;
      const walker = document.createTreeWalker(paragraph, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node !== null; node = walker.nextNode()) {
        const at = node.textContent!.indexOf('Friday');
        if (at >= 0) {
          const range = document.createRange();
          range.setStart(node, at);
          range.setEnd(node, at + 'Friday'.length);
          const rect = range.getBoundingClientRect();
          return { x: rect.left + rect.width / 2, y: rect.top + rect.height / 2 };
        }
      }
      return null;
    });
    expect(friday).not.toBeNull();
    await gwen.page.mouse.dblclick(friday!.x, friday!.y);
    await gwen.page.keyboard.press('Control+Alt+KeyM');
    await gwen.page.locator('#comment-composer .thread-excerpt', { hasText: 'Friday' }).waitFor();
    await gwen.page.keyboard.type('Could it be Monday? <b>bold</b>');
    await screenshot(gwen.page, 'guest-comments-1-guest-writes');
    await gwen.page.click('#post-comment');
    await threadCards(gwen.page).first().waitFor();

    // Ann sees it live, marked as a guest's, the text highlighted in her editor.
    const annCard = threadCards(ann.page).first();
    await annCard.waitFor();
    await ann.page.locator('#editor .comment-anchor', { hasText: 'Friday' }).waitFor();
    const author = annCard.locator('.comment').first().locator('.comment-author');
    expect(await author.innerText()).toBe('Gwen (guest)');
    expect(await author.getAttribute('class')).toContain('guest');
    expect(await annCard.locator('.comment-body').first().innerText()).toBe('Could it be Monday? <b>bold</b>');
    expect(await annCard.locator('.comment-body b').count()).toBe(0);
    await screenshot(ann.page, 'guest-comments-2-ann-sees-guest-comment');

    // Ann replies mentioning Gwen, and reacts to Gwen's comment.
    await annCard.locator('.reply-input').click();
    await ann.page.keyboard.type('@Gwen Monday works');
    await annCard.locator('.reply-button').click();
    await annCard.locator('.comment').nth(1).waitFor();
    await annCard.locator('.comment').first().locator('.add-reaction').click();
    await annCard.locator('.comment').first().locator('.reaction-choice', { hasText: '👍' }).click();

    // Gwen sees both live (her guest /live): the mention is of her.
    const gwenCard = threadCards(gwen.page).first();
    await gwenCard.locator('.comment').nth(1).locator('.comment-body', { hasText: 'Monday works' }).waitFor();
    await gwenCard.locator('.comment .mention.me', { hasText: '@Gwen' }).waitFor();
    const thumbs = gwenCard.locator('.comment').first().locator('.reaction[data-emoji="👍"]');
    await thumbs.waitFor();
    expect(await thumbs.getAttribute('title')).toBe('Ann');
    // Her own comment shows the name she gave, marked as a guest's, also once read again after a live change.
    expect(await gwenCard.locator('.comment').first().locator('.comment-author').innerText()).toBe('Gwen (guest)');
    // Her own comment has Edit and Delete; Ann's has neither.
    expect(await gwenCard.locator('.comment').first().locator('.edit-comment').count()).toBe(1);
    expect(await gwenCard.locator('.comment').nth(1).locator('.edit-comment').count()).toBe(0);
    await screenshot(gwen.page, 'guest-comments-3-guest-sees-reply-and-reaction');

    // Gwen reacts to Ann's reply and edits her own comment: Ann sees both live, the reaction a guest's.
    await gwenCard.locator('.comment').nth(1).locator('.add-reaction').click();
    await gwenCard.locator('.comment').nth(1).locator('.reaction-choice', { hasText: '🎉' }).click();
    const party = annCard.locator('.comment').nth(1).locator('.reaction[data-emoji="🎉"]');
    await party.waitFor();
    expect(await party.getAttribute('title')).toBe('Gwen (guest)');
    await gwenCard.locator('.comment').first().locator('.edit-comment').click();
    await gwen.page.fill('.comment-edit', 'Could it be Monday instead?');
    await gwen.page.click('.save-edit');
    await annCard.locator('.comment').first().locator('.comment-body', { hasText: 'Monday instead?' }).waitFor();
    await screenshot(ann.page, 'guest-comments-4-ann-sees-guest-reaction-and-edit');

    // Ann resolves: the thread leaves Gwen's sidebar too.
    await annCard.locator('.resolve-button').click();
    await waitFor(async () => (await threadCards(gwen.page).count()) === 0, "the thread to be hidden in Gwen's window");
    await gwen.page.check('#show-resolved');
    await threadCards(gwen.page).locator('.resolved-note', { hasText: 'Resolved by Ann' }).waitFor();
    await screenshot(gwen.page, 'guest-comments-5-guest-shows-resolved');

    expect(dialogs).toEqual([]);
    expect([...ann.errors, ...gwen.errors]).toEqual([]);
  }, 120_000);
});
