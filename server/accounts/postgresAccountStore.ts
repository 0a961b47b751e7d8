import type { Pool } from 'pg';
import { type PostgresStoreLog, createPool, migratePool } from '../db/postgresPool.js';
import type { AccountStore } from './accountStore.js';
import { postgresAttemptBudgets } from './attemptBudgets.js';
import { postgresChat, postgresForgetDocumentChat } from './postgresChat.js';
import { postgresComments, postgresForgetDocumentComments } from './postgresComments.js';
import { postgresDocAccess } from './postgresDocAccess.js';
import { postgresForgetDocumentNotifications, postgresNotifications } from './postgresNotifications.js';
import { postgresSessions } from './postgresSessions.js';
import { postgresUsers, refreshPostgresSkeletons } from './postgresUsers.js';

// The tables are migrations 2 to 7 of server/db/postgresSchema.ts (beside the documents'). Each
// domain is a file of its own (postgresUsers.ts, …); this one opens (or borrows) the pool, migrates
// and composes them.

export type PostgresAccountStoreOptions = {
  log?: PostgresStoreLog;
} & (
  | {
      /** postgres://… (any form `pg` accepts): the store makes (and on close, ends) its own pool. */
      connectionString: string;
      /** Connections its pool may open; 10 when absent. */
      maxConnections?: number;
    }
  | {
      /** A pool the caller owns (and ends after closing the store). */
      pool: Pool;
    }
);

/**
 * The account store for Tandem processes sharing one PostgreSQL database (the documents' one). The
 * schema is migrated before the promise resolves (the same migrations as openPostgresStore, so
 * either store may be opened first); rejects when the database cannot be reached or migrated.
 * Every method settles after its statement or transaction committed or failed; PostgreSQL's errors
 * (a violated constraint included) reject it unchanged.
 */
export async function openPostgresAccountStore(options: PostgresAccountStoreOptions): Promise<AccountStore> {
  const ownPool = 'connectionString' in options;
  const pool = 'connectionString' in options ? createPool(options) : options.pool;
  try {
    await migratePool(pool, options.log);
    await refreshPostgresSkeletons(pool);
  } catch (error) {
    if (ownPool) await pool.end().catch(() => undefined);
    throw error;
  }

  let closing: Promise<void> | null = null;
  return {
    ...postgresUsers(pool),
    ...postgresSessions(pool),
    ...postgresDocAccess(pool, [postgresForgetDocumentChat, postgresForgetDocumentComments, postgresForgetDocumentNotifications]),
    ...postgresChat(pool),
    ...postgresComments(pool),
    ...postgresNotifications(pool),
    ...postgresAttemptBudgets(pool),
    close() {
      closing ??= ownPool ? pool.end() : Promise.resolve();
      return closing;
    },
  };
}
