import type { Pool, PoolClient } from 'pg';

// Apart from postgresPool.ts (which loads the driver) so that code shared with the SQLite stores
// (attemptBudgets.ts) can name it without loading `pg` into a process that never uses PostgreSQL.

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

/** SQLSTATE of a transaction PostgreSQL chose to break a deadlock with (rolled back whole). */
export const DEADLOCK_DETECTED = '40P01';

/**
 * `inTransaction`, tried again (up to `attempts` in all) when it fails with one of the `retryable`
 * SQLSTATEs. Only for work that is safe to redo from the start: a failed transaction was rolled
 * back whole, so a retry sees nothing of the first attempt.
 */
export async function inRetriedTransaction<T>(
  pool: Pool,
  retryable: ReadonlySet<string>,
  attempts: number,
  work: (client: PoolClient) => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await inTransaction(pool, work);
    } catch (error) {
      if (!retryable.has((error as { code?: string }).code ?? '') || attempt >= attempts) throw error;
    }
  }
}
