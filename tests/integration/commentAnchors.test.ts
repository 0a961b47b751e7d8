import { describe, expect, it } from 'vitest';
import { initProseMirrorDoc } from 'y-prosemirror';
import * as Y from 'yjs';
import { type CommentThread, type ThreadPage, threadsPath } from '../../shared/comments.js';
import { BODY_FRAGMENT, schema } from '../../shared/schema.js';
import { anchorOfRange, fromBase64, resolveAnchor, toBase64 } from '../../web/src/document/comments/anchors.js';
import { api, createDoc, registerUser, type TestUser } from '../helpers/accounts.js';
import { connectClient, type TestClient, whenSynced } from '../helpers/clients.js';
import { openDatabase, rowCounts } from '../helpers/database.js';
import { seededRandom } from '../helpers/seededRandom.js';
import { startServer, type TestServer } from '../helpers/testServer.js';
import { waitFor } from '../helpers/waitFor.js';

// Comment anchors follow the text: threads are made on ranges of a document, stock y-websocket
// clients edit around and inside those ranges at once, and every window (and, after a restart and a
// compaction, a fresh one) shows each thread on exactly its text. The oracle does not use relative
// positions: a range's text is the characters still there between its first and its last original
// character, walking Yjs's item list (what "typed inside the range" means for a CRDT).

const EDITS = Number(process.env.COMMENT_ANCHOR_EDITS ?? 1000);
const PARAGRAPHS = ['The quick brown fox jumps over the lazy dog.', 'Pack my box with five dozen liquor jugs.', 'How vexingly quick daft zebras jump!'];

function paragraphsOf(client: TestClient): Y.XmlText[] {
  return client.doc.getXmlFragment(BODY_FRAGMENT).toArray().map((p) => (p as Y.XmlElement).get(0) as Y.XmlText);
}


/** The ids of each character of an XmlText, in list order, with whether it is deleted. */
function chars(text: Y.XmlText): Array<{ client: number; clock: number; deleted: boolean; char: string }> {
  const out: Array<{ client: number; clock: number; deleted: boolean; char: string }> = [];
  for (let item = text._start; item !== null; item = item.right) {
    // Deleted characters may have had their content garbage-collected (ContentDeleted): still one id each.
    if (!(item.content instanceof Y.ContentString) && !(item.content instanceof Y.ContentDeleted)) continue;
    const str = item.content instanceof Y.ContentString ? item.content.str : '';
    for (let i = 0; i < item.length; i++) out.push({ client: item.id.client, clock: item.id.clock + i, deleted: item.deleted, char: str[i] ?? '' });
  }
  return out;
}

interface Tracked {
  thread: CommentThread;
  paragraph: number;
  first: { client: number; clock: number };
  last: { client: number; clock: number };
}

/** The oracle: the characters still there from the range's first original character to its last, in list order. */
function expectedText(client: TestClient, tracked: Tracked): string {
  const list = chars(paragraphsOf(client)[tracked.paragraph]!);
  const same = (c: { client: number; clock: number }, id: { client: number; clock: number }) => c.client === id.client && c.clock === id.clock;
  const from = list.findIndex((c) => same(c, tracked.first));
  const to = list.findIndex((c) => same(c, tracked.last));
  if (from < 0 || to < from) throw new Error(`the oracle lost thread ${tracked.thread.id}'s characters`);
  return list.slice(from, to + 1).filter((c) => !c.deleted).map((c) => c.char).join('');
}

/** What the window of `client` shows a thread on: its text, or null (orphaned). */
function shownText(client: TestClient, thread: CommentThread): string | null {
  const fragment = client.doc.getXmlFragment(BODY_FRAGMENT);
  const { doc, mapping } = initProseMirrorDoc(fragment, schema);
  const range = resolveAnchor(client.doc, fragment, mapping, { start: fromBase64(thread.anchor.start), end: fromBase64(thread.anchor.end) });
  return range === null ? null : doc.textBetween(range.from, range.to, '\n');
}

async function converged(clients: TestClient[]): Promise<void> {
  await waitFor(() => {
    const first = Y.encodeStateVector(clients[0]!.doc).toString();
    const json = clients[0]!.doc.getXmlFragment(BODY_FRAGMENT).toJSON();
    return clients.every((c) => Y.encodeStateVector(c.doc).toString() === first && c.doc.getXmlFragment(BODY_FRAGMENT).toJSON() === json);
  }, 'every client to converge', 30_000);
}

describe('comment anchors', () => {
  it(`stay exact through ${EDITS} random concurrent edits by stock clients, a restart and a compaction; orphaned when their text is deleted`, async () => {
    const seed = Number(process.env.COMMENT_ANCHOR_SEED ?? Date.now() % 1_000_000);
    console.log(`comment anchors: seed ${seed} (COMMENT_ANCHOR_SEED=${seed} to replay)`);
    const random = seededRandom(seed);
    const pick = (n: number) => Math.floor(random() * n);

    let server: TestServer = await startServer({ passwordHashCost: 12, compactAfterUpdates: 200 });
    const dataDir = server.config.dataDir;
    const owner: TestUser = await registerUser(server);
    const docId = await createDoc(server, owner);
    const clients = [0, 1, 2].map(() => connectClient(server.collabUrl, docId, { cookie: owner.cookie }));
    await Promise.all(clients.map((c) => whenSynced(c)));

    // The first client writes three paragraphs, as the editor would (an XmlText in each paragraph).
    clients[0]!.doc.transact(() => {
      const fragment = clients[0]!.doc.getXmlFragment(BODY_FRAGMENT);
      fragment.insert(
        0,
        PARAGRAPHS.map((text) => {
          const paragraph = new Y.XmlElement('paragraph');
          paragraph.insert(0, [new Y.XmlText(text)]);
          return paragraph;
        }),
      );
    });
    await converged(clients);

    // Six threads on random ranges, two per paragraph, made from ProseMirror positions as the editor makes them.
    const tracked: Tracked[] = [];
    const author = clients[0]!;
    for (let i = 0; i < 6; i++) {
      const paragraph = i % 3;
      const text = PARAGRAPHS[paragraph]!;
      const startIndex = pick(text.length - 6);
      const endIndex = startIndex + 1 + pick(Math.min(12, text.length - startIndex - 1));
      const fragment = author.doc.getXmlFragment(BODY_FRAGMENT);
      const { mapping } = initProseMirrorDoc(fragment, schema);
      // ProseMirror position of a paragraph's character: 1 (the document) + earlier paragraphs' sizes + 1 + index.
      const base = PARAGRAPHS.slice(0, paragraph).reduce((sum, p) => sum + p.length + 2, 0) + 1;
      const anchor = anchorOfRange(author.doc, fragment, mapping, base + startIndex, base + endIndex);
      const made = await api<CommentThread>(server, 'POST', threadsPath(docId), {
        cookie: owner.cookie,
        body: { anchor: { start: toBase64(anchor.start), end: toBase64(anchor.end), excerpt: text.slice(startIndex, endIndex) }, body: `thread ${i}` },
      });
      expect(made.status).toBe(201);
      const list = chars(paragraphsOf(author)[paragraph]!);
      tracked.push({ thread: made.body, paragraph, first: list[startIndex]!, last: list[endIndex - 1]! });
      expect(shownText(author, made.body)).toBe(text.slice(startIndex, endIndex));
    }

    // Random edits from every client at once, most of them at the edges of and inside the ranges.
    const letters = 'abcdefghijklmnopqrstuvwxyz ';
    for (let done = 0; done < EDITS; ) {
      const burst = 1 + pick(8);
      for (let k = 0; k < burst && done < EDITS; k++, done++) {
        const client = clients[pick(clients.length)]!;
        const target = tracked[pick(tracked.length)]!;
        const text = paragraphsOf(client)[target.paragraph]!;
        const shown = resolveInText(client, target);
        const around = shown ?? { from: 0, to: text.length };
        const index = Math.max(0, Math.min(text.length, around.from - 2 + pick(around.to - around.from + 5)));
        if (random() < 0.55 || text.length < 10) {
          let insert = '';
          for (let n = 1 + pick(3); n > 0; n--) insert += letters[pick(letters.length)];
          text.insert(index, insert);
        } else if (index < text.length) {
          text.delete(index, Math.min(1 + pick(3), text.length - index));
        }
      }
      // Let the frames cross now and then, so that edits are concurrent and also interleaved.
      if (random() < 0.3) await new Promise((resolve) => setTimeout(resolve, pick(4)));
    }
    await converged(clients);

    const check = (client: TestClient, label: string) => {
      for (const t of tracked) {
        const expected = expectedText(client, t);
        expect(shownText(client, t.thread), `${label}: thread ${t.thread.id} (seed ${seed})`).toBe(expected === '' ? null : expected);
      }
    };
    for (const [i, client] of clients.entries()) check(client, `client ${i}`);

    // Delete every character of one thread's text: it is orphaned (and still listed, with its excerpt).
    const doomed = tracked[0]!;
    const doomedText = paragraphsOf(clients[1]!)[doomed.paragraph]!;
    const range = resolveInText(clients[1]!, doomed);
    if (range !== null) doomedText.delete(range.from, range.to - range.from);
    await converged(clients);
    for (const client of clients) expect(shownText(client, doomed.thread)).toBeNull();
    expect(expectedText(clients[0]!, doomed)).toBe('');

    // Restart (a graceful close compacts), then a fresh client and the stored threads.
    const before = clients[0]!.doc.getXmlFragment(BODY_FRAGMENT).toJSON();
    for (const client of clients) client.destroy();
    await server.close();
    const db = openDatabase(dataDir);
    expect(rowCounts(db, docId).snapshots).toBe(1);
    server = await startServer({ passwordHashCost: 12, dataDir });
    const fresh = connectClient(server.collabUrl, docId, { cookie: owner.cookie });
    await whenSynced(fresh);
    await waitFor(() => fresh.doc.getXmlFragment(BODY_FRAGMENT).toJSON() === before, 'the fresh client to load the document');
    const page = await api<ThreadPage>(server, 'GET', threadsPath(docId), { cookie: owner.cookie });
    expect(page.body.threads.map((t) => t.id)).toEqual(tracked.map((t) => t.thread.id));
    for (const [i, stored] of page.body.threads.entries()) {
      const t = tracked[i]!;
      const expected = expectedText(fresh, t);
      expect(shownText(fresh, stored), `after restart: thread ${stored.id} (seed ${seed})`).toBe(expected === '' ? null : expected);
      expect(stored.anchor.excerpt).toBe(t.thread.anchor.excerpt);
    }
  }, 120_000);
});

/** A thread's range as indexes into its paragraph's text (null: orphaned). */
function resolveInText(client: TestClient, tracked: Tracked): { from: number; to: number } | null {
  const fragment = client.doc.getXmlFragment(BODY_FRAGMENT);
  const { mapping } = initProseMirrorDoc(fragment, schema);
  const range = resolveAnchor(client.doc, fragment, mapping, { start: fromBase64(tracked.thread.anchor.start), end: fromBase64(tracked.thread.anchor.end) });
  if (range === null) return null;
  const base = paragraphsOf(client)
    .slice(0, tracked.paragraph)
    .reduce((sum, p) => sum + p.length + 2, 0) + 1;
  return { from: range.from - base, to: range.to - base };
}
