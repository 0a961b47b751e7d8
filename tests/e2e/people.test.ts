import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  caretToEnd,
  createDocument,
  docIdOf,
  docText,
  launchBrowser,
  openDocument,
  openPerson,
  openVisitor,
  screenshot,
  shareOnPeoplePage,
  signIn,
  signUp,
  statusOf,
  TEST_PASSWORD,
} from '../helpers/browser.js';
import { spawnServer } from '../helpers/serverProcess.js';
import { readMetrics, tempDataDir, TEST_METRICS_TOKEN } from '../helpers/testServer.js';
import { waitFor } from '../helpers/waitFor.js';

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

async function startApp(): Promise<string> {
  const server = await spawnServer({ DATA_DIR: tempDataDir(), METRICS_TOKEN: TEST_METRICS_TOKEN }, { built: true });
  return `http://127.0.0.1:${server.port}`;
}

/** The text of the chat message list, one line per message. */
function chatText(page: Page): Promise<string> {
  return page.locator('#chat-messages').innerText();
}

/**
 * Ends a window in which `from`'s page must not change `to`'s document (a refused edit stays
 * refused): a presence field `from` sets now leaves on the same socket, and is relayed by the same
 * server, after any edit it sent before, so once `to` sees it anything wrongly relayed has arrived.
 */
async function presenceCrossed(from: Page, to: Page): Promise<void> {
  const marker = `${Date.now()}-${Math.random()}`;
  await from.evaluate((m) => window.tandem!.provider.awareness.setLocalStateField('marker', m), marker);
  await waitFor(
    () => to.evaluate((m) => [...window.tandem!.provider.awareness.getStates().values()].some((state) => state.marker === m), marker),
    'the presence marker to cross',
  );
}

describe('people in the browser', () => {
  it('sign up → create → share through People → the other sees it live → edit together → chat both ways → viewer → removed', async () => {
    const base = await startApp();
    const ann = await openPerson(browser, 'Ann', '#c0392b');
    const bob = await openPerson(browser, 'Bob', '#2563eb');
    ann.page.on('dialog', (dialog) => void dialog.accept());

    // Ann registers, creates a document, names it and writes.
    await signUp(ann, base);
    const url = await createDocument(ann, base);
    const docId = docIdOf(url);
    await ann.page.fill('#title', 'Launch plan');
    await caretToEnd(ann.page);
    await ann.page.keyboard.type('Ann was here. ');
    await waitFor(async () => (await statusOf(ann.page)) === 'Saved', "Ann's words to be saved");

    // Bob registers and stays on his home page: nothing shared with him yet.
    await signUp(bob, base);
    await bob.page.waitForSelector('#shared-docs-empty:not([hidden])');

    // Ann, in a second tab, finds Bob online on the People page and shares the document with him.
    const { page: annPeople, row: bobRow } = await shareOnPeoplePage(ann, base, 'Bob', docId, 'Launch plan');
    expect(await bobRow.innerText()).toContain('online');
    const bobId = (await bobRow.getAttribute('data-user-id'))!;
    await screenshot(annPeople, 'people-shared');

    // Bob sees it live: a notification, and the document under "Shared with me", without reloading.
    await bob.page.waitForSelector('#notifications-count:not([hidden])');
    expect(await bob.page.textContent('#notifications-count')).toBe('1');
    const shared = bob.page.locator(`#shared-docs li[data-doc-id="${docId}"]`);
    await shared.waitFor();
    expect(await shared.innerText()).toContain('Launch plan');
    expect(await shared.innerText()).toContain('Can edit');
    await bob.page.click('#notifications-button');
    const note = bob.page.locator('#notifications-panel li', { hasText: 'Ann shared “Launch plan” with you (Can edit)' });
    await note.waitFor();
    await waitFor(async () => (await bob.page.isHidden('#notifications-count')), 'opening the list to mark the notification read');
    await screenshot(bob.page, 'shared-with-me');

    // Bob opens it, sees Ann's text; both type and see each other.
    await shared.locator('a').click();
    await bob.page.waitForSelector('#editor .ProseMirror');
    await waitFor(async () => (await docText(bob.page)) === 'Ann was here. ', "Bob to see Ann's text");
    await caretToEnd(bob.page);
    await bob.page.keyboard.type('Bob too. ');
    await waitFor(async () => (await docText(ann.page)) === 'Ann was here. Bob too. ', "Ann to see Bob's words");
    await caretToEnd(ann.page);
    await ann.page.keyboard.type('Great.');
    await waitFor(async () => (await docText(bob.page)) === 'Ann was here. Bob too. Great.', "Bob to see Ann's reply");
    await waitFor(async () => (await ann.page.textContent('#presence'))?.includes('Bob'), 'Bob in Ann\'s presence list under his account name');

    // Chat both ways: Ann writes with her panel open; Bob's panel is closed, so his badge counts it.
    await ann.page.click('#chat-toggle');
    await ann.page.fill('#chat-input', 'Hello @Bob, welcome');
    await ann.page.press('#chat-input', 'Enter');
    await ann.page.waitForSelector('#chat-messages li[data-message-id]:has-text("Hello @Bob, welcome")');
    await bob.page.waitForSelector('#chat-unread:not([hidden])');
    expect(await bob.page.textContent('#chat-unread')).toBe('1');
    await bob.page.click('#chat-toggle');
    const fromAnn = bob.page.locator('#chat-messages li[data-message-id]', { hasText: 'Hello @Bob, welcome' });
    await fromAnn.waitFor();
    expect(await fromAnn.locator('.chat-author').innerText()).toBe('Ann');
    expect(await fromAnn.getAttribute('data-mentions-me')).toBe('true');
    expect(await fromAnn.locator('.mention-me').innerText()).toBe('@Bob');
    await waitFor(async () => bob.page.isHidden('#chat-unread'), "Bob's badge to clear once he reads");
    await bob.page.fill('#chat-input', 'Hi Ann!');
    await bob.page.click('#chat-send');
    const fromBob = ann.page.locator('#chat-messages li[data-message-id]', { hasText: 'Hi Ann!' });
    await fromBob.waitFor();
    expect(await fromBob.locator('.chat-author').innerText()).toBe('Bob');
    await bob.page.waitForSelector('#chat-messages li[data-message-id]:has-text("Hi Ann!")');
    expect(await bob.page.locator('#chat-messages li[data-pending]').count()).toBe(0);
    await screenshot(bob.page, 'doc-chat');

    // Ann makes Bob a viewer: his editor turns read-only at once, and his typing changes nothing.
    await ann.page.click('#share');
    const bobMember = ann.page.locator(`#member-list li[data-user-id="${bobId}"]`);
    await bobMember.waitFor();
    await bobMember.locator('select.member-role').selectOption('viewer');
    await bob.page.waitForSelector('#read-only-banner:not([hidden])');
    expect(await bob.page.textContent('#read-only-banner')).toBe('You can view this document; only editors can change it');
    expect(await bob.page.getAttribute('#editor .ProseMirror', 'contenteditable')).toBe('false');
    expect(await bob.page.getAttribute('#title', 'readonly')).not.toBeNull();
    const before = await docText(ann.page);
    await bob.page.click('#editor .ProseMirror');
    await bob.page.keyboard.press('Control+End');
    await bob.page.keyboard.type('viewer typing');
    await presenceCrossed(bob.page, ann.page);
    expect(await docText(ann.page)).toBe(before);
    expect(await docText(bob.page)).toBe(before);
    await screenshot(bob.page, 'viewer-read-only');

    // Ann makes the link members-only and removes Bob: his page says he has no access (and the
    // link no longer lets him back in).
    await ann.page.selectOption('#link-access', 'none');
    await waitFor(async () => (await ann.page.inputValue('#link-access')) === 'none', 'the link to be members-only');
    await ann.page.waitForSelector(`#member-list li[data-user-id="${bobId}"][data-role="viewer"]`);
    await ann.page.locator(`#member-list li[data-user-id="${bobId}"] .remove-member`).click();
    await ann.page.waitForSelector(`#member-list li[data-user-id="${bobId}"]`, { state: 'detached' });
    await bob.page.waitForSelector('#access-banner:not([hidden])');
    expect(await bob.page.textContent('#access-banner')).toContain('No access');
    await screenshot(bob.page, 'removed-no-access');
    // A fresh load says so too.
    await bob.page.reload();
    await bob.page.waitForSelector('#problem[data-status="404"]');
    expect(await bob.page.textContent('#problem h1')).toBe('No access or no such document');

    expect([...ann.errors, ...bob.errors]).toEqual([]);
    await Promise.all([ann.context.close(), bob.context.close()]);
  });

  it('a visitor opens a link-shared document under a display name shown as a guest; closing the link turns visitors away', async () => {
    const base = await startApp();
    const ann = await openPerson(browser, 'Ann', '#c0392b');
    await signUp(ann, base);
    const url = await createDocument(ann, base);
    await caretToEnd(ann.page);
    await ann.page.keyboard.type('Open to all.');

    // No account: Tandem asks for a display name, then shows the document.
    const vera = await openVisitor(browser, 'Vera');
    await vera.page.goto(url);
    await vera.page.waitForSelector('#name-form');
    await vera.page.fill('#name-input', 'Vera');
    await vera.page.click('#name-submit');
    await waitFor(async () => (await docText(vera.page)) === 'Open to all.', 'the visitor to see the text');
    await waitFor(async () => (await vera.page.textContent('#presence li[data-self="true"]'))?.includes('(guest)'), 'the visitor to see herself as a guest');
    // Ann sees her, marked as a guest.
    const guest = ann.page.locator('#presence li', { hasText: 'Vera' });
    await guest.waitFor();
    expect(await guest.innerText()).toContain('(guest)');
    expect(await guest.getAttribute('data-guest')).toBe('true');
    // The link lets anyone edit: the visitor's words reach Ann.
    await caretToEnd(vera.page);
    await vera.page.keyboard.type(' Vera agrees.');
    await waitFor(async () => (await docText(ann.page)) === 'Open to all. Vera agrees.', "Ann to see the visitor's words");
    // Both pages said who they are exactly as the server would: it relayed every presence update as sent.
    const metrics = await readMetrics(base);
    expect(metrics).toMatch(/^tandem_presence_stamped_total 0$/m);
    // Visitors cannot chat.
    await vera.page.click('#chat-toggle');
    expect(await vera.page.textContent('#chat-panel')).toContain('Sign in to chat');
    await screenshot(ann.page, 'guest-in-presence');

    // Ann closes the link to members only: a new visitor is asked to sign in.
    await ann.page.click('#share');
    await ann.page.selectOption('#link-access', 'none');
    await waitFor(async () => (await ann.page.inputValue('#link-access')) === 'none', 'the link access to change');
    const walt = await openVisitor(browser, 'Walt');
    await walt.page.goto(url);
    await walt.page.waitForSelector('#problem[data-status="401"]');
    expect(await walt.page.textContent('#problem h1')).toBe('Sign in to open this document');
    expect(await walt.page.getAttribute('#problem-signin', 'href')).toBe(`/signin?next=${encodeURIComponent(new URL(url).pathname)}`);
    await screenshot(walt.page, 'visitor-turned-away');

    expect([...ann.errors, ...vera.errors, ...walt.errors]).toEqual([]);
    await Promise.all([ann.context.close(), vera.context.close(), walt.context.close()]);
  });
  it('direct and group conversations on the Chats page, live both ways; sessions can be ended from elsewhere', async () => {
    const base = await startApp();
    const ann = await openPerson(browser, 'Ann', '#c0392b');
    const bob = await openPerson(browser, 'Bob', '#2563eb');
    for (const person of [ann, bob]) person.page.on('dialog', (dialog) => void dialog.accept());
    await signUp(ann, base);
    await signUp(bob, base);
    await bob.page.goto(`${base}/chats`);
    await bob.page.waitForSelector('#conversation-state:has-text("No conversations yet")');

    // Ann messages Bob from the People page.
    await ann.page.goto(`${base}/people`);
    await ann.page.locator('#people-list li', { hasText: 'Bob' }).locator('.message-person').click();
    await ann.page.waitForURL(/\/chats\/[^/]+$/);
    await ann.page.waitForSelector('#conversation-title:has-text("Bob")');
    await ann.page.fill('#chat-input', 'Hi Bob, just us');
    await ann.page.press('#chat-input', 'Enter');
    await ann.page.waitForSelector('#chat-messages li[data-message-id]:has-text("Hi Bob, just us")');

    // Bob's list gets the conversation live, with one unread; opening it shows the message and clears the badge.
    const direct = bob.page.locator('#conversation-list li[data-kind="direct"]');
    await direct.waitFor();
    await waitFor(async () => (await direct.locator('.unread-badge').textContent()) === '1', "Bob's unread badge");
    await direct.locator('a').click();
    await bob.page.waitForSelector('#chat-messages li[data-message-id]:has-text("Hi Bob, just us")');
    expect(await bob.page.textContent('#conversation-title')).toBe('Ann');
    await waitFor(async () => bob.page.locator('#conversation-list li[data-kind="direct"] .unread-badge').isHidden(), 'the badge of the open conversation to clear');
    await bob.page.fill('#chat-input', 'Hello Ann');
    await bob.page.press('#chat-input', 'Enter');
    await ann.page.waitForSelector('#chat-messages li[data-message-id]:has-text("Hello Ann") .chat-author:text-is("Bob")');
    await screenshot(bob.page, 'direct-chat');

    // Ann starts a group; Bob finds it under Browse groups, joins and writes; Ann sees it live.
    await ann.page.click('#new-group');
    await ann.page.fill('#group-title', 'Team');
    await ann.page.click('#new-group-form button[type=submit]');
    await ann.page.waitForSelector('#conversation-title:has-text("Team")');
    const groupUrl = ann.page.url();
    await bob.page.click('#browse-groups');
    await bob.page.locator('#group-list li', { hasText: 'Team' }).locator('.join-group').click();
    await bob.page.waitForURL(groupUrl);
    await bob.page.waitForSelector('#conversation-title:has-text("Team")');
    await bob.page.fill('#chat-input', 'Joined the team');
    await bob.page.press('#chat-input', 'Enter');
    await ann.page.waitForSelector('#chat-messages li[data-message-id]:has-text("Joined the team")');
    await waitFor(async () => (await ann.page.textContent('#conversation-members'))?.includes('Bob'), 'Bob among the members on Ann\'s side');
    await screenshot(ann.page, 'group-chat');
    await bob.page.click('#leave-group');
    await bob.page.waitForURL(`${base}/chats`);
    await bob.page.waitForSelector('#conversation-list li[data-kind="direct"]');
    expect(await bob.page.locator('#conversation-list li[data-kind="group"]').count()).toBe(0);

    // Ann signs in a second browser; from the first she ends that session, and its page hears at once.
    const ann2 = await openPerson(browser, 'Ann', '#c0392b');
    await ann2.page.goto(`${base}/signin`);
    await ann2.page.fill('#name', 'Ann');
    await ann2.page.fill('#password', 'not the password');
    await ann2.page.click('#signin-form button[type=submit]');
    await ann2.page.waitForSelector('#auth-error:not([hidden])');
    expect(await ann2.page.textContent('#auth-error')).toContain('Wrong name or password');
    await signIn(ann2, base, TEST_PASSWORD);
    await ann.page.goto(`${base}/sessions`);
    await ann.page.waitForSelector('#session-list li[data-current="true"]');
    await waitFor(async () => (await ann.page.locator('#session-list li').count()) === 2, 'two sessions listed');
    await ann.page.locator('#session-list li[data-current="false"] .revoke-session').click();
    await waitFor(async () => (await ann.page.locator('#session-list li').count()) === 1, 'the other session to go');
    await ann2.page.waitForSelector('#live-status:not([hidden])');
    expect(await ann2.page.textContent('#live-status')).toContain('Your session ended');
    await screenshot(ann2.page, 'session-ended');

    // The register page explains a bad name before asking the server.
    await ann2.page.goto(`${base}/register`);
    await ann2.page.fill('#name', 'a b');
    await ann2.page.fill('#password', TEST_PASSWORD);
    await ann2.page.click('#register-form button[type=submit]');
    expect(await ann2.page.textContent('#auth-error')).toContain('without spaces');

    expect([...ann.errors, ...bob.errors, ...ann2.errors]).toEqual([]);
    await Promise.all([ann.context.close(), bob.context.close(), ann2.context.close()]);
  });
  it('a chat message shows "sending…" until the server has stored it; history pages backwards; a dropped /live says so', async () => {
    const server = await spawnServer({ DATA_DIR: tempDataDir(), CHAT_MESSAGES_PER_SECOND: '1000', CHAT_BURST: '1000' }, { built: true });
    const base = `http://127.0.0.1:${server.port}`;
    const ann = await openPerson(browser, 'Ann', '#c0392b');
    await signUp(ann, base);
    const url = await createDocument(ann, base);
    const conversation = `doc:${docIdOf(url)}`;
    // 60 older messages, posted through the API from another page (the open editor would receive them live).
    await ann.page.goto(base);
    await ann.page.evaluate(async (id) => {
      for (let i = 1; i <= 60; i++) {
        const response = await fetch(`/api/conversations/${encodeURIComponent(id)}/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ text: `old message ${i}` }),
        });
        if (!response.ok) throw new Error(`posting failed: ${response.status}`);
      }
    }, conversation);
    await openDocument(ann, url);
    await ann.page.click('#chat-toggle');
    await waitFor(async () => (await ann.page.locator('#chat-messages li[data-message-id]').count()) === 50, 'the newest 50 messages');
    expect(await ann.page.textContent('#chat-messages li[data-message-id]:last-child')).toContain('old message 60');
    await ann.page.click('#chat-load-earlier');
    await waitFor(async () => (await ann.page.locator('#chat-messages li[data-message-id]').count()) === 60, 'all 60 after loading earlier ones');
    expect(await ann.page.textContent('#chat-messages li[data-message-id]:first-child')).toContain('old message 1');
    expect(await ann.page.isHidden('#chat-load-earlier')).toBe(true);

    // With the server frozen the message waits, marked "sending…"; once it answers, the stored message replaces it.
    server.pause();
    await ann.page.fill('#chat-input', 'are you there?');
    await ann.page.press('#chat-input', 'Enter');
    const pending = ann.page.locator('#chat-messages li[data-pending="true"]');
    await pending.waitFor();
    expect(await pending.innerText()).toContain('sending…');
    // The window is the thing tested: the stopped server can send nothing, and the page must not give
    // up on (or drop) the pending message by itself meanwhile.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await pending.count()).toBe(1);
    await screenshot(ann.page, 'chat-sending');
    server.resume();
    await ann.page.waitForSelector('#chat-messages li[data-message-id]:has-text("are you there?")');
    expect(await pending.count()).toBe(0);

    // The People page says when live updates stop.
    const people = await ann.context.newPage();
    await people.goto(`${base}/people`);
    await people.waitForSelector('#people-list li[data-online="true"]');
    expect(await people.isHidden('#live-state')).toBe(true);
    await server.kill9();
    await people.waitForSelector('#live-state:not([hidden])');
    expect(await people.textContent('#live-state')).toContain('Live updates paused — reconnecting…');
    await screenshot(people, 'live-paused');
    await ann.context.close();
  });
  it('the Share dialog invites by name; a viewer of a new, empty document is read-only and all saved; deleting it tells open pages', async () => {
    const base = await startApp();
    const ann = await openPerson(browser, 'Ann', '#c0392b');
    const cy = await openPerson(browser, 'Cy', '#16a34a');
    ann.page.on('dialog', (dialog) => void dialog.accept());
    await signUp(ann, base);
    await signUp(cy, base);
    const url = await createDocument(ann, base);

    // Ann invites Cy by name, as a viewer, from the Share dialog; the list shows him at once.
    await ann.page.click('#share');
    await ann.page.waitForSelector('#share-dialog[open] #invite-form');
    expect(await ann.page.inputValue('#share-url')).toBe(url);
    await ann.page.fill('#invite-name', 'cy');
    await ann.page.selectOption('#invite-role', 'viewer');
    await ann.page.click('#invite-submit');
    await ann.page.waitForSelector('#member-list li[data-role="viewer"]:has-text("Cy")');
    await ann.page.waitForSelector('#invite-result:has-text("Shared with Cy (Can view)")');
    // Sharing with nobody shows the server's reason.
    await ann.page.fill('#invite-name', 'nobody-here');
    await ann.page.click('#invite-submit');
    await ann.page.waitForSelector('#share-error:not([hidden])');
    await screenshot(ann.page, 'share-dialog');
    await ann.page.click('#share-close');

    // Cy opens the (still empty) document: read-only, nothing of his to save, and he cannot leave it half-edited.
    await openDocument(cy, url);
    await cy.page.waitForSelector('#read-only-banner:not([hidden])');
    await waitFor(async () => (await statusOf(cy.page)) === 'Saved', "the viewer's page to be all saved");
    expect(await cy.page.getAttribute('#role-badge', 'data-role')).toBe('viewer');
    expect(await cy.page.locator('#toolbar button[aria-disabled="false"]').count()).toBe(0);
    // He sees the link access as text and can leave, but not delete.
    await cy.page.click('#share');
    await cy.page.waitForSelector('#share-dialog[open] p#link-access');
    expect(await cy.page.textContent('#link-access')).toBe('Anyone with the link can edit');
    expect(await cy.page.locator('#leave-doc').count()).toBe(1);
    expect(await cy.page.locator('#delete-doc').count()).toBe(0);
    expect(await cy.page.locator('#invite-form').count()).toBe(0);
    await cy.page.click('#share-close');

    // Ann deletes the document: Cy's open page says so.
    await ann.page.click('#share');
    await ann.page.click('#delete-doc');
    await ann.page.waitForURL(`${base}/`);
    await cy.page.waitForSelector('#access-banner:not([hidden])');
    expect(await cy.page.textContent('#access-banner')).toContain('This document was deleted');
    await cy.page.reload();
    await cy.page.waitForSelector('#problem[data-status="410"]');
    await screenshot(cy.page, 'deleted');
    expect([...ann.errors, ...cy.errors]).toEqual([]);
    await Promise.all([ann.context.close(), cy.context.close()]);
  });
  it('an address with no document: the page says so, and a window that opened it without asking the server is told by the socket (4406)', async () => {
    const base = await startApp();
    // Service workers blocked, so that the route below sees the page's API requests.
    const context = await browser.newContext({ viewport: { width: 1100, height: 720 }, serviceWorkers: 'block' });
    await context.addInitScript(() => localStorage.setItem('tandem.identity', JSON.stringify({ name: 'Ann', color: '#c0392b' })));
    const ann = { name: 'Ann', context, page: await context.newPage() };
    const errors: string[] = [];
    ann.page.on('pageerror', (error) => errors.push(String(error)));
    await signUp(ann, base);

    // Online, the server's answer (404) is the page.
    await ann.page.goto(`${base}/d/nobody-made-this-one`);
    await ann.page.waitForSelector('#problem[data-status="404"]');
    expect(await ann.page.textContent('#problem h1')).toBe('No access or no such document');

    // The server cannot be asked (GET /api/docs/:id fails), so the editor opens as offline: the
    // collaboration socket is then refused with 4406, and the page says why and offers no retry.
    await ann.page.route(/\/api\/docs\/[^/]+$/, (route) => route.abort());
    await ann.page.goto(`${base}/d/nobody-made-this-either`);
    await ann.page.waitForSelector('#access-banner:not([hidden])');
    expect(await ann.page.getAttribute('#access-banner', 'data-code')).toBe('4406');
    expect(await ann.page.textContent('#access-banner')).toContain('There is no document at this address on the server');
    await waitFor(async () => (await statusOf(ann.page)) === 'There is no document at this address', 'the status line to say so');
    expect(await ann.page.isHidden('#retry')).toBe(true);
    expect(await ann.page.getAttribute('#role-badge', 'data-role')).toBe('none');
    await screenshot(ann.page, 'no-such-document');
    expect(errors).toEqual([]);
    await context.close();
  });
});
