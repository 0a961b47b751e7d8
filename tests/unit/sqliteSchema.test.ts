import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it, onTestFinished } from 'vitest';
import { openSqliteAccountStore } from '../../server/accounts/sqliteAccountStore.js';
import { DATABASE_FILE } from '../../server/db/sqliteDatabase.js';
import { SQLITE_SCHEMA_VERSION, SQLITE_SCHEMA_VERSIONS, migrateSqlite } from '../../server/db/sqliteSchema.js';
import { openSqliteStore } from '../../server/store/sqliteStore.js';
import { docConversationId } from '../../shared/api.js';
import { ACCOUNTS, ACCOUNTS_FIRST, ATTEMPT_BUDGETS, DOCUMENTS, DOCUMENTS_BEFORE_ACCOUNTS } from '../helpers/legacySqliteSchemas.js';

/** A fresh data directory, removed when the test finishes. */
function dataDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-schema-'));
  onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A raw connection to the directory's database file, closed when the test finishes. */
function raw(dir: string): Database.Database {
  const db = new Database(path.join(dir, DATABASE_FILE));
  onTestFinished(() => {
    if (db.open) db.close();
  });
  return db;
}

const userVersion = (db: Database.Database) => db.pragma('user_version', { simple: true }) as number;
const tables = (db: Database.Database) =>
  (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[]).map(
    (row) => row.name,
  );
/** Every table's row count, by name. */
const rowCounts = (db: Database.Database) =>
  Object.fromEntries(tables(db).map((name) => [name, (db.prepare(`SELECT count(*) AS n FROM "${name}"`).get() as { n: number }).n]));

/** A document with a snapshot (through seq 1) and two later updates, as every earlier Tandem stored them. */
function seedDocuments(db: Database.Database): void {
  db.prepare("INSERT INTO documents (id, title, created_at, updated_at) VALUES ('d1', 'Plan', 1, 2)").run();
  db.prepare("INSERT INTO snapshots (doc_id, data, through_seq, created_at) VALUES ('d1', x'01', 1, 2)").run();
  db.prepare("INSERT INTO updates (seq, doc_id, data) VALUES (2, 'd1', x'02'), (3, 'd1', x'03')").run();
}

/** Two users, a session, a shared document, its chat with a read mark, a notification; `columns` as the schema had them. */
function seedAccounts(db: Database.Database, columns: { skeletonAndViaLink: boolean }): void {
  const skeleton = columns.skeletonAndViaLink ? ', name_skeleton' : '';
  db.prepare(`INSERT INTO users (id, name, name_key, password_hash, created_at${skeleton}) VALUES (?, ?, ?, ?, ?${skeleton ? ', NULL' : ''})`).run('u1', 'admin', 'admin', 'h1', 1);
  db.prepare('INSERT INTO users (id, name, name_key, password_hash, created_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?)').run('u2', 'Bob', 'bob', 'h2', 2, 40);
  db.prepare("INSERT INTO sessions VALUES ('t1', 's1', 'u1', 3, 4, 1000, 'agent')").run();
  db.prepare("INSERT INTO doc_access (doc_id, owner_id, link_access, created_at) VALUES ('d1', 'u1', 'edit', 5)").run();
  db.prepare("INSERT INTO doc_members (doc_id, user_id, role, joined_at) VALUES ('d1', 'u1', 'owner', 5), ('d1', 'u2', 'editor', 6)").run();
  if (columns.skeletonAndViaLink) db.prepare("UPDATE doc_members SET via_link = 1 WHERE user_id = 'u2'").run();
  db.prepare("INSERT INTO messages (conversation_id, author_id, text, created_at) VALUES ('doc:d1', 'u2', 'hello', 7), ('doc:d1', 'u1', 'hi', 8)").run();
  db.prepare("INSERT INTO conversation_reads VALUES ('u1', 'doc:d1', 1)").run();
  db.prepare(`INSERT INTO notifications (user_id, actor_id, doc_id, body, created_at) VALUES ('u2', 'u1', 'd1', ?, 9)`).run(
    JSON.stringify({ kind: 'share', docId: 'd1', docTitle: 'Plan', role: 'editor' }),
  );
}

const LEGACY_FILES = [
  { name: 'documents only, before accounts (rowid updates table)', sql: [DOCUMENTS_BEFORE_ACCOUNTS], accounts: null },
  { name: 'the first release with accounts (no via_link, name_skeleton, attempt budgets)', sql: [DOCUMENTS, ACCOUNTS_FIRST], accounts: { skeletonAndViaLink: false } },
  { name: 'the last release before version numbers (453bb61)', sql: [DOCUMENTS, ACCOUNTS, ATTEMPT_BUDGETS], accounts: { skeletonAndViaLink: true } },
] as const;

describe('SQLite schema migrations', () => {
  it('a new file gets every version in order, once; the version is the file\'s user_version', () => {
    const db = raw(dataDir());
    expect(migrateSqlite(db)).toEqual(SQLITE_SCHEMA_VERSIONS);
    expect(userVersion(db)).toBe(SQLITE_SCHEMA_VERSION);
    expect(migrateSqlite(db)).toEqual([]);
    expect(tables(db)).toEqual(
      [
        'attempt_budgets', 'comment_guests', 'comment_reactions', 'comment_threads', 'comments', 'conversation_members', 'conversation_reads', 'conversations', 'doc_access', 'doc_members',
        'documents', 'history_checkpoints', 'history_rows', 'messages', 'notifications', 'sessions', 'snapshot_segments', 'snapshots', 'store_meta', 'updates', 'users',
        'versions',
      ],
    );
  });

  for (const legacy of LEGACY_FILES) {
    it(`a file made by ${legacy.name} opens, migrates and keeps every row`, async () => {
      const dir = dataDir();
      const before = raw(dir);
      for (const sql of legacy.sql) before.exec(sql);
      seedDocuments(before);
      if (legacy.accounts) seedAccounts(before, legacy.accounts);
      const countsBefore = rowCounts(before);
      before.close();

      // The account store first: either store migrates the whole file.
      const accounts = openSqliteAccountStore({ dataDir: dir, synchronous: 'normal' });
      const docs = openSqliteStore({ dataDir: dir, synchronous: 'normal' });
      onTestFinished(() => Promise.all([docs.close(), accounts.close()]).then(() => undefined));
      const after = raw(dir);
      expect(userVersion(after)).toBe(SQLITE_SCHEMA_VERSION);
      const countsAfter = rowCounts(after);
      for (const [table, n] of Object.entries(countsBefore)) expect(countsAfter[table], table).toBe(n);

      const loaded = await docs.load('d1');
      expect(loaded.updates.map((update) => [...update])).toEqual([[1], [2], [3]]);
      expect(loaded.lastSeq).toBe(3);
      expect(await docs.appendBatch([{ docId: 'd1', update: new Uint8Array([4]) }])).toEqual([4]);
      expect((await docs.describe('d1'))?.title).toBe('Plan');

      // Every account-side feature works on the migrated file (name_skeleton, via_link, attempt budgets).
      const lookalike = await accounts.createUser({ id: 'u9', name: 'ADM1N', passwordHash: 'h', createdAt: 10 });
      expect(lookalike === 'taken').toBe(legacy.accounts !== null);
      expect(await accounts.spendAttempt([{ key: 'ip:1', ratePerSecond: 1, burst: 1 }], 0)).toBe(0);
      if (!legacy.accounts) return;
      expect(await accounts.findUserByName('ADMIN')).toEqual({ id: 'u1', name: 'admin', passwordHash: 'h1', createdAt: 1, lastSeenAt: null });
      expect((await accounts.getUser('u2'))?.lastSeenAt).toBe(40);
      expect(await accounts.findSession('t1')).toEqual({ tokenHash: 't1', id: 's1', userId: 'u1', createdAt: 3, lastUsedAt: 4, expiresAt: 1000, userAgent: 'agent' });
      expect(await accounts.getDocAccess('d1')).toEqual({ docId: 'd1', ownerId: 'u1', linkAccess: 'edit', deletedAt: null });
      expect(await accounts.getMember('d1', 'u2')).toEqual({ docId: 'd1', userId: 'u2', role: 'editor', joinedAt: 6, viaLink: legacy.accounts.skeletonAndViaLink });
      const chat = docConversationId('d1');
      expect((await accounts.listMessages(chat, null, 10)).messages.map((m) => m.text)).toEqual(['hello', 'hi']);
      expect(await accounts.unreadCount('u1', chat)).toBe(0);
      expect((await accounts.listNotifications('u2', 10)).map((n) => n.body)).toEqual([{ kind: 'share', docId: 'd1', docTitle: 'Plan', role: 'editor' }]);
      expect((await accounts.appendMessage({ conversationId: chat, authorId: 'u2', text: 'again', createdAt: 11 })).id).toBe(3);
      expect(await accounts.joinViaLink('d2', 'u2', 'viewer', 12)).toBe(true);
      expect((await accounts.getMember('d2', 'u2'))?.viaLink).toBe(true);
      // Version 7: the rebuilt access tables take the commenter role and link access, and comments are kept.
      await accounts.setMember('d1', 'u2', 'commenter', 6);
      await accounts.setLinkAccess('d1', 'comment');
      expect(await accounts.getMember('d1', 'u2')).toMatchObject({ role: 'commenter', joinedAt: 6 });
      expect((await accounts.getDocAccess('d1'))?.linkAccess).toBe('comment');
      const thread = await accounts.createThread({ docId: 'd1', anchor: { start: new Uint8Array([1]), end: new Uint8Array([2]), excerpt: 'x' }, createdBy: 'u2', createdAt: 13 }, 'a comment');
      expect((await accounts.listThreads('d1', null, 10)).threads).toEqual([thread]);
    });
  }

  it('version 10: a version-8 file keeps its threads, comments, reactions and id counters; guests may then author', async () => {
    const dir = dataDir();
    const db = raw(dir);
    migrateSqlite(db);
    // Back to version 8's comment tables, where every author was an account (references users).
    db.exec(`
DROP TABLE comment_reactions; DROP TABLE comments; DROP TABLE comment_threads; DROP TABLE comment_guests;
CREATE TABLE comment_threads (id INTEGER PRIMARY KEY AUTOINCREMENT, doc_id TEXT NOT NULL, anchor_start BLOB NOT NULL, anchor_end BLOB NOT NULL,
  excerpt TEXT NOT NULL, created_by TEXT NOT NULL REFERENCES users (id), created_at INTEGER NOT NULL, resolved_by TEXT REFERENCES users (id), resolved_at INTEGER);
CREATE INDEX comment_threads_doc ON comment_threads (doc_id, id);
CREATE TABLE comments (id INTEGER PRIMARY KEY AUTOINCREMENT, thread_id INTEGER NOT NULL REFERENCES comment_threads (id),
  author_id TEXT NOT NULL REFERENCES users (id), body TEXT NOT NULL, created_at INTEGER NOT NULL, edited_at INTEGER);
CREATE INDEX comments_thread ON comments (thread_id, id);
CREATE TABLE comment_reactions (comment_id INTEGER NOT NULL REFERENCES comments (id), emoji TEXT NOT NULL, user_id TEXT NOT NULL REFERENCES users (id),
  created_at INTEGER NOT NULL, PRIMARY KEY (comment_id, emoji, user_id)) WITHOUT ROWID;
PRAGMA user_version = 8;`);
    db.prepare("INSERT INTO users (id, name, name_key, password_hash, created_at) VALUES ('u1', 'ann', 'ann', 'h', 1)").run();
    db.prepare("INSERT INTO comment_threads VALUES (1, 'd1', x'01', x'02', 'text', 'u1', 2, 'u1', 3), (7, 'd1', x'03', x'04', 'gone', 'u1', 4, NULL, NULL)").run();
    db.prepare("INSERT INTO comments VALUES (1, 1, 'u1', 'first', 2, NULL), (9, 7, 'u1', 'gone', 4, NULL)").run();
    db.prepare("INSERT INTO comment_reactions VALUES (1, '👍', 'u1', 5)").run();
    // Deleted rows: their ids are never given again.
    db.prepare('DELETE FROM comments WHERE id = 9').run();
    db.prepare('DELETE FROM comment_threads WHERE id = 7').run();
    db.close();

    const accounts = openSqliteAccountStore({ dataDir: dir, synchronous: 'normal' });
    onTestFinished(() => accounts.close());
    const after = raw(dir);
    expect(userVersion(after)).toBe(SQLITE_SCHEMA_VERSION);
    expect(tables(after)).toContain('comment_guests');
    const kept = (await accounts.listThreads('d1', null, 10)).threads;
    expect(kept).toHaveLength(1);
    expect(kept[0]).toMatchObject({ id: 1, createdBy: 'u1', resolvedBy: 'u1', resolvedAt: 3, anchor: { excerpt: 'text' } });
    expect(kept[0]!.comments).toEqual([
      { id: 1, threadId: 1, authorId: 'u1', body: 'first', createdAt: 2, editedAt: null, reactions: [{ emoji: '👍', userId: 'u1', createdAt: 5 }] },
    ]);
    const byGuest = await accounts.createThread({ docId: 'd1', anchor: { start: new Uint8Array([1]), end: new Uint8Array([2]), excerpt: 'x' }, createdBy: 'g:abc', createdAt: 6 }, 'hi');
    expect(byGuest.id).toBe(8);
    expect(byGuest.comments[0]!.id).toBe(10);
    // Comments still belong to a thread that exists.
    await expect(accounts.addComment({ threadId: 99, authorId: 'g:abc', body: 'x', createdAt: 7 })).rejects.toThrow();
    expect(after.pragma('foreign_key_check')).toEqual([]);
  });

  it('a file from a newer Tandem is refused by both stores and left as it was', () => {
    const dir = dataDir();
    const db = raw(dir);
    migrateSqlite(db);
    db.pragma(`user_version = ${SQLITE_SCHEMA_VERSION + 1}`);
    db.close();
    const newer = new RegExp(`version ${SQLITE_SCHEMA_VERSION + 1}, newer than this Tandem's ${SQLITE_SCHEMA_VERSION}`);
    expect(() => openSqliteStore({ dataDir: dir, synchronous: 'normal' })).toThrow(newer);
    expect(() => openSqliteAccountStore({ dataDir: dir, synchronous: 'normal' })).toThrow(newer);
    expect(userVersion(raw(dir))).toBe(SQLITE_SCHEMA_VERSION + 1);
  });

  it('a migration that fails changes nothing: no table, no version, the rows as they were', () => {
    const dir = dataDir();
    const before = raw(dir);
    before.exec(DOCUMENTS);
    seedDocuments(before);
    // Something no Tandem made: a view where the accounts' migration wants a table it indexes.
    before.exec('CREATE VIEW notifications AS SELECT 1 AS user_id');
    before.close();
    expect(() => openSqliteStore({ dataDir: dir, synchronous: 'normal' })).toThrow(/view/i);
    const after = raw(dir);
    expect(userVersion(after)).toBe(0);
    expect(tables(after)).toEqual(['documents', 'snapshots', 'store_meta', 'updates']);
    expect(rowCounts(after)).toEqual({ documents: 1, snapshots: 1, store_meta: 0, updates: 2 });
  });
});
