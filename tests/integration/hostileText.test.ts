import { describe, expect, it } from 'vitest';
import { TITLE_TEXT } from '../../shared/schema.js';
import { MAX_TITLE_CHARS } from '../../shared/text.js';
import { api, createDoc, registerUser, share } from '../helpers/accounts.js';
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
});
