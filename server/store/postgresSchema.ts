import type { PoolClient } from 'pg';

/**
 * The PostgreSQL schema, as numbered migrations applied in order at start-up. A migration, once
 * released, is never edited: a later change of schema is a new entry at the end of the list.
 */
const MIGRATIONS: readonly { version: number; sql: string }[] = [
  {
    version: 1,
    sql: `
CREATE TABLE IF NOT EXISTS documents (
  id text PRIMARY KEY,
  title text NOT NULL DEFAULT '',
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS documents_updated ON documents (updated_at DESC, id);
-- bigserial: a sequence number is never reused, even after compaction deleted the newest row, so
-- "every update with seq <= N" always means the same rows.
CREATE TABLE IF NOT EXISTS updates (
  seq bigserial PRIMARY KEY,
  doc_id text NOT NULL REFERENCES documents (id),
  data bytea NOT NULL
);
CREATE INDEX IF NOT EXISTS updates_doc_seq ON updates (doc_id, seq);
CREATE TABLE IF NOT EXISTS snapshots (
  doc_id text PRIMARY KEY REFERENCES documents (id),
  data bytea NOT NULL,
  through_seq bigint NOT NULL,
  created_at bigint NOT NULL
);
`,
  },
];

/** The schema version this build of Tandem writes and reads. */
export const SCHEMA_VERSION = MIGRATIONS.at(-1)!.version;

// Any constant will do: every Tandem process takes the same advisory lock while it migrates, so
// processes that start together do not race on CREATE TABLE (which is not safe concurrently in
// PostgreSQL even with IF NOT EXISTS).
const MIGRATION_LOCK_KEY = 0x74616e64; // "tand"

/**
 * Brings the database's schema up to SCHEMA_VERSION; run it inside a transaction, so that a failure
 * changes nothing. Resolves to the versions it applied (empty when the schema was current). Rejects
 * when a migration fails or when the database was migrated by a newer Tandem than this one.
 */
export async function migrate(client: PoolClient): Promise<number[]> {
  await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
  await client.query(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at bigint NOT NULL)',
  );
  const { rows } = await client.query<{ version: number | null }>('SELECT max(version) AS version FROM schema_migrations');
  const current = rows[0]?.version ?? 0;
  if (current > SCHEMA_VERSION) {
    throw new Error(`the database's schema is version ${current}, newer than this Tandem's ${SCHEMA_VERSION}: upgrade Tandem`);
  }
  const applied: number[] = [];
  for (const migration of MIGRATIONS) {
    if (migration.version <= current) continue;
    await client.query(migration.sql);
    await client.query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)', [migration.version, Date.now()]);
    applied.push(migration.version);
  }
  return applied;
}
