import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { BODY_FRAGMENT } from '../../shared/schema.js';
import { attributeRows, decodeAttribution, encodeAttribution } from '../../server/history/attribution.js';
import { buildDoc, mergeRows, restoreUpdate, versionChanges, versionContent } from '../../server/history/historyCompute.js';

/** A writer on its own doc whose every change is a stored row by `author`. */
function writer(rows: Array<{ data: Uint8Array; author: string | null; at: number | null; attribution: null }>, author: string, doc = new Y.Doc()) {
  doc.on('update', (data: Uint8Array) => rows.push({ data, author, at: rows.length, attribution: null }));
  return doc;
}

function paragraph(text: string): Y.XmlElement {
  const p = new Y.XmlElement('paragraph');
  p.insert(0, [new Y.XmlText(text)]);
  return p;
}

function bodyText(updates: Uint8Array[]): string {
  const doc = buildDoc(updates, true);
  const text = doc.getXmlFragment(BODY_FRAGMENT).toString();
  doc.destroy();
  return text;
}

describe('history computations', () => {
  it('attribution survives merging rows and its encoding', () => {
    const rows: Parameters<typeof mergeRows>[0] & Array<{ data: Uint8Array; author: string | null; at: number | null; attribution: null }> = [];
    const ann = writer(rows, 'u:ann');
    ann.getXmlFragment(BODY_FRAGMENT).insert(0, [paragraph('hello')]);
    const bob = writer(rows, 'g:bob');
    Y.applyUpdate(bob, Y.encodeStateAsUpdate(ann));
    rows.length = 1; // bob's copy of ann's state is not a row of his
    ((bob.getXmlFragment(BODY_FRAGMENT).get(0) as Y.XmlElement).get(0) as Y.XmlText).insert(5, ' world');
    const merged = mergeRows(rows);
    const records = decodeAttribution(merged.attribution);
    expect(records.map((r) => r.author).sort()).toEqual(['g:bob', 'u:ann']);
    expect(encodeAttribution(records)).toEqual(merged.attribution);
    // A merged row's attribution is kept when merged again.
    expect(attributeRows([{ data: merged.data, author: null, at: null, attribution: merged.attribution }]).map((r) => r.author).sort()).toEqual(['g:bob', 'u:ann']);
  });

  it('shows what changed, attributed, and restores a version as one forward update', () => {
    const rows: Array<{ data: Uint8Array; author: string | null; at: number | null; attribution: null }> = [];
    const doc = new Y.Doc();
    let author = 'u:ann';
    doc.on('update', (data: Uint8Array) => rows.push({ data, author, at: 1000 + rows.length, attribution: null }));
    const body = doc.getXmlFragment(BODY_FRAGMENT);
    body.insert(0, [paragraph('one two'), paragraph('three')]);
    const version = rows.length;
    author = 'g:guest1';
    const first = (body.get(0) as Y.XmlElement).get(0) as Y.XmlText;
    first.delete(0, 4);
    first.insert(first.length, ' four');
    body.insert(2, [paragraph('five')]);
    const all = rows.map((r) => r.data);
    expect(bodyText(all)).toBe('<paragraph>two four</paragraph><paragraph>three</paragraph><paragraph>five</paragraph>');

    const changes = versionChanges(all.slice(0, version), all.slice(version), rows);
    expect(changes.authors).toEqual(['g:guest1']);
    expect(changes.changes.map((c) => [c.kind, c.text])).toEqual([['delete', 'one '], ['insert', ' four'], ['insert', 'five']]);
    const firstParagraph = (changes.doc.content ?? [])[0]!;
    expect(firstParagraph.content?.map((n) => [n.text, n.marks?.[0]?.attrs?.['kind'] ?? null])).toEqual([
      ['one ', 'delete'],
      ['two', null],
      [' four', 'insert'],
    ]);

    const restore = restoreUpdate(all.slice(0, version), all.slice(version));
    expect(restore).not.toBeNull();
    // Someone types into the live document meanwhile: it survives the restore.
    (((doc.getXmlFragment(BODY_FRAGMENT).get(1) as Y.XmlElement).get(0)) as Y.XmlText).insert(5, '!');
    Y.applyUpdate(doc, restore!);
    expect(doc.getXmlFragment(BODY_FRAGMENT).toString()).toBe('<paragraph>one two</paragraph><paragraph>three!</paragraph>');
    expect(versionContent(all.slice(0, version), 'md').body).toBe('one two\n\nthree\n');
  });
});
