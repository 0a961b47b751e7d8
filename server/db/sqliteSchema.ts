import type Database from 'better-sqlite3';

/**
 * The SQLite schema (documents and accounts, one file), as numbered migrations applied in order when
 * a store opens; the number reached is the file's `user_version`. The numbers are PostgreSQL's
 * (postgresSchema.ts): version N means the same tables there and here. A migration, once released,
 * is never edited: a later change of schema is a new entry at the end of the list.
 *
 * Files made before these numbers (user_version 0) hold some prefix of this schema, made ad hoc by
 * earlier Tandems: so versions 1 to 5 tolerate what they create being there already (IF NOT EXISTS,
 * columns added only when missing). Later versions need not.
 */
interface SqliteMigration {
  version: number;
  /** SQL run as one script, or a step that needs to look first. */
  up: string | ((db: Database.Database) => void);
}

/** Adds `column` to `table` unless a file made before version numbers has it already. */
function addColumnIfMissing(db: Database.Database, table: string, column: string, definition: string): void {
  const columns = db.prepare<[], { name: string }>(`PRAGMA table_info(${table})`).all();
  if (!columns.some((existing) => existing.name === column)) db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${definition}`);
}

const MIGRATIONS: readonly SqliteMigration[] = [
  {
    // Documents (sqliteStore.ts).
    version: 1,
    up: `
CREATE TABLE IF NOT EXISTS documents (
  id TEXT PRIMARY KEY,
  title TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS documents_updated ON documents(updated_at DESC);
-- One B-tree keyed by (doc_id, seq): a commit writes one page, and a document's rows are one range.
-- seq is assigned by the store (see highestSeq): never reused, even after compaction deleted the
-- newest row, so "every update with seq <= N" always means the same rows. (Databases made before
-- this have a rowid table with an index; every statement of the store works on both.)
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
-- Facts about the store itself. 'deleted_through_seq': the highest sequence number in use when a
-- document was last deleted, so that deleting the newest rows never lets a later process reuse them.
CREATE TABLE IF NOT EXISTS store_meta (
  key TEXT PRIMARY KEY,
  value INTEGER NOT NULL
);
`,
  },
  {
    // Accounts, sharing and chat (the sqlite*.ts files of server/accounts/). Users are never deleted,
    // so every reference to a user is a foreign key; documents and conversations are referenced
    // without one (a document made before accounts has no doc_access row, a document's chat has no
    // conversations row).
    version: 2,
    up: `
CREATE TABLE IF NOT EXISTS users (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  -- userNameKey(name): names are unique case-insensitively.
  name_key TEXT NOT NULL UNIQUE,
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
-- A deleted document's row stays (deleted_at set) so that its id is never served again.
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
  PRIMARY KEY (doc_id, user_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS doc_members_user ON doc_members (user_id);
-- Direct and group conversations ('doc:<docId>' chats have no row). direct_key: the two members'
-- ids, sorted, for a direct conversation (NULL otherwise), so each pair has at most one.
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
-- How far each user has read each conversation (a message id).
CREATE TABLE IF NOT EXISTS conversation_reads (
  user_id TEXT NOT NULL REFERENCES users (id),
  conversation_id TEXT NOT NULL,
  last_read_id INTEGER NOT NULL,
  PRIMARY KEY (user_id, conversation_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS conversation_reads_conversation ON conversation_reads (conversation_id);
-- AUTOINCREMENT: ids increase across the server and are never reused, even after deletions.
CREATE TABLE IF NOT EXISTS messages (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  conversation_id TEXT NOT NULL,
  author_id TEXT NOT NULL REFERENCES users (id),
  text TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_conversation ON messages (conversation_id, id);
-- body: the NotificationBody as JSON. doc_id: the document it is about (see notificationDocId),
-- so that deleting a document finds them.
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
`,
  },
  {
    // 1: joined by opening a link; the role follows the document's link access. Every earlier
    // member was shared by name (or is the owner): 0.
    version: 3,
    up: (db) => addColumnIfMissing(db, 'doc_members', 'via_link', 'INTEGER NOT NULL DEFAULT 0'),
  },
  {
    // Sign-in attempt budgets shared by every connection to the file (attemptBudgets.ts): attempts
    // left as of `at`, and when the budget is full again (a full one means the same as no row).
    version: 4,
    up: `
CREATE TABLE IF NOT EXISTS attempt_budgets (
  key TEXT PRIMARY KEY,
  tokens REAL NOT NULL,
  at INTEGER NOT NULL,
  full_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS attempt_budgets_full ON attempt_budgets (full_at);
`,
  },
  {
    // userNameSkeleton(name): a new name may not look like one taken. Filled (and kept current) by
    // the account store at every open, in JavaScript (the folding is not SQL's).
    version: 5,
    up: (db) => {
      addColumnIfMissing(db, 'users', 'name_skeleton', 'TEXT');
      db.exec('CREATE INDEX IF NOT EXISTS users_skeleton ON users (name_skeleton)');
    },
  },
  {
    // Version history (server/store/sqliteHistory.ts). Every stored update names who sent it
    // (historyAuthors.ts: 'u:<userId>', 'g:<guest connection>', NULL for the server itself) and when.
    // Compaction moves the rows it folds into history_rows instead of dropping them; rows of one
    // version interval are later merged into one (data: Y.mergeUpdates, author NULL, attribution:
    // who inserted and deleted what, attribution.ts). versions: a position in the log (seq) and a
    // name; authors, the people who changed the document since the previous version (JSON array).
    // Tolerant as 1 to 5 are (a file whose version was lost may hold these already).
    version: 6,
    up: (db) => {
      addColumnIfMissing(db, 'updates', 'author', 'TEXT');
      addColumnIfMissing(db, 'updates', 'at', 'INTEGER');
      db.exec(`
CREATE TABLE IF NOT EXISTS history_rows (
  doc_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  data BLOB NOT NULL,
  author TEXT,
  at INTEGER,
  attribution BLOB,
  PRIMARY KEY (doc_id, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS versions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  doc_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('auto', 'named', 'restore')),
  name TEXT,
  created_at INTEGER NOT NULL,
  created_by TEXT,
  authors TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS versions_doc ON versions (doc_id, seq);
`);
    },
  },
  {
    // Comments (sqliteComments.ts), and the commenter role: the role and link-access CHECKs widen,
    // which SQLite does only by making the table anew (same columns, rows and index). Threads,
    // comments and reactions belong to a document by doc_id (no foreign key, as doc_members);
    // people are foreign keys. An anchor is two encoded Yjs relative positions and the text it
    // quoted when made; nothing about a comment lives in the document itself.
    version: 7,
    up: `
DROP TABLE IF EXISTS doc_access_v7;
DROP TABLE IF EXISTS doc_members_v7;
CREATE TABLE doc_access_v7 (
  doc_id TEXT PRIMARY KEY,
  owner_id TEXT REFERENCES users (id),
  link_access TEXT NOT NULL CHECK (link_access IN ('none', 'view', 'comment', 'edit')),
  created_at INTEGER NOT NULL,
  deleted_at INTEGER
);
INSERT INTO doc_access_v7 (doc_id, owner_id, link_access, created_at, deleted_at)
  SELECT doc_id, owner_id, link_access, created_at, deleted_at FROM doc_access;
DROP TABLE doc_access;
ALTER TABLE doc_access_v7 RENAME TO doc_access;
CREATE TABLE doc_members_v7 (
  doc_id TEXT NOT NULL,
  user_id TEXT NOT NULL REFERENCES users (id),
  role TEXT NOT NULL CHECK (role IN ('owner', 'editor', 'commenter', 'viewer')),
  joined_at INTEGER NOT NULL,
  via_link INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (doc_id, user_id)
) WITHOUT ROWID;
INSERT INTO doc_members_v7 (doc_id, user_id, role, joined_at, via_link)
  SELECT doc_id, user_id, role, joined_at, via_link FROM doc_members;
DROP TABLE doc_members;
ALTER TABLE doc_members_v7 RENAME TO doc_members;
CREATE INDEX IF NOT EXISTS doc_members_user ON doc_members (user_id);
-- AUTOINCREMENT: ids are never reused, even after a thread or comment is deleted.
CREATE TABLE IF NOT EXISTS comment_threads (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  doc_id TEXT NOT NULL,
  anchor_start BLOB NOT NULL,
  anchor_end BLOB NOT NULL,
  excerpt TEXT NOT NULL,
  created_by TEXT NOT NULL REFERENCES users (id),
  created_at INTEGER NOT NULL,
  resolved_by TEXT REFERENCES users (id),
  resolved_at INTEGER
);
CREATE INDEX IF NOT EXISTS comment_threads_doc ON comment_threads (doc_id, id);
CREATE TABLE IF NOT EXISTS comments (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  thread_id INTEGER NOT NULL REFERENCES comment_threads (id),
  author_id TEXT NOT NULL REFERENCES users (id),
  body TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  edited_at INTEGER
);
CREATE INDEX IF NOT EXISTS comments_thread ON comments (thread_id, id);
CREATE TABLE IF NOT EXISTS comment_reactions (
  comment_id INTEGER NOT NULL REFERENCES comments (id),
  emoji TEXT NOT NULL,
  user_id TEXT NOT NULL REFERENCES users (id),
  created_at INTEGER NOT NULL,
  PRIMARY KEY (comment_id, emoji, user_id)
) WITHOUT ROWID;
`,
  },
  {
    // A large snapshot is stored as consecutive segments (each a valid Yjs update of at most
    // MAX_SEGMENT_BYTES, see server/bigdocs/segmentState.ts), so a join is served from the rows as
    // they are. snapshots.data holds segment 0; this table segments 1 to n-1 of the same snapshot
    // (a compaction replaces them all in its transaction).
    version: 8,
    up: `
CREATE TABLE IF NOT EXISTS snapshot_segments (
  doc_id TEXT NOT NULL,
  idx INTEGER NOT NULL,
  data BLOB NOT NULL,
  PRIMARY KEY (doc_id, idx)
) WITHOUT ROWID;
`,
  },
  {
    // A version's checkpoint (sqliteHistory.ts): the document's state at a position some version is
    // at (seq), one garbage-collected Yjs update, so that opening a version replays from the nearest
    // checkpoint instead of the whole log. Made on the history thread; dropped with the last version
    // at its position (thinning).
    version: 9,
    up: `
CREATE TABLE IF NOT EXISTS history_checkpoints (
  doc_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  data BLOB NOT NULL,
  PRIMARY KEY (doc_id, seq)
) WITHOUT ROWID;
`,
  },
  {
    // Guests comment (where the link allows it): a comment's author, a reaction's giver and a thread's
    // maker or resolver is an account id or a guest id ('g:…', server/comments/guestIdentity.ts), so
    // those columns no longer reference users. SQLite cannot drop a constraint: the three tables are
    // rebuilt, rows and AUTOINCREMENT counters kept (a RENAME carries the counter and the references
    // of the tables that point at the renamed one). comment_guests: the name each guest last gave.
    version: 10,
    up: `
CREATE TABLE comment_threads_v10 (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  doc_id TEXT NOT NULL,
  anchor_start BLOB NOT NULL,
  anchor_end BLOB NOT NULL,
  excerpt TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  resolved_by TEXT,
  resolved_at INTEGER
);
INSERT INTO comment_threads_v10 SELECT id, doc_id, anchor_start, anchor_end, excerpt, created_by, created_at, resolved_by, resolved_at FROM comment_threads;
CREATE TABLE comments_v10 (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  thread_id INTEGER NOT NULL REFERENCES comment_threads_v10 (id),
  author_id TEXT NOT NULL,
  body TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  edited_at INTEGER
);
INSERT INTO comments_v10 SELECT id, thread_id, author_id, body, created_at, edited_at FROM comments;
CREATE TABLE comment_reactions_v10 (
  comment_id INTEGER NOT NULL REFERENCES comments_v10 (id),
  emoji TEXT NOT NULL,
  user_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (comment_id, emoji, user_id)
) WITHOUT ROWID;
INSERT INTO comment_reactions_v10 SELECT comment_id, emoji, user_id, created_at FROM comment_reactions;
-- Ids are never reused: the new tables continue the old counters (deleted rows included). The
-- copies above made counters of their own (the highest id copied): replaced by the old ones.
DELETE FROM sqlite_sequence WHERE name IN ('comment_threads_v10', 'comments_v10');
INSERT INTO sqlite_sequence (name, seq) SELECT 'comment_threads_v10', seq FROM sqlite_sequence WHERE name = 'comment_threads';
INSERT INTO sqlite_sequence (name, seq) SELECT 'comments_v10', seq FROM sqlite_sequence WHERE name = 'comments';
DROP TABLE comment_reactions;
DROP TABLE comments;
DROP TABLE comment_threads;
ALTER TABLE comment_threads_v10 RENAME TO comment_threads;
ALTER TABLE comments_v10 RENAME TO comments;
ALTER TABLE comment_reactions_v10 RENAME TO comment_reactions;
CREATE INDEX IF NOT EXISTS comment_threads_doc ON comment_threads (doc_id, id);
CREATE INDEX IF NOT EXISTS comments_thread ON comments (thread_id, id);
CREATE TABLE IF NOT EXISTS comment_guests (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);
`,
  },
];

/** Every version of the schema, in order (not necessarily contiguous while branches merge). */
export const SQLITE_SCHEMA_VERSIONS: readonly number[] = MIGRATIONS.map((migration) => migration.version);

/** The schema version this build of Tandem writes and reads (the file's user_version once migrated). */
export const SQLITE_SCHEMA_VERSION = MIGRATIONS.at(-1)!.version;

const userVersion = (db: Database.Database) => db.pragma('user_version', { simple: true }) as number;

/**
 * Brings the file's schema up to SQLITE_SCHEMA_VERSION in one IMMEDIATE transaction, so that a
 * failure changes nothing and two connections opening the file at once take turns (the second finds
 * the work done). A file already current costs one read and takes no lock. Returns the versions
 * applied (empty when current). Throws when a migration fails or the file was migrated by a newer
 * Tandem than this one.
 */
export function migrateSqlite(db: Database.Database): number[] {
  if (userVersion(db) === SQLITE_SCHEMA_VERSION) return [];
  return db
    .transaction(() => {
      const current = userVersion(db);
      if (current > SQLITE_SCHEMA_VERSION) {
        throw new Error(`the database's schema is version ${current}, newer than this Tandem's ${SQLITE_SCHEMA_VERSION}: upgrade Tandem`);
      }
      const applied: number[] = [];
      for (const migration of MIGRATIONS) {
        if (migration.version <= current) continue;
        if (typeof migration.up === 'string') db.exec(migration.up);
        else migration.up(db);
        applied.push(migration.version);
      }
      // Part of the transaction: the header's version moves with the tables, or neither does.
      if (applied.length > 0) db.pragma(`user_version = ${SQLITE_SCHEMA_VERSION}`);
      return applied;
    })
    .immediate();
}
