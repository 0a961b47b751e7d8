import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { AccountStore } from '../accounts/accountStore.js';
import { openSqliteAccountStore } from '../accounts/sqliteAccountStore.js';
import type { StorageConfig } from '../config.js';
import type { DocStore } from './docStore.js';
import { openSqliteStore } from './sqliteStore.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Documents: their update logs, snapshots and metadata. */
    docStore: DocStore;
    /** Accounts, sessions, access, chat and notifications (the same database as the documents). */
    accountStore: AccountStore;
  }
}

export interface StoragePluginOptions {
  config: StorageConfig;
  /** Stores to use instead of opening them (tests); they are still closed with the app. */
  docStore?: DocStore;
  accountStore?: AccountStore;
}

/**
 * Opens the stores: PostgreSQL when DATABASE_URL is set (its schema created or migrated first;
 * registration fails when the database cannot be reached), else SQLite in DATA_DIR. The PostgreSQL
 * stores (and the `pg` driver) are loaded only when used: a process on SQLite never holds them. Closes them in
 * `onClose`; registered first, so that hook runs last (Fastify runs onClose hooks in reverse order
 * of registration): after the rooms' final commit and compaction, the database is closed.
 */
async function storagePlugin(app: FastifyInstance, { config, ...given }: StoragePluginOptions): Promise<void> {
  const docStore =
    given.docStore ??
    (config.databaseUrl
      ? await (await import('./postgresStore.js')).openPostgresStore({ connectionString: config.databaseUrl, log: app.log })
      : openSqliteStore({ dataDir: config.dataDir, synchronous: config.sqliteSynchronous }));
  let accountStore: AccountStore;
  try {
    accountStore =
      given.accountStore ??
      (config.databaseUrl
        ? await (await import('../accounts/postgresAccountStore.js')).openPostgresAccountStore({ connectionString: config.databaseUrl, log: app.log })
        : openSqliteAccountStore({ dataDir: config.dataDir, synchronous: config.sqliteSynchronous }));
  } catch (error) {
    await docStore.close();
    throw error;
  }
  app.decorate('docStore', docStore);
  app.decorate('accountStore', accountStore);
  app.addHook('onClose', async () => {
    await accountStore.close();
    await docStore.close();
  });
}

export default fp(storagePlugin, { name: 'tandem-storage', fastify: '5.x' });
