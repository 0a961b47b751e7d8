import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { ApiError, DocList, DocSummary } from '../../shared/api.js';
import { DOC_ID_PATTERN } from '../../shared/docId.js';
import { BODY_FRAGMENT, TITLE_TEXT } from '../../shared/schema.js';
import type { Config } from '../../server/config.js';
import { connectClient, whenSynced } from '../helpers/clients.js';
import { registerUser } from '../helpers/accounts.js';
import type { DocStore } from '../../server/store/docStore.js';
import { openSqliteStore } from '../../server/store/sqliteStore.js';
import { startServer, tempDataDir, type TestServer } from '../helpers/testServer.js';
import { waitFor } from '../helpers/waitFor.js';

const SAMPLE = `# Release plan

## Scope

We ship *three* things, **on time**, with \`npm run build\` and a [checklist](https://example.com/check?list=1).

- parser
- exporter
  - nested item

3. first
4. second

> Quoted wisdom
>
> over two paragraphs

\`\`\`ts
const ok: boolean = true;
\`\`\`

### Done
`;

/**
 * Markdown as a reader sees it: the same blocks and text, whatever the spelling. Bullets are `*`,
 * the blank-line padding is one, trailing spaces go, and fences lose their language (our schema's
 * code blocks have none).
 */
function normalize(markdown: string): string {
  return markdown
    .replace(/^(\s*)[-+*] /gm, '$1* ')
    .replace(/^```\w+$/gm, '```')
    .replace(/[ \t]+$/gm, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** The session cookie of the user each test server's documents are made by (see start). */
const cookies = new WeakMap<TestServer, string>();

/** A server with a signed-in user: importing and creating need an account. */
async function start(overrides: Partial<Config> = {}): Promise<TestServer> {
  const server = await startServer({ passwordHashCost: 12, ...overrides });
  cookies.set(server, (await registerUser(server)).cookie);
  return server;
}

function asUser(server: TestServer, headers: Record<string, string> = {}): Record<string, string> {
  return { ...headers, cookie: cookies.get(server) ?? '' };
}

async function importMarkdown(server: TestServer, markdown: string, contentType = 'text/markdown; charset=utf-8'): Promise<Response> {
  return fetch(`${server.httpUrl}/api/docs/import`, { method: 'POST', headers: asUser(server, { 'content-type': contentType }), body: markdown });
}

async function exportDoc(server: TestServer, id: string, format = 'md'): Promise<Response> {
  return fetch(`${server.httpUrl}/api/docs/${encodeURIComponent(id)}/export?format=${format}`);
}

async function exportText(server: TestServer, id: string, format = 'md'): Promise<string> {
  const response = await exportDoc(server, id, format);
  expect(response.status).toBe(200);
  return response.text();
}

/** Appends a block to the body the way y-prosemirror writes one: an XmlElement holding formatted XmlText. */
function appendBlock(doc: Y.Doc, nodeName: string, runs: Array<[string, Record<string, unknown>?]>, attrs: Record<string, unknown> = {}): void {
  doc.transact(() => {
    const element = new Y.XmlElement(nodeName);
    doc.getXmlFragment(BODY_FRAGMENT).push([element]);
    for (const [name, value] of Object.entries(attrs)) element.setAttribute(name, value as string);
    const text = new Y.XmlText();
    element.insert(0, [text]);
    for (const [insert, format] of runs) text.insert(text.length, insert, format ?? {});
  });
}

describe('export and import', () => {
  it('Markdown in → document → Markdown out keeps headings, lists, marks, links, code and quotes', async () => {
    const server = await start();
    const response = await importMarkdown(server, SAMPLE);
    expect(response.status).toBe(201);
    const created = (await response.json()) as DocSummary;
    expect(created.id).toMatch(DOC_ID_PATTERN);
    expect(created.title).toBe('Release plan');
    expect(response.headers.get('location')).toBe(`/d/${created.id}`);

    // From storage (no room is open)…
    expect(server.app.rooms.roomCount).toBe(0);
    const stored = await exportDoc(server, created.id);
    expect(stored.headers.get('content-type')).toBe('text/markdown; charset=utf-8');
    expect(stored.headers.get('content-disposition')).toContain('attachment; filename="Release plan.md"');
    const markdown = await stored.text();
    expect(normalize(markdown)).toBe(normalize(SAMPLE));

    // …and as a live client receives it: title and body are real Yjs content, listed by title.
    const client = connectClient(server.collabUrl, created.id);
    await whenSynced(client);
    expect(client.doc.getText(TITLE_TEXT).toString()).toBe('Release plan');
    expect(client.doc.getXmlFragment(BODY_FRAGMENT).toString()).toContain('<strong>on time</strong>');
    expect(normalize(await exportText(server, created.id))).toBe(normalize(markdown));
    const list = (await (await fetch(`${server.httpUrl}/api/docs`, { headers: asUser(server) })).json()) as DocList;
    expect(list.documents.find((d) => d.id === created.id)?.title).toBe('Release plan');

    const html = await exportText(server, created.id, 'html');
    expect(html).toContain('<title>Release plan</title>');
    expect(html).toContain('<h1>Release plan</h1>');
    expect(html).toContain('<a href="https://example.com/check?list=1">checklist</a>');
    expect(html).toMatch(/<ol start="3">\s*<li>first<\/li>/);
  });

  it('exports what a live client typed, from the open room and from storage after it unloads', async () => {
    const server = await start({ compactAfterUpdates: 3 });
    const id = (await ((await fetch(`${server.httpUrl}/api/docs`, { method: 'POST', headers: asUser(server) })).json() as Promise<DocSummary>)).id;
    const client = connectClient(server.collabUrl, id);
    await whenSynced(client);
    client.doc.getText(TITLE_TEXT).insert(0, 'Standup: Tuesday');
    appendBlock(client.doc, 'heading', [['Agenda']], { level: 2 });
    appendBlock(client.doc, 'paragraph', [['Ship '], ['now', { strong: {} }], [', then '], ['rest', { em: {} }], [' — see '], ['docs', { link: { href: 'https://example.com/docs' } }], [' and '], ['x()', { code: {} }]]);
    appendBlock(client.doc, 'code_block', [['let typed = "<b>";']]);
    appendBlock(client.doc, 'paragraph', [['<script>alert("typed")</script>']]);
    const expected = [
      '# Standup: Tuesday',
      '## Agenda',
      'Ship **now**, then *rest* — see [docs](https://example.com/docs) and `x()`',
      '```\nlet typed = "<b>";\n```',
      '\\<script>alert("typed")\\</script>',
    ].join('\n\n');

    // The room is open: the export reads it (it holds more than the compacted snapshot).
    await waitFor(async () => normalize(await exportText(server, id)) === expected, 'the live export to show what was typed');
    expect(server.app.rooms.roomCount).toBe(1);
    const live = await exportDoc(server, id, 'html');
    expect(live.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(live.headers.get('content-disposition')).toContain('filename="Standup Tuesday.html"');
    const html = await live.text();
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain('&lt;script&gt;alert(&quot;typed&quot;)&lt;/script&gt;');
    expect(html).toContain('<strong>now</strong>');

    // After the last client leaves and the room unloads, storage alone gives the same export.
    client.destroy();
    await waitFor(() => server.app.rooms.roomCount === 0, 'the room to unload');
    expect(normalize(await exportText(server, id))).toBe(expected);
  });

  it('answers bad requests with ApiError bodies: invalid id, unknown format, unknown document, too large, wrong type', async () => {
    const server = await start();
    const created = (await (await importMarkdown(server, 'hello\n', 'text/plain')).json()) as DocSummary;
    expect(created.title).toBe('');
    expect(normalize(await exportText(server, created.id))).toBe('hello');

    const cases: Array<[Promise<Response>, number, string]> = [
      [exportDoc(server, 'a.b'), 400, 'invalid_id'],
      [exportDoc(server, created.id, 'pdf'), 400, 'invalid_format'],
      [exportDoc(server, 'no-such-doc'), 404, 'not_found'],
      [importMarkdown(server, 'x'.repeat(2 * 1024 * 1024 + 1)), 413, 'too_large'],
      [importMarkdown(server, '{"a":1}', 'application/json'), 415, 'unsupported_media_type'],
      [importMarkdown(server, 'x', 'image/png'), 415, 'unsupported_media_type'],
    ];
    for (const [pending, status, error] of cases) {
      const response = await pending;
      expect(response.status).toBe(status);
      const body = (await response.json()) as ApiError;
      expect(body.error).toBe(error);
      expect(typeof body.message).toBe('string');
    }
    // Refused imports created nothing.
    const list = (await (await fetch(`${server.httpUrl}/api/docs`, { headers: asUser(server) })).json()) as DocList;
    expect(list.documents.map((d) => d.id)).toEqual([created.id]);
  });

  it("answers a store that fails to load with a generic 500, never the store's own error message", async () => {
    const dataDir = tempDataDir();
    const inner = openSqliteStore({ dataDir, synchronous: 'normal' });
    let failLoads = false;
    const store: DocStore = {
      ...inner,
      async load(docId) {
        if (failLoads) throw new Error('SQLITE_IOERR: disk I/O error reading /srv/secret/tandem.sqlite as postgres://admin:hunter2@db');
        return inner.load(docId);
      },
    };
    const server = await startServer({ dataDir, store, passwordHashCost: 12 });
    cookies.set(server, (await registerUser(server)).cookie);
    const created = (await (await importMarkdown(server, 'hello\n', 'text/plain')).json()) as DocSummary;
    await waitFor(() => server.app.rooms.roomCount === 0, 'no open room, so the export reads storage');

    failLoads = true;
    const failed = await exportDoc(server, created.id);
    expect(failed.status).toBe(500);
    const text = await failed.text();
    expect(JSON.parse(text)).toEqual({ error: 'load_failed', message: 'the document could not be loaded' });
    expect(text).not.toMatch(/SQLITE|secret|hunter2|postgres/);

    failLoads = false;
    expect(normalize(await exportText(server, created.id))).toBe('hello');
  });
});
