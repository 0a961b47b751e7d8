// The shared types inside each document's Y.Doc, by name (no ProseMirror here: the server's rooms
// import this without loading it; shared/schema.ts re-exports both for the editor).

/** Name of the Y.XmlFragment holding the ProseMirror body inside each document's Y.Doc. */
export const BODY_FRAGMENT = 'prosemirror';

/** Name of the Y.Text holding the document's title (it syncs live like the body). */
export const TITLE_TEXT = 'title';
