// The SQLite files earlier Tandems left, as raw SQL of their schemas (copied from git, comments left
// out), so that tests can make one and open it with today's stores. None of them set user_version.

/** Documents only, before accounts and before the (doc_id, seq) key (4f18209^): a rowid updates table. */
export const DOCUMENTS_BEFORE_ACCOUNTS = `
CREATE TABLE IF NOT EXISTS documents (
  id TEXT PRIMARY KEY,
  title TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS documents_updated ON documents(updated_at DESC);
CREATE TABLE IF NOT EXISTS updates (
  seq INTEGER PRIMARY KEY,
  doc_id TEXT NOT NULL REFERENCES documents(id),
  data BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS updates_doc ON updates(doc_id, seq);
CREATE TABLE IF NOT EXISTS snapshots (
  doc_id TEXT PRIMARY KEY REFERENCES documents(id),
  data BLOB NOT NULL,
  through_seq INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);
`;

/** Documents as from 4f18209 up to 453bb61 (sqliteStore.ts's SCHEMA then). */
export const DOCUMENTS = `
CREATE TABLE IF NOT EXISTS documents (
  id TEXT PRIMARY KEY,
  title TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS documents_updated ON documents(updated_at DESC);
CREATE TABLE IF NOT EXISTS updates (
  doc_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  data BLOB NOT NULL,
  PRIMARY KEY (doc_id, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS snapshots (
  doc_id TEXT PRIMARY KEY REFERENCES documents(id),
  data BLOB NOT NULL,
  through_seq INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS store_meta (
  key TEXT PRIMARY KEY,
  value INTEGER NOT NULL
);
`;

/** The account tables as of 453bb61 (sqliteAccountStore.ts's SCHEMA), with via_link and name_skeleton. */
export const ACCOUNTS = `
CREATE TABLE IF NOT EXISTS users (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  name_key TEXT NOT NULL UNIQUE,
  name_skeleton TEXT,
  password_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_seen_at INTEGER
);
CREATE TABLE IF NOT EXISTS sessions (
  token_hash TEXT PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  user_id TEXT NOT NULL REFERENCES users (id),
  created_at INTEGER NOT NULL,
  last_used_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  user_agent TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_user ON sessions (user_id, created_at DESC);
CREATE INDEX IF NOT EXISTS sessions_expiry ON sessions (expires_at);
CREATE TABLE IF NOT EXISTS doc_access (
  doc_id TEXT PRIMARY KEY,
  owner_id TEXT REFERENCES users (id),
  link_access TEXT NOT NULL CHECK (link_access IN ('none', 'view', 'edit')),
  created_at INTEGER NOT NULL,
  deleted_at INTEGER
);
CREATE TABLE IF NOT EXISTS doc_members (
  doc_id TEXT NOT NULL,
  user_id TEXT NOT NULL REFERENCES users (id),
  role TEXT NOT NULL CHECK (role IN ('owner', 'editor', 'viewer')),
  joined_at INTEGER NOT NULL,
  via_link INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (doc_id, user_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS doc_members_user ON doc_members (user_id);
CREATE TABLE IF NOT EXISTS conversations (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('doc', 'direct', 'group')),
  title TEXT NOT NULL,
  created_by TEXT REFERENCES users (id),
  created_at INTEGER NOT NULL,
  direct_key TEXT UNIQUE
);
CREATE INDEX IF NOT EXISTS conversations_kind ON conversations (kind, created_at);
CREATE TABLE IF NOT EXISTS conversation_members (
  conversation_id TEXT NOT NULL,
  user_id TEXT NOT NULL REFERENCES users (id),
  joined_at INTEGER NOT NULL,
  PRIMARY KEY (conversation_id, user_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS conversation_members_user ON conversation_members (user_id);
CREATE TABLE IF NOT EXISTS conversation_reads (
  user_id TEXT NOT NULL REFERENCES users (id),
  conversation_id TEXT NOT NULL,
  last_read_id INTEGER NOT NULL,
  PRIMARY KEY (user_id, conversation_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS conversation_reads_conversation ON conversation_reads (conversation_id);
CREATE TABLE IF NOT EXISTS messages (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  conversation_id TEXT NOT NULL,
  author_id TEXT NOT NULL REFERENCES users (id),
  text TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_conversation ON messages (conversation_id, id);
CREATE TABLE IF NOT EXISTS notifications (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id TEXT NOT NULL REFERENCES users (id),
  actor_id TEXT NOT NULL REFERENCES users (id),
  doc_id TEXT,
  body TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  read_at INTEGER
);
CREATE INDEX IF NOT EXISTS notifications_user ON notifications (user_id, id);
CREATE INDEX IF NOT EXISTS notifications_unread ON notifications (user_id) WHERE read_at IS NULL;
CREATE INDEX IF NOT EXISTS notifications_doc ON notifications (doc_id) WHERE doc_id IS NOT NULL;
`;

/**
 * The account tables of the first release with accounts (64f32ef): 453bb61's without name_skeleton
 * and via_link (those two lines are the whole difference between the two).
 */
export const ACCOUNTS_FIRST = ACCOUNTS.replace('  name_skeleton TEXT,\n', '').replace('  via_link INTEGER NOT NULL DEFAULT 0,\n', '');

/** Sign-in attempt budgets as 453bb61's attemptBudgets.ts made them when missing. */
export const ATTEMPT_BUDGETS = `
CREATE TABLE IF NOT EXISTS attempt_budgets (
  key TEXT PRIMARY KEY,
  tokens REAL NOT NULL,
  at INTEGER NOT NULL,
  full_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS attempt_budgets_full ON attempt_budgets (full_at);
`;
