import { openSqliteDatabase } from '../db/sqliteDatabase.js';
import type { AccountStore } from './accountStore.js';
import { sqliteAttemptBudgets } from './attemptBudgets.js';
import { sqliteChat, sqliteForgetDocumentChat } from './sqliteChat.js';
import { sqliteComments, sqliteForgetDocumentComments } from './sqliteComments.js';
import { sqliteDocAccess } from './sqliteDocAccess.js';
import { sqliteForgetDocumentNotifications, sqliteNotifications } from './sqliteNotifications.js';
import { sqliteSessions } from './sqliteSessions.js';
import { sqliteUsers } from './sqliteUsers.js';

// The tables are migrations 2 to 7 of server/db/sqliteSchema.ts (beside the documents' in the same
// file). Each domain is a file of its own (sqliteUsers.ts, …); this one opens the connection and
// composes them.

export interface SqliteAccountStoreOptions {
  /** Folder of the database file (the document store's: DATABASE_FILE); created if missing. */
  dataDir: string;
  synchronous: 'normal' | 'full';
}

/**
 * The account store in the document store's SQLite file, over a connection of its own. It never
 * checkpoints the WAL itself: open it beside the document store (openSqliteStore), whose
 * checkpointer worker does that for the whole file. better-sqlite3 is synchronous, so every method's
 * work is committed before its promise settles; a fault (a failed constraint included) rejects it.
 */
export function openSqliteAccountStore(options: SqliteAccountStoreOptions): AccountStore {
  // Foreign keys enforced: a session, member or message for no such user is refused.
  const db = openSqliteDatabase({ dataDir: options.dataDir, synchronous: options.synchronous, foreignKeys: true });
  let closed = false;
  try {
    return {
      ...sqliteUsers(db),
      ...sqliteSessions(db),
      ...sqliteDocAccess(db, [sqliteForgetDocumentChat(db), sqliteForgetDocumentComments(db), sqliteForgetDocumentNotifications(db)]),
      ...sqliteChat(db),
      ...sqliteComments(db),
      ...sqliteNotifications(db),
      ...sqliteAttemptBudgets(db),
      async close() {
        if (closed) return;
        closed = true;
        db.close();
      },
    };
  } catch (error) {
    // A domain that could not prepare (or refresh) leaves no connection behind.
    db.close();
    throw error;
  }
}
