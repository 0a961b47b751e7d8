import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/**
 * `npm run test:typing -- --runs 500 [--seed BASE] [--steps type,click,…]`: the typing suite (every step kind by default) (tests/e2e/typing.test.ts)
 * with many random runs, then its summary line
 * (`runs R, steps S, keystrokes K, lost L, doubled D, reordered O; failed: …`).
 * Expects the app built (the npm script builds it first). Exits with vitest's status.
 */
function option(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

const runs = option('runs') ?? '40';
if (!/^\d+$/.test(runs)) throw new Error(`--runs must be a whole number, got ${runs}`);
// The soak takes every step kind unless told otherwise (`npm test` only the guaranteed ones).
const env: NodeJS.ProcessEnv = { ...process.env, RUNS: runs, TYPING_STEPS: option('steps') ?? process.env['TYPING_STEPS'] ?? 'all' };
const seed = option('seed');
if (seed !== undefined) env['BASE_SEED'] = seed;
const summaryFile = path.resolve('test-artifacts/e2e/typing/summary.txt');
fs.rmSync(summaryFile, { force: true });
// One run per test case: per-case timeouts stay those of a short run however long the soak is.
const result = spawnSync('npx', ['vitest', 'run', '--project', 'e2e', 'tests/e2e/typing.test.ts'], { env, stdio: 'inherit' });
const summary = fs.existsSync(summaryFile) ? fs.readFileSync(summaryFile, 'utf8').trim() : 'no summary: the suite did not finish';
process.stdout.write(`\n${summary}\n`);
process.exit(result.status ?? 1);
