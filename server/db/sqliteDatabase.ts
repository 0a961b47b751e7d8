import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { migrateSqlite } from './sqliteSchema.js';

// The SQLite layer every Tandem store shares: one file under the data directory, opened the same
// way by the document store and the account store (each over a connection of its own), and migrated
// by whichever opens first (sqliteSchema.ts). Neither store imports the other.

/** File name of the database inside the data directory. */
export const DATABASE_FILE = 'tandem.sqlite';

export interface SqliteDatabaseOptions {
  /** Folder of the database file; created if missing. */
  dataDir: string;
  synchronous: 'normal' | 'full';
  /**
   * Whether SQLite enforces the REFERENCES clauses on this connection. The document store leaves it
   * off (it makes each document's row before its first update, and the per-insert lookup would cost
   * every commit); the account store turns it on (a session for no such user is refused).
   */
  foreignKeys: boolean;
}

/**
 * Opens (creating it if missing) the data directory's database file in WAL mode and migrates its
 * schema. Never checkpoints on its own (wal_autocheckpoint 0): the document store's checkpointer
 * worker (sqliteCheckpointer.ts) does that for the whole file, off the event loop. Throws when the
 * file cannot be opened or migrated; the connection is closed first.
 */
export function openSqliteDatabase(options: SqliteDatabaseOptions): Database.Database {
  fs.mkdirSync(options.dataDir, { recursive: true });
  const db = new Database(path.join(options.dataDir, DATABASE_FILE));
  try {
    // First, so that the pragmas and the migration below wait out the other store's connection.
    db.pragma('busy_timeout = 5000');
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    db.pragma(`foreign_keys = ${options.foreignKeys ? 'ON' : 'OFF'}`);
    db.pragma('wal_autocheckpoint = 0');
    migrateSqlite(db);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}
