import type { Node as PMNode } from 'prosemirror-model';
import { EditorState, TextSelection } from 'prosemirror-state';
import { describe, expect, it, vi } from 'vitest';
import { absolutePositionToRelativePosition, IndexedMapping, relativePositionToAbsolutePosition, updateYFragment, yXmlFragmentToProseMirrorRootNode } from 'y-prosemirror';
import * as Y from 'yjs';
import { BODY_FRAGMENT, schema } from '../../shared/schema.js';
import { seededRandom } from '../helpers/seededRandom.js';

/**
 * The binding's IndexedMapping (patches/y-prosemirror+1.3.7.patch) starts absolutePositionToRelativePosition
 * at the block a position is in instead of walking every block before it, and relativePositionToAbsolutePosition
 * takes a block's start from it. It must give exactly what
 * the walk gives (a plain Map copy of the same mapping), in every state the binding passes through:
 * after local edits written with updateYFragment, with remote changes applied to the Y.Doc and not
 * drawn yet (the mapping behind), after drawing them, after a full re-render (clear). And
 * updateYFragment, which takes the body's blocks from the index, must write what it is given.
 */
function render(fragment: Y.XmlFragment): PMNode {
  const doc = yXmlFragmentToProseMirrorRootNode(fragment, schema);
  return doc.childCount === 0 ? schema.topNodeType.createAndFill()! : doc;
}

function sameAsWalk(fragment: Y.XmlFragment, mapping: IndexedMapping, size: number, random: () => number): void {
  const plain = new Map(mapping);
  const positions = new Set<number>([0, 1, size - 1, size]);
  for (let i = 0; i < 60; i++) positions.add(Math.floor(random() * (size + 1)));
  // Back first (a block's start read before any forward conversion brought the index up to date),
  // then forward.
  const slow = [...positions].map((pos) => [pos, absolutePositionToRelativePosition(pos, fragment, plain)] as const);
  const back = (rel: Y.RelativePosition, m: Map<unknown, unknown>): string => {
    try {
      return String(relativePositionToAbsolutePosition(fragment.doc!, fragment, rel, m as never));
    } catch (error) {
      // The walk fails on a block without a node: so must the index.
      return `throws ${(error as Error).name}`;
    }
  };
  for (const [pos, rel] of slow) expect(back(rel, mapping), `back from position ${pos}`).toBe(back(rel, plain));
  for (const [pos, rel] of slow) {
    const fast = absolutePositionToRelativePosition(pos, fragment, mapping);
    expect(JSON.stringify(Y.relativePositionToJSON(fast)), `position ${pos}`).toBe(JSON.stringify(Y.relativePositionToJSON(rel)));
  }
}

/** Applies what `remote` has that `local` has not, as a remote update; returns its transaction. */
function remoteApply(local: Y.Doc, remote: Y.Doc): Y.Transaction {
  let applied: Y.Transaction | null = null;
  const grab = (transaction: Y.Transaction): void => {
    applied = transaction;
  };
  local.on('afterTransaction', grab);
  Y.applyUpdate(local, Y.encodeStateAsUpdate(remote, Y.encodeStateVector(local)), 'remote');
  local.off('afterTransaction', grab);
  return applied!;
}

/** What y-prosemirror's _typeChanged drops before drawing a remote transaction. */
function drawAsTheBindingDoes(mapping: IndexedMapping, transaction: Y.Transaction): void {
  for (const type of transaction.changed.keys()) mapping.delete(type);
  for (const type of transaction.changedParentTypes.keys()) mapping.delete(type);
}

describe('IndexedMapping', () => {
  it("keeps its index through someone's keystroke in one block (it was rebuilt, a walk of every block, on each)", () => {
    const local = new Y.Doc();
    const remote = new Y.Doc();
    const fragment = local.getXmlFragment(BODY_FRAGMENT);
    const mapping = new IndexedMapping();
    const meta = { mapping, isOMark: new Map() };
    let shown = schema.node('doc', null, Array.from({ length: 200 }, (_, i) => schema.node('paragraph', null, [schema.text(`paragraph ${i}`)])));
    updateYFragment(local, fragment, shown, meta);
    Y.applyUpdate(remote, Y.encodeStateAsUpdate(local));
    const random = seededRandom(7);
    sameAsWalk(fragment, mapping, shown.content.size, random);
    const build = vi.spyOn(mapping as unknown as { build(type: Y.XmlFragment): void }, 'build');
    for (let key = 0; key < 5; key++) {
      ((remote.getXmlFragment(BODY_FRAGMENT).get(100) as Y.XmlElement).get(0) as Y.XmlText).insert(3, 'k');
      drawAsTheBindingDoes(mapping, remoteApply(local, remote));
      shown = render(fragment);
      updateYFragment(local, fragment, shown, meta);
      sameAsWalk(fragment, mapping, shown.content.size, random);
    }
    expect(build).not.toHaveBeenCalled();
    expect(shown.child(100).textContent).toBe('parkkkkkagraph 100');
  });

  it('gives what the walk gives through local edits, undrawn remote changes, drawing and re-rendering', () => {
    const seed = Number(process.env.SEED ?? Date.now() % 100_000);
    console.log(`indexedMapping seed ${seed}`);
    const random = seededRandom(seed);
    const local = new Y.Doc();
    const remote = new Y.Doc();
    local.on('update', (u: Uint8Array, origin: unknown) => origin !== 'remote' && Y.applyUpdate(remote, u, 'remote'));
    const fragment = local.getXmlFragment(BODY_FRAGMENT);
    const remoteFragment = remote.getXmlFragment(BODY_FRAGMENT);
    const mapping = new IndexedMapping();
    const meta = { mapping, isOMark: new Map() };
    // The shown document: starts with 40 paragraphs and a list.
    let shown = schema.node('doc', null, [
      ...Array.from({ length: 40 }, (_, i) => schema.node('paragraph', null, [schema.text(`paragraph ${i} text`)])),
      schema.node('bullet_list', null, [schema.node('list_item', null, [schema.node('paragraph', null, [schema.text('an item')])])]),
    ]);
    updateYFragment(local, fragment, shown, meta);
    const edit = (f: (state: EditorState) => EditorState['tr']): void => {
      const state = EditorState.create({ schema, doc: shown });
      const tr = f(state);
      shown = tr.doc;
      updateYFragment(local, fragment, shown, meta);
      // The write (which lists the body's blocks from the index) left the Y.Doc showing exactly this.
      expect(render(fragment).eq(shown)).toBe(true);
    };
    for (let step = 0; step < 300; step++) {
      const size = shown.content.size;
      const at = 1 + Math.floor(random() * Math.max(1, size - 1));
      const r = random();
      try {
        if (r < 0.35) edit((s) => s.tr.insertText('x', TextSelection.near(s.doc.resolve(at)).from));
        else if (r < 0.45) edit((s) => s.tr.split(TextSelection.near(s.doc.resolve(at)).from));
        else if (r < 0.55) edit((s) => s.tr.delete(at, Math.min(size - 1, at + Math.floor(random() * 30))));
        else if (r < 0.65) {
          // Someone else adds or removes a paragraph: applied to the Y.Doc, not drawn yet.
          const index = Math.floor(random() * remoteFragment.length);
          if (random() < 0.5 && remoteFragment.length > 1) remoteFragment.delete(index, 1);
          else {
            const paragraph = new Y.XmlElement('paragraph');
            paragraph.insert(0, [new Y.XmlText('from afar')]);
            remoteFragment.insert(index, [paragraph]);
          }
          Y.applyUpdate(local, Y.encodeStateAsUpdate(remote, Y.encodeStateVector(local)), 'remote');
          sameAsWalk(fragment, mapping, size, random);
          // Drawn: what changed loses its mapping, the new document is mapped (as _typeChanged does).
          mapping.delete(fragment);
          shown = render(fragment);
          updateYFragment(local, fragment, shown, meta);
        } else if (r < 0.68) {
          // Someone else types into a paragraph: applied, not drawn yet; then drawn as the binding's
          // _typeChanged does (the nodes of the types it changed and of their parents dropped first).
          const texts = remoteFragment.toArray().flatMap((t) => (t instanceof Y.XmlElement && t.nodeName === 'paragraph' && t.get(0) instanceof Y.XmlText ? [t.get(0) as Y.XmlText] : []));
          const text = texts[Math.floor(random() * texts.length)];
          if (text !== undefined) {
            text.insert(Math.floor(random() * (text.length + 1)), 'y');
            const transaction = remoteApply(local, remote);
            sameAsWalk(fragment, mapping, size, random);
            drawAsTheBindingDoes(mapping, transaction);
            shown = render(fragment);
            updateYFragment(local, fragment, shown, meta);
          }
        } else if (r < 0.72) {
          mapping.clear();
          shown = render(fragment);
          updateYFragment(local, fragment, shown, meta);
        }
      } catch (error) {
        if (!(error instanceof RangeError)) throw error; // an edit ProseMirror refuses (schema) is skipped
      }
      sameAsWalk(fragment, mapping, shown.content.size, random);
    }
  });
});
