import { Pool, type PoolClient, type QueryResultRow } from 'pg';
import { migrate } from './postgresSchema.js';

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
 * Runs `work` in one transaction on one pooled connection: COMMIT when it resolves, ROLLBACK when
 * it rejects. Resolves only once COMMIT succeeded. A connection that breaks meanwhile rejects the
 * call and is discarded rather than returned to the pool.
 */
export async function inTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  let broken = false;
  // pg emits 'error' on a checked-out client whose connection drops (even mid-query); the pool
  // listens only while the client is idle, and an 'error' event nobody hears crashes the process.
  // The query in flight (or the next one) rejects on its own, so noting it is enough here.
  const onError = () => {
    broken = true;
  };
  // The listener goes on inside pool.connect's callback, not after `await pool.connect()`: a new
  // connection's callback runs while pg is still reading the chunk that held its ReadyForQuery, and
  // a FATAL in the same chunk (a backend terminated as it opened) is emitted before any await resumes.
  const client = await new Promise<PoolClient>((resolve, reject) => {
    pool.connect((error, connected) => {
      if (error || !connected) {
        reject(error ?? new Error('the pool gave no connection'));
        return;
      }
      connected.on('error', onError);
      resolve(connected);
    });
  });
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    // After a failed COMMIT there is no transaction left and ROLLBACK only warns; a ROLLBACK that
    // fails means the connection itself is gone.
    if (!broken) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
    }
    throw error;
  } finally {
    client.removeListener('error', onError);
    client.release(broken);
  }
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
