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
  {
    // Accounts, sharing and chat (the postgres*.ts files of server/accounts/). Same tables and meaning as SQLite's
    // (sqliteSchema.ts, same version numbers). Users are never deleted, so references to them are foreign keys;
    // documents and conversations are referenced without one (a document made before accounts has
    // no doc_access row, a document's chat 'doc:<docId>' no conversations row, and a deleted
    // document's doc_access row outlives its documents row as a tombstone).
    version: 2,
    sql: `
CREATE TABLE IF NOT EXISTS users (
  id text PRIMARY KEY,
  name text NOT NULL,
  name_key text NOT NULL UNIQUE,
  password_hash text NOT NULL,
  created_at bigint NOT NULL,
  last_seen_at bigint
);
CREATE TABLE IF NOT EXISTS sessions (
  token_hash text PRIMARY KEY,
  id text NOT NULL UNIQUE,
  user_id text NOT NULL REFERENCES users (id),
  created_at bigint NOT NULL,
  last_used_at bigint NOT NULL,
  expires_at bigint NOT NULL,
  user_agent text NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_user ON sessions (user_id, created_at DESC);
CREATE INDEX IF NOT EXISTS sessions_expiry ON sessions (expires_at);
CREATE TABLE IF NOT EXISTS doc_access (
  doc_id text PRIMARY KEY,
  owner_id text REFERENCES users (id),
  link_access text NOT NULL CHECK (link_access IN ('none', 'view', 'edit')),
  created_at bigint NOT NULL,
  deleted_at bigint
);
CREATE TABLE IF NOT EXISTS doc_members (
  doc_id text NOT NULL,
  user_id text NOT NULL REFERENCES users (id),
  role text NOT NULL CHECK (role IN ('owner', 'editor', 'viewer')),
  joined_at bigint NOT NULL,
  PRIMARY KEY (doc_id, user_id)
);
CREATE INDEX IF NOT EXISTS doc_members_user ON doc_members (user_id);
-- direct_key: a direct conversation's two member ids, sorted (NULL otherwise): one per pair.
CREATE TABLE IF NOT EXISTS conversations (
  id text PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('doc', 'direct', 'group')),
  title text NOT NULL,
  created_by text REFERENCES users (id),
  created_at bigint NOT NULL,
  direct_key text UNIQUE
);
CREATE INDEX IF NOT EXISTS conversations_kind ON conversations (kind, created_at);
CREATE TABLE IF NOT EXISTS conversation_members (
  conversation_id text NOT NULL,
  user_id text NOT NULL REFERENCES users (id),
  joined_at bigint NOT NULL,
  PRIMARY KEY (conversation_id, user_id)
);
CREATE INDEX IF NOT EXISTS conversation_members_user ON conversation_members (user_id);
CREATE TABLE IF NOT EXISTS conversation_reads (
  user_id text NOT NULL REFERENCES users (id),
  conversation_id text NOT NULL,
  last_read_id bigint NOT NULL,
  PRIMARY KEY (user_id, conversation_id)
);
CREATE INDEX IF NOT EXISTS conversation_reads_conversation ON conversation_reads (conversation_id);
-- bigserial: ids increase across the server and are never reused.
CREATE TABLE IF NOT EXISTS messages (
  id bigserial PRIMARY KEY,
  conversation_id text NOT NULL,
  author_id text NOT NULL REFERENCES users (id),
  text text NOT NULL,
  created_at bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_conversation ON messages (conversation_id, id);
CREATE TABLE IF NOT EXISTS notifications (
  id bigserial PRIMARY KEY,
  user_id text NOT NULL REFERENCES users (id),
  actor_id text NOT NULL REFERENCES users (id),
  doc_id text,
  body jsonb NOT NULL,
  created_at bigint NOT NULL,
  read_at bigint
);
CREATE INDEX IF NOT EXISTS notifications_user ON notifications (user_id, id);
CREATE INDEX IF NOT EXISTS notifications_unread ON notifications (user_id) WHERE read_at IS NULL;
CREATE INDEX IF NOT EXISTS notifications_doc ON notifications (doc_id) WHERE doc_id IS NOT NULL;
`,
  },
  {
    version: 3,
    sql: `
-- true: joined by opening a link; the role follows the document's link access.
ALTER TABLE doc_members ADD COLUMN IF NOT EXISTS via_link boolean NOT NULL DEFAULT false;
`,
  },
  {
    // Sign-in attempt budgets shared by every process (attemptBudgets.ts): attempts left as of
    // \`at\`, and when the budget is full again (a full one means the same as no row).
    version: 4,
    sql: `
CREATE TABLE IF NOT EXISTS attempt_budgets (
  key text PRIMARY KEY,
  tokens double precision NOT NULL,
  at bigint NOT NULL,
  full_at bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS attempt_budgets_full ON attempt_budgets (full_at);
`,
  },
  {
    // userNameSkeleton(name): a new name may not look like one taken. Filled (and kept current) by
    // the account store at every start, in JavaScript (the folding is not SQL's).
    version: 5,
    sql: `
ALTER TABLE users ADD COLUMN IF NOT EXISTS name_skeleton text;
CREATE INDEX IF NOT EXISTS users_skeleton ON users (name_skeleton);
`,
  },
  {
    // Version history (server/store/postgresHistory.ts); same tables and meaning as SQLite's
    // migration 6 (sqliteSchema.ts). versions.id is bigserial: ids increase and are never reused.
    version: 6,
    sql: `
ALTER TABLE updates ADD COLUMN IF NOT EXISTS author text;
ALTER TABLE updates ADD COLUMN IF NOT EXISTS at bigint;
CREATE TABLE IF NOT EXISTS history_rows (
  doc_id text NOT NULL,
  seq bigint NOT NULL,
  data bytea NOT NULL,
  author text,
  at bigint,
  attribution bytea,
  PRIMARY KEY (doc_id, seq)
);
CREATE TABLE IF NOT EXISTS versions (
  id bigserial PRIMARY KEY,
  doc_id text NOT NULL,
  seq bigint NOT NULL,
  kind text NOT NULL CHECK (kind IN ('auto', 'named', 'restore')),
  name text,
  created_at bigint NOT NULL,
  created_by text,
  authors jsonb NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS versions_doc ON versions (doc_id, seq);
`,
  },
  {
    // Comments (postgresComments.ts), and the commenter role: the role and link-access CHECKs widen.
    // Same tables and meaning as SQLite's version 7: threads, comments and reactions belong to a
    // document by doc_id; an anchor is two encoded Yjs relative positions and the text it quoted.
    version: 7,
    sql: `
ALTER TABLE doc_access DROP CONSTRAINT IF EXISTS doc_access_link_access_check;
ALTER TABLE doc_access ADD CONSTRAINT doc_access_link_access_check CHECK (link_access IN ('none', 'view', 'comment', 'edit'));
ALTER TABLE doc_members DROP CONSTRAINT IF EXISTS doc_members_role_check;
ALTER TABLE doc_members ADD CONSTRAINT doc_members_role_check CHECK (role IN ('owner', 'editor', 'commenter', 'viewer'));
CREATE TABLE comment_threads (
  id bigserial PRIMARY KEY,
  doc_id text NOT NULL,
  anchor_start bytea NOT NULL,
  anchor_end bytea NOT NULL,
  excerpt text NOT NULL,
  created_by text NOT NULL REFERENCES users (id),
  created_at bigint NOT NULL,
  resolved_by text REFERENCES users (id),
  resolved_at bigint
);
CREATE INDEX comment_threads_doc ON comment_threads (doc_id, id);
CREATE TABLE comments (
  id bigserial PRIMARY KEY,
  thread_id bigint NOT NULL REFERENCES comment_threads (id),
  author_id text NOT NULL REFERENCES users (id),
  body text NOT NULL,
  created_at bigint NOT NULL,
  edited_at bigint
);
CREATE INDEX comments_thread ON comments (thread_id, id);
CREATE TABLE comment_reactions (
  comment_id bigint NOT NULL REFERENCES comments (id),
  emoji text NOT NULL,
  user_id text NOT NULL REFERENCES users (id),
  created_at bigint NOT NULL,
  PRIMARY KEY (comment_id, emoji, user_id)
);
`,
  },
  {
    // A large snapshot as consecutive segments (see sqliteSchema.ts, version 8): snapshots.data is
    // segment 0, this table segments 1 to n-1.
    version: 8,
    sql: `
CREATE TABLE IF NOT EXISTS snapshot_segments (
  doc_id text NOT NULL REFERENCES documents (id),
  idx integer NOT NULL,
  data bytea NOT NULL,
  PRIMARY KEY (doc_id, idx)
);
`,
  },
  {
    // A version's checkpoint (postgresHistory.ts), as SQLite's version 9: the state at a position some
    // version is at, one garbage-collected Yjs update.
    version: 9,
    sql: `
CREATE TABLE IF NOT EXISTS history_checkpoints (
  doc_id text NOT NULL,
  seq bigint NOT NULL,
  data bytea NOT NULL,
  PRIMARY KEY (doc_id, seq)
);
`,
  },
  {
    // Guests comment (see sqliteSchema.ts, version 10): comment authors, reaction givers and thread
    // makers and resolvers are account ids or guest ids ('g:…'), no longer references to users.
    version: 10,
    sql: `
ALTER TABLE comment_threads DROP CONSTRAINT IF EXISTS comment_threads_created_by_fkey;
ALTER TABLE comment_threads DROP CONSTRAINT IF EXISTS comment_threads_resolved_by_fkey;
ALTER TABLE comments DROP CONSTRAINT IF EXISTS comments_author_id_fkey;
ALTER TABLE comment_reactions DROP CONSTRAINT IF EXISTS comment_reactions_user_id_fkey;
CREATE TABLE comment_guests (
  id text PRIMARY KEY,
  name text NOT NULL,
  updated_at bigint NOT NULL
);
`,
  },
];

/** Every version of the schema, in order (not necessarily contiguous while branches merge). */
export const SCHEMA_VERSIONS: readonly number[] = MIGRATIONS.map((migration) => migration.version);

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
