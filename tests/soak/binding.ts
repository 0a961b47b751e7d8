import { type Finding, session } from './bindingSession.js';

/**
 * `npm run soak:binding -- [--runs 200] [--seed 1] [--people 4] [--kinds type,enter,join,del,paste]`: random
 * sessions of several people (four by default) editing one document through the editor's binding and move rebase, without
 * a browser (tests/helpers/bindingSides.ts): each step one person types a run, presses Enter, joins
 * two paragraphs (Backspace at a paragraph's start), deletes a character, pastes several
 * paragraphs, or (kind `drag`, not in the default kinds) drags 1 to 4 of their own characters
 * elsewhere in one transaction (bindingSession.ts says why only their own), or (kinds `undo`, `redo`,
 * not in the default kinds) undoes or redoes their last change with the editor's undo manager (only
 * their own characters may vanish), anywhere, and updates cross at random through an in-order relay like Tandem's server.
 * After every step each person's own characters must show once each, in the order they typed them
 * (characters someone deleted on purpose aside); at the end all converge. Prints each failing
 * session's first finding (re-run one alone with `--runs 1 --seed N`, which also prints its steps)
 * and a summary line. Seconds for hundreds of sessions: the fast way to find a shape to trace before
 * trying it in the browser soak (`npm run test:typing`).
 */
function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1]! : fallback;
}
const runs = Number(option('runs', '200'));
const base = Number(option('seed', '1'));
const kinds = option('kinds', 'type,enter,join,del,paste').split(',');
const people = Number(option('people', '4'));

const findings: Array<{ seed: number } & Finding> = [];
for (let r = 0; r < runs; r++) {
  const trace = runs === 1 ? [] : null;
  let finding: Finding | null;
  try {
    finding = session(base + r, { people, kinds }, trace);
  } catch (error) {
    finding = { kind: 'diverged', text: `threw ${(error as Error).message}` };
  }
  if (finding !== null) {
    findings.push({ seed: base + r, ...finding });
    console.log(`seed ${base + r}: ${finding.kind}: ${finding.text}`);
  }
  if (trace !== null) console.log(trace.join('\n'));
}
const count = (kind: Finding['kind']): number => findings.filter((f) => f.kind === kind).length;
console.log(`sessions ${runs}, kinds ${kinds.join(',')}, with a finding ${findings.length} (first finding: lost ${count('lost')}, doubled ${count('doubled')}, reordered ${count('reordered')}, diverged ${count('diverged')})`);
process.exit(findings.length === 0 ? 0 : 1);
