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

/**
 * A server, Ann (signed up, with a new document holding the text, saved) and a second person in a
 * browser of their own (not signed in yet); any dialog either page opens is dismissed and recorded.
 */
async function annAndAnother(name: string, color: string) {
  const server = await spawnServer({ DATA_DIR: tempDataDir(), METRICS_TOKEN: TEST_METRICS_TOKEN }, { built: true });
  const base = `http://127.0.0.1:${server.port}`;
  const ann = await openPerson(browser, 'Ann', '#c0392b');
  const other = await openPerson(browser, name, color);
  const dialogs: string[] = [];
  for (const person of [ann, other]) person.page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  await signUp(ann, base);
  const url = await createDocument(ann, base);
  await caretToEnd(ann.page);
  await ann.page.keyboard.type('The launch is on Friday. Budget is tight.');
  await waitFor(async () => (await statusOf(ann.page)) === 'Saved', "Ann's text to be saved");
  return { base, ann, other, dialogs, url, docId: docIdOf(url) };
}

describe('comments in the browser', () => {
  it('Ann comments on a selection, Bob (a commenter) sees it live, replies with a mention and reacts; Ann resolves; deleting the text orphans it', async () => {
    const { base, ann, other: bob, dialogs, url, docId } = await annAndAnother('Bob', '#2563eb');

    // Bob registers; Ann shares the document with him as a commenter (the Share dialog offers the role).
    await signUp(bob, base);
    await ann.page.click('#share');
    await ann.page.fill('#invite-name', 'Bob');
    await ann.page.selectOption('#invite-role', 'commenter');
    await ann.page.click('#invite-submit');
    await ann.page.locator('#invite-result', { hasText: 'Can comment' }).waitFor();
    await ann.page.click('#share-close');
    await openDocument(bob, url);
    await bob.page.locator('#role-badge', { hasText: 'Can comment' }).waitFor();
    await bob.page.locator('#read-only-banner', { hasText: 'You can comment on this document' }).waitFor();
    expect(await bob.page.getAttribute('#editor .ProseMirror', 'contenteditable')).toBe('false');

    // Ann selects "tight." with the keyboard and presses Ctrl+Alt+M.
    await caretToEnd(ann.page);
    for (let i = 0; i < 'tight.'.length; i++) await ann.page.keyboard.press('Shift+ArrowLeft');
    await ann.page.keyboard.press('Control+Alt+KeyM');
    await ann.page.locator('#comment-composer .thread-excerpt', { hasText: 'tight.' }).waitFor();
    await ann.page.keyboard.type('Can we add 10%? Plan: https://example.com/plan <img src=x onerror=alert(1)> javascript:alert(2)');
    await screenshot(ann.page, 'comments-1-ann-writes');
    await ann.page.click('#post-comment');
    await threadCards(ann.page).first().waitFor();

    // Bob sees it live, with the text highlighted in his editor.
    const bobCard = threadCards(bob.page).first();
    await bobCard.waitFor();
    await bob.page.locator('#editor .comment-anchor', { hasText: 'tight.' }).waitFor();
    const body = bobCard.locator('.comment-body').first();
    expect(await body.innerText()).toBe('Can we add 10%? Plan: https://example.com/plan <img src=x onerror=alert(1)> javascript:alert(2)');
    // Inert: no element from the body's markup, one link (the https one), none to javascript:.
    expect(await body.locator('img').count()).toBe(0);
    expect(await body.locator('a').evaluateAll((links) => links.map((a) => a.getAttribute('href')))).toEqual(['https://example.com/plan']);
    await screenshot(bob.page, 'comments-2-bob-sees-it');

    // Clicking the highlighted text makes the thread the active one.
    await bob.page.click('#editor .comment-anchor');
    await bob.page.locator('#comment-threads .comment-thread.active').waitFor();

    // Bob replies, mentioning Ann, and reacts to her comment with a thumbs up.
    await bobCard.locator('.reply-input').click();
    await bob.page.keyboard.type('@Ann agreed, 10% is fine');
    await bobCard.locator('.reply-button').click();
    await bobCard.locator('.comment').nth(1).waitFor();
    await bobCard.locator('.comment').first().locator('.add-reaction').click();
    await bobCard.locator('.comment').first().locator('.reaction-choice', { hasText: '👍' }).click();

    // Ann sees both live, and a notification of the mention.
    const annCard = threadCards(ann.page).first();
    await annCard.locator('.comment').nth(1).locator('.comment-body', { hasText: '@Ann agreed' }).waitFor();
    await annCard.locator('.comment .mention.me').waitFor();
    const thumbs = annCard.locator('.comment').first().locator('.reaction[data-emoji="👍"]');
    await thumbs.waitFor();
    expect(await thumbs.innerText()).toBe('👍 1');
    expect(await thumbs.getAttribute('title')).toBe('Bob');
    await ann.page.waitForSelector('#notifications-count:not([hidden])');
    await screenshot(ann.page, 'comments-3-ann-sees-reply-and-reaction');

    // Ann resolves: the thread leaves both sidebars; "Show resolved" brings it back with Reopen.
    await annCard.locator('.resolve-button').click();
    await waitFor(async () => (await threadCards(bob.page).count()) === 0 && (await threadCards(ann.page).count()) === 0, 'the thread to be hidden in both windows');
    expect(await bob.page.locator('#editor .comment-anchor').count()).toBe(0);
    await bob.page.check('#show-resolved');
    await threadCards(bob.page).locator('.resolved-note', { hasText: 'Resolved by Ann' }).waitFor();
    await screenshot(bob.page, 'comments-4-bob-shows-resolved');
    await threadCards(bob.page).locator('.reopen-button').click();
    await threadCards(ann.page).first().waitFor();

    // Ann deletes the commented text: the thread stays, saying so, with its excerpt.
    await caretToEnd(ann.page);
    for (let i = 0; i < 'tight.'.length; i++) await ann.page.keyboard.press('Backspace');
    await threadCards(bob.page).locator('.orphan-note', { hasText: 'The text it was on was deleted' }).waitFor();
    await threadCards(ann.page).locator('.orphan-note').waitFor();
    expect(await threadCards(bob.page).locator('.thread-excerpt').innerText()).toBe('tight.');
    await screenshot(bob.page, 'comments-5-orphaned');

    // Ann makes Bob a viewer: his window loses the ways to comment at once, without a reload.
    await waitFor(async () => (await bobCard.locator('.reply-input').count()) === 1, "Bob's reply box");
    const bobId = await bob.page.evaluate(async () => ((await (await fetch('/api/session')).json()) as { user: { id: string } }).user.id);
    const changed = await ann.page.evaluate(
      async ([id, user]) => (await fetch(`/api/docs/${id}/members/${user}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ role: 'viewer' }) })).status,
      [docId, bobId] as const,
    );
    expect(changed).toBe(200);
    await bob.page.locator('#role-badge', { hasText: 'Can view' }).waitFor();
    await waitFor(async () => (await bobCard.locator('.reply-input, .resolve-button, .add-reaction').count()) === 0, "Bob's comment controls to go");
    expect(await bob.page.isDisabled('#comment-button')).toBe(true);
    await screenshot(bob.page, 'comments-6-bob-now-a-viewer');

    expect(dialogs).toEqual([]);
    expect([...ann.errors, ...bob.errors]).toEqual([]);
  }, 120_000);

  it('in a long document, choosing a thread in the sidebar scrolls the editor to its text, and clicking highlighted text makes its thread the active one in the sidebar', async () => {
    // Ann alone: the helper's second person is not needed here.
    const { ann, other } = await annAndAnother('Bob', '#2563eb');
    await other.page.close();
    // Ann writes sixty more lines, so the first and the last are never on screen together.
    await caretToEnd(ann.page);
    for (let line = 1; line <= 60; line++) {
      await ann.page.keyboard.press('Enter');
      await ann.page.keyboard.type(line === 60 ? 'The very last line.' : `Line ${line}`);
    }
    await waitFor(async () => (await statusOf(ann.page)) === 'Saved', 'the long text to be saved');
    // A thread on the last line (selected with Shift+Home), then one on the first (Home, Shift+End).
    await ann.page.keyboard.press('Shift+Home');
    await ann.page.keyboard.press('Control+Alt+KeyM');
    await ann.page.locator('#comment-composer .thread-excerpt', { hasText: 'The very last line.' }).waitFor();
    await ann.page.keyboard.type('About the ending');
    await ann.page.click('#post-comment');
    // Her caret is in the sidebar after posting: she clicks into the first line, then selects it.
    await ann.page.locator('#editor .ProseMirror > p').first().click();
    await ann.page.keyboard.press('Home');
    await ann.page.keyboard.press('Shift+End');
    await ann.page.keyboard.press('Control+Alt+KeyM');
    await ann.page.locator('#comment-composer .thread-excerpt', { hasText: 'The launch is on Friday.' }).waitFor();
    await ann.page.keyboard.type('About the start');
    await ann.page.click('#post-comment');
    await waitFor(async () => (await threadCards(ann.page).count()) === 2, 'both threads in the sidebar');
    // Whether an element is on screen: its centre is inside the window and shows that element.
    const onScreen = (selector: string) =>
      ann.page.evaluate((sel) => {
        const target = document.querySelector(sel);
        if (!target) return false;
        const rect = target.getBoundingClientRect();
        const x = rect.left + Math.min(rect.width / 2, 20);
        const y = rect.top + rect.height / 2;
        if (y < 0 || y > window.innerHeight || x < 0 || x > window.innerWidth) return false;
        const hit = document.elementFromPoint(x, y);
        return hit !== null && (hit === target || target.contains(hit) || hit.contains(target));
      }, selector);
    const lastId = await threadCards(ann.page).filter({ hasText: 'About the ending' }).getAttribute('data-thread-id');
    const firstId = await threadCards(ann.page).filter({ hasText: 'About the start' }).getAttribute('data-thread-id');
    const lastAnchor = `#editor .comment-anchor[data-thread-id="${lastId}"]`;
    const firstAnchor = `#editor .comment-anchor[data-thread-id="${firstId}"]`;
    await ann.page.locator(firstAnchor).waitFor();
    expect(await onScreen(lastAnchor)).toBe(false);

    // Ann chooses the ending's thread in the sidebar: the editor shows its text, highlighted as active.
    await threadCards(ann.page).filter({ hasText: 'About the ending' }).locator('.thread-excerpt').click();
    await waitFor(() => onScreen(lastAnchor), "the last line's highlighted text to be scrolled into view");
    await ann.page.locator(`${lastAnchor}.active`).waitFor();
    expect(await onScreen(firstAnchor)).toBe(false);
    await screenshot(ann.page, 'comments-long-1-sidebar-scrolls-editor');

    // She chooses the start's thread: the editor goes back up; clicking the highlighted text of the
    // ending (after scrolling down to it, as a person does) makes that thread the sidebar's active one.
    await threadCards(ann.page).filter({ hasText: 'About the start' }).locator('.thread-excerpt').click();
    await waitFor(() => onScreen(firstAnchor), "the first line's highlighted text to be scrolled into view");
    await ann.page.locator(lastAnchor).scrollIntoViewIfNeeded();
    await ann.page.click(lastAnchor);
    await threadCards(ann.page).filter({ hasText: 'About the ending' }).and(ann.page.locator('.active')).waitFor();
    await waitFor(() => onScreen(`#comment-threads [data-thread-id="${lastId}"]`), "the ending's card to be in view");
    await screenshot(ann.page, 'comments-long-2-text-selects-card');
    expect(ann.errors).toEqual([]);
  }, 120_000);

  it('a guest (not signed in, the link lets visitors comment) comments on a selection; Ann sees it live as a guest, replies with an @mention and reacts; both see each other live', async () => {
    // Gwen never signs in: her name and colour are the ones she gave this browser.
    const { ann, other: gwen, dialogs, url, docId } = await annAndAnother('Gwen', '#16a34a');
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
    // Choosing the thread in the sidebar shows its text: the highlight becomes the active one.
    await annCard.locator('.thread-excerpt').click();
    await ann.page.locator('#editor .comment-anchor.active', { hasText: 'Friday' }).waitFor();
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
    await gwen.page.locator('.comment-edit').waitFor();
    await gwen.page.keyboard.press('Control+A');
    await gwen.page.keyboard.type('Could it be Monday');
    // While she types, Ann reacts to that comment: Gwen's card is redrawn live, and her open edit,
    // its draft and her caret in it stay (they were dropped with the old card).
    await annCard.locator('.comment').first().locator('.add-reaction').click();
    await annCard.locator('.comment').first().locator('.reaction-choice', { hasText: '❤️' }).click();
    await gwenCard.locator('.comment').first().locator('.reaction[data-emoji="❤️"]').waitFor();
    await gwen.page.keyboard.type(' instead?');
    expect(await gwen.page.inputValue('.comment-edit')).toBe('Could it be Monday instead?');
    await screenshot(gwen.page, 'guest-comments-4a-edit-kept-through-a-live-reaction');
    await gwen.page.click('.save-edit');
    await gwen.page.locator('.comment-edit').waitFor({ state: 'detached' });
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
