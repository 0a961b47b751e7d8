/**
 * The in-page half of the typing oracle, installed with `page.evaluate(installProbe, …)` on a page
 * whose editor is open (`window.tandem`). Self-contained: playwright serializes the function, so it
 * may use nothing from outside its body.
 *
 * Every ProseMirror transaction that changes the document is split by alphabet ("owner": page k's
 * characters, or spaces) and each owner's projection (its characters in document order) is diffed
 * before → after (an LCS on the changed middle). Each change is recorded as a ProbeEvent:
 * - `local`: typed, pasted, composed, Enter/Backspace/Delete… (no y-sync meta);
 * - `undo`: y-prosemirror rendering a Yjs transaction of this page's UndoManager;
 * - `remote`: y-prosemirror rendering a Yjs transaction from anyone else (the provider, the offline copy).
 * A remote event that touches this page's own projection is the evidence for a lost, doubled or
 * reordered keystroke; it carries the projections before and after, the Yjs shape of the paragraphs
 * (how many XmlTexts each holds) and the size of the remote update.
 */

/** One owner's change in one transaction: characters deleted and inserted (LCS diff), and moved. */
export interface OwnerChange {
  del: string;
  ins: string;
  /** Pairs of the same character deleted and re-inserted at another place in this one change. */
  moved: string;
}

export interface ProbeEvent {
  /** Date.now() when recorded (the pages share the machine's clock). */
  t: number;
  kind: 'local' | 'undo' | 'remote';
  /** By owner: '0'…'3' for page alphabets, 's' for spaces. Only owners whose projection changed. */
  changes: Record<string, OwnerChange>;
  /** The step the page was performing (set by the script through `window.__typingProbe.step`). */
  step: string;
  /** For remote events touching my own projection. */
  ownBefore?: string;
  ownAfter?: string;
  /** Paragraphs holding more than one XmlText ("p3.:2"), read when the remote update had been applied. */
  yShape?: string;
  /** For a local change of the paragraph structure: how many textblocks before → after (e.g. "3→2" for a join). */
  blocks?: string;
  /** Bytes of the remote Yjs update that caused a remote event. */
  updateBytes?: number;
}

/** A change of how the body's paragraphs are made in Yjs (ProbeEvent.yShape), after a Yjs transaction. */
export interface ShapeChange {
  t: number;
  /** Paragraphs holding more than one XmlText, or '' when none does. */
  shape: string;
  origin: 'local' | 'remote' | 'undo' | 'other';
}

/**
 * What the page's input did around the editor: composition events (with their data), focus entering
 * or leaving it (with the element that took it), and whether each compositionstart found the
 * editor focused. The trace that tells "the input method typed into the editor" from "into
 * something else".
 */
export interface InputEvent {
  t: number;
  step: string;
  what: string;
}

export interface ProbeState {
  events: ProbeEvent[];
  inputs: InputEvent[];
  /** Every change of the Yjs shape: the trace of two XmlTexts appearing in one paragraph and being merged. */
  shapes: ShapeChange[];
  step: string;
}

export interface ProbeArgs {
  /** Alphabet of each page, by page index (disjoint). */
  alphabets: string[];
  /** The index of this page. */
  me: number;
}

export function installProbe({ alphabets, me }: ProbeArgs): void {
  type Fragment = {
    size: number;
    textBetween(from: number, to: number, blockSeparator: string, leafText: string): string;
    forEach(f: (child: { isText: boolean }) => void): void;
  };
  type PMNode = {
    textContent: string;
    isTextblock: boolean;
    textBetween(from: number, to: number, blockSeparator: string, leafText: string): string;
    descendants(f: (node: PMNode) => boolean | void): void;
  };
  type Step = { from?: number; to?: number; gapFrom?: number; gapTo?: number; slice?: { content: Fragment; openStart?: number; openEnd?: number } };
  type Tr = { docChanged: boolean; doc: PMNode; docs: PMNode[]; steps: Step[]; getMeta(key: string): unknown };
  type View = {
    state: { doc: PMNode; apply(tr: Tr): unknown };
    updateState(state: unknown): void;
    setProps(props: Record<string, unknown>): void;
  };
  type YDocLike = {
    on(event: string, f: (...args: unknown[]) => void): void;
    getXmlFragment(name: string): { toArray(): unknown[] };
  };
  const w = window as unknown as {
    tandem: { view: View; doc: YDocLike; provider: unknown };
    __typingProbe?: ProbeState;
  };
  if (w.__typingProbe) throw new Error('typing probe installed twice');
  const { view, doc, provider } = w.tandem;
  const state: ProbeState = { events: [], inputs: [], shapes: [], step: 'idle' };
  const describe = (node: unknown): string => {
    if (node instanceof Text) return `text${JSON.stringify((node.textContent ?? '').slice(0, 20))}`;
    if (!(node instanceof Element)) return String(node);
    return `${node.tagName.toLowerCase()}${node.id ? `#${node.id}` : ''}${typeof node.className === 'string' && node.className ? `.${node.className.split(' ')[0]}` : ''}`;
  };
  const note = (what: string): void => {
    state.inputs.push({ t: Date.now(), step: state.step, what });
  };
  const editorDom = (view as unknown as { dom: HTMLElement }).dom;
  // While composing: every DOM change in the editor (the input method's own, and any a script makes
  // to the composed text, which ends the composition in Chromium) and every transaction.
  let composing = false;
  const textOf = (node: Node): string => JSON.stringify((node.textContent ?? '').slice(0, 40));
  new MutationObserver((mutations) => {
    if (!composing) return;
    for (const m of mutations) {
      if (m.type === 'characterData') note(`dom text ${JSON.stringify(m.oldValue?.slice(0, 40))} → ${textOf(m.target)}`);
      else if (m.type === 'childList') note(`dom children of ${describe(m.target)}: +${[...m.addedNodes].map(describe).join(',')} -${[...m.removedNodes].map(describe).join(',')}`);
    }
  }).observe(editorDom, { subtree: true, childList: true, characterData: true, characterDataOldValue: true });
  for (const type of ['compositionstart', 'compositionupdate', 'compositionend']) {
    document.addEventListener(
      type,
      (event) => {
        if (type === 'compositionstart') composing = true;
        if (type === 'compositionend') setTimeout(() => (composing = false), 50);
        const inEditor = editorDom.contains(event.target as Node);
        // Where the browser's caret is when a composition starts (inside a widget, the text goes nowhere).
        const sel = document.getSelection();
        const at = type === 'compositionstart' && sel?.focusNode ? `, caret ${describe(sel.focusNode)}@${sel.focusOffset} in ${describe(sel.focusNode.parentNode)}` : '';
        note(`${type} ${JSON.stringify((event as CompositionEvent).data)} on ${describe(event.target)}${inEditor ? '' : ' (not the editor)'}${at}`);
      },
      true,
    );
  }
  editorDom.addEventListener('focusout', (event) => note(`editor focusout → ${describe((event as FocusEvent).relatedTarget)}`));
  editorDom.addEventListener('focusin', () => note('editor focusin'));
  w.__typingProbe = state;

  const ownerOf = new Map<string, string>();
  alphabets.forEach((alphabet, index) => {
    for (const ch of alphabet) ownerOf.set(ch, String(index));
  });
  ownerOf.set(' ', 's');
  const owners = [...alphabets.map((_, index) => String(index)), 's'];

  /** Projections by owner, cached per document node (each PM doc is immutable). */
  const cache = new WeakMap<object, Record<string, string>>();
  const project = (node: PMNode): Record<string, string> => {
    const hit = cache.get(node);
    if (hit) return hit;
    const parts: Record<string, string[]> = {};
    for (const owner of owners) parts[owner] = [];
    for (const ch of node.textContent) {
      const owner = ownerOf.get(ch);
      if (owner !== undefined) parts[owner]!.push(ch);
    }
    const result: Record<string, string> = {};
    for (const owner of owners) result[owner] = parts[owner]!.join('');
    cache.set(node, result);
    return result;
  };

  /** Deleted and inserted characters turning `a` into `b`: LCS on what lies between common prefix and suffix. */
  const diff = (a: string, b: string): OwnerChange => {
    const x = [...a];
    const y = [...b];
    let start = 0;
    while (start < x.length && start < y.length && x[start] === y[start]) start++;
    let endX = x.length;
    let endY = y.length;
    while (endX > start && endY > start && x[endX - 1] === y[endY - 1]) {
      endX--;
      endY--;
    }
    const xs = x.slice(start, endX);
    const ys = y.slice(start, endY);
    const n = xs.length;
    const m = ys.length;
    // lcs[i][j] = LCS length of xs[i..] and ys[j..]
    const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        lcs[i]![j] = xs[i] === ys[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
      }
    }
    const del: string[] = [];
    const ins: string[] = [];
    let i = 0;
    let j = 0;
    while (i < n && j < m) {
      if (xs[i] === ys[j]) {
        i++;
        j++;
      } else if (lcs[i + 1]![j]! >= lcs[i]![j + 1]!) del.push(xs[i++]!);
      else ins.push(ys[j++]!);
    }
    while (i < n) del.push(xs[i++]!);
    while (j < m) ins.push(ys[j++]!);
    // A character both deleted and inserted in one change moved (the LCS could not keep it in place).
    const moved: string[] = [];
    for (let k = del.length - 1; k >= 0; k--) {
      const at = ins.indexOf(del[k]!);
      if (at >= 0) {
        moved.push(del[k]!);
        del.splice(k, 1);
        ins.splice(at, 1);
      }
    }
    return { del: del.join(''), ins: ins.join(''), moved: moved.join('') };
  };

  /** How the body's paragraphs are made in Yjs: "p3:2" = paragraph 3 holds 2 XmlTexts (only those with more than one). */
  const yShape = (): string => {
    type YNode = { constructor: { name: string }; toArray?: () => YNode[]; length?: number };
    const out: string[] = [];
    const walk = (node: YNode, path: string): void => {
      const children = node.toArray?.() ?? [];
      let texts = 0;
      children.forEach((child, index) => {
        if (child.toArray === undefined) texts++;
        else walk(child, `${path}${index}.`);
      });
      if (texts > 1) out.push(`${path || 'root'}:${texts}`);
    };
    (doc.getXmlFragment('prosemirror').toArray() as YNode[]).forEach((node, index) => walk(node, `p${index}.`));
    return out.join(' ');
  };

  let lastShape = '';
  doc.on('afterTransaction', (transaction: unknown) => {
    const shape = yShape();
    if (shape === lastShape) return;
    lastShape = shape;
    const { origin, local } = transaction as { origin: unknown; local: boolean };
    const kind: ShapeChange['origin'] =
      origin === provider ? 'remote' : origin !== null && typeof origin === 'object' && 'undoStack' in origin ? 'undo' : local ? 'local' : 'other';
    state.shapes.push({ t: Date.now(), shape, origin: kind });
  });

  // One batch of Yjs transactions (a remote update, and what the page does in reply before the
  // batch ends, such as moving its own keystrokes after text someone moved: moveRebase.ts) runs in one
  // task, so the page never shows what lies between its renders: a batch's remote renders are
  // judged as one change, from the document before the first to the one after the last.
  let batch = 0;
  doc.on('beforeAllTransactions', () => {
    batch++;
  });
  let batchEvent: { event: ProbeEvent; batch: number; before: PMNode } | null = null;

  let lastRemote: ProbeEvent | null = null;
  doc.on('update', (update: unknown, origin: unknown) => {
    if (origin === provider && lastRemote !== null && lastRemote.updateBytes === undefined) {
      lastRemote.updateBytes = (update as Uint8Array).length;
    }
    lastRemote = null;
  });

  const ownerChars = (text: string): Record<string, string[]> => {
    const out: Record<string, string[]> = {};
    for (const ch of text) {
      const owner = ownerOf.get(ch);
      if (owner !== undefined) (out[owner] ??= []).push(ch);
    }
    return out;
  };

  /**
   * A local transaction's changes, from its steps: what each step removed from the document before
   * it and what its slice inserted. An inline step (typing, an inline paste) counts exactly, with no
   * diff: typing "a" over a selected "ab" is one deletion of "ab" and one insertion of "a". A step
   * that moves block structure (a slice with blocks in it, or a ReplaceAroundStep: joining, lifting,
   * a Delete that re-inserts the next block's content) may delete text and insert it again
   * elsewhere: there each owner's deleted and inserted text are diffed, so what only moved counts as
   * neither. During a composition the editor re-reads the composed text from the DOM and may replace
   * it by itself: there a step's deleted and inserted text lose their common prefix and suffix.
   */
  const stepChanges = (tr: Tr): Record<string, OwnerChange> => {
    const changes: Record<string, OwnerChange> = {};
    const add = (owner: string, del: string, ins: string): void => {
      if (!del && !ins) return;
      const c = (changes[owner] ??= { del: '', ins: '', moved: '' });
      c.del += del;
      c.ins += ins;
    };
    tr.steps.forEach((step, index) => {
      const before = tr.docs[index]!;
      if (typeof step.from !== 'number' || typeof step.to !== 'number' || step.slice === undefined) return;
      const around = typeof step.gapFrom === 'number' && typeof step.gapTo === 'number';
      let d = around
        ? before.textBetween(step.from, step.gapFrom!, '', '') + before.textBetween(step.gapTo!, step.to, '', '')
        : before.textBetween(step.from, step.to, '', '');
      const content = step.slice.content;
      let s = content.textBetween(0, content.size, '', '');
      let blocks = around || step.slice.openStart! > 0 || step.slice.openEnd! > 0;
      content.forEach((child) => {
        if (!child.isText) blocks = true;
      });
      if (state.step.includes('compose')) {
        let p = 0;
        while (p < d.length && p < s.length && d[p] === s[p]) p++;
        let q = 0;
        while (q < d.length - p && q < s.length - p && d[d.length - 1 - q] === s[s.length - 1 - q]) q++;
        d = d.slice(p, d.length - q);
        s = s.slice(p, s.length - q);
      }
      const del = ownerChars(d);
      const ins = ownerChars(s);
      for (const owner of owners) {
        const dd = (del[owner] ?? []).join('');
        const ss = (ins[owner] ?? []).join('');
        if (blocks && dd && ss) {
          const moved = diff(dd, ss);
          add(owner, moved.del, moved.ins);
        } else {
          add(owner, dd, ss);
        }
      }
    });
    return changes;
  };

  const blockCount = (node: PMNode): number => {
    let count = 0;
    node.descendants((child) => {
      if (child.isTextblock) count++;
      return !child.isTextblock;
    });
    return count;
  };

  const record = (docBefore: PMNode, tr: Tr): void => {
    let before = docBefore;
    const sync = tr.getMeta('y-sync$') as { isChangeOrigin?: boolean; isUndoRedoOperation?: boolean } | undefined;
    const kind: ProbeEvent['kind'] = sync?.isChangeOrigin ? (sync.isUndoRedoOperation ? 'undo' : 'remote') : 'local';
    const merge = kind === 'remote' && batchEvent !== null && batchEvent.batch === batch && state.events[state.events.length - 1] === batchEvent.event;
    if (merge) before = batchEvent!.before;
    const a = project(before);
    const b = project(tr.doc);
    let changes: Record<string, OwnerChange> = {};
    if (kind === 'local') {
      changes = stepChanges(tr);
    } else {
      // y-prosemirror renders a Yjs change by replacing the whole document: diff the projections.
      for (const owner of owners) {
        if (a[owner] !== b[owner]) changes[owner] = diff(a[owner]!, b[owner]!);
      }
    }
    // A local change of the paragraph structure alone (Enter, joining paragraphs) is kept too: it is
    // what rewrites others' text in Yjs when paragraphs are split or joined.
    const blocks = kind === 'local' ? [blockCount(before), blockCount(tr.doc)] : null;
    const structural = blocks !== null && blocks[0] !== blocks[1];
    if (merge) state.events.pop();
    if (Object.keys(changes).length === 0 && !structural) {
      if (merge) batchEvent = null;
      return;
    }
    const event: ProbeEvent = { t: Date.now(), kind, changes, step: state.step };
    batchEvent = kind === 'remote' ? { event, batch, before } : null;
    if (structural) event.blocks = `${blocks![0]}→${blocks![1]}`;
    const mine = changes[String(me)];
    if (kind === 'remote') {
      lastRemote = event;
      if (mine !== undefined) {
        event.ownBefore = a[String(me)];
        event.ownAfter = b[String(me)];
        event.yShape = yShape();
      }
    }
    state.events.push(event);
  };

  view.setProps({
    dispatchTransaction(this: unknown, tr: Tr) {
      if (composing) {
        const meta = Object.keys((tr as unknown as { meta: Record<string, unknown> }).meta ?? {}).join(',');
        note(`transaction${tr.docChanged ? ' (doc)' : ''}${(tr as unknown as { selectionSet: boolean }).selectionSet ? ' (selection)' : ''} meta ${meta}`);
      }
      if (tr.docChanged) record(view.state.doc, tr);
      view.updateState(view.state.apply(tr));
    },
  });
}
