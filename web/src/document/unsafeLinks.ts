import type { Node as PMNode } from 'prosemirror-model';
import { Plugin, type Transaction } from 'prosemirror-state';
import { isSafeUrl } from '../../../shared/safeUrl.js';

/**
 * Clears, in a window that may edit, the links and images whose address the URL rule refuses
 * (shared/safeUrl.ts) — only a document stored before the server refused them holds any. The schema
 * already shows them inert; this takes them out of the document, so that no later edit writes the
 * address again (a paragraph split re-sends its text's marks, and the server would refuse that
 * change with 4422 and the window could no longer save). The link's text stays. Not added to the
 * undo history, so an undo cannot bring the address back. Checked only for blocks that changed
 * since the last look (unchanged blocks are the same objects and are remembered as clean).
 */
export function unsafeUrlCleanup(mayEdit: () => boolean): Plugin {
  const clean = new WeakSet<PMNode>();
  return new Plugin({
    appendTransaction(transactions, _oldState, state): Transaction | null {
      if (!transactions.some((tr) => tr.docChanged) || !mayEdit()) return null;
      const link = state.schema.marks['link'];
      const unsafeLinks: Array<[number, number]> = [];
      const unsafeImages: number[] = [];
      state.doc.forEach((block, offset) => {
        if (clean.has(block)) return;
        let found = false;
        block.descendants((node, pos) => {
          const at = offset + 1 + pos;
          if (node.type.name === 'image' && !isSafeUrl(node.attrs['src'])) {
            unsafeImages.push(at);
            found = true;
          } else if (node.isText && node.marks.some((mark) => mark.type === link && !isSafeUrl(mark.attrs['href']))) {
            unsafeLinks.push([at, at + node.nodeSize]);
            found = true;
          }
        });
        if (!found) clean.add(block);
      });
      if (unsafeLinks.length === 0 && unsafeImages.length === 0) return null;
      const tr = state.tr;
      if (link) for (const [from, to] of unsafeLinks) tr.removeMark(from, to, link);
      // From the end, so earlier positions stay valid.
      for (const at of unsafeImages.reverse()) tr.delete(tr.mapping.map(at), tr.mapping.map(at + 1));
      return tr.setMeta('addToHistory', false);
    },
  });
}
