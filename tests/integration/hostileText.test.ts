import { describe, expect, it } from 'vitest';
import { TITLE_TEXT } from '../../shared/schema.js';
import { MAX_TITLE_CHARS } from '../../shared/text.js';
import { api, createDoc, GOOD_PASSWORD, registerUser, share, uniqueName } from '../helpers/accounts.js';
import { connectClient, whenSynced } from '../helpers/clients.js';
import { openDatabase } from '../helpers/database.js';
import { startServer } from '../helpers/testServer.js';
import { waitFor } from '../helpers/waitFor.js';

// Text people write that others are shown (titles, names, chat), made hostile: too long, or written
// to read differently than it is.

/** The size of an API answer's JSON, in bytes. */
async function answerBytes(url: string, cookie: string): Promise<number> {
  return (await (await fetch(url, { headers: { cookie } })).arrayBuffer()).byteLength;
}

describe('hostile text', () => {
  it('a 4 MB title typed through the socket is cut to the limit for everyone: no answer, list or notification carries it', async () => {
    const server = await startServer({ passwordHashCost: 12 });
    const [ann, bob] = [await registerUser(server), await registerUser(server)];
    const docId = await createDoc(server, ann);
    // A visitor's stock client (anyone with the link can edit) types a 4 MB title, with an override.
    const mallory = connectClient(server.collabUrl, docId);
    await whenSynced(mallory);
    const huge = '\u202Etxt.exe ' + 'x'.repeat(4 * 1024 * 1024);
    mallory.doc.getText(TITLE_TEXT).insert(0, huge);
    // The server cuts it back, for the typist too: the document itself holds at most the limit.
    await waitFor(() => mallory.doc.getText(TITLE_TEXT).length <= MAX_TITLE_CHARS, 'the title to be cut');
    const title = mallory.doc.getText(TITLE_TEXT).toString();
    expect(title).toBe(('txt.exe ' + 'x'.repeat(MAX_TITLE_CHARS)).slice(0, MAX_TITLE_CHARS - 1));
    const reader = connectClient(server.collabUrl, docId);
    await whenSynced(reader);
    expect(reader.doc.getText(TITLE_TEXT).toString()).toBe(title);

    // Shared with Bob, and ten mentions in the document's chat.
    await share(server, docId, ann, bob, 'editor');
    for (let i = 0; i < 10; i++) {
      const posted = await api(server, 'POST', `/api/conversations/${encodeURIComponent(`doc:${docId}`)}/messages`, { cookie: ann.cookie, body: { text: `look @${bob.name} ${i}` } });
      expect(posted.status).toBe(201);
    }
    const details = await api(server, 'GET', `/api/docs/${docId}`, { cookie: ann.cookie });
    expect(details.body.title).toBe(title);
    for (const path of [`/api/docs/${docId}`, '/api/docs', '/api/conversations', '/api/notifications']) {
      expect(await answerBytes(`${server.httpUrl}${path}`, bob.cookie)).toBeLessThan(16 * 1024);
    }
    const notifications = (await api(server, 'GET', '/api/notifications', { cookie: bob.cookie })).body.notifications as Array<{ docTitle?: string; conversationTitle?: string }>;
    expect(notifications).toHaveLength(11);
    for (const n of notifications) expect((n.docTitle ?? n.conversationTitle)!).toBe(title);
    // What is recorded is within the limit too, and the database did not grow by the title per row.
    const db = openDatabase(server.config.dataDir);
    expect(db.prepare('SELECT length(title) AS n FROM documents WHERE id = ?').get(docId)).toEqual({ n: title.length });
    expect((db.prepare('SELECT max(length(body)) AS n FROM notifications').get() as { n: number }).n).toBeLessThan(1024);
  });

  it('a name that looks like a taken one is refused; names cannot hold bidirectional controls', async () => {
    const server = await startServer({ passwordHashCost: 12 });
    const register = (name: string) => api(server, 'POST', '/api/account', { body: { name, password: GOOD_PASSWORD } });
    const base = uniqueName('admin');
    expect((await register(base)).status).toBe(201);
    // Cyrillic а for a, capital I for l, digit 1 for i: each looks like the name taken.
    for (const lookalike of [`\u0430${base.slice(1)}`, base.replace('i', 'I'), base.replace('i', '1')]) {
      const answer = await register(lookalike);
      expect([lookalike, answer.status, answer.body.error]).toEqual([lookalike, 409, 'name_taken']);
    }
    const override = await register(`${uniqueName('ann')}\u202Efdp`);
    expect([override.status, override.body.error]).toEqual([400, 'invalid_name']);
  });
  it('common and patterned passwords are refused at registration', async () => {
    const server = await startServer({ passwordHashCost: 12 });
    for (const password of ['abcdefgh', '12341234', 'qwertyui', 'Passw0rd!', 'iloveyou2', 'dragon2024']) {
      const answer = await api(server, 'POST', '/api/account', { body: { name: uniqueName(), password } });
      expect([password, answer.status, answer.body.error]).toEqual([password, 400, 'weak_password']);
    }
    // A passphrase, and the browser tests' password, are fine.
    for (const password of [GOOD_PASSWORD, 'Tr0ub4dor&3-xyzzy']) {
      expect((await api(server, 'POST', '/api/account', { body: { name: uniqueName(), password } })).status).toBe(201);
    }
  });

  it('group titles and chat messages lose bidirectional overrides; what is shown reads as it is', async () => {
    const server = await startServer({ passwordHashCost: 12 });
    const [ann, bob] = [await registerUser(server), await registerUser(server)];
    const group = await api(server, 'POST', '/api/conversations', { cookie: ann.cookie, body: { kind: 'group', title: 'Payroll \u202Efdp.exe', memberIds: [bob.id] } });
    expect(group.status).toBe(201);
    expect(group.body.title).toBe('Payroll fdp.exe');
    const posted = await api(server, 'POST', `/api/conversations/${encodeURIComponent(group.body.id)}/messages`, { cookie: ann.cookie, body: { text: 'see \u2067invoice\u2069 \u202Efdp.exe' } });
    expect([posted.status, posted.body.text]).toEqual([201, 'see invoice fdp.exe']);
    const listed = await api(server, 'GET', '/api/conversations', { cookie: bob.cookie });
    expect(listed.body.conversations.map((c: { title: string }) => c.title)).toEqual(['Payroll fdp.exe']);
    const page = await api(server, 'GET', `/api/conversations/${encodeURIComponent(group.body.id)}/messages`, { cookie: bob.cookie });
    expect(page.body.messages.map((m: { text: string }) => m.text)).toEqual(['see invoice fdp.exe']);
    // Only overrides: a group named by nothing but them is no name at all.
    const empty = await api(server, 'POST', '/api/conversations', { cookie: ann.cookie, body: { kind: 'group', title: '\u202E\u202E', memberIds: [] } });
    expect([empty.status, empty.body.error]).toEqual([400, 'invalid_title']);
  });
});
