import { type MarkSpec, type NodeSpec, Schema } from 'prosemirror-model';
import { schema as basicSchema } from 'prosemirror-schema-basic';
import { addListNodes } from 'prosemirror-schema-list';
import { isSafeUrl } from './safeUrl.js';

/** What the parse rules read of a DOM element (shared/ is also compiled without the DOM's types). */
interface Element {
  getAttribute(name: string): string | null;
}

/**
 * prosemirror-schema-basic's image, rendered and parsed only with a safe `src` (shared/safeUrl.ts):
 * an image whose stored `src` is unsafe (written by another client, or stored before the rule) is
 * shown as an `<img>` without `src`, and pasted HTML with such an image yields no image.
 */
const image: NodeSpec = {
  ...basicSchema.spec.nodes.get('image'),
  parseDOM: [
    {
      tag: 'img[src]',
      getAttrs(dom: Element) {
        const src = dom.getAttribute('src');
        if (!isSafeUrl(src)) return false;
        return { src, title: dom.getAttribute('title'), alt: dom.getAttribute('alt') };
      },
    },
  ],
  toDOM(node) {
    const { src, alt, title } = node.attrs;
    return ['img', { src: isSafeUrl(src) ? src : null, alt, title }];
  },
};

/**
 * prosemirror-schema-basic's link, rendered and parsed only with a safe `href`: a link whose stored
 * `href` is unsafe (`javascript:`…) is shown as an `<a>` without `href` (inert text), and pasted
 * HTML with such a link keeps its text without the link.
 */
const link: MarkSpec = {
  ...basicSchema.spec.marks.get('link'),
  parseDOM: [
    {
      tag: 'a[href]',
      getAttrs(dom: Element) {
        const href = dom.getAttribute('href');
        if (!isSafeUrl(href)) return false;
        return { href, title: dom.getAttribute('title') };
      },
    },
  ],
  toDOM(mark) {
    const { href, title } = mark.attrs;
    return ['a', { href: isSafeUrl(href) ? href : null, title }, 0];
  },
};

/**
 * The document model, shared by the editor and by anything on the server that reads documents.
 *
 * Paragraphs, headings (1–6), blockquotes, code blocks, horizontal rules, hard breaks, images,
 * bullet and ordered lists; marks: bold (strong), italic (em), code, link. Links and images carry
 * only safe URLs onto the page (see `isSafeUrl`).
 */
export const schema = new Schema({
  nodes: addListNodes(basicSchema.spec.nodes.update('image', image), 'paragraph block*', 'block'),
  marks: basicSchema.spec.marks.update('link', link),
});

// The names of the document's parts, kept in a file of their own so that the server's rooms can
// read them without loading ProseMirror.
export { BODY_FRAGMENT, TITLE_TEXT } from './docParts.js';
