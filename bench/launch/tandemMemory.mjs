// @ts-check
// Tandem (the built dist/) with an in-memory DocStore instead of SQLite, for scenario D: the same
// rooms, group commit and relay, minus the SQLite write. buildApp(config, store) is Tandem's own seam;
// the store is server/store/memoryStore.ts, which passes the same store contract as SQLite.
import { buildApp } from '../../dist/server/server/app.js';
import { loadConfig } from '../../dist/server/server/config.js';
import { openMemoryStore } from '../../dist/server/server/store/memoryStore.js';

const config = loadConfig(process.env, null);
const app = await buildApp(config, openMemoryStore());
process.on('SIGTERM', () => {
  app.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
await app.listen({ port: config.port, host: config.host });
