import * as Y from 'yjs';
import { CHANGE_MARK, type ChangeMarkAttrs, type VersionChange, type VersionFormat } from '../../shared/history.js';
import { BODY_FRAGMENT, TITLE_TEXT } from '../../shared/schema.js';
import { documentBody, documentTitle, documentToHtml, documentToMarkdown } from '../documentFormats.js';
import { type AttributableRow, attributeRows, AttributionIndex, encodeAttribution } from './attribution.js';
import { pace } from './pacing.js';

// The heavy work of history, as pure functions of stored bytes: they run on the history worker
// thread (historyWorker.ts), never on the event loop that relays keystrokes, and give way to it
// between steps when it is late (pace(), pacing.ts). Every doc here is a
// scratch doc made for the call; the live document is never touched.

/** A doc holding `updates` applied in order; `gc: false` keeps deleted content (needed for snapshots). */
export function buildDoc(updates: readonly Uint8Array[], gc: boolean): Y.Doc {
  const doc = new Y.Doc({ gc });
  Y.transact(doc, () => {
    for (const update of updates) {
      pace();
      Y.applyUpdate(doc, update);
    }
  });
  if (doc.store.pendingStructs !== null || doc.store.pendingDs !== null) {
    doc.destroy();
    throw new Error('the stored history has missing parts');
  }
  return doc;
}

/** A version's content, in one format: the title and the body (ProseMirror JSON, Markdown or an HTML page). */
export function versionContent(updates: readonly Uint8Array[], format: VersionFormat): { title: string; body: unknown } {
  const doc = buildDoc(updates, true);
  try {
    const title = documentTitle(doc);
    if (format === 'md') return { title, body: documentToMarkdown(doc) };
    if (format === 'html') return { title, body: documentToHtml(doc) };
    return { title, body: documentBody(doc).toJSON() };
  } finally {
    doc.destroy();
  }
}

/**
 * A checkpoint: the state `updates` make, as one garbage-collected update (what is deleted kept only
 * as ids). Enough to show a version and to start a diff or a restore from: what they need of deleted
 * content is what is deleted after the checkpoint, which later rows bring whole.
 */
export function checkpointState(updates: readonly Uint8Array[]): Uint8Array {
  const doc = buildDoc(updates, true);
  try {
    return Y.encodeStateAsUpdate(doc);
  } finally {
    doc.destroy();
  }
}

/** One merged history row: the rows' updates as one, and who did what in them. */
export function mergeRows(rows: readonly AttributableRow[]): { data: Uint8Array; attribution: Uint8Array } {
  return { data: Y.mergeUpdates(rows.map((row) => row.data)), attribution: encodeAttribution(attributeRows(rows)) };
}

/**
 * The one update that makes the document's content what it was at a version (the Yjs 13 way: the
 * version's state, then everything stored after it applied under an UndoManager, undone). Applied
 * to the live document it reverts exactly the later changes, as new changes; what people type
 * meanwhile elsewhere in the document stays. Null when there is nothing to revert.
 */
export function restoreUpdate(versionUpdates: readonly Uint8Array[], laterUpdates: readonly Uint8Array[]): Uint8Array | null {
  const doc = buildDoc(versionUpdates, false);
  try {
    const later = Symbol('later');
    const undo = new Y.UndoManager([doc.getXmlFragment(BODY_FRAGMENT), doc.getText(TITLE_TEXT)], {
      trackedOrigins: new Set([later]),
      captureTimeout: Number.MAX_SAFE_INTEGER,
    });
    Y.transact(doc, () => {
      for (const update of laterUpdates) {
        pace();
        Y.applyUpdate(doc, update);
      }
    }, later);
    const made: Uint8Array[] = [];
    doc.on('update', (update: Uint8Array) => made.push(update));
    while (undo.undoStack.length > 0) undo.undo();
    undo.destroy();
    return made.length === 0 ? null : Y.mergeUpdates(made);
  } finally {
    doc.destroy();
  }
}

interface JsonNode {
  type: string;
  attrs?: Record<string, unknown>;
  content?: JsonNode[];
  text?: string;
  marks?: Array<{ type: string; attrs?: Record<string, unknown> }>;
}

/** What versionChanges answers: authors by index (author ids, null for unknown), the changes and the marked body. */
export interface ComputedChanges {
  authors: Array<string | null>;
  changes: VersionChange[];
  doc: JsonNode;
}

/**
 * What changed from the state of `baseUpdates` to the state after `newerUpdates` as well: the body
 * as ProseMirror JSON holding both sides, inserted and deleted text carrying CHANGE_MARK, and the
 * list of changes, each attributed from `rows` (every row of both sides).
 */
export function versionChanges(baseUpdates: readonly Uint8Array[], newerUpdates: readonly Uint8Array[], rows: readonly AttributableRow[]): ComputedChanges {
  const index = new AttributionIndex(attributeRows(rows));
  const doc = buildDoc(baseUpdates, false);
  try {
    const before = Y.snapshot(doc);
    Y.transact(doc, () => {
      for (const update of newerUpdates) {
        pace();
        Y.applyUpdate(doc, update);
      }
    });
    const after = Y.snapshot(doc);
    const authors: Array<string | null> = [];
    const authorIndex = (author: string | null): number => {
      if (author === null) return -1;
      let at = authors.indexOf(author);
      if (at < 0) at = authors.push(author) - 1;
      return at;
    };
    const changes: VersionChange[] = [];
    const mark = (kind: 'insert' | 'delete', id: Y.ID): ChangeMarkAttrs => {
      const record = kind === 'insert' ? index.inserter(id) : index.deleter(id);
      return { kind, author: authorIndex(record?.author ?? null), at: record?.at ?? null };
    };
    let lastBlock = -1;
    const note = (attrs: ChangeMarkAttrs, text: string, block: number) => {
      const last = changes.at(-1);
      if (last && block === lastBlock && last.kind === attrs.kind && last.author === attrs.author && last.at === attrs.at) last.text += text;
      else changes.push({ ...attrs, text });
      lastBlock = block;
    };
    const render = new ChangeRenderer(before, after, mark, note);
    let body: JsonNode[] = [];
    // One transaction: Yjs joins adjacent items of one client id when a transaction ends, so the
    // items are split where authors change (a guest may reuse someone's client id) and read before that.
    Y.transact(doc, (transaction) => {
      for (const [client, clock] of index.boundaries()) {
        if (clock > 0 && clock < Y.getState(doc.store, client)) Y.getItemCleanStart(transaction, Y.createID(client, clock));
      }
      body = render.children(doc.getXmlFragment(BODY_FRAGMENT), null);
    });
    return { authors, changes, doc: { type: 'doc', content: body.length > 0 ? body : [{ type: 'paragraph' }] } };
  } finally {
    doc.destroy();
  }
}

/** Whether `item` exists and is not deleted in `snapshot` (Yjs keeps its own isVisible internal). */
function isVisible(item: Y.Item, snapshot: Y.Snapshot): boolean {
  const known = snapshot.sv.get(item.id.client) ?? 0;
  return item.id.clock < known && !Y.isDeleted(snapshot.ds, item.id);
}

/** Walks a gc:false fragment between two snapshots, producing ProseMirror JSON with change marks. */
class ChangeRenderer {
  constructor(
    private readonly before: Y.Snapshot,
    private readonly after: Y.Snapshot,
    private readonly mark: (kind: 'insert' | 'delete', id: Y.ID) => ChangeMarkAttrs,
    private readonly note: (attrs: ChangeMarkAttrs, text: string, block: number) => void,
  ) {}

  /** Elements entered so far: a change never runs on across two of them. */
  private block = 0;

  /**
   * The children of `parent` shown on either side. `forced`: an element around them was deleted, so
   * everything inside is (its mark).
   */
  children(parent: Y.XmlFragment | Y.XmlElement, forced: ChangeMarkAttrs | null): JsonNode[] {
    const out: JsonNode[] = [];
    for (let item = parent._start; item !== null; item = item.right) {
      pace();
      const shownAfter = isVisible(item, this.after);
      const shownBefore = isVisible(item, this.before);
      if (!shownAfter && !shownBefore) continue;
      if (!(item.content instanceof Y.ContentType)) continue;
      const type = item.content.type;
      const own = forced ?? (!shownAfter ? this.mark('delete', item.id) : !shownBefore ? this.mark('insert', item.id) : null);
      if (type instanceof Y.XmlText) out.push(...this.text(type, own?.kind === 'delete' ? own : forced));
      else if (type instanceof Y.XmlElement) {
        const attrs = type.getAttributes(shownAfter ? this.after : this.before) as Record<string, unknown>;
        this.block++;
        const node: JsonNode = { type: type.nodeName };
        if (Object.keys(attrs).length > 0) node.attrs = attrs;
        // Inside a deleted element nothing is deleted on its own: all of it goes with the element.
        // Inside an inserted one each item is attributed to whoever inserted it.
        const content = this.children(type, own?.kind === 'delete' ? own : forced);
        if (content.length > 0) node.content = content;
        // An inline leaf (image, hard break) inserted or deleted: noted, shown with its mark where ProseMirror allows.
        if (own && content.length === 0 && type.nodeName !== 'paragraph') this.note(own, type.nodeName === 'hard_break' ? '\n' : `[${type.nodeName}]`, this.block);
        out.push(node);
      }
    }
    return out;
  }

  private text(text: Y.XmlText, forced: ChangeMarkAttrs | null): JsonNode[] {
    // Yjs packs runs by `user` (it expects a client id); a key of our own keeps two authors of one
    // client id (a guest reusing one) apart. Runs of equal marks are joined again below.
    const delta = text.toDelta(this.after, this.before, (kind: 'added' | 'removed', id: Y.ID) => {
      const attrs = this.mark(kind === 'added' ? 'insert' : 'delete', id);
      return { user: `${attrs.kind}/${attrs.author}/${attrs.at}`, ...attrs };
    }) as Array<{ insert: unknown; attributes?: Record<string, unknown> }>;
    const out: JsonNode[] = [];
    for (const op of delta) {
      if (typeof op.insert !== 'string' || op.insert === '') continue;
      const marks: NonNullable<JsonNode['marks']> = [];
      let change: ChangeMarkAttrs | null = forced;
      for (const [key, value] of Object.entries(op.attributes ?? {})) {
        if (key === 'ychange') {
          const { kind, author, at } = value as ChangeMarkAttrs;
          change ??= { kind, author, at };
          continue;
        }
        // y-prosemirror names overlapping marks of one type `<name>--<hash>`.
        const type = key.split('--')[0]!;
        const attrs = value && typeof value === 'object' && Object.keys(value).length > 0 ? (value as Record<string, unknown>) : undefined;
        marks.push(attrs ? { type, attrs } : { type });
      }
      if (change) {
        marks.push({ type: CHANGE_MARK, attrs: { ...change } });
        this.note(change, op.insert, this.block);
      }
      const last = out.at(-1);
      if (last && JSON.stringify(last.marks ?? []) === JSON.stringify(marks)) {
        last.text += op.insert;
        continue;
      }
      const node: JsonNode = { type: 'text', text: op.insert };
      if (marks.length > 0) node.marks = marks;
      out.push(node);
    }
    return out;
  }
}
