import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import type { Node as PMNode } from 'prosemirror-model';
import { EditorState } from 'prosemirror-state';
import { updateYFragment, yXmlFragmentToProseMirrorRootNode } from 'y-prosemirror';
import * as Y from 'yjs';
import { BODY_FRAGMENT, schema } from '../../shared/schema.js';
import { bindMoveRebase } from '../../web/src/document/moveRebase.js';
import { withIncomingDeletes } from '../../web/src/sync/incomingDeletes.js';

/**
 * y-prosemirror's binding between a ProseMirror document and the Y.XmlFragment, as patched by
 * patches/y-prosemirror+1.3.7.patch, without a browser: each side renders its Y.Doc to a ProseMirror
 * document (what its editor shows), edits that document as a keystroke would, and writes it back with
 * updateYFragment (what the binding does after every local transaction). Sides exchange updates
 * whenever the test says, so concurrency is exact and repeatable.
 */
export class Side {
  readonly doc = new Y.Doc();
  readonly meta = { mapping: new Map(), isOMark: new Map() };
  readonly fragment = this.doc.getXmlFragment(BODY_FRAGMENT);
  /** Updates made here and not yet delivered to each other side. */
  readonly outbox = new Map<Side, Uint8Array[]>();

  /** `rebase`: this side runs the editor's move rebase (web/src/document/moveRebase.ts). */
  constructor(
    readonly alphabet: RegExp,
    rebase = false,
    clientID?: number,
  ) {
    // A fixed client id makes Yjs order concurrent insertions the same way on every run of a seed.
    if (clientID !== undefined) this.doc.clientID = clientID;
    if (rebase) bindMoveRebase(this.fragment);
    this.doc.on('update', (update: Uint8Array, origin: unknown) => {
      if (origin === 'remote') return;
      for (const queue of this.outbox.values()) queue.push(update);
    });
  }

  /** What this side's editor shows. */
  view(): PMNode {
    const doc = yXmlFragmentToProseMirrorRootNode(this.fragment, schema);
    // An empty fragment shows as the editor's empty document: one empty paragraph.
    return doc.childCount === 0 ? schema.topNodeType.createAndFill()! : doc;
  }

  /** Applies `edit` to what the editor shows and writes the result back, as the binding does. */
  edit(edit: (state: EditorState) => PMNode): PMNode {
    const next = edit(EditorState.create({ schema, doc: this.view() }));
    updateYFragment(this.doc, this.fragment, next, this.meta);
    return next;
  }

  /** Types `text` at document position `pos`. */
  type(pos: number, text: string): PMNode {
    return this.edit((state) => state.tr.insertText(text, pos).doc);
  }

  /**
   * Delivers everything `to` has not yet received from this side, as the page's provider does: each
   * update in a sync frame, applied with its own delete set known to the move rebase.
   */
  deliver(to: Side): void {
    const queue = this.outbox.get(to)!;
    for (const update of queue.splice(0)) deliverUpdate(to, update);
  }
}

/** Applies `update` to `to` as the page's provider does: in a sync frame, its own delete set known to the move rebase. */
export function deliverUpdate(to: Side, update: Uint8Array): void {
  const frame = encoding.createEncoder();
  encoding.writeVarUint(frame, 2); // y-protocols: an update
  encoding.writeVarUint8Array(frame, update);
  withIncomingDeletes(decoding.createDecoder(encoding.toUint8Array(frame)), () => Y.applyUpdate(to.doc, update, 'remote'));
}


/**
 * A relay server, as Tandem's: each side's updates reach it in order, and it passes each on to every
 * other side in the order it got them (so a side never gets a change before what that change saw).
 */
export class Relay {
  private readonly log: Array<{ from: Side; update: Uint8Array }> = [];
  private readonly read = new Map<Side, number>();
  constructor(private readonly sides: Side[]) {
    for (const side of sides) {
      side.outbox.set(this as unknown as Side, []);
      this.read.set(side, 0);
    }
  }
  /** `side`'s pending updates reach the relay. */
  upload(side: Side): void {
    for (const update of side.outbox.get(this as unknown as Side)!.splice(0)) this.log.push({ from: side, update });
  }
  /** Up to `count` of the relay's updates reach `side` (all when omitted). */
  download(side: Side, count = Infinity): void {
    let at = this.read.get(side)!;
    for (; at < this.log.length && count > 0; at++) {
      const { from, update } = this.log[at]!;
      if (from === side) continue;
      deliverUpdate(side, update);
      count--;
    }
    this.read.set(side, at);
  }
  /** Passes everything on until nothing is left to pass; returns the rounds it took. */
  settle(): number {
    for (let round = 1; ; round++) {
      const before = this.log.length;
      for (const side of this.sides) this.upload(side);
      for (const side of this.sides) this.download(side);
      for (const side of this.sides) this.upload(side);
      if (this.log.length === before) return round;
      if (round > 20) throw new Error('the sides keep moving text after 20 rounds');
    }
  }
}
