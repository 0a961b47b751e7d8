import path from 'node:path';
import Database from 'better-sqlite3';
import { onTestFinished } from 'vitest';
import { DATABASE_FILE } from '../../server/db/sqliteDatabase.js';

/** A read-only view of a data directory's SQLite file, closed when the test finishes. */
export function openDatabase(dataDir: string, options: { writable?: boolean } = {}): Database.Database {
  const db = new Database(path.join(dataDir, DATABASE_FILE), { readonly: !options.writable });
  onTestFinished(() => {
    db.close();
  });
  return db;
}

/** How many update rows and snapshot rows a document has in the database right now. */
export function rowCounts(db: Database.Database, docId: string): { updates: number; snapshots: number } {
  const updates = (db.prepare('SELECT COUNT(*) AS n FROM updates WHERE doc_id = ?').get(docId) as { n: number }).n;
  const snapshots = (db.prepare('SELECT COUNT(*) AS n FROM snapshots WHERE doc_id = ?').get(docId) as { n: number }).n;
  return { updates, snapshots };
}
