// Regression tests for the security review: each case below failed before its fix.
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { CloseCode } from '../../shared/closeCodes.js';
import { BODY_FRAGMENT } from '../../shared/schema.js';
import { encodeSyncUpdate } from '../../server/collab/frames.js';
import { connectClient, whenSynced } from '../helpers/clients.js';
import { openDatabase, rowCounts } from '../helpers/database.js';
import { openRawSocket } from '../helpers/rawSocket.js';
import { startServer, uniqueDocId } from '../helpers/testServer.js';
import { waitFor } from '../helpers/waitFor.js';

/** The update a client makes when it writes `build` into a fresh doc's body. */
function updateOf(build: (body: Y.XmlFragment) => void): Uint8Array {
  const doc = new Y.Doc();
  let update: Uint8Array | null = null;
  doc.on('update', (u: Uint8Array) => (update = update === null ? u : Y.mergeUpdates([update, u])));
  build(doc.getXmlFragment(BODY_FRAGMENT));
  return update!;
}

/** A paragraph holding `text` formatted with `format`, as y-prosemirror writes a linked run. */
function paragraphWith(body: Y.XmlFragment, text: string, format: Record<string, unknown>): void {
  const paragraph = new Y.XmlElement('paragraph');
  body.push([paragraph]);
  const run = new Y.XmlText();
  paragraph.insert(0, [run]);
  run.insert(0, text, format);
}

/** The body's XML as another client sees it. */
function bodyOf(doc: Y.Doc): string {
  return doc.getXmlFragment(BODY_FRAGMENT).toString();
}

describe('1. unsafe URLs in documents are refused by the server', () => {
  it('a stock client writing a javascript: link is closed with 4422; nothing is stored or relayed', async () => {
    const server = await startServer();
    const docId = uniqueDocId('jslink');
    const db = openDatabase(server.config.dataDir);
    const reader = connectClient(server.collabUrl, docId);
    const attacker = connectClient(server.collabUrl, docId);
    await Promise.all([whenSynced(reader), whenSynced(attacker)]);
    const closes: number[] = [];
    attacker.provider.on('connection-close', (event) => {
      if (event) closes.push(event.code);
    });
    attacker.doc.transact(() =>
      paragraphWith(attacker.doc.getXmlFragment(BODY_FRAGMENT), 'click me', { link: { href: 'javascript:fetch("/api/sessions")' } }),
    );
    await waitFor(() => closes.includes(CloseCode.updateRejected), 'the attacker to be closed with 4422');
    attacker.destroy();
    expect(rowCounts(db, docId).updates).toBe(0);
    // The reader got nothing, and a client joining later is served nothing of it.
    expect(bodyOf(reader.doc)).toBe('');
    const late = connectClient(server.collabUrl, docId);
    await whenSynced(late);
    expect(bodyOf(late.doc)).toBe('');
  });

  const unsafe: Array<{ name: string; update: Uint8Array }> = [
    { name: 'an image with a javascript: src', update: updateOf((body) => {
      const image = new Y.XmlElement('image');
      image.setAttribute('src', 'javascript:alert(1)');
      body.push([image]);
    }) },
    { name: 'an image with a data: src', update: updateOf((body) => {
      const image = new Y.XmlElement('image');
      image.setAttribute('src', 'data:image/svg+xml,<svg onload=alert(1)>');
      body.push([image]);
    }) },
    { name: 'a link hidden by a newline (java\\nscript:)', update: updateOf((body) => paragraphWith(body, 'x', { link: { href: 'java\nscript:alert(1)' } })) },
    { name: "a link under y-prosemirror's hashed mark key", update: updateOf((body) => paragraphWith(body, 'x', { 'link--a1b2': { href: 'JAVASCRIPT:alert(1)' } })) },
    { name: 'a link whose href is not a string', update: updateOf((body) => paragraphWith(body, 'x', { link: { href: ['javascript:alert(1)'] } })) },
    { name: 'a format straight under an "href" key', update: updateOf((body) => paragraphWith(body, 'x', { href: 'vbscript:x' })) },
  ];
  for (const { name, update } of unsafe) {
    it(`${name} → 4422, not stored`, async () => {
      const server = await startServer();
      const docId = uniqueDocId('unsafe');
      const db = openDatabase(server.config.dataDir);
      const socket = await openRawSocket(`${server.collabUrl}/${docId}`);
      socket.send(encodeSyncUpdate(update));
      const closed = await socket.closed;
      expect(closed.code).toBe(CloseCode.updateRejected);
      expect(closed.reason).toMatch(/link or image address/);
      expect(rowCounts(db, docId).updates).toBe(0);
    });
  }

  it('safe links and images (https, mailto, relative) are stored and relayed as they came', async () => {
    const server = await startServer();
    const docId = uniqueDocId('safelink');
    const writer = connectClient(server.collabUrl, docId);
    const reader = connectClient(server.collabUrl, docId);
    await Promise.all([whenSynced(writer), whenSynced(reader)]);
    writer.doc.transact(() => {
      const body = writer.doc.getXmlFragment(BODY_FRAGMENT);
      paragraphWith(body, 'web', { link: { href: 'https://example.com/?a=1&b=2', title: null } });
      paragraphWith(body, 'mail', { link: { href: 'mailto:a@example.com' } });
      const image = new Y.XmlElement('image');
      image.setAttribute('src', '/pictures/a.png');
      body.push([image]);
    });
    await waitFor(() => bodyOf(reader.doc) === bodyOf(writer.doc), 'the safe links to reach the reader');
    expect(writer.provider.wsconnected).toBe(true);
    expect(bodyOf(reader.doc)).toContain('https://example.com/?a=1&b=2');
  });
});
