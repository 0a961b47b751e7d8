import fs from 'node:fs';
import path from 'node:path';
import type { Browser, CDPSession } from 'playwright-core';
import * as Y from 'yjs';
import { BODY_FRAGMENT, TITLE_TEXT } from '../../../shared/schema.js';
import { ARTIFACTS_DIR, docIdOf, docText, openDocument, openPerson, type Person, screenshot, signUp, statusOf } from '../../helpers/browser.js';
import { waitFor } from '../../helpers/waitFor.js';
import { judge, type PageRecord, type Verdict } from './oracle.js';
import { installProbe, type ProbeState } from './probe.js';
import { ALPHABETS, type Typist } from './script.js';

/** Where a failing run's full event log goes. */
export const TYPING_ARTIFACTS = path.join(ARTIFACTS_DIR, 'typing');

/** The four typists: two signed-in people and two guests; page k types alphabet k. */
const CAST: Array<{ name: string; color: string; signedIn: boolean }> = [
  { name: 'Ada', color: '#c0392b', signedIn: true },
  { name: 'Grace', color: '#2563eb', signedIn: true },
  { name: 'Linus', color: '#16a34a', signedIn: false },
  { name: 'Olga', color: '#9333ea', signedIn: false },
];

/** Totals over every run of the file, for the summary line. */
export interface Totals {
  runs: number;
  steps: number;
  keystrokes: number;
  lost: number;
  doubled: number;
  reordered: number;
  failedSeeds: string[];
}

export function summaryLine(t: Totals): string {
  const failed = t.failedSeeds.length > 0 ? `; failed: ${t.failedSeeds.join(', ')}` : '';
  return `runs ${t.runs}, steps ${t.steps}, keystrokes ${t.keystrokes}, lost ${t.lost}, doubled ${t.doubled}, reordered ${t.reordered}${failed}`;
}

/**
 * One browser with the four typists' contexts and a reader's, reused across runs: each run opens a
 * new document in them (contexts keep their sign-in; each page load gets a fresh probe).
 */
export class TypingStage {
  readonly people: Array<Person & { errors: string[] }> = [];
  reader!: Person & { errors: string[] };
  /** One DevTools session per typist's page (it survives navigations). */
  private readonly cdp = new Map<number, CDPSession>();
  /** Every document a run or case produced, with the text and title the pages agreed on. */
  readonly documents: Array<{ label: string; docId: string; text: string; title: string }> = [];

  constructor(private readonly browser: Browser, private base: string) {}

  async open(): Promise<void> {
    for (const member of CAST) {
      const person = await openPerson(this.browser, member.name, member.color);
      if (member.signedIn) await signUp(person, this.base);
      this.people.push(person);
    }
    this.reader = await openPerson(this.browser, 'Reader', '#6b7280');
  }

  /**
   * A new document created by Ada (POST /api/docs from her page, as the "New document" button does),
   * opened at once in the pages of `indexes`, each with a fresh probe.
   */
  async newDocument(indexes: number[]): Promise<{ url: string; typists: Typist[] }> {
    const ada = this.people[0]!;
    if (!ada.page.url().startsWith(this.base)) await ada.page.goto(this.base);
    const id = await ada.page.evaluate(async () => {
      const response = await fetch('/api/docs', { method: 'POST' });
      if (response.status !== 201) throw new Error(`POST /api/docs answered ${response.status}`);
      return ((await response.json()) as { id: string }).id;
    });
    const url = `${this.base}/d/${id}`;
    const typists = await Promise.all(
      indexes.map(async (index): Promise<Typist> => {
        const person = this.people[index]!;
        await openDocument(person, url);
        await waitFor(() => person.page.evaluate(() => window.tandem?.provider.synced === true), `${person.name} to sync`);
        await person.page.evaluate(installProbe, { alphabets: ALPHABETS, me: index });
        const cdp = this.cdp.get(index) ?? (await person.context.newCDPSession(person.page));
        this.cdp.set(index, cdp);
        return { page: person.page, cdp, index, name: person.name, typed: '', spaces: 0, keystrokes: 0, steps: 0 };
      }),
    );
    return { url, typists };
  }

  /**
   * Waits until every page shows the same text and says Saved, then a fresh page loaded from the
   * server shows it too. Returns the text, or a description of the divergence.
   */
  async settle(url: string, typists: Typist[]): Promise<{ text: string; title: string; divergence: string | null }> {
    const texts = async () => Promise.all(typists.map((t) => docText(t.page)));
    try {
      await waitFor(
        async () => {
          const all = await texts();
          if (all.some((text) => text !== all[0])) return false;
          const statuses = await Promise.all(typists.map((t) => statusOf(t.page)));
          return statuses.every((s) => s === 'Saved');
        },
        'every page to show the same text, saved',
        20_000,
        50,
      );
    } catch {
      const all = await texts();
      return { text: all[0] ?? '', title: '', divergence: typists.map((t, i) => `${t.name}: ${JSON.stringify(all[i])}`).join('\n') };
    }
    const text = (await texts())[0]!;
    const title = await typists[0]!.page.inputValue('#title');
    await openDocument(this.reader, url);
    try {
      await waitFor(async () => (await docText(this.reader.page)) === text, 'a fresh page to show the same text', 10_000, 50);
    } catch {
      return { text, title, divergence: `a fresh page loaded from the server shows ${JSON.stringify(await docText(this.reader.page))}\nthe pages show ${JSON.stringify(text)}` };
    }
    return { text, title, divergence: null };
  }

  /** The probes' records of this run. */
  async records(typists: Typist[]): Promise<PageRecord[]> {
    return Promise.all(
      typists.map(async (t) => ({
        index: t.index,
        name: t.name,
        typed: t.typed,
        spaces: t.spaces,
        ...(await t.page.evaluate(() => {
          const probe = (window as unknown as { __typingProbe: ProbeState }).__typingProbe;
          return { events: probe.events, shapes: probe.shapes, inputs: probe.inputs };
        })),
      })),
    );
  }

  /**
   * Settles, judges and records a run; adds it to `totals`. Returns a report of what went wrong
   * (seed, findings, the remote events behind them, where the full log is), or null.
   */
  async finish(label: string, url: string, typists: Typist[], totals: Totals): Promise<string | null> {
    const settled = await this.settle(url, typists);
    const records = await this.records(typists);
    const verdict: Verdict = judge(records, settled.text);
    totals.runs++;
    totals.steps += typists.reduce((sum, t) => sum + t.steps, 0);
    totals.keystrokes += typists.reduce((sum, t) => sum + t.keystrokes, 0);
    totals.lost += verdict.lost;
    totals.doubled += verdict.doubled;
    totals.reordered += verdict.reordered;
    this.documents.push({ label, docId: docIdOf(url), text: settled.text, title: settled.title });
    if (process.env['TYPING_DUMP_INPUTS']) {
      fs.mkdirSync(TYPING_ARTIFACTS, { recursive: true });
      fs.writeFileSync(path.join(TYPING_ARTIFACTS, `inputs-${label}.json`), JSON.stringify(records.map((r) => ({ name: r.name, inputs: r.inputs })), null, 1));
    }
    const errors = this.people.flatMap((p) => p.errors.splice(0).map((e) => `${p.name}: ${e}`));
    if (verdict.problems.length === 0 && settled.divergence === null && errors.length === 0) return null;

    totals.failedSeeds.push(label);
    fs.mkdirSync(TYPING_ARTIFACTS, { recursive: true });
    const logFile = path.join(TYPING_ARTIFACTS, `${label.replace(/[^a-z0-9-]+/gi, '-')}.json`);
    fs.writeFileSync(logFile, JSON.stringify({ label, url, final: settled.text, divergence: settled.divergence, verdict, records }, null, 1));
    for (const t of typists) await screenshot(t.page, `typing-${label}-${t.name}`);
    return [
      `${label}: lost ${verdict.lost}, doubled ${verdict.doubled}, reordered ${verdict.reordered}`,
      ...verdict.problems,
      ...(settled.divergence ? [`pages diverge:\n${settled.divergence}`] : []),
      ...errors.map((e) => `page error: ${e}`),
      'evidence (remote changes of own characters):',
      ...verdict.evidence,
      `final text: ${JSON.stringify(settled.text)}`,
      `event log: ${logFile}`,
    ].join('\n');
  }
}

/** The text of a stored document's body as ProseMirror's textContent reads it (all text, no separators). */
export function fragmentText(doc: Y.Doc): string {
  const walk = (node: Y.XmlElement | Y.XmlFragment | Y.XmlText): string => {
    if (node instanceof Y.XmlText) {
      return (node.toDelta() as Array<{ insert: unknown }>).map((op) => (typeof op.insert === 'string' ? op.insert : '')).join('');
    }
    return node.toArray().map((child) => walk(child as Y.XmlElement | Y.XmlText)).join('');
  };
  return walk(doc.getXmlFragment(BODY_FRAGMENT));
}

export function titleOf(doc: Y.Doc): string {
  return doc.getText(TITLE_TEXT).toString();
}
