import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adaAndGraceOnNewDocument, caretToEnd, docText, launchBrowser, openDocument, openPerson, screenshot, signUp, statusOf, transportOf } from '../helpers/browser.js';
import { appBaseOver, BROWSER_TRANSPORTS, type BrowserTransport } from '../helpers/hostileProxy.js';
import { type ServerProcess, spawnServer } from '../helpers/serverProcess.js';
import { tempDataDir } from '../helpers/testServer.js';
import { waitFor } from '../helpers/waitFor.js';

let browser: Browser;
let server: ServerProcess;
let base: string;

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

/** A fresh app; its pages reach it over `transport` (HTTP: behind a proxy that refuses WebSocket upgrades). */
async function startApp(transport: BrowserTransport = 'websocket'): Promise<void> {
  server = await spawnServer({ DATA_DIR: tempDataDir() }, { built: true });
  base = await appBaseOver(transport, server.port);
}

/** Every character of `typed`, in order, among the characters of `text` drawn from the same alphabet. */
function keptInOrder(text: string, alphabet: RegExp): string {
  return [...text].filter((ch) => alphabet.test(ch)).join('');
}

/** The core cases run on both transports: directly (WebSockets), and behind a proxy that refuses upgrades (HTTP). */
/** The text of each top-level block the page's editor shows. */
function paragraphsOf(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    window.tandem!.view.state.doc.forEach((node) => out.push(node.textContent));
    return out;
  });
}

/** Waits until every page shows `expected` as its blocks' text; on a timeout, says what each showed last. */
async function pagesShow(pages: Page[], expected: string[], what: string): Promise<void> {
  let seen = '';
  await waitFor(async () => {
    const shown = await Promise.all(pages.map(async (page) => JSON.stringify(await paragraphsOf(page))));
    seen = shown.join(', ');
    return shown.every((p) => p === JSON.stringify(expected));
  }, what).catch((error: Error) => {
    throw new Error(`${error.message}; last seen: ${seen}`);
  });
}

/** Puts the caret right before the first occurrence of `text` in the document (null: at its end), as a click there would. */
async function caretBefore(page: Page, text: string | null): Promise<void> {
  await page.evaluate((before) => {
    const view = window.tandem!.view;
    let at = before === null ? view.state.doc.content.size - 1 : -1;
    view.state.doc.descendants((node, pos) => {
      if (before === null) return false;
      if (at < 0 && node.isText && node.text!.includes(before)) at = pos + node.text!.indexOf(before);
      return at < 0;
    });
    const Selection = view.state.selection.constructor as unknown as { create(doc: unknown, pos: number): never };
    view.focus();
    view.dispatch(view.state.tr.setSelection(Selection.create(view.state.doc, at)));
  }, text);
}

describe.each(BROWSER_TRANSPORTS)('collaborating in the browser over %s', (transport) => {
  it('two people typing at once in the same paragraph lose and double nothing', async () => {
    await startApp(transport);
    const { ada, grace, url } = await adaAndGraceOnNewDocument(browser, base);
    await caretToEnd(ada.page);
    await ada.page.keyboard.type('Start: ');
    await waitFor(async () => (await docText(grace.page)) === 'Start: ', 'Grace to see the start');
    await caretToEnd(grace.page);

    const adaTypes = 'abcdefghij'.repeat(6);
    const graceTypes = '0123456789'.repeat(6);
    await Promise.all([
      ada.page.keyboard.type(adaTypes, { delay: 15 }),
      grace.page.keyboard.type(graceTypes, { delay: 15 }),
    ]);
    await waitFor(
      async () => (await docText(ada.page)) === (await docText(grace.page)) && (await docText(ada.page)).length >= 127,
      'both pages to show the same text',
      20_000,
    );
    const final = await docText(ada.page);
    expect(final.startsWith('Start: ')).toBe(true);
    const typed = final.slice('Start: '.length);
    expect(keptInOrder(typed, /[a-j]/)).toBe(adaTypes);
    expect(keptInOrder(typed, /[0-9]/)).toBe(graceTypes);
    expect(final.length).toBe('Start: '.length + adaTypes.length + graceTypes.length);
    await waitFor(async () => (await statusOf(ada.page)) === 'Saved' && (await statusOf(grace.page)) === 'Saved', 'both to be saved');
    for (const page of [ada.page, grace.page]) expect(await transportOf(page)).toBe(transport);
    // A third page loading from the server sees exactly the same.
    const carol = await openPerson(browser, 'Carol', '#16a34a');
    await openDocument(carol, url);
    await waitFor(async () => (await docText(carol.page)) === final, 'a fresh page to see the same text');
    await screenshot(ada.page, `concurrent-typing-${transport}`);
    expect([...ada.errors, ...grace.errors, ...carol.errors]).toEqual([]);
    await Promise.all([ada.context.close(), grace.context.close(), carol.context.close()]);
  });

  it("shows the other person's cursor with their name, lists them as present and typing; all go when they leave", async () => {
    await startApp(transport);
    const { ada, grace, url } = await adaAndGraceOnNewDocument(browser, base);
    await caretToEnd(ada.page);
    await ada.page.keyboard.type('Where is my cursor?');
    await grace.page.waitForSelector('#editor .ProseMirror-yjs-cursor');
    expect(await grace.page.textContent('#editor .ProseMirror-yjs-cursor')).toContain('Ada');
    await waitFor(async () => (await grace.page.textContent('#presence'))?.includes('Ada'), "Ada in Grace's presence list");
    // While Ada types, Grace sees "typing…" next to her; it goes by itself a few seconds later.
    await ada.page.keyboard.type(' still typing');
    await grace.page.waitForSelector('#presence li[data-typing="true"]:has-text("Ada")');
    expect(await transportOf(grace.page)).toBe(transport);
    await screenshot(grace.page, `cursor-and-presence-${transport}`);
    await waitFor(async () => (await grace.page.$('#presence li[data-typing="true"]')) === null, 'the typing indicator to expire', 10_000);

    // Ada closes her tab. (Closing her whole browser context instead can cut off the request by which
    // a page on HTTP says it leaves; its presence then stays until the session expires, 60 s.)
    await ada.page.close();
    await waitFor(async () => (await grace.page.$('#editor .ProseMirror-yjs-cursor')) === null, "Ada's cursor to disappear");
    await waitFor(async () => !(await grace.page.textContent('#presence'))?.includes('Ada'), 'Ada to leave the presence list');
    await screenshot(grace.page, `after-ada-left-${transport}`);
    await Promise.all([ada.context.close(), grace.context.close()]);
  });
});

describe('collaborating in the browser', () => {
  it('keys typed into text someone else moves to another paragraph (Enter in the middle, Backspace joining) go with it, and so does the caret', async () => {
    await startApp();
    const { ada, grace } = await adaAndGraceOnNewDocument(browser, base);
    const bothShow = (expected: string[], what: string) => pagesShow([ada.page, grace.page], expected, what);
    await caretToEnd(ada.page);
    await ada.page.keyboard.type('Hello world');
    await bothShow(['Hello world'], 'Grace to see the text');
    // Grace's keys are still on their way (her connection is down) while Ada presses Enter before
    // "world": Ada's Enter moves "world" into a new paragraph without Grace's keys.
    await grace.page.evaluate(() => window.tandem!.provider.disconnect());
    await caretToEnd(grace.page);
    await grace.page.keyboard.type('ABC');
    // Ada's caret goes before "world" as a click there puts it (arrow presses from the end would also
    // step over Grace's caret widget while it is shown, a press each, depending on timing).
    await caretBefore(ada.page, 'world');
    await ada.page.keyboard.press('Enter');
    await grace.page.evaluate(() => window.tandem!.provider.connect());
    await bothShow(['Hello ', 'worldABC'], "Grace's keys to follow 'world' into the new paragraph");
    // Her caret went along: her next key lands after them.
    await grace.page.keyboard.type('D');
    await bothShow(['Hello ', 'worldABCD'], "Grace's next key to follow her caret");
    await screenshot(grace.page, 'keys-follow-split');

    // Grace types into "world" while Ada, not yet seeing it, joins the paragraphs (Backspace at the
    // start of the second): the joined paragraph takes Grace's keys along instead of deleting them.
    await grace.page.evaluate(() => window.tandem!.provider.disconnect());
    for (let i = 0; i < 'ldABCD'.length; i++) await grace.page.keyboard.press('ArrowLeft');
    await grace.page.keyboard.type('XY');
    await caretToEnd(ada.page);
    await ada.page.keyboard.press('Home');
    await ada.page.keyboard.press('Backspace');
    await grace.page.evaluate(() => window.tandem!.provider.connect());
    await bothShow(['Hello worXYldABCD'], "Grace's keys to survive the join");
    await grace.page.keyboard.type('Z');
    await bothShow(['Hello worXYZldABCD'], "Grace's next key to follow her caret after the join");
    await waitFor(async () => (await statusOf(ada.page)) === 'Saved' && (await statusOf(grace.page)) === 'Saved', 'both to be saved');
    await screenshot(ada.page, 'keys-follow-join');
    expect([...ada.errors, ...grace.errors]).toEqual([]);
    await Promise.all([ada.context.close(), grace.context.close()]);
  });

  it('a paragraph someone starts at the end of a line stays after that line when someone else splits the line at the same moment', async () => {
    // Both new paragraphs go right after the line in Yjs, which orders them by client id: one time in
    // two the one started at the end stood before the split-off text (paragraphOrder.ts). Each
    // person takes each part once, so one of the two rounds is that order whatever the ids are.
    await startApp();
    const { ada, grace } = await adaAndGraceOnNewDocument(browser, base);
    await caretToEnd(ada.page);
    await ada.page.keyboard.type('Hello world');
    await pagesShow([ada.page, grace.page], ['Hello world'], 'Grace to see the text');
    const rounds = [
      { maker: grace, splitter: ada, before: 'world', typed: 'NEW', expected: ['Hello ', 'world', 'NEW'] },
      { maker: ada, splitter: grace, before: 'EW', typed: 'next', expected: ['Hello ', 'world', 'N', 'EW', 'next'] },
    ];
    for (const { maker, splitter, before, typed, expected } of rounds) {
      // The splitter's Enter is on its way (their connection is down) while the maker presses Enter
      // at the end of the document and types.
      await splitter.page.evaluate(() => window.tandem!.provider.disconnect());
      await caretBefore(splitter.page, before);
      await splitter.page.keyboard.press('Enter');
      await caretBefore(maker.page, null);
      await maker.page.keyboard.press('Enter');
      await maker.page.keyboard.type(typed);
      await splitter.page.evaluate(() => window.tandem!.provider.connect());
      await pagesShow([ada.page, grace.page], expected, `${maker.name}'s new paragraph to stay after the text ${splitter.name} split off`);
    }
    await waitFor(async () => (await statusOf(ada.page)) === 'Saved' && (await statusOf(grace.page)) === 'Saved', 'both to be saved');
    await screenshot(grace.page, 'new-paragraph-after-split');
    expect([...ada.errors, ...grace.errors]).toEqual([]);
    await Promise.all([ada.context.close(), grace.context.close()]);
  });

  it('two people joining neighbouring lines at the same moment (Backspace, Backspace) keep all the text', async () => {
    // The second join's copy arrives into the line the first join removed, where Yjs drops it on
    // arrival (goneCopies.ts): "three" was lost on both pages.
    await startApp();
    const { ada, grace } = await adaAndGraceOnNewDocument(browser, base);
    await caretToEnd(ada.page);
    await ada.page.keyboard.type('one');
    await ada.page.keyboard.press('Enter');
    await ada.page.keyboard.type('two');
    await ada.page.keyboard.press('Enter');
    await ada.page.keyboard.type('three');
    await pagesShow([ada.page, grace.page], ['one', 'two', 'three'], 'Grace to see the three lines');
    // Grace's Backspace is on its way (her connection is down) while Ada presses hers.
    await grace.page.evaluate(() => window.tandem!.provider.disconnect());
    await caretBefore(ada.page, 'two');
    await ada.page.keyboard.press('Backspace');
    await caretBefore(grace.page, 'three');
    await grace.page.keyboard.press('Backspace');
    await grace.page.evaluate(() => window.tandem!.provider.connect());
    await pagesShow([ada.page, grace.page], ['onetwothree'], 'both joins to keep every line');
    await waitFor(async () => (await statusOf(ada.page)) === 'Saved' && (await statusOf(grace.page)) === 'Saved', 'both to be saved');
    await screenshot(grace.page, 'two-joins-at-once');
    expect([...ada.errors, ...grace.errors]).toEqual([]);
    await Promise.all([ada.context.close(), grace.context.close()]);
  });

  it('a line two people join at the same moment, one of them into a line they had just emptied, keeps its text', async () => {
    // Ada empties the first line and joins the second into it: her editor writes that as removing the
    // empty line. Grace, not having seen that, joins the second line into the first: removing the
    // second. Both lines were gone on both pages, and "keep" with them (moveRebase.ts, joinedInto).
    await startApp();
    const { ada, grace } = await adaAndGraceOnNewDocument(browser, base);
    await caretToEnd(ada.page);
    await ada.page.keyboard.type('draft');
    await ada.page.keyboard.press('Enter');
    await ada.page.keyboard.type('keep');
    await pagesShow([ada.page, grace.page], ['draft', 'keep'], 'Grace to see both lines');
    // Grace's Backspace is on its way (her connection is down) while Ada empties the line and presses hers.
    await grace.page.evaluate(() => window.tandem!.provider.disconnect());
    await caretBefore(ada.page, 'keep');
    await ada.page.keyboard.press('ArrowLeft');
    await ada.page.keyboard.press('Shift+Home');
    await ada.page.keyboard.press('Backspace');
    await pagesShow([ada.page], ['', 'keep'], 'Ada to see the first line empty');
    await ada.page.keyboard.press('ArrowDown');
    await ada.page.keyboard.press('Home');
    await ada.page.keyboard.press('Backspace');
    await pagesShow([ada.page], ['keep'], "Ada's join");
    await caretBefore(grace.page, 'keep');
    await grace.page.keyboard.press('Backspace');
    await pagesShow([grace.page], ['draftkeep'], "Grace's join");
    await grace.page.evaluate(() => window.tandem!.provider.connect());
    await pagesShow([ada.page, grace.page], ['keep'], 'both joins to keep the text');
    await waitFor(async () => (await statusOf(ada.page)) === 'Saved' && (await statusOf(grace.page)) === 'Saved', 'both to be saved');
    await screenshot(grace.page, 'two-joins-one-into-an-emptied-line');
    expect([...ada.errors, ...grace.errors]).toEqual([]);
    await Promise.all([ada.context.close(), grace.context.close()]);
  });

  it('two people typing into an empty line that a third removes at the same moment keep both keys', async () => {
    // Cy presses Backspace in an empty line (her editor writes that as removing the empty paragraph)
    // while Ada and Grace, who see each other's keys, type into it. Each page that had the other
    // typist's key before the removal took it for one Cy had seen, and its own key went nowhere: one
    // of the two was lost on every page (moveRebase.ts, wholeParagraphOfMine).
    await startApp();
    const { ada, grace, url } = await adaAndGraceOnNewDocument(browser, base);
    const cy = await openPerson(browser, 'Cy', '#16a34a');
    await openDocument(cy, url);
    await caretToEnd(ada.page);
    await ada.page.keyboard.type('top');
    await ada.page.keyboard.press('Enter');
    await ada.page.keyboard.press('Enter');
    await ada.page.keyboard.type('end');
    const pages = [ada.page, grace.page, cy.page];
    await pagesShow(pages, ['top', '', 'end'], 'everyone to see the empty line');
    /** The caret at the start of the second line, as a click there would put it. */
    const intoEmptyLine = async (page: Page) => {
      await page.bringToFront();
      await page.evaluate(() => {
        const view = window.tandem!.view;
        const Selection = view.state.selection.constructor as unknown as { create(doc: unknown, pos: number): never };
        view.focus();
        view.dispatch(view.state.tr.setSelection(Selection.create(view.state.doc, view.state.doc.child(0).nodeSize + 1)));
      });
    };
    // Cy's Backspace is on its way (her connection is down) while the two type.
    await cy.page.evaluate(() => window.tandem!.provider.disconnect());
    await intoEmptyLine(cy.page);
    await cy.page.keyboard.press('Backspace');
    await pagesShow([cy.page], ['top', 'end'], "Cy's removal of the empty line");
    await intoEmptyLine(ada.page);
    await ada.page.keyboard.type('x');
    await intoEmptyLine(grace.page);
    await grace.page.keyboard.type('G');
    await waitFor(async () => {
      const [a, g] = await Promise.all([paragraphsOf(ada.page), paragraphsOf(grace.page)]);
      return JSON.stringify(a) === JSON.stringify(g) && [...(a[1] ?? '')].sort().join('') === 'Gx';
    }, 'Ada and Grace to see both keys');
    await cy.page.evaluate(() => window.tandem!.provider.connect());
    await waitFor(async () => {
      const shown = await Promise.all(pages.map(paragraphsOf));
      return shown.every((p) => JSON.stringify(p) === JSON.stringify(shown[0])) && shown[0]!.length === 2;
    }, "Cy's removal to reach everyone");
    await waitFor(async () => (await Promise.all(pages.map(statusOf))).every((status) => status === 'Saved'), 'everyone to be saved');
    const shown = await Promise.all(pages.map(paragraphsOf));
    // Both keys, once each, at the end of the line the removal kept (Yjs orders the two by client id).
    for (const lines of shown) expect(['["topxG","end"]', '["topGx","end"]']).toContain(JSON.stringify(lines));
    await screenshot(cy.page, 'two-type-into-a-line-a-third-removes');
    expect([...ada.errors, ...grace.errors, ...cy.errors]).toEqual([]);
    await Promise.all([ada.context.close(), grace.context.close(), cy.context.close()]);
  });

  /**
   * Ada types `x`s at the end of the first line while Grace presses ArrowLeft 100 times in the
   * second, from its end, then `finish` (her keys after the arrows). Grace's start caret is put there
   * by the editor, as a click does: a caret she had set by the keyboard hid one of the two faults.
   */
  async function arrowsWhileSomeoneTypes(shot: string, finish: (grace: Page) => Promise<void>, expected: (line: string, presses: number) => string[]): Promise<void> {
    await startApp();
    const { ada, grace } = await adaAndGraceOnNewDocument(browser, base);
    await caretToEnd(ada.page);
    await ada.page.keyboard.type('top');
    await ada.page.keyboard.press('Enter');
    const line = 'abcdefghij'.repeat(12);
    await ada.page.keyboard.type(line);
    await waitFor(async () => (await docText(grace.page)) === `top${line}`, 'Grace to see both lines');
    await caretBefore(grace.page, null);
    await ada.page.keyboard.press('Control+Home');
    await ada.page.keyboard.press('End');
    const presses = 100;
    let typing = true;
    const adaTypes = (async () => {
      while (typing) await ada.page.keyboard.type('x', { delay: 5 });
    })();
    for (let i = 0; i < presses; i++) await grace.page.keyboard.press('ArrowLeft');
    await finish(grace.page);
    typing = false;
    await adaTypes;
    const lines = expected(line, presses);
    await pagesShow([ada.page, grace.page], [(await paragraphsOf(ada.page))[0]!, ...lines], "Grace's keys where her caret went, in both pages");
    expect((await docText(ada.page)).startsWith('topx')).toBe(true);
    await screenshot(grace.page, shot);
    expect([...ada.errors, ...grace.errors]).toEqual([]);
    await Promise.all([ada.context.close(), grace.context.close()]);
  }

  // The browser moves the caret at once but tells ProseMirror in a later task (selectionchange); a
  // remote change drawn in between used to put the old caret back (13 of 150 presses moved nothing),
  // and so did the redraw of Ada's caret, which y-prosemirror dispatches from a timer (2–3 of 100
  // presses lost in 2 of 3 runs): pendingInput.ts.
  it('every arrow press moves the caret while someone types in another paragraph, and the next key lands there', async () => {
    await arrowsWhileSomeoneTypes(
      'arrows-while-someone-types',
      (grace) => grace.keyboard.type('Z'),
      (line, presses) => [`${line.slice(0, line.length - presses)}Z${line.slice(line.length - presses)}`],
    );
  });

  // Chrome runs key events before other tasks: Enter came before the last presses' selectionchange
  // and split the line 2 to 8 characters right of the caret in 5 of 6 runs (keys now read the caret
  // first: pendingInput.ts).
  it('Enter right after arrow presses splits the line where the caret went, while someone types', async () => {
    await arrowsWhileSomeoneTypes(
      'enter-after-arrows-while-someone-types',
      async (grace) => {
        await grace.keyboard.press('Enter');
        await grace.keyboard.type('Z');
      },
      (line, presses) => [line.slice(0, line.length - presses), `Z${line.slice(line.length - presses)}`],
    );
  });

  // Typed at full speed: on a busy machine Chrome used to type the key after an input rule's redraw
  // ("# ", "- ") in front of its caret or into the <ul> itself (caretAfterTyping.ts); failed 5–7 in
  // 10 with both cores loaded, 0 in 10 with the fix (0 in 6 with it narrowed to the browser's caret's block).
  it('formatting made in one page (heading, bold, list) appears in the other', async () => {
    await startApp();
    const { ada, grace, url } = await adaAndGraceOnNewDocument(browser, base);
    await caretToEnd(ada.page);
    await ada.page.keyboard.type('# Plan\nThis is ');
    await ada.page.keyboard.press('Control+b');
    await ada.page.keyboard.type('important');
    await ada.page.keyboard.press('Control+b');
    await ada.page.keyboard.type('.\n- first\nsecond');
    await grace.page.waitForSelector('#editor h1:has-text("Plan")');
    await grace.page.waitForSelector('#editor strong:has-text("important")');
    await grace.page.waitForSelector('#editor ul li:has-text("second")');
    expect(await grace.page.locator('#editor ul li').count()).toBe(2);
    await screenshot(grace.page, 'formatting');
    await Promise.all([ada.context.close(), grace.context.close()]);
  });

  it("a first key that Chrome types in front of its caret in a block just drawn empty (heading rule, Enter) does not pull the next keys before it", async () => {
    // Busy, Chrome sometimes types the first character into a textblock ProseMirror has just redrawn
    // empty and leaves its selection in front of it (<h1>P<br></h1>, caret at h1 offset 0): "# Plan"
    // became "lanP" in the formatting test above under load. Keys typed on a keyboard into an empty
    // block are now ProseMirror's (caretAfterTyping.ts); here the page makes the same DOM change
    // itself, as an input method or another input path would, and the person goes on typing.
    await startApp();
    const { ada, grace } = await adaAndGraceOnNewDocument(browser, base);
    await caretToEnd(ada.page);
    const typeFirstBehindCaret = (ch: string, block: string) =>
      ada.page.evaluate(
        ([c, selector]) => {
          const blocks = document.querySelectorAll(`#editor ${selector}`);
          const el = blocks[blocks.length - 1]!;
          el.insertBefore(document.createTextNode(c), el.firstChild);
          document.getSelection()!.collapse(el, 0);
        },
        [ch, block] as const,
      );
    await ada.page.keyboard.type('# ');
    await ada.page.waitForSelector('#editor h1');
    await typeFirstBehindCaret('P', 'h1');
    await ada.page.keyboard.type('lan');
    await ada.page.keyboard.press('Enter');
    await ada.page.waitForFunction(() => document.querySelectorAll('#editor p').length === 1);
    await typeFirstBehindCaret('N', 'p');
    await ada.page.keyboard.type('ext');
    await grace.page.waitForSelector('#editor h1:has-text("Plan")');
    await grace.page.waitForSelector('#editor p:has-text("Next")');
    expect(await docText(ada.page)).toBe('PlanNext');
    expect(await docText(grace.page)).toBe('PlanNext');
    await screenshot(grace.page, 'first-key-behind-caret');
    await Promise.all([ada.context.close(), grace.context.close()]);
  });

  it('undo undoes only your own changes', async () => {
    await startApp();
    const { ada, grace, url } = await adaAndGraceOnNewDocument(browser, base);
    await caretToEnd(ada.page);
    await ada.page.keyboard.type('Ada wrote this. ');
    await waitFor(async () => (await docText(grace.page)) === 'Ada wrote this. ', 'Grace to see Ada');
    await caretToEnd(grace.page);
    await grace.page.keyboard.type('Grace added this.');
    await waitFor(async () => (await docText(ada.page)).endsWith('Grace added this.'), 'Ada to see Grace');
    await ada.page.keyboard.press('Control+z');
    await waitFor(async () => (await docText(grace.page)) === 'Grace added this.', "Ada's undo to remove only Ada's words, everywhere");
    expect(await docText(ada.page)).toBe('Grace added this.');
    await ada.page.keyboard.press('Control+Shift+z');
    await waitFor(async () => (await docText(grace.page)).includes('Ada wrote this.'), 'redo to bring them back');
    expect(await docText(grace.page)).toContain('Grace added this.');
    await screenshot(grace.page, 'undo-own-changes');
    await Promise.all([ada.context.close(), grace.context.close()]);
  });

  it('undo takes back a new line with what was typed in it, and a heading made of a line; redo brings them back; the other window follows', async () => {
    await startApp();
    const { ada, grace } = await adaAndGraceOnNewDocument(browser, base);
    await caretToEnd(ada.page);
    await ada.page.keyboard.type('First line');
    await pagesShow([ada.page, grace.page], ['First line'], 'both windows to show the first line');
    // A pause (the undo manager groups keystrokes less than half a second apart), then Enter and a word.
    await ada.page.waitForTimeout(700);
    await ada.page.keyboard.press('Enter');
    await ada.page.keyboard.type('second');
    await pagesShow([ada.page, grace.page], ['First line', 'second'], 'both windows to show two lines');
    await ada.page.keyboard.press('Control+z');
    // The new line goes with its word (it stayed, empty, and no undo could remove it).
    await pagesShow([ada.page, grace.page], ['First line'], 'the undo to take back the line and its word');
    await screenshot(ada.page, 'undo-new-line');
    await ada.page.keyboard.press('Control+Shift+z');
    await pagesShow([ada.page, grace.page], ['First line', 'second'], 'redo to bring them back');
    // A line made a heading, then undone: one paragraph again, not an empty heading above it.
    await caretToEnd(ada.page);
    await ada.page.waitForTimeout(700);
    await ada.page.click('#toolbar .tool-h1');
    await ada.page.locator('#editor h1', { hasText: 'second' }).waitFor();
    await ada.page.keyboard.press('Control+z');
    await pagesShow([ada.page, grace.page], ['First line', 'second'], 'the heading to be undone');
    expect(await grace.page.locator('#editor h1').count()).toBe(0);
    await Promise.all([ada.context.close(), grace.context.close()]);
  });

  it('the home page lists a new document (as mine, with my role) with its title once it is created and titled', async () => {
    await startApp();
    const ada = await openPerson(browser, 'Ada', '#c0392b');
    await signUp(ada, base);
    await ada.page.goto(base);
    await ada.page.click('#new-doc');
    await ada.page.waitForURL(/\/d\/[A-Za-z0-9_-]{16,}$/);
    const id = new URL(ada.page.url()).pathname.split('/').pop()!;
    await ada.page.waitForSelector('#editor .ProseMirror');
    await ada.page.fill('#title', 'Quarterly report');
    await waitFor(async () => (await statusOf(ada.page)) === 'Saved', 'the title to be saved');
    await ada.page.goto(base);
    const item = ada.page.locator(`#my-docs [data-doc-id="${id}"]`);
    await item.waitFor();
    expect(await item.textContent()).toContain('Quarterly report');
    expect(await item.textContent()).toContain('Owner');
    await screenshot(ada.page, 'home-list');
    await ada.context.close();
  });
});

describe('the title field', () => {
  it('keeps what an input method composes while someone else edits the title', async () => {
    await startApp();
    const { ada, grace } = await adaAndGraceOnNewDocument(browser, base);
    await ada.page.click('#title');
    await ada.page.keyboard.type('Plan ');
    await waitFor(async () => (await grace.page.inputValue('#title')) === 'Plan ', 'Grace to see the title');
    await grace.page.click('#title');
    await grace.page.keyboard.press('End');
    // Ada composes "ü" (as a dead-key or accent input method does) while Grace types at the end.
    const cdp = await ada.context.newCDPSession(ada.page);
    await cdp.send('Input.imeSetComposition', { text: '¨', selectionStart: 1, selectionEnd: 1 });
    await grace.page.keyboard.type('XYZ', { delay: 10 });
    await waitFor(async () => (await grace.page.inputValue('#title')).endsWith('XYZ'), "Grace's letters typed").catch(async (error) => {
      throw new Error(`${(error as Error).message}: Grace's title is ${JSON.stringify(await grace.page.inputValue('#title'))}`);
    });
    // Let Grace's letters reach Ada's page while she is still composing.
    await waitFor(async () => (await ada.page.evaluate(() => window.tandem!.doc.getText('title').toString())).includes('XYZ'), "Grace's letters to reach Ada");
    await cdp.send('Input.imeSetComposition', { text: 'ü', selectionStart: 1, selectionEnd: 1 });
    await cdp.send('Input.insertText', { text: 'ü' });
    await waitFor(
      async () => (await ada.page.inputValue('#title')) === (await grace.page.inputValue('#title')) && (await grace.page.inputValue('#title')).includes('ü'),
      'both windows to show the same title with the composed letter',
    );
    const title = await grace.page.inputValue('#title');
    expect([...title].filter((c) => c === 'ü')).toHaveLength(1);
    expect(title.replace('ü', '')).toBe('Plan XYZ');
    await screenshot(ada.page, 'title-composition');
    await Promise.all([ada.context.close(), grace.context.close()]);
  });
});
