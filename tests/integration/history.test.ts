import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { Version, VersionChanges, VersionContent, VersionList } from '../../shared/history.js';
import { BODY_FRAGMENT } from '../../shared/schema.js';
import { api, createDoc, registerUser, setLinkAccess, type TestUser } from '../helpers/accounts.js';
import { connectClient, type TestClient, whenSynced } from '../helpers/clients.js';
import { seededRandom } from '../helpers/seededRandom.js';
import { startServer, tempDataDir, type TestServer } from '../helpers/testServer.js';
import { waitFor } from '../helpers/waitFor.js';

/** The first paragraph's text (made if missing), as y-prosemirror keeps it. */
function firstText(doc: Y.Doc): Y.XmlText {
  const body = doc.getXmlFragment(BODY_FRAGMENT);
  if (body.length === 0) {
    const paragraph = new Y.XmlElement('paragraph');
    paragraph.insert(0, [new Y.XmlText()]);
    body.insert(0, [paragraph]);
  }
  return (body.get(0) as Y.XmlElement).get(0) as Y.XmlText;
}

function addParagraph(doc: Y.Doc, text: string): void {
  const paragraph = new Y.XmlElement('paragraph');
  paragraph.insert(0, [new Y.XmlText(text)]);
  const body = doc.getXmlFragment(BODY_FRAGMENT);
  body.insert(body.length, [paragraph]);
}

const bodyOf = (client: TestClient) => client.doc.getXmlFragment(BODY_FRAGMENT).toString();

async function versions(server: TestServer, docId: string, user?: TestUser): Promise<Version[]> {
  const answer = await api<VersionList>(server, 'GET', `/api/docs/${docId}/versions`, { cookie: user?.cookie });
  expect(answer.status).toBe(200);
  return answer.body.versions;
}

/** The body of the document as the server's open room holds it ('' when it is not open). */
function serverBody(server: TestServer, docId: string): string {
  return server.app.rooms.peek(docId)?.doc.getXmlFragment(BODY_FRAGMENT).toString() ?? '';
}

/** Everything this process committed is stored: the open room has settled. */
async function settled(server: TestServer, docId: string): Promise<void> {
  await server.app.rooms.peek(docId)?.settled();
}

/** A new document of `owner` whose first change (an "x") is stored and settled. */
async function docHoldingX(server: TestServer, owner: TestUser): Promise<string> {
  const docId = await createDoc(server, owner);
  const client = connectClient(server.collabUrl, docId, { cookie: owner.cookie });
  await whenSynced(client);
  firstText(client.doc).insert(0, 'x');
  await waitFor(() => serverBody(server, docId).includes('x'), 'x to reach the server');
  await settled(server, docId);
  client.destroy();
  return docId;
}

describe('version history', () => {
  it('attributes changes to accounts and guests, names versions, shows changes, and keeps all of it through compaction and a restart', async () => {
    const dataDir = tempDataDir();
    // Every version due a checkpoint: what follows reads versions from checkpoints.
    const options = { dataDir, passwordHashCost: 12, compactAfterUpdates: 5, versionIdleMs: 100_000, versionCheckpointBytes: 0 };
    let server = await startServer(options);
    const ann = await registerUser(server);
    const docId = await createDoc(server, ann);
    const annClient = connectClient(server.collabUrl, docId, { cookie: ann.cookie });
    await whenSynced(annClient, 'ann');
    firstText(annClient.doc).insert(0, 'Hello from Ann');
    await waitFor(() => serverBody(server, docId).includes('Ann'), 'Ann to reach the server');
    await settled(server, docId);

    // A guest takes Ann's Yjs client id (after she left, continuing her clock): still the guest's change.
    const annClientId = annClient.doc.clientID;
    annClient.destroy();
    const guestDoc = new Y.Doc();
    guestDoc.clientID = annClientId;
    const guest = connectClient(server.collabUrl, docId, { doc: guestDoc });
    await whenSynced(guest, 'guest');
    await waitFor(() => firstText(guest.doc).toString() === 'Hello from Ann', 'the guest to see Ann');
    firstText(guest.doc).insert(14, ' and a guest');
    await waitFor(() => serverBody(server, docId).includes('guest'), 'the guest edit to arrive');

    const named = await api<Version>(server, 'POST', `/api/docs/${docId}/versions`, { cookie: ann.cookie, body: { name: '  First   draft ' } });
    expect(named.status).toBe(201);
    expect(named.body).toMatchObject({ name: 'First draft', kind: 'named' });
    expect(named.body.authors.map((a) => [a.name, a.guest, a.userId])).toEqual([
      [ann.name, false, ann.id],
      ['Guest', true, null],
    ]);
    // Its checkpoint is made after the answer, on the history thread.
    await waitFor(async () => (await server.app.docStore.history.logSizes(docId)).checkpoints.length === 1, 'the named version\u2019s checkpoint');

    // More changes after the version: the guest deletes "Hello " and adds a paragraph.
    firstText(guest.doc).delete(0, 6);
    addParagraph(guest.doc, 'Second paragraph');
    await waitFor(() => serverBody(server, docId).includes('Second'), 'the later edits to arrive');
    const changes = await api<VersionChanges>(server, 'GET', `/api/docs/${docId}/versions/current/changes?since=${named.body.id}`, { cookie: ann.cookie });
    expect(changes.status).toBe(200);
    const described = changes.body.changes.map((c) => [c.kind, c.text, changes.body.authors[c.author]?.guest]);
    expect(described).toEqual([
      ['delete', 'Hello ', true],
      ['insert', 'Second paragraph', true],
    ]);

    // The version's content in every format.
    const json = await api<VersionContent>(server, 'GET', `/api/docs/${docId}/versions/${named.body.id}?format=json`);
    expect(JSON.stringify(json.body.doc)).toContain('Hello from Ann and a guest');
    const md = await api<string>(server, 'GET', `/api/docs/${docId}/versions/${named.body.id}?format=md`);
    expect(md.body).toBe('Hello from Ann and a guest\n');
    expect(md.headers.get('content-type')).toContain('text/markdown');
    const html = await api<string>(server, 'GET', `/api/docs/${docId}/versions/${named.body.id}?format=html`);
    expect(html.body).toContain('<p>Hello from Ann and a guest</p>');

    // Changes of the named version itself (since the beginning): who wrote what.
    const own = await api<VersionChanges>(server, 'GET', `/api/docs/${docId}/versions/${named.body.id}/changes`);
    expect(own.body.changes.map((c) => [c.text, own.body.authors[c.author]?.name])).toEqual([
      ['Hello from Ann', ann.name],
      [' and a guest', 'Guest'],
    ]);

    // Restart: compaction on unload, then a new process over the same files. (Ann's leaving removed
    // the presence of her client id, which the guest shares: given one again, its provider can end.)
    // (Yjs gave the guest's doc a new client id on seeing its own in Ann's changes; its provider's
    // presence keeps the first: they are made to agree again for the provider to end cleanly.)
    guest.doc.clientID = guest.provider.awareness.clientID;
    guest.provider.awareness.setLocalState({});
    guest.destroy();
    await waitFor(() => server.app.rooms.roomCount === 0, 'the room to unload (and compact)');
    expect((await server.app.docStore.load(docId)).updates).toHaveLength(1);
    await server.close();
    server = await startServer(options);
    const after = await api<VersionChanges>(server, 'GET', `/api/docs/${docId}/versions/${named.body.id}/changes`);
    expect(after.body.changes).toEqual(own.body.changes);
    // The first process made an automatic version of the later edits as it shut down.
    const [newest, kept] = await versions(server, docId);
    expect(newest).toMatchObject({ kind: 'auto', name: null });
    expect(newest!.authors.map((a) => a.guest)).toEqual([true]);
    expect(kept).toMatchObject({ id: named.body.id, name: 'First draft' });
  });

  it('refuses bad names, unknown versions and people who may not change history, with named codes', async () => {
    const server = await startServer({ passwordHashCost: 12 });
    const ann = await registerUser(server);
    const bob = await registerUser(server);
    const docId = await docHoldingX(server, ann);
    await setLinkAccess(server, docId, ann, 'view');
    const base = `/api/docs/${docId}/versions`;
    expect((await api(server, 'POST', base, { cookie: ann.cookie, body: { name: '   ' } })).body).toMatchObject({ error: 'bad_request' });
    expect((await api(server, 'POST', base, { cookie: ann.cookie, body: { name: 'x'.repeat(101) } })).status).toBe(400);
    expect((await api(server, 'POST', base, { cookie: ann.cookie, body: {} })).status).toBe(400);
    expect((await api(server, 'GET', `${base}/999`, { cookie: ann.cookie })).body).toMatchObject({ error: 'not_found' });
    expect((await api(server, 'GET', `${base}/abc`, { cookie: ann.cookie })).body).toMatchObject({ error: 'invalid_id' });
    expect((await api(server, 'GET', `${base}/current/changes?since=x`, { cookie: ann.cookie })).status).toBe(400);
    const made = await api<Version>(server, 'POST', base, { cookie: ann.cookie, body: { name: 'Kept' } });
    expect(made.status).toBe(201);
    // Bob opens the document by its view link: he may browse, not name or restore.
    expect((await api<VersionList>(server, 'GET', base, { cookie: bob.cookie })).body.versions).toHaveLength(1);
    expect((await api(server, 'PATCH', `${base}/${made.body.id}`, { cookie: bob.cookie, body: { name: 'Mine' } })).body).toMatchObject({ error: 'not_allowed' });
    expect((await api(server, 'POST', `${base}/${made.body.id}/restore`, { cookie: bob.cookie })).status).toBe(403);
    const renamed = await api<Version>(server, 'PATCH', `${base}/${made.body.id}`, { cookie: ann.cookie, body: { name: null } });
    expect(renamed.body).toMatchObject({ id: made.body.id, name: null });
    // A name is shown to everyone with the document: no bidirectional overrides, control characters or newlines kept.
    const spoof = await api<Version>(server, 'PATCH', `${base}/${made.body.id}`, { cookie: ann.cookie, body: { name: 'Final\u202Etxt.exe\u0007\u0085\nv2' } });
    expect(spoof.body).toMatchObject({ id: made.body.id, name: 'Finaltxt.exe v2' });
    expect((await api(server, 'PATCH', `${base}/${made.body.id}`, { cookie: ann.cookie, body: { name: '\u202E\u0001' } })).body).toMatchObject({ error: 'bad_request' });
  });

  it('refuses a flood of version writes with 429 rate_limited and Retry-After: per account, and per address for guests (who have no lasting id)', async () => {
    const server = await startServer({ passwordHashCost: 12, chatMessagesPerSecond: 1, chatBurst: 3 });
    const ann = await registerUser(server);
    const docId = await docHoldingX(server, ann);
    await setLinkAccess(server, docId, ann, 'edit');
    const base = `/api/docs/${docId}/versions`;
    const statuses: number[] = [];
    let answer = await api(server, 'POST', base, { body: { name: 'spam 0' } });
    for (let i = 1; answer.status === 201 && i < 50; i++) {
      statuses.push(answer.status);
      answer = await api(server, 'POST', base, { body: { name: `spam ${i}` } });
    }
    expect([answer.status, answer.body.error]).toEqual([429, 'rate_limited']);
    expect(Number(answer.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(statuses.length).toBeLessThanOrEqual(4);
    // A rename or restore by the same address is refused too; the owner has her own budget.
    const [newest] = await versions(server, docId, ann);
    expect((await api(server, 'PATCH', `${base}/${newest!.id}`, { body: { name: 'x' } })).status).toBe(429);
    expect((await api(server, 'POST', `${base}/${newest!.id}/restore`)).status).toBe(429);
    expect((await api(server, 'POST', base, { cookie: ann.cookie, body: { name: 'Mine' } })).status).toBe(201);
    expect((await versions(server, docId, ann)).length).toBeLessThanOrEqual(5);
  });

  it('refuses version reads past historyReadsInFlight with 503 busy and Retry-After instead of queueing them, then serves again', async () => {
    const server = await startServer({ passwordHashCost: 12, historyReadsInFlight: 1 });
    const ann = await registerUser(server);
    const docId = await createDoc(server, ann);
    const client = connectClient(server.collabUrl, docId, { cookie: ann.cookie });
    await whenSynced(client);
    for (let i = 0; i < 20; i++) addParagraph(client.doc, `paragraph ${i}`);
    await waitFor(() => serverBody(server, docId).includes('paragraph 19'), 'the text to reach the server');
    await settled(server, docId);
    const made = await api<Version>(server, 'POST', `/api/docs/${docId}/versions`, { cookie: ann.cookie, body: { name: 'Big' } });
    expect(made.status).toBe(201);
    const path = `/api/docs/${docId}/versions/${made.body.id}`;
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) => api(server, 'GET', i % 2 === 0 ? `${path}?format=html` : `${path}/changes`, { cookie: ann.cookie })),
    );
    const busy = answers.filter((a) => a.status === 503);
    expect(busy.length).toBeGreaterThan(0);
    expect(answers.every((a) => a.status === 200 || a.status === 503)).toBe(true);
    for (const refused of busy) {
      expect(refused.body).toMatchObject({ error: 'busy' });
      expect(refused.headers.get('retry-after')).toBe('1');
    }
    // Nothing is left counted: one at a time, every read is served.
    expect((await api(server, 'GET', `${path}?format=md`, { cookie: ann.cookie })).status).toBe(200);
    expect((await api(server, 'GET', `${path}/changes`, { cookie: ann.cookie })).status).toBe(200);
    client.destroy();
  });

  it('restores a version while three stock clients keep typing: all converge on it plus what was typed after', async () => {
    const seed = Number(process.env.HISTORY_SEED ?? Date.now() % 1_000_000);
    console.log(`restore-while-typing seed ${seed}`);
    const random = seededRandom(seed);
    const server = await startServer({ passwordHashCost: 12, compactAfterUpdates: 50 });
    const ann = await registerUser(server);
    const docId = await createDoc(server, ann);
    const writer = connectClient(server.collabUrl, docId, { cookie: ann.cookie });
    await whenSynced(writer, 'writer');
    firstText(writer.doc).insert(0, 'Version text.');
    await waitFor(() => serverBody(server, docId).includes('Version text.'), 'the text to reach the server');
    await settled(server, docId);
    const version = await api<Version>(server, 'POST', `/api/docs/${docId}/versions`, { cookie: ann.cookie, body: { name: 'Before' } });
    expect(version.status).toBe(201);
    firstText(writer.doc).insert(13, ' EXTRA');
    addParagraph(writer.doc, 'later paragraph');

    const typists = ['a', 'b', 'c'].map((letter) => ({ letter, client: connectClient(server.collabUrl, docId, { cookie: ann.cookie }) }));
    for (const { client, letter } of typists) await whenSynced(client, letter);
    let typing = true;
    const loops = typists.map(async ({ client, letter }) => {
      while (typing) {
        const text = firstText(client.doc);
        text.insert(text.length, letter);
        await new Promise((resolve) => setTimeout(resolve, 2 + Math.floor(random() * 8)));
      }
    });
    await waitFor(() => ['a', 'b', 'c'].every((letter) => firstText(writer.doc).toString().includes(letter)), 'typing to reach the writer');
    const restored = await api<{ before: Version }>(server, 'POST', `/api/docs/${docId}/versions/${version.body.id}/restore`, { cookie: ann.cookie });
    expect(restored.status).toBe(200);
    expect(restored.body.before.kind).toBe('restore');
    // Typed after the restore: each typist's marker must survive.
    typing = false;
    await Promise.all(loops);
    for (const { client, letter } of typists) {
      const text = firstText(client.doc);
      text.insert(text.length, `<${letter.toUpperCase()}>`);
    }
    const everyone = [writer, ...typists.map((t) => t.client)];
    const done = await waitFor(() => {
      const bodies = everyone.map(bodyOf);
      return bodies.every((body) => body === bodies[0] && ['<A>', '<B>', '<C>'].every((m) => body.includes(m))) && bodies[0];
    }, 'every client to converge with every marker');
    expect(String(done).startsWith('<paragraph>Version text.')).toBe(true);
    expect(done).not.toContain('EXTRA');
    expect(done).not.toContain('later paragraph');
    expect(server.app.rooms.peek(docId)?.doc.getXmlFragment(BODY_FRAGMENT).toString()).toBe(done);
    // The restore is attributed to Ann, and the version before it lists its authors.
    const list = await versions(server, docId, ann);
    expect(list[0]).toMatchObject({ kind: 'restore' });
    expect(list[0]!.authors.map((a) => a.userId)).toEqual([ann.id]);
  });

  it('makes automatic versions when editing pauses and thins them, merging rows but keeping attribution', async () => {
    const server = await startServer({ passwordHashCost: 12, compactAfterUpdates: 3, versionIdleMs: 50, versionKeepAllMs: 0, versionKeepHourlyMs: 0 });
    const ann = await registerUser(server);
    const docId = await createDoc(server, ann);
    const client = connectClient(server.collabUrl, docId, { cookie: ann.cookie });
    await whenSynced(client);
    const history = server.app.docStore.history;
    for (const word of ['one ', 'two ', 'three ', 'four ']) {
      const text = firstText(client.doc);
      for (const ch of word) text.insert(text.length, ch);
      await waitFor(() => serverBody(server, docId).includes(word), `"${word}" to reach the server`);
      await settled(server, docId);
      const stored = Math.max(...(await history.readLog(docId, null)).rows.map((row) => row.seq));
      // A pause: the idle timer makes a version of all of it.
      await waitFor(async () => (await history.listVersions(docId)).some((v) => v.seq === stored), `a version after "${word}"`);
    }
    // Once the last rows are compacted (on unload), thinning merges them too.
    client.destroy();
    await waitFor(() => server.app.rooms.roomCount === 0, 'the room to unload (and compact)');
    await server.app.history.thin(docId);
    const left = await history.listVersions(docId);
    expect(left).toHaveLength(1);
    expect((await history.readLog(docId, null)).rows).toHaveLength(1);
    const [kept] = await versions(server, docId);
    expect(kept!.authors.map((a) => a.userId)).toEqual([ann.id]);
    const changes = await api<VersionChanges>(server, 'GET', `/api/docs/${docId}/versions/${kept!.id}/changes`);
    expect(changes.body.changes.every((c) => changes.body.authors[c.author]?.userId === ann.id)).toBe(true);
    expect(changes.body.changes.map((c) => c.text).join('')).toBe('one two three four ');
  });
});
