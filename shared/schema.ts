import { Schema } from 'prosemirror-model';
import { schema as basicSchema } from 'prosemirror-schema-basic';
import { addListNodes } from 'prosemirror-schema-list';

/**
 * The document model, shared by the editor and by anything on the server that reads documents.
 *
 * Paragraphs, headings (1–6), blockquotes, code blocks, horizontal rules, hard breaks, images,
 * bullet and ordered lists; marks: bold (strong), italic (em), code, link.
 */
export const schema = new Schema({
  nodes: addListNodes(basicSchema.spec.nodes, 'paragraph block*', 'block'),
  marks: basicSchema.spec.marks,
});

/** Name of the Y.XmlFragment holding the ProseMirror body inside each document's Y.Doc. */
export const BODY_FRAGMENT = 'prosemirror';

/** Name of the Y.Text holding the document's title (it syncs live like the body). */
export const TITLE_TEXT = 'title';
