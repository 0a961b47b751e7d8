import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, expect, it } from 'vitest';
import { spawnServer } from '../helpers/serverProcess.js';
import { waitFor } from '../helpers/waitFor.js';

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
const { createRequire } = await import('node:module');
for (const file of Object.keys(createRequire(process.cwd() + '/').cache)) process.stderr.write('REQUIRED ' + file + '\\n');
await app.close();
`;

it('a single process on SQLite loads neither the PostgreSQL nor the Redis driver, nor the Markdown and ProseMirror conversions, nor the schema compilers and the static-file server, until they are used', async () => {
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
  // CommonJS packages (Fastify's own dependencies) are not seen by the hook: require's cache names them.
  const required = stderr.split('\n').filter((line) => line.startsWith('REQUIRED ')).map((line) => line.slice('REQUIRED '.length));
  expect(required.some((file) => file.includes('/node_modules/fastify/'))).toBe(true); // the cache was read
  // Route schemas are compiled at a route's first use (server/api/lazySchemas.ts): neither Ajv nor
  // fast-json-stringify's compiler is loaded (Fastify's error serializer takes only its runtime,
  // lib/serializer.js); the web app's static files are served only when WEB_ROOT names a build.
  for (const [name, file] of [
    ['ajv', /\/node_modules\/ajv\//],
    ['@fastify/ajv-compiler', /\/node_modules\/@fastify\/ajv-compiler\//],
    ['fast-json-stringify (its compiler)', /\/node_modules\/fast-json-stringify\/index\.js$/],
    ['@fastify/static', /\/node_modules\/@fastify\/static\//],
  ] as const) {
    expect(required.filter((loaded) => file.test(loaded)), `${name} was loaded at start`).toEqual([]);
  }
}, 60_000);

// Loaded just before server/main.ts (after tsx): reports V8's young generation as it was then and, on
// SIGUSR2, as it is (its reserved size: what it has grown to).
const NEW_SPACE_PROBE = `data:text/javascript,${encodeURIComponent(`
import v8 from 'node:v8';
const newSpace = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
const before = newSpace();
process.on('SIGUSR2', () => process.stderr.write('NEW_SPACE ' + before + ' ' + newSpace() + '\\n'));
`)}`;

it('the young generation does not grow while the server starts (start-up keeps what it allocates; an idle server would hold it touched)', async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-startup-'));
  const server = await spawnServer({ DATA_DIR: dir }, { nodeArgs: ['--import', NEW_SPACE_PROBE] });
  server.child.kill('SIGUSR2');
  const [, before, after] = await waitFor(() => /NEW_SPACE (\d+) (\d+)/.exec(server.output()), 'the server to report its young generation', 10_000, 20);
  expect(Number(before)).toBeGreaterThan(0);
  // At most one step (V8 doubles it): the first scavenge after listening may take the step start-up
  // earned. Grown unchecked, start-up takes it to 4–8 times its size.
  expect(Number(after)).toBeLessThanOrEqual(2 * Number(before));
}, 60_000);
