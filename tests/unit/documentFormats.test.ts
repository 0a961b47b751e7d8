import MarkdownIt from 'markdown-it';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  documentBody,
  documentTitle,
  documentToHtml,
  documentToMarkdown,
  downloadFileName,
  markdownToDocument,
  markdownToHtmlPage,
} from '../../server/documentFormats.js';
import { BODY_FRAGMENT, TITLE_TEXT } from '../../shared/schema.js';

/** A Y.Doc holding exactly what `markdownToDocument` produced, as a new document would. */
function importToDoc(markdown: string): Y.Doc {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, markdownToDocument(markdown).update);
  return doc;
}

/** A paragraph of formatted runs, built the way y-prosemirror writes one. */
function addParagraph(doc: Y.Doc, runs: Array<[string, Record<string, unknown>?]>, nodeName = 'paragraph'): Y.XmlElement {
  const element = new Y.XmlElement(nodeName);
  doc.getXmlFragment(BODY_FRAGMENT).push([element]);
  const text = new Y.XmlText();
  element.insert(0, [text]);
  for (const [insert, format] of runs) text.insert(text.length, insert, format ?? {});
  return element;
}

const SAMPLE = `# Project notes

## Goals

Some *emphasis*, some **strong**, \`inline code\` and a [link](https://example.com/a?b=c).

* first
* second

1. one
2. two

> quoted text

\`\`\`
const answer = 42;
\`\`\`

---

Last line
`;

describe('documentFormats', () => {
  it('Markdown → document → Markdown keeps every construct our schema has, the title as the leading # heading', () => {
    const doc = importToDoc(SAMPLE);
    expect(documentTitle(doc)).toBe('Project notes');
    expect(documentBody(doc).firstChild?.type.name).toBe('heading'); // "## Goals": the title left the body
    expect(documentToMarkdown(doc)).toBe(SAMPLE);
  });

  it('a long document (serialized in runs of blocks) comes out as one serialization would write it, adjacent lists included', () => {
    let markdown = '# Long\n\n';
    for (let i = 0; i < 120; i++) {
      markdown += `Paragraph ${i} with **bold** text.\n\n`;
      if (i % 5 === 0) markdown += `* item ${i}\n* next\n\n1. one\n2. two\n\n> quote ${i}\n\n`;
      if (i % 9 === 0) markdown += `## Section ${i}\n\n`;
    }
    const once = documentToMarkdown(importToDoc(markdown));
    // What the serializer writes is stable: reading it back and writing it again gives the same text.
    expect(documentToMarkdown(importToDoc(once))).toBe(once);
    expect(once.match(/^Paragraph \d+/gm)).toHaveLength(120);
  });

  it('takes the title only from a leading first-level heading', () => {
    expect(markdownToDocument('## Not a title\n\ntext\n').title).toBe('');
    expect(markdownToDocument('text\n\n# Late heading\n').title).toBe('');
    const doc = importToDoc('# Only a title\n');
    expect(documentTitle(doc)).toBe('Only a title');
    expect(documentToMarkdown(doc)).toBe('# Only a title\n');
  });

  it('drops what our schema cannot hold (a fence language, raw HTML as markup) and never fails on empty input', () => {
    const doc = importToDoc('```ts\nlet x = 1;\n```\n\n<div>raw</div>\n');
    const markdown = documentToMarkdown(doc);
    expect(markdown).toContain('```\nlet x = 1;\n```');
    expect(markdown).toContain('\\<div>raw\\</div>'); // kept as text, escaped
    expect(documentToMarkdown(importToDoc(''))).toBe('');
  });

  it('serializes formatted text as y-prosemirror stores it', () => {
    const doc = new Y.Doc();
    doc.getText(TITLE_TEXT).insert(0, 'Live');
    addParagraph(doc, [['plain '], ['bold', { strong: {} }], [' and '], ['linked', { link: { href: 'https://example.com' } }]]);
    const heading = addParagraph(doc, [['Section']], 'heading');
    heading.setAttribute('level', 2 as unknown as string);
    expect(documentToMarkdown(doc)).toBe('# Live\n\nplain **bold** and [linked](https://example.com)\n\n## Section\n');
  });

  it('reads without writing: unknown elements keep their text, unknown marks are dropped, the Y.Doc is unchanged', () => {
    const doc = new Y.Doc();
    addParagraph(doc, [['kept '], ['odd', { sparkle: {} }]], 'mystery_block');
    addParagraph(doc, [['linkless', { link: {} }]]);
    const before = Y.encodeStateAsUpdate(doc);
    expect(documentToMarkdown(doc)).toBe('kept odd\n\nlinkless\n');
    expect(Y.encodeStateAsUpdate(doc)).toEqual(before);
  });

  it('escapes typed markup in Markdown and HTML, and refuses unsafe link schemes', () => {
    const doc = new Y.Doc();
    doc.getText(TITLE_TEXT).insert(0, '</title><script>alert(1)</script>');
    addParagraph(doc, [['<script>alert(2)</script> & <img src=x onerror=alert(3)>']]);
    const markdown = documentToMarkdown(doc);
    expect(markdown).not.toMatch(/(^|[^\\])<script>/);
    const html = documentToHtml(doc);
    expect(html).not.toMatch(/<script|<img/i);
    expect(html).toContain('<title>&#60;/title&#62;&#60;script&#62;alert(1)&#60;/script&#62;</title>');
    expect(html).toContain('&lt;script&gt;alert(2)&lt;/script&gt; &amp; &lt;img src=x onerror=alert(3)&gt;');
    expect(markdownToHtmlPage('[click](javascript:alert(1))', '')).not.toContain('href="javascript:');
    expect(markdownToHtmlPage('', '')).toContain('<title>Untitled</title>');
  });

  it('exports never carry an unsafe URL a document holds (stored before the server refused them): the link text stays, the image goes', () => {
    const doc = new Y.Doc();
    addParagraph(doc, [['before '], ['click me', { link: { href: 'javascript:fetch("/api/sessions")' } }], [' and '], ['this', { link: { href: 'java\nscript:x' } }]]);
    const image = new Y.XmlElement('image');
    image.setAttribute('src', 'data:image/svg+xml,<svg onload=alert(1)>');
    const paragraph = addParagraph(doc, [['picture: ']]);
    paragraph.insert(1, [image]);
    addParagraph(doc, [['kept', { link: { href: 'https://example.com/ok' } }]]);
    const markdown = documentToMarkdown(doc);
    expect(markdown).toBe('before click me and this\n\npicture: \n\n[kept](https://example.com/ok)\n');
    const html = documentToHtml(doc);
    expect(html).not.toMatch(/javascript|script:|data:image|<img/i);
    expect(html).toContain('<a href="https://example.com/ok">kept</a>');
  });

  it('Markdown import and HTML pages link only safe URLs (data: images and hidden schemes stay text)', () => {
    const doc = importToDoc('[a](javascript&colon;alert(1)) [b](vbscript:x) ![c](data:image/png;base64,AAAA) [d](/ok) <https://example.com/auto>\n');
    const markdown = documentToMarkdown(doc);
    // What another (lenient) Markdown reader makes of the export: the refused ones are text.
    const rendered = new MarkdownIt().render(markdown);
    expect(rendered).not.toMatch(/href="(javascript|vbscript)|src="data:/);
    expect(rendered).toContain('javascript:alert(1)');
    expect(markdown).toContain('[d](/ok)');
    expect(markdown).toContain('<https://example.com/auto>');
    const page = markdownToHtmlPage('![c](data:image/png;base64,AAAA) [e](file:///etc/passwd)', '');
    expect(page).not.toMatch(/src="data:|href="file:/);
  });

  it('names downloads after the title, safely, falling back to the id', () => {
    expect(downloadFileName('Meeting: notes / 2024', 'id1')).toEqual({ ascii: 'Meeting notes 2024', unicode: 'Meeting notes 2024' });
    expect(downloadFileName('Crème brûlée', 'id1')).toEqual({ ascii: 'Creme brulee', unicode: 'Crème brûlée' });
    expect(downloadFileName('日本語', 'id1')).toEqual({ ascii: 'id1', unicode: '日本語' });
    expect(downloadFileName('  ', 'id1')).toEqual({ ascii: 'id1', unicode: 'id1' });
    expect(downloadFileName('..hidden', 'id1').ascii).toBe('hidden');
    expect(() => encodeURIComponent(downloadFileName(`${'😀'.repeat(100)}\ud800`, 'id1').unicode)).not.toThrow();
  });
});
