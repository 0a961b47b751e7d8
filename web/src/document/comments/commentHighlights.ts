import { type EditorState, Plugin, PluginKey, type Transaction } from 'prosemirror-state';
import { Decoration, DecorationSet } from 'prosemirror-view';
import { ySyncPluginKey } from 'y-prosemirror';
import type * as Y from 'yjs';
import { type EncodedAnchor, resolveAnchor, type YMapping } from './anchors.js';

/** Where each thread's text is now (null: its text was deleted, or is not here yet). */
export type ThreadRanges = ReadonlyMap<number, { from: number; to: number } | null>;

interface HighlightState {
  anchors: ReadonlyMap<number, EncodedAnchor>;
  active: number | null;
  ranges: ThreadRanges;
  decorations: DecorationSet;
}

/** What a transaction may tell the plugin: new anchors (the shown threads) and/or the active thread. */
interface HighlightMeta {
  anchors?: ReadonlyMap<number, EncodedAnchor>;
  active?: number | null;
}

export const commentHighlightsKey = new PluginKey<HighlightState>('commentHighlights');

interface Binding {
  doc: Y.Doc;
  type: Y.XmlFragment;
  mapping: YMapping;
}

/** Resolves every anchor through y-prosemirror's binding (none before the binding exists). */
function resolveAll(state: EditorState, anchors: ReadonlyMap<number, EncodedAnchor>): Map<number, { from: number; to: number } | null> {
  const binding = (ySyncPluginKey.getState(state) as { binding?: Binding | null } | undefined)?.binding ?? null;
  const ranges = new Map<number, { from: number; to: number } | null>();
  for (const [id, anchor] of anchors) {
    const range = binding === null ? null : resolveAnchor(binding.doc, binding.type, binding.mapping, anchor);
    // A range past the end (the binding's mapping a step ahead of this state) is not shown this time.
    ranges.set(id, range !== null && range.to <= state.doc.content.size ? range : null);
  }
  return ranges;
}

function decorate(state: EditorState, ranges: ThreadRanges, active: number | null): DecorationSet {
  const decorations: Decoration[] = [];
  for (const [id, range] of ranges) {
    if (range === null) continue;
    decorations.push(
      Decoration.inline(range.from, range.to, { class: id === active ? 'comment-anchor active' : 'comment-anchor', 'data-thread-id': String(id) }, { threadId: id }),
    );
  }
  return DecorationSet.create(state.doc, decorations);
}

/**
 * Highlights the text each comment thread is on, as inline decorations (never marks: nothing is
 * written into the document). Anchors are Yjs relative positions, resolved through y-prosemirror's
 * mapping whenever the document changed from Yjs (another person's edit, a sync) or the threads
 * changed; a local edit maps the highlights through the transaction, as the Yjs side catches up
 * after it. A click on highlighted text calls `onSelect` with its thread; `onRanges` hears where
 * every thread is after each change (the sidebar orders and marks orphans by it), `onViewUpdate`
 * every update of the view (the selection may have moved).
 */
export function commentHighlights(
  onSelect: (threadId: number) => void,
  onRanges: (ranges: ThreadRanges) => void,
  onViewUpdate: () => void,
): Plugin<HighlightState> {
  let lastRanges: ThreadRanges | null = null;
  return new Plugin<HighlightState>({
    key: commentHighlightsKey,
    state: {
      init: (_config, state) => ({ anchors: new Map(), active: null, ranges: new Map(), decorations: DecorationSet.create(state.doc, []) }),
      apply(tr: Transaction, previous, _old, state): HighlightState {
        const meta = tr.getMeta(commentHighlightsKey) as HighlightMeta | undefined;
        const fromYjs = (tr.getMeta(ySyncPluginKey) as { isChangeOrigin?: boolean } | undefined)?.isChangeOrigin === true;
        const anchors = meta?.anchors ?? previous.anchors;
        const active = meta?.active !== undefined ? meta.active : previous.active;
        if (meta !== undefined || fromYjs) {
          const ranges = resolveAll(state, anchors);
          return { anchors, active, ranges, decorations: decorate(state, ranges, active) };
        }
        if (!tr.docChanged) return previous;
        const ranges = new Map<number, { from: number; to: number } | null>();
        for (const [id, range] of previous.ranges) {
          if (range === null) {
            ranges.set(id, null);
            continue;
          }
          const from = tr.mapping.map(range.from, 1);
          const to = tr.mapping.map(range.to, -1);
          ranges.set(id, to > from ? { from, to } : null);
        }
        return { anchors, active, ranges, decorations: previous.decorations.map(tr.mapping, tr.doc) };
      },
    },
    props: {
      decorations: (state) => commentHighlightsKey.getState(state)?.decorations ?? null,
      handleClick(view, pos) {
        const found = commentHighlightsKey.getState(view.state)?.decorations.find(pos, pos) ?? [];
        const spec = found[0]?.spec as { threadId?: number } | undefined;
        if (spec?.threadId !== undefined) onSelect(spec.threadId);
        return false;
      },
    },
    view: () => ({
      update(view) {
        onViewUpdate();
        const ranges = commentHighlightsKey.getState(view.state)?.ranges ?? null;
        if (ranges !== null && ranges !== lastRanges) {
          lastRanges = ranges;
          onRanges(ranges);
        }
      },
    }),
  });
}

/** Tells the highlights which threads to show (anchors by thread id) and/or which is active. */
export function setHighlights(tr: Transaction, meta: HighlightMeta): Transaction {
  return tr.setMeta(commentHighlightsKey, meta);
}
