import fs from 'node:fs';
import path from 'node:path';
import { type Browser, type BrowserContext, chromium, type Locator, type Page } from 'playwright-core';
import { CHROMIUM_PATH } from './chromium.js';

/** Where screenshots of each browser test's final screen go (git-ignored). */
export const ARTIFACTS_DIR = path.resolve('test-artifacts/e2e');

/** Debian's Chromium, headless, with the flags this machine needs. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
}

export interface Person {
  name: string;
  context: BrowserContext;
  page: Page;
}

/**
 * The page's uncaught errors, and every Content-Security-Policy violation it reports (Chromium logs
 * them to the console): the app must run under its own policy without one.
 */
function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(String(error)));
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) errors.push(`CSP violation: ${message.text()}`);
  });
  return errors;
}

/**
 * A person with their own browser profile (storage, IndexedDB), who has already told Tandem their
 * name and colour, so no dialog interrupts. Uncaught errors and CSP violations are collected in `errors`.
 */
export async function openPerson(browser: Browser, name: string, color: string): Promise<Person & { errors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 720 } });
  await context.addInitScript(
    ([n, c]) => localStorage.setItem('tandem.identity', JSON.stringify({ name: n, color: c })),
    [name, color],
  );
  const page = await context.newPage();
  const errors = collectErrors(page);
  return { name, context, page, errors };
}

/** A password every test account may use (long enough, not common, containing none of the test names). */
export const TEST_PASSWORD = 'Tr0ub4dor&3-xyzzy';

/**
 * Registers the person (their `name` becomes the account name) through the register page of the
 * app at `base`, and waits until the app has taken them home, signed in.
 */
export async function signUp(person: Person, base: string, password = TEST_PASSWORD): Promise<void> {
  await person.page.goto(`${base}/register`);
  await person.page.fill('#name', person.name);
  await person.page.fill('#password', password);
  await person.page.click('#register-form button[type=submit]');
  await person.page.waitForURL(`${base}/`);
  await person.page.waitForSelector('#user-name');
}

/** Signs the person in through the sign-in page (then home, or `next`). */
export async function signIn(person: Person, base: string, password = TEST_PASSWORD): Promise<void> {
  await person.page.goto(`${base}/signin`);
  await person.page.fill('#name', person.name);
  await person.page.fill('#password', password);
  await person.page.click('#signin-form button[type=submit]');
  await person.page.waitForURL(`${base}/`);
  await person.page.waitForSelector('#user-name');
}

/**
 * Creates a document as the (signed-in) person with the home page's "New document" button; returns
 * its address once the editor is open on it.
 */
export async function createDocument(person: Person, base: string): Promise<string> {
  await person.page.goto(base);
  await person.page.click('#new-doc');
  await person.page.waitForURL(/\/d\/[A-Za-z0-9_-]{16,}$/);
  await person.page.waitForSelector('#editor .ProseMirror');
  return person.page.url();
}

/** The document id at the end of a document address. */
export function docIdOf(url: string): string {
  return new URL(url).pathname.split('/').pop() ?? '';
}

/** A visitor without an account or a stored display name (Tandem will ask for one). */
export async function openVisitor(browser: Browser, name: string): Promise<Person & { errors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 720 } });
  const page = await context.newPage();
  const errors = collectErrors(page);
  return { name, context, page, errors };
}

/** Opens `url` in the person's page and waits until the editor is mounted. */
export async function openDocument(person: Person, url: string): Promise<void> {
  await person.page.goto(url);
  await person.page.waitForSelector('#editor .ProseMirror');
}

/** The document's text as ProseMirror holds it (cursor labels and other decorations excluded). */
export function docText(page: Page): Promise<string> {
  return page.evaluate(() => {
    const tandem = (window as unknown as { tandem: { view: { state: { doc: { textContent: string } } } } }).tandem;
    return tandem.view.state.doc.textContent;
  });
}

/** The status line's text: "Connecting…", "Saved", "Saving…", "Offline — …" or a refusal. */
export async function statusOf(page: Page): Promise<string> {
  return (await page.textContent('#status'))?.trim() ?? '';
}

/** What carries the page's document connection: 'websocket' or 'http' (the status line's data-transport). */
export function transportOf(page: Page): Promise<string | null> {
  return page.getAttribute('#status', 'data-transport');
}

/** Saves a screenshot of the page as test-artifacts/e2e/<name>.png for a person to look at. */
export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(ARTIFACTS_DIR, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS_DIR, `${name.replace(/[^a-z0-9-]+/gi, '-')}.png`) });
}

/** Places the caret at the end of the editor's last textblock. */
export async function caretToEnd(page: Page): Promise<void> {
  await page.click('#editor .ProseMirror');
  await page.keyboard.press('Control+End');
}

/**
 * How many updates this browser's offline copy of a document holds in IndexedDB (y-indexeddb's
 * `updates` store; it writes each change asynchronously, so a test that reloads right after typing
 * waits for this to grow).
 */
export function storedOfflineUpdates(page: Page, docId: string): Promise<number> {
  return page.evaluate(
    (name) =>
      new Promise<number>((resolve, reject) => {
        const open = indexedDB.open(name);
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          if (!db.objectStoreNames.contains('updates')) {
            db.close();
            resolve(0);
            return;
          }
          const count = db.transaction('updates').objectStore('updates').count();
          count.onsuccess = () => {
            db.close();
            resolve(count.result);
          };
          count.onerror = () => reject(count.error);
        };
      }),
    `tandem.doc.${docId}`,
  );
}

/**
 * Ada signs up and creates a document; Grace opens its link as a visitor (new documents admit
 * anyone with the link). Both pages end on the document.
 */
export async function adaAndGraceOnNewDocument(
  browser: Browser,
  base: string,
): Promise<{ ada: Person & { errors: string[] }; grace: Person & { errors: string[] }; url: string }> {
  const ada = await openPerson(browser, 'Ada', '#c0392b');
  const grace = await openPerson(browser, 'Grace', '#2563eb');
  await signUp(ada, base);
  const url = await createDocument(ada, base);
  await openDocument(grace, url);
  return { ada, grace, url };
}

/**
 * `owner`, in a second tab, finds `name` online on the People page (their /live presence) and shares
 * the document `docId`, titled `title`, with them as an editor; resolves once the page confirms, with
 * that tab and the person's row.
 */
export async function shareOnPeoplePage(owner: Person, base: string, name: string, docId: string, title: string): Promise<{ page: Page; row: Locator }> {
  const page = await owner.context.newPage();
  await page.goto(`${base}/people`);
  const row = page.locator('#people-list li[data-online="true"]', { hasText: name });
  await row.waitFor();
  await row.locator('.share-with-person').click();
  await row.locator('select.share-doc').selectOption(docId);
  await row.locator('select.share-role').selectOption('editor');
  await row.locator('.share-form button[type=submit]').click();
  await row.locator('.ok', { hasText: `Shared “${title}” with ${name} (Can edit)` }).waitFor();
  return { page, row };
}
