import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildApp } from './app.js';
import { loadConfig } from './config.js';

// The entry point: read config, listen, shut down gracefully on SIGTERM/SIGINT.
// Compiled to dist/server/server/main.js; the web build sits in dist/web.
// Run from source (tsx server/main.ts) it is server/main.ts, and the build is in ../dist/web.
const here = path.dirname(fileURLToPath(import.meta.url));
const builtWeb = [path.resolve(here, '../../web'), path.resolve(here, '../dist/web')];
const defaultWebRoot = builtWeb.find((dir) => fs.existsSync(path.join(dir, 'index.html'))) ?? builtWeb[0]!;

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
  app.log.info({ dataDir: config.dataDir }, `Tandem is ready at http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${(app.server.address() as { port: number }).port}/`);
} catch (error) {
  app.log.error({ err: error }, 'could not start');
  process.exit(1);
}
