import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
let dir: string | null = null;
afterEach(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  dir = null;
});

// A module-load hook for the child: every file URL it loads, one per line on stderr.
const HOOK = `data:text/javascript,${encodeURIComponent(`
import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent(\`
export async function load(url, context, next) {
  if (url.startsWith('file:')) process.stderr.write('LOADED ' + url + '\\\\n');
  return next(url, context);
}\`));
`)}`;

// Builds the app on SQLite (no DATABASE_URL, no REDIS_URL) and closes it: what a single process loads.
const BUILD = `
const { buildApp } = await import('./server/app.ts');
const { loadConfig } = await import('./server/config.ts');
const app = await buildApp(loadConfig({ DATA_DIR: process.env.TEST_DATA_DIR, LOG_LEVEL: 'warn' }, null));
await app.ready();
await app.close();
`;

it('a single process on SQLite loads neither the PostgreSQL nor the Redis driver, nor the Markdown and ProseMirror conversions, until they are used', async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-startup-'));
  const { stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--import', HOOK, '--input-type=module', '-e', BUILD], {
    cwd: root,
    env: { ...process.env, TEST_DATA_DIR: dir },
    maxBuffer: 16 * 1024 * 1024,
  });
  const loaded = stderr.split('\n').filter((line) => line.startsWith('LOADED ')).map((line) => line.slice('LOADED '.length));
  expect(loaded.some((url) => url.includes('/server/app.ts'))).toBe(true); // the hook saw the app load
  const packages = new Set(loaded.flatMap((url) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1] ?? []));
  for (const name of ['pg', 'ioredis', 'markdown-it', 'prosemirror-markdown', 'prosemirror-model', 'y-prosemirror']) {
    expect(packages.has(name), `${name} was loaded at start`).toBe(false);
  }
  expect(packages.has('better-sqlite3')).toBe(true);
}, 60_000);
