// First: it holds the young generation small while the rest loads.
import { startupDone } from './startupHeap.js';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// The entry point: read config, listen, shut down gracefully on SIGTERM/SIGINT.
// Compiled to dist/server/server/main.js; the web build sits in dist/web.
// Run from source (tsx server/main.ts) it is server/main.ts, and the build is in ../dist/web.
const here = path.dirname(fileURLToPath(import.meta.url));
const builtWeb = [path.resolve(here, '../../web'), path.resolve(here, '../dist/web')];
const defaultWebRoot = builtWeb.find((dir) => fs.existsSync(path.join(dir, 'index.html'))) ?? builtWeb[0]!;

// Loaded after startupHeap.ts has run (static imports would all be loaded before any of them runs).
const [{ buildApp }, { loadConfig }] = await Promise.all([import('./app.js'), import('./config.js')]);
const config = loadConfig(process.env, defaultWebRoot);
const app = await buildApp(config);

let stopping = false;
async function stop(signal: string): Promise<void> {
  if (stopping) {
    app.log.warn({ signal }, 'second signal: exiting without waiting');
    process.exit(1);
  }
  stopping = true;
  app.log.info({ signal }, 'shutting down: committing, closing connections with 1012');
  try {
    await app.close();
    process.exit(0);
  } catch (error) {
    app.log.error({ err: error }, 'shutdown failed');
    process.exit(1);
  }
}
process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGINT', () => void stop('SIGINT'));

try {
  await app.listen({ port: config.port, host: config.host });
  startupDone();
  app.log.info({ dataDir: config.dataDir }, `Tandem is ready at http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${(app.server.address() as { port: number }).port}/`);
} catch (error) {
  app.log.error({ err: error }, 'could not start');
  process.exit(1);
}
