import MarkdownIt from 'markdown-it';
import type { Attrs, Mark, MarkType, Node as PMNode, NodeType } from 'prosemirror-model';
import {
  defaultMarkdownParser,
  defaultMarkdownSerializer,
  MarkdownParser,
  MarkdownSerializer,
  type ParseSpec,
} from 'prosemirror-markdown';
import { prosemirrorToYXmlFragment, yXmlFragmentToProsemirrorJSON } from 'y-prosemirror';
import * as Y from 'yjs';
import { isSafeUrl, URL_KEYS } from '../shared/safeUrl.js';
import { BODY_FRAGMENT, schema, TITLE_TEXT } from '../shared/schema.js';
import { cleanTitle } from '../shared/text.js';

/**
 * Documents as Markdown and HTML, and Markdown as a new document. Pure functions of their inputs:
 * no I/O, and a Y.Doc passed in is only read, never changed.
 *
 * Our schema's node and mark names are prosemirror-markdown's own (paragraph, heading, blockquote,
 * code_block, horizontal_rule, bullet_list, ordered_list, list_item, image, hard_break; em, strong,
 * code, link), so its default serializer and token spec serve as they are. Our schema has no
 * `params` on code blocks and no `tight` on lists: a fence's language is dropped on import, and
 * lists are written tight (no blank line between items).
 *
 * The title (the Y.Text TITLE_TEXT) travels as a leading first-level heading: exported Markdown
 * starts with `# <title>` when the title is not empty, and an imported text whose first block is a
 * `# heading` takes it as the title (so export → import keeps title and body apart).
 */

const markdownSerializer = new MarkdownSerializer(defaultMarkdownSerializer.nodes, defaultMarkdownSerializer.marks, {
  // Typed text like "<script>" stays text in any Markdown renderer, even one that allows HTML.
  escapeExtraCharacters: /</g,
});

/**
 * CommonMark only (no tables or strikethrough, which our schema could not hold) and no raw HTML:
 * an HTML tag in the text stays text. Links and images only with URLs of shared/safeUrl.ts (the
 * rule every document follows): any other stays text, on import and in an exported HTML page.
 */
function commonMark(): MarkdownIt {
  const markdown = new MarkdownIt('commonmark', { html: false });
  markdown.validateLink = (url) => isSafeUrl(url);
  return markdown;
}

const markdownParser = new MarkdownParser(schema, commonMark(), withSchemaAttrsOnly(defaultMarkdownParser.tokens));

const markdownRenderer = commonMark();

/** The document's title (possibly empty), as the server shows titles (cleanTitle). */
export function documentTitle(doc: Y.Doc): string {
  return cleanTitle(doc.getText(TITLE_TEXT).toString());
}

/**
 * The document body (the XmlFragment BODY_FRAGMENT) as a ProseMirror doc node of our schema.
 * Reads through y-prosemirror's JSON view, which never writes to `doc` (its node-building
 * helpers delete what the schema refuses, which must not happen to a live room's document).
 * Anything a client stored that our schema does not know is left out: an unknown element keeps
 * its children, an unknown mark or attribute is dropped, a node that cannot be built is skipped.
 * So are links and images whose URL shared/safeUrl.ts refuses (a link's text stays): exports,
 * which read the body through here, never carry one.
 */
export function documentBody(doc: Y.Doc): PMNode {
  const json = yXmlFragmentToProsemirrorJSON(doc.getXmlFragment(BODY_FRAGMENT)) as JsonNode;
  const blocks = asBlocks((json.content ?? []).flatMap((child) => buildNodes(child)));
  return schema.topNodeType.createAndFill(null, blocks) ?? schema.topNodeType.create(null, blocks);
}

/** The document as CommonMark: `# <title>` first when the title is not empty, then the body. */
export function documentToMarkdown(doc: Y.Doc): string {
  const body = documentBody(doc);
  const title = oneLine(documentTitle(doc));
  const heading = schema.nodes['heading'] as NodeType;
  const blocks: PMNode[] = [];
  if (title !== '') blocks.push(heading.create({ level: 1 }, schema.text(title)));
  body.forEach((block) => {
    blocks.push(block);
  });
  // Serialized in runs of blocks, joined by the blank line the serializer puts between blocks:
  // prosemirror-markdown reads the last characters of its whole output at every write, which on a
  // long output (a 600 KB document: 29 s) costs time growing with the square of its length. A run
  // ends only before a paragraph or heading, where the serializer's output does not depend on the
  // block before (two adjacent lists, say, are separated in a way of their own).
  const runs: string[] = [];
  let run: PMNode[] = [];
  for (const block of blocks) {
    if (run.length >= BLOCKS_PER_RUN && (block.type.name === 'paragraph' || block.type.name === 'heading')) {
      runs.push(markdownSerializer.serialize(schema.topNodeType.create(null, run), { tightLists: true }));
      run = [];
    }
    run.push(block);
  }
  runs.push(markdownSerializer.serialize(schema.topNodeType.create(null, run), { tightLists: true }));
  const markdown = runs.filter((text) => text !== '').join('\n\n');
  return markdown === '' ? '' : `${markdown}\n`;
}

/** Top-level blocks serialized at once (see documentToMarkdown). */
const BLOCKS_PER_RUN = 64;

/**
 * Renders Markdown as a standalone HTML page: `<title>` from `title` (escaped; "Untitled" when
 * empty), minimal inline CSS, and a Content-Security-Policy that allows no script at all. Raw HTML
 * in the Markdown is shown as text, and links or images whose URL shared/safeUrl.ts refuses
 * (javascript:, data:…) are not linked.
 */
export function markdownToHtmlPage(markdown: string, title: string): string {
  const shownTitle = oneLine(title) === '' ? 'Untitled' : oneLine(title);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src https: http: data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(shownTitle)}</title>
<style>
body { max-width: 44rem; margin: 2rem auto; padding: 0 1rem; font: 16px/1.6 system-ui, sans-serif; color: #1f2328; }
pre { background: #f6f8fa; padding: 0.75em 1em; overflow-x: auto; border-radius: 6px; }
code { font-family: ui-monospace, monospace; font-size: 0.9em; }
blockquote { margin: 0 0 1em; padding-left: 1em; border-left: 3px solid #d0d7de; color: #57606a; }
img { max-width: 100%; }
</style>
</head>
<body>
${markdownRenderer.render(markdown)}</body>
</html>
`;
}

/** The document as a standalone HTML page (see documentToMarkdown and markdownToHtmlPage). */
export function documentToHtml(doc: Y.Doc): string {
  return markdownToHtmlPage(documentToMarkdown(doc), documentTitle(doc));
}

/** What importing a Markdown text yields: the new document's whole state, and its title. */
export interface ImportedDocument {
  /** A Yjs update holding the body (and the title, when there is one): the new document's state. */
  update: Uint8Array;
  /** The title taken from a leading `# heading`, or '' when the text does not start with one. */
  title: string;
}

/**
 * Parses CommonMark into a new document's content. The first block, when it is a first-level
 * heading, becomes the title and leaves the body. For a NEW document only: applying this to an
 * existing document would add a second copy of its content (two histories of the same text merge into two copies of it).
 */
export function markdownToDocument(markdown: string): ImportedDocument {
  const parsed = markdownParser.parse(markdown);
  let title = '';
  const blocks: PMNode[] = [];
  parsed.forEach((block, _offset, index) => {
    if (index === 0 && block.type.name === 'heading' && block.attrs['level'] === 1) title = cleanTitle(oneLine(block.textContent));
    else blocks.push(block);
  });
  const body = schema.topNodeType.createAndFill(null, blocks) ?? schema.topNodeType.create(null, blocks);
  const doc = new Y.Doc();
  try {
    doc.transact(() => {
      prosemirrorToYXmlFragment(body, doc.getXmlFragment(BODY_FRAGMENT));
      if (title !== '') doc.getText(TITLE_TEXT).insert(0, title);
    });
    return { update: Y.encodeStateAsUpdate(doc), title };
  } finally {
    doc.destroy();
  }
}

/**
 * File names (without extension) for a download of a document titled `title`: `ascii`, the title
 * reduced to letters, digits, spaces, `.`, `_` and `-` (accents dropped), for the plain
 * `filename=`; `unicode`, the title without control and path characters (and lone surrogates,
 * which encodeURIComponent refuses), for `filename*=`. Each
 * is at most 80 characters, and `fallback` (the document id) when nothing is left.
 */
export function downloadFileName(title: string, fallback: string): { ascii: string; unicode: string } {
  const clean = (text: string): string => {
    const collapsed = text.replace(/\s+/g, ' ').trim().replace(/^\.+/, '');
    // By code point, so a cut never splits a surrogate pair.
    const result = Array.from(collapsed).slice(0, 80).join('').trim();
    return result === '' ? fallback : result;
  };
  const ascii = title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9 ._-]+/g, ' ');
  const unicode = title
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '')
    .replace(/[\u0000-\u001f\u007f-\u009f/\\:*?"<>|]+/g, ' ');
  return { ascii: clean(ascii), unicode: clean(unicode) };
}

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** prosemirror-markdown's token spec with every getAttrs cut down to attributes our schema has. */
function withSchemaAttrsOnly(tokens: Record<string, ParseSpec>): Record<string, ParseSpec> {
  const result: Record<string, ParseSpec> = {};
  for (const [name, spec] of Object.entries(tokens)) {
    const typeName = spec.block ?? spec.node ?? spec.mark;
    const type = typeName === undefined ? undefined : (schema.nodes[typeName] ?? schema.marks[typeName]);
    const getAttrs = spec.getAttrs;
    if (type === undefined || getAttrs === undefined) {
      result[name] = spec;
      continue;
    }
    result[name] = { ...spec, getAttrs: (token, all, index) => knownAttrs(type, getAttrs(token, all, index)) };
  }
  return result;
}

/** `attrs` without the keys `type` does not declare. */
function knownAttrs(type: NodeType | MarkType, attrs: Attrs | null): Attrs | null {
  if (attrs === null) return null;
  const declared = type.spec.attrs ?? {};
  return Object.fromEntries(Object.entries(attrs).filter(([key]) => key in declared));
}

/** Whether every URL attribute (href, src) of `attrs` is absent or safe (shared/safeUrl.ts). */
function hasSafeUrls(attrs: Attrs | null): boolean {
  return URL_KEYS.every((key) => attrs?.[key] === undefined || attrs[key] === null || isSafeUrl(attrs[key]));
}

/** The JSON y-prosemirror produces: text nodes come as arrays of runs, one per formatting. */
interface JsonNode {
  type?: unknown;
  text?: unknown;
  attrs?: Record<string, unknown>;
  marks?: Array<{ type?: unknown; attrs?: Record<string, unknown> }>;
  content?: Array<JsonNode | JsonNode[]>;
}

/** `nodes` with every run of inline nodes (stray text at the top level) wrapped in a paragraph. */
function asBlocks(nodes: PMNode[]): PMNode[] {
  const paragraph = schema.nodes['paragraph'] as NodeType;
  const blocks: PMNode[] = [];
  let inline: PMNode[] = [];
  const flush = (): void => {
    if (inline.length > 0) blocks.push(paragraph.create(null, inline));
    inline = [];
  };
  for (const node of nodes) {
    if (node.isInline) inline.push(node);
    else {
      flush();
      blocks.push(node);
    }
  }
  flush();
  return blocks;
}

function buildNodes(json: JsonNode | JsonNode[]): PMNode[] {
  if (Array.isArray(json)) return json.flatMap((run) => buildNodes(run));
  if (json.type === 'text') {
    if (typeof json.text !== 'string' || json.text === '') return [];
    return [schema.text(json.text, buildMarks(json.marks))];
  }
  const children = (json.content ?? []).flatMap((child) => buildNodes(child));
  const type = typeof json.type === 'string' ? schema.nodes[json.type] : undefined;
  if (type === undefined || type === schema.topNodeType || type.isText) return children;
  const attrs = knownAttrs(type, (json.attrs ?? null) as Attrs | null);
  // A node with an unsafe URL (an image stored before the server refused them) is left out.
  if (!hasSafeUrls(attrs)) return children;
  try {
    return [type.create(attrs, children)];
  } catch {
    // A required attribute is missing (an image without src…): keep what it held, if anything.
    return children;
  }
}

function buildMarks(marks: JsonNode['marks']): readonly Mark[] {
  let result: readonly Mark[] = [];
  for (const mark of marks ?? []) {
    const type = typeof mark.type === 'string' ? schema.marks[mark.type] : undefined;
    if (type === undefined) continue;
    const attrs = knownAttrs(type, (mark.attrs ?? null) as Attrs | null);
    // A link with an unsafe URL (stored before the server refused them): its text stays, unlinked.
    if (!hasSafeUrls(attrs)) continue;
    try {
      result = type.create(attrs).addToSet(result);
    } catch {
      // A link without href: drop the mark, keep the text.
    }
  }
  return result;
}
