import type { InputEvent, ProbeEvent, ShapeChange } from './probe.js';

/**
 * The node half of the typing oracle: from what each page's script typed and what each page's probe
 * recorded, decides whether any keystroke was lost, doubled or reordered. Pure functions.
 *
 * Every page types characters of its own alphabet, so each character's author is known. For page P:
 * - the characters P's own (non-undo) transactions inserted are exactly those its script typed,
 *   pasted and composed (else a keystroke never reached the document, or reached it twice);
 * - a remote change may remove P's characters only as far as the other pages recorded deleting them
 *   (Backspace, Delete, typing over a selection, their undo/redo), and may add P's characters only
 *   as far as the other pages' undo/redo recorded restoring them; the rest is lost / doubled;
 * - a remote change never changes the order of P's characters (moved = reordered);
 * - an undo never deletes another page's characters that it had not itself restored;
 * and spaces, shared by all, are counted: no page sees remote changes add or remove more spaces
 * than the other pages inserted or deleted, and the final count is what the pages inserted minus
 * what they deleted (less only where two pages deleted the same space at once). Convergence (all pages, a fresh page, the stored document) is checked by the caller.
 */

export interface PageRecord {
  index: number;
  name: string;
  /** Every own-alphabet character the script entered (typed, pasted, composed), in step order. */
  typed: string;
  /** Spaces the script typed. */
  spaces: number;
  events: ProbeEvent[];
  shapes: ShapeChange[];
  /** Composition and focus events (for the log; the verdict does not use them). */
  inputs?: InputEvent[];
}

export interface Verdict {
  lost: number;
  doubled: number;
  reordered: number;
  /** One line per finding, naming the page and the characters. */
  problems: string[];
  /** The remote events that carried findings (the root-cause trace). */
  evidence: string[];
}

/** A multiset of characters. */
class Bag {
  private readonly counts = new Map<string, number>();
  add(text: string): this {
    for (const ch of text) this.counts.set(ch, (this.counts.get(ch) ?? 0) + 1);
    return this;
  }
  /** Removes what it can of `text`; returns the characters it did not hold. */
  take(text: string): string {
    let missing = '';
    for (const ch of text) {
      const n = this.counts.get(ch) ?? 0;
      if (n > 0) this.counts.set(ch, n - 1);
      else missing += ch;
    }
    return missing;
  }
  /** Characters of this bag not in `other` (with multiplicity). */
  minus(other: Bag): string {
    let out = '';
    for (const [ch, n] of this.counts) {
      const extra = n - (other.counts.get(ch) ?? 0);
      if (extra > 0) out += ch.repeat(extra);
    }
    return out;
  }
}

/** The characters of `text` that belong to `alphabet`, in order. */
export function projection(text: string, alphabet: string): string {
  return [...text].filter((ch) => alphabet.includes(ch)).join('');
}

/**
 * Every page's Yjs shape changes in the second before `t`: how a paragraph came to hold several
 * XmlTexts (remote), and whose transaction merged them (local). Times from the run's start.
 */
function shapeTrace(pages: PageRecord[], t: number, t0: number): string {
  const recent = pages.flatMap((p) => p.shapes.filter((s) => s.t <= t && s.t > t - 1000).map((s) => ({ ...s, name: p.name }))).sort((a, b) => a.t - b.t);
  if (recent.length === 0) return '';
  const what = (shape: string) => (shape === '' ? 'one XmlText per paragraph' : `several XmlTexts in ${shape}`);
  return `; Yjs shape before it: ${recent.map((s) => `${s.name} t=${s.t - t0}ms after a ${s.origin} transaction: ${what(s.shape)}`).join(', ')}`;
}

/** What the other pages did to the structure (split, join) or undid in the 300 ms before `t`. */
function othersBefore(pages: PageRecord[], page: PageRecord, t: number, t0: number): string {
  const recent = pages
    .filter((p) => p !== page)
    .flatMap((p) => p.events.filter((e) => e.kind !== 'remote' && (e.blocks !== undefined || e.kind === 'undo') && e.t <= t && e.t > t - 300).map((e) => ({ e, name: p.name })))
    .sort((a, b) => a.e.t - b.e.t);
  if (recent.length === 0) return '';
  return `; before it: ${recent.map(({ e, name }) => `${name} t=${e.t - t0}ms ${e.kind === 'undo' ? 'undo/redo' : `"${e.step}" textblocks ${e.blocks}`}`).join(', ')}`;
}

/**
 * The composition and focus notes of the steps in which `chars` were entered (found by the notes
 * that name one of them), so that a CI failure's output carries the trace, not only its artifact.
 */
function inputTrace(page: PageRecord, chars: string, t0: number): string[] {
  const inputs = page.inputs ?? [];
  const steps = new Set(inputs.filter((i) => [...chars].some((ch) => i.what.includes(ch))).map((i) => i.step));
  const lines = inputs.filter((i) => steps.has(i.step)).map((i) => `${page.name} t=${i.t - t0}ms input during "${i.step}": ${i.what}`);
  if (lines.length === 0) return [`${page.name}: no composition or focus note names ${JSON.stringify(chars)}`];
  return lines.length > 60 ? [...lines.slice(0, 30), `… ${lines.length - 60} more …`, ...lines.slice(-30)] : lines;
}

const change = (event: ProbeEvent, owner: string) => event.changes[owner] ?? { del: '', ins: '', moved: '' };

export function judge(pages: PageRecord[], finalText: string): Verdict {
  const verdict: Verdict = { lost: 0, doubled: 0, reordered: 0, problems: [], evidence: [] };
  const t0 = Math.min(...pages.flatMap((p) => [...p.events.map((e) => e.t), ...p.shapes.map((s) => s.t)]));
  const eventLine = (page: PageRecord, event: ProbeEvent, what: string): string =>
    `${page.name} t=${event.t - t0}ms ${event.kind} during "${event.step}": ${what}; own ${JSON.stringify(event.ownBefore)} → ${JSON.stringify(event.ownAfter)}` +
    `${event.updateBytes !== undefined ? `, update ${event.updateBytes} B` : ''}${event.yShape ? `, Yjs paragraphs with several XmlTexts: ${event.yShape}` : ''}` +
    `${shapeTrace(pages, event.t, t0)}${othersBefore(pages, page, event.t, t0)}`;

  for (const page of pages) {
    const own = String(page.index);
    // 1. What this page's own transactions inserted is what its script entered.
    const inserted = new Bag();
    for (const event of page.events) if (event.kind === 'local') inserted.add(change(event, own).ins);
    const typed = new Bag().add(page.typed);
    const neverArrived = typed.minus(inserted);
    const insertedTwice = inserted.minus(typed);
    if (neverArrived) {
      verdict.lost += neverArrived.length;
      verdict.problems.push(`${page.name}: typed ${JSON.stringify(neverArrived)} but its editor never inserted them`);
      verdict.evidence.push(...inputTrace(page, neverArrived, t0));
    }
    if (insertedTwice) {
      verdict.doubled += insertedTwice.length;
      verdict.problems.push(`${page.name}: its editor inserted ${JSON.stringify(insertedTwice)} more often than typed`);
    }

    // 2. Remote removals and additions of my characters, against the other pages' records.
    const deletedByOthers = new Bag();
    const restoredByOthers = new Bag();
    for (const other of pages) {
      if (other === page) continue;
      for (const event of other.events) {
        if (event.kind === 'remote') continue;
        deletedByOthers.add(change(event, own).del);
        if (event.kind === 'undo') restoredByOthers.add(change(event, own).ins);
      }
    }
    for (const event of page.events) {
      if (event.kind !== 'remote') continue;
      const mine = change(event, own);
      const lost = deletedByOthers.take(mine.del);
      const doubled = restoredByOthers.take(mine.ins);
      if (lost) {
        verdict.lost += lost.length;
        verdict.problems.push(`${page.name}: a remote change removed ${JSON.stringify(lost)} that no other page deleted`);
        verdict.evidence.push(eventLine(page, event, `lost ${JSON.stringify(lost)}`));
      }
      if (doubled) {
        verdict.doubled += doubled.length;
        verdict.problems.push(`${page.name}: a remote change added ${JSON.stringify(doubled)} that it typed once`);
        verdict.evidence.push(eventLine(page, event, `doubled ${JSON.stringify(doubled)}`));
      }
      if (mine.moved) {
        verdict.reordered += mine.moved.length;
        verdict.problems.push(`${page.name}: a remote change moved ${JSON.stringify(mine.moved)}`);
        verdict.evidence.push(eventLine(page, event, `reordered ${JSON.stringify(mine.moved)}`));
      }
    }

    // 3. My undo/redo deletes others' characters only where it restored them first.
    const undoRestored = new Map<string, Bag>();
    for (const event of page.events) {
      if (event.kind !== 'undo') continue;
      for (const [owner, c] of Object.entries(event.changes)) {
        if (owner === own || owner === 's') continue;
        const bag = undoRestored.get(owner) ?? new Bag();
        undoRestored.set(owner, bag);
        const taken = bag.take(c.del);
        if (taken) verdict.problems.push(`${page.name}: an undo/redo deleted ${JSON.stringify(taken)} of page ${owner}, which it had not restored (undo took others' words)`);
        bag.add(c.ins);
      }
    }
    // 4. My local (non-undo) transactions never insert others' characters.
    for (const event of page.events) {
      if (event.kind !== 'local') continue;
      for (const [owner, c] of Object.entries(event.changes)) {
        if (owner !== own && owner !== 's' && c.ins) {
          verdict.problems.push(`${page.name}: its own change during "${event.step}" inserted ${JSON.stringify(c.ins)} of page ${owner}`);
        }
      }
    }
  }

  // 5. Spaces, shared by all, so counted. Per page, as for letters: a remote change adds no more
  // spaces than the other pages inserted and removes no more than they deleted. In all, the document
  // holds what the pages inserted minus what they deleted, except that two pages may delete the same
  // space at once (both typing over one paragraph, selected by a triple click in each window): then
  // it holds between that and what was inserted minus the most any one page deleted.
  const spaceCounts = pages.map((page) => {
    let ins = 0;
    let del = 0;
    let remoteIns = 0;
    let remoteDel = 0;
    for (const event of page.events) {
      const c = change(event, 's');
      if (event.kind === 'remote') {
        remoteIns += c.ins.length;
        remoteDel += c.del.length;
      } else {
        ins += c.ins.length;
        del += c.del.length;
      }
    }
    return { page, ins, del, remoteIns, remoteDel };
  });
  const before = verdict.lost + verdict.doubled;
  const inserted = spaceCounts.reduce((sum, c) => sum + c.ins, 0);
  const deleted = spaceCounts.reduce((sum, c) => sum + c.del, 0);
  for (const c of spaceCounts) {
    // A space that someone's move carried is removed by the mover's update and put back by the
    // typist's rebase in a later one (moveRebase.ts): a removal and an addition beyond what the
    // others typed pair up as a move. What is left over is a loss or a doubling (and a loss and a
    // doubling of two spaces at once look like a move: only the document's count below sees them).
    const extraIns = c.remoteIns - (inserted - c.ins);
    const extraDel = c.remoteDel - (deleted - c.del);
    const moves = Math.max(0, Math.min(extraIns, extraDel));
    if (extraIns > moves) {
      verdict.doubled += extraIns - moves;
      verdict.problems.push(`spaces: remote changes added ${c.remoteIns} spaces to ${c.page.name}'s page; the other pages inserted ${inserted - c.ins}`);
    }
    if (extraDel > moves) {
      verdict.lost += extraDel - moves;
      verdict.problems.push(`spaces: remote changes removed ${c.remoteDel} spaces from ${c.page.name}'s page; the other pages deleted ${deleted - c.del}`);
    }
  }
  const finalSpaces = [...finalText].filter((ch) => ch === ' ').length;
  const fewest = inserted - deleted;
  const most = inserted - Math.max(0, ...spaceCounts.map((c) => c.del));
  if (finalSpaces < fewest || finalSpaces > most) {
    // Counted once: a space a page saw added or removed is already counted above.
    const counted = verdict.lost + verdict.doubled - before;
    if (finalSpaces < fewest) verdict.lost += Math.max(0, fewest - finalSpaces - counted);
    else verdict.doubled += Math.max(0, finalSpaces - most - counted);
    verdict.problems.push(`spaces: the pages inserted ${inserted} and deleted ${deleted}, the document holds ${finalSpaces}`);
  }
  return verdict;
}
