import { type MarkSpec, Node as PMNode, Schema } from 'prosemirror-model';
import { EditorState } from 'prosemirror-state';
import { EditorView } from 'prosemirror-view';
import { CHANGE_MARK, type ChangeMarkAttrs, type VersionAuthor } from '../../../shared/history.js';
import { schema } from '../../../shared/schema.js';

/** The document schema plus the change mark a version's changes are drawn with (shared/history.ts). */
function changeSchema(authors: readonly VersionAuthor[]): Schema {
  const change: MarkSpec = {
    attrs: { kind: { default: 'insert' }, author: { default: -1 }, at: { default: null } },
    inclusive: false,
    excludes: '',
    toDOM(mark) {
      const { kind, author, at } = mark.attrs as ChangeMarkAttrs;
      const who = authors[author];
      const name = who ? (who.guest ? 'Guest' : who.name) : 'Unknown';
      const when = at === null ? '' : `, ${new Date(at).toLocaleString()}`;
      const colour = who?.colour ?? '#6b7280';
      return [
        kind === 'insert' ? 'ins' : 'del',
        {
          class: `change change-${kind}`,
          title: `${kind === 'insert' ? 'Added' : 'Deleted'} by ${name}${when}`,
          style: kind === 'insert' ? `background-color: ${colour}33; border-bottom: 2px solid ${colour}` : `color: ${colour}`,
          'data-author': name,
        },
        0,
      ];
    },
  };
  return new Schema({ nodes: schema.spec.nodes, marks: schema.spec.marks.addToEnd(CHANGE_MARK, change) });
}

/**
 * A read-only ProseMirror view of a version (or of its changes) in `mount`: its own EditorView on
 * its own state, built from the server's JSON — never the live editor or its Y.Doc. Text is set as
 * text by ProseMirror (never parsed as HTML). Returns a function that destroys the view.
 */
export function showVersion(mount: HTMLElement, json: unknown, authors: readonly VersionAuthor[] = []): () => void {
  const historySchema = changeSchema(authors);
  let doc: PMNode;
  try {
    doc = PMNode.fromJSON(historySchema, json);
  } catch {
    doc = historySchema.topNodeType.createAndFill()!;
  }
  const view = new EditorView(mount, {
    state: EditorState.create({ doc, schema: historySchema }),
    editable: () => false,
    attributes: { class: 'history-doc', 'aria-readonly': 'true', 'aria-label': 'Version (read only)' },
  });
  return () => view.destroy();
}
