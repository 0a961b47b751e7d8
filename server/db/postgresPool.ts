import { Pool, type PoolClient, type QueryResultRow } from 'pg';
import { migrate } from './postgresSchema.js';
import { inTransaction } from './postgresTransaction.js';

export { inTransaction };

// The PostgreSQL layer every Tandem store shares: one way to make a pool, to run a transaction and
// to migrate the schema. The document store and the account store each import it from here (never
// from one another), so either may be opened first, alone, or on a pool the other also uses.

/** Where a store reports what happens outside any call (idle connections lost, migrations). */
export interface PostgresStoreLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface PostgresPoolOptions {
  /** postgres://user:password@host:port/database (any form `pg` accepts). */
  connectionString: string;
  log?: PostgresStoreLog;
  /** Connections the pool may open; 10 when absent. */
  maxConnections?: number;
}

/**
 * A pool with the settings every Tandem store uses. Idle connections that break are reported to
 * `log` (and replaced on the next call) instead of crashing the process.
 */
export function createPool(options: PostgresPoolOptions): Pool {
  const pool = new Pool({
    connectionString: options.connectionString,
    max: options.maxConnections ?? 10,
    // A database that cannot be reached fails a call after 10 s instead of queueing it forever.
    connectionTimeoutMillis: 10_000,
    // TCP keep-alive, so that a connection whose server vanished without a word is noticed.
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    application_name: 'tandem',
  });
  // An idle pooled connection that breaks (database restart, network) emits here; without a
  // listener it would crash the process. The pool replaces it on the next call.
  pool.on('error', (error) => {
    options.log?.warn({ err: error }, 'PostgreSQL connection lost while idle; the pool will reconnect');
  });
  return pool;
}

/**
 * Brings the database's schema (documents and accounts: postgresSchema.ts) up to date in one
 * transaction. Rejects, changing nothing, when it cannot.
 */
export async function migratePool(pool: Pool, log?: PostgresStoreLog): Promise<void> {
  const applied = await inTransaction(pool, migrate);
  if (applied.length > 0) log?.info({ versions: applied }, 'PostgreSQL schema migrated');
}

/** Single statements on a pool, by what the caller wants back. Each rejects with PostgreSQL's error. */
export interface PostgresQueries {
  /** Every row the statement returns (none: []). */
  rows<R extends QueryResultRow>(text: string, values: unknown[]): Promise<R[]>;
  /** The first row the statement returns, or null when it returns none. */
  one<R extends QueryResultRow>(text: string, values: unknown[]): Promise<R | null>;
  /** How many rows the statement wrote (or returned). */
  count(text: string, values: unknown[]): Promise<number>;
  /** Runs the statement for its effect only. */
  run(text: string, values: unknown[]): Promise<void>;
}

export function postgresQueries(pool: Pool): PostgresQueries {
  async function rows<R extends QueryResultRow>(text: string, values: unknown[]): Promise<R[]> {
    return (await pool.query<R>(text, values)).rows;
  }
  return {
    rows,
    async one<R extends QueryResultRow>(text: string, values: unknown[]) {
      return (await rows<R>(text, values))[0] ?? null;
    },
    async count(text, values) {
      return (await pool.query(text, values)).rowCount ?? 0;
    },
    async run(text, values) {
      await pool.query(text, values);
    },
  };
}
