import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { connectClient, textOf, whenSynced } from '../helpers/clients.js';
import { startServer, uniqueDocId } from '../helpers/testServer.js';
import { waitFor } from '../helpers/waitFor.js';
import { seededRandom } from '../helpers/seededRandom.js';


function randomEdit(text: Y.Text, random: () => number): void {
  const length = text.length;
  if (length > 0 && random() < 0.3) {
    const index = Math.floor(random() * length);
    text.delete(index, Math.min(length - index, 1 + Math.floor(random() * 3)));
  } else {
    const chars = 'abcdefghijklmnopqrstuvwxyz ';
    let insert = '';
    for (let i = 1 + Math.floor(random() * 4); i > 0; i--) insert += chars[Math.floor(random() * chars.length)];
    text.insert(Math.floor(random() * (length + 1)), insert);
  }
}

describe('live sync', () => {
  it('three clients making concurrent random edits converge, and a late joiner gets the same content', async () => {
    const server = await startServer({ openDocuments: true });
    const docId = uniqueDocId('converge');
    const clients = [0, 1, 2].map(() => connectClient(server.collabUrl, docId));
    await Promise.all(clients.map((c, i) => whenSynced(c, `client ${i}`)));

    const random = seededRandom(0xc0ffee);
    for (let round = 0; round < 40; round++) {
      for (const client of clients) randomEdit(client.doc.getText('text'), random);
      if (round % 8 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await waitFor(
      () => textOf(clients[0]!) === textOf(clients[1]!) && textOf(clients[1]!) === textOf(clients[2]!),
      'all three clients to converge',
    );
    const final = textOf(clients[0]!);
    expect(final.length).toBeGreaterThan(0);
    // The same state, not only the same string.
    const stateVector = Y.encodeStateVector(clients[0]!.doc);
    for (const client of clients) expect(Y.encodeStateVector(client.doc)).toEqual(stateVector);

    const late = connectClient(server.collabUrl, docId);
    await whenSynced(late, 'late joiner');
    expect(textOf(late)).toBe(final);
  });

  it('relays formatted rich-text structure (XmlFragment) unchanged', async () => {
    const server = await startServer({ openDocuments: true });
    const docId = uniqueDocId('xml');
    const a = connectClient(server.collabUrl, docId);
    const b = connectClient(server.collabUrl, docId);
    await Promise.all([whenSynced(a), whenSynced(b)]);
    const fragment = a.doc.getXmlFragment('prosemirror');
    const heading = new Y.XmlElement('heading');
    heading.setAttribute('level', '1');
    heading.insert(0, [new Y.XmlText('Title')]);
    const paragraph = new Y.XmlElement('paragraph');
    const text = new Y.XmlText();
    text.insert(0, 'bold', { strong: true });
    paragraph.insert(0, [text]);
    fragment.insert(0, [heading, paragraph]);
    await waitFor(() => b.doc.getXmlFragment('prosemirror').length === 2, 'b to receive both blocks');
    expect(b.doc.getXmlFragment('prosemirror').toString()).toBe(fragment.toString());
  });
});

describe('formatted text', () => {
  it('formatting and deleting formatted text reach the others and storage (Yjs runs a clean-up transaction for these)', async () => {
    const server = await startServer({ openDocuments: true });
    const docId = uniqueDocId('format');
    const a = connectClient(server.collabUrl, docId, { params: { ack: '1' } });
    const b = connectClient(server.collabUrl, docId);
    await Promise.all([whenSynced(a), whenSynced(b)]);
    const paragraph = new Y.XmlElement('paragraph');
    a.doc.getXmlFragment('prosemirror').insert(0, [paragraph]);
    const text = new Y.XmlText();
    paragraph.insert(0, [text]);
    text.insert(0, 'plain bold plain');
    const bText = () => b.doc.getXmlFragment('prosemirror').toString();
    await waitFor(() => bText().includes('plain bold plain'), 'b to receive the text');

    text.format(6, 4, { strong: {} });
    await waitFor(() => bText() === a.doc.getXmlFragment('prosemirror').toString(), 'b to receive the bold');
    expect(bText()).toContain('<strong>bold</strong>');
    text.delete(5, 6);
    await waitFor(() => bText() === a.doc.getXmlFragment('prosemirror').toString(), 'b to receive the deletion');
    text.insert(5, 'X', { strong: {} });
    await waitFor(() => bText() === a.doc.getXmlFragment('prosemirror').toString(), 'b to receive the bold insert');
    expect(b.doc.store.pendingStructs).toBeNull();

    // And from storage alone, after the room unloads.
    const expected = a.doc.getXmlFragment('prosemirror').toString();
    a.destroy();
    b.destroy();
    await waitFor(() => server.app.rooms.roomCount === 0, 'the room to unload');
    const c = connectClient(server.collabUrl, docId);
    await whenSynced(c);
    expect(c.doc.getXmlFragment('prosemirror').toString()).toBe(expected);
  });
});
