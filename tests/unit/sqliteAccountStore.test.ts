import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it, onTestFinished } from 'vitest';
import { openSqliteAccountStore } from '../../server/accounts/sqliteAccountStore.js';
import { DATABASE_FILE } from '../../server/db/sqliteDatabase.js';
import { openSqliteStore } from '../../server/store/sqliteStore.js';
import { docConversationId } from '../../shared/api.js';
import { accountStoreContract } from '../helpers/accountStoreContract.js';

/** A fresh data directory, removed when the test finishes. */
function dataDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-accounts-'));
  onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

accountStoreContract('SQLite', async () => {
  const dir = dataDir();
  const open = async () => openSqliteAccountStore({ dataDir: dir, synchronous: 'normal' });
  return { store: await open(), reopen: open };
});

describe('SQLite account store beside the document store', () => {
  it('both stores open one file, write to it, and find everything again after reopening', async () => {
    const dir = dataDir();
    const docs = openSqliteStore({ dataDir: dir, synchronous: 'full' });
    const accounts = openSqliteAccountStore({ dataDir: dir, synchronous: 'full' });
    await accounts.createUser({ id: 'u1', name: 'ann', passwordHash: 'h', createdAt: 1 });
    await docs.create('d1');
    await accounts.createDocAccess('d1', 'u1', 'edit', 2);
    // Interleaved writes from the two connections.
    for (let i = 0; i < 20; i++) {
      await docs.appendBatch([{ docId: 'd1', update: new Uint8Array([i]) }]);
      await accounts.appendMessage({ conversationId: docConversationId('d1'), authorId: 'u1', text: `m${i}`, createdAt: i });
    }
    await Promise.all([docs.close(), accounts.close()]);

    // Reopened the other way round.
    const accountsAgain = openSqliteAccountStore({ dataDir: dir, synchronous: 'normal' });
    const docsAgain = openSqliteStore({ dataDir: dir, synchronous: 'normal' });
    onTestFinished(() => Promise.all([docsAgain.close(), accountsAgain.close()]).then(() => undefined));
    expect((await docsAgain.load('d1')).updates).toHaveLength(20);
    expect((await accountsAgain.getMember('d1', 'u1'))?.role).toBe('owner');
    const page = await accountsAgain.listMessages(docConversationId('d1'), null, 100);
    expect(page.messages.map((m) => m.text)).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`));
    // The messages' AUTOINCREMENT record does not disturb the document store's sequence numbers.
    const [seq] = await docsAgain.appendBatch([{ docId: 'd1', update: new Uint8Array([99]) }]);
    expect(seq).toBe(21);
    await docsAgain.check();
  });

  it('a file made before look-alike names were refused: its users (look-alikes too) keep signing in; new look-alikes are refused', async () => {
    const dir = dataDir();
    const before = openSqliteAccountStore({ dataDir: dir, synchronous: 'normal' });
    await before.createUser({ id: 'u1', name: 'admin', passwordHash: 'h1', createdAt: 1 });
    await before.close();
    // As an earlier Tandem left it: no schema version, no name_skeleton column, and a look-alike it let in.
    const raw = new Database(path.join(dir, DATABASE_FILE));
    raw.exec('DROP INDEX users_skeleton; ALTER TABLE users DROP COLUMN name_skeleton; PRAGMA user_version = 0');
    raw.prepare("INSERT INTO users (id, name, name_key, password_hash, created_at) VALUES ('u2', '\u0430dmin', '\u0430dmin', 'h2', 2)").run();
    raw.close();
    const after = openSqliteAccountStore({ dataDir: dir, synchronous: 'normal' });
    onTestFinished(() => after.close());
    expect((await after.findUserByName('admin'))?.id).toBe('u1');
    expect((await after.findUserByName('\u0430dmin'))?.id).toBe('u2');
    expect(await after.createUser({ id: 'u3', name: 'ADM1N', passwordHash: 'h', createdAt: 3 })).toBe('taken');
    expect((await after.createUser({ id: 'u4', name: 'adrian', passwordHash: 'h', createdAt: 4 })) !== 'taken').toBe(true);
  });

  it('deleting a document forgets its chat read marks', async () => {
    const dir = dataDir();
    const accounts = openSqliteAccountStore({ dataDir: dir, synchronous: 'normal' });
    onTestFinished(() => accounts.close());
    await accounts.createUser({ id: 'u1', name: 'ann', passwordHash: 'h', createdAt: 1 });
    await accounts.createDocAccess('d1', 'u1', 'edit', 2);
    const message = await accounts.appendMessage({ conversationId: docConversationId('d1'), authorId: 'u1', text: 'x', createdAt: 3 });
    await accounts.markConversationRead('u1', docConversationId('d1'), message.id);
    await accounts.markConversationRead('u1', 'other', message.id);
    await accounts.markDocDeleted('d1', 4);
    const db = new Database(path.join(dir, DATABASE_FILE), { readonly: true });
    onTestFinished(() => {
      db.close();
    });
    const reads = db.prepare('SELECT conversation_id FROM conversation_reads').all() as { conversation_id: string }[];
    expect(reads.map((r) => r.conversation_id)).toEqual(['other']);
  });
});
