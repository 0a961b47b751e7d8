import { Pool } from 'pg';
import { describe, expect, it, onTestFinished } from 'vitest';
import { openPostgresAccountStore } from '../../server/accounts/postgresAccountStore.js';
import { openPostgresStore } from '../../server/store/postgresStore.js';
import { SCHEMA_VERSIONS } from '../../server/db/postgresSchema.js';
import { accountStoreContract } from '../helpers/accountStoreContract.js';
import { postgresDatabases } from '../helpers/postgres.js';

const databases = postgresDatabases();

// A fresh database for every store the contract opens; `reopen` opens a second pool on the same one.
accountStoreContract('PostgreSQL', async () => {
  const connectionString = await databases.create();
  const open = () => openPostgresAccountStore({ connectionString });
  return { store: await open(), reopen: open };
});

describe('PostgreSQL account store beside the document store', () => {
  it('shares the database and its migrations with the document store, whichever opens first', async () => {
    const url = await databases.create();
    const [accounts, docs] = await Promise.all([
      openPostgresAccountStore({ connectionString: url }),
      openPostgresStore({ connectionString: url }),
    ]);
    onTestFinished(() => Promise.all([accounts.close(), docs.close()]).then(() => undefined));
    await accounts.createUser({ id: 'u1', name: 'ann', passwordHash: 'h', createdAt: 1 });
    await docs.create('d1');
    await accounts.createDocAccess('d1', 'u1', 'edit', 2);
    // Deleting the document's rows leaves the account side's tombstone.
    await accounts.markDocDeleted('d1', 3);
    await docs.delete('d1');
    expect(await docs.describe('d1')).toBeNull();
    expect((await accounts.getDocAccess('d1'))?.deletedAt).toBe(3);

    const admin = new Pool({ connectionString: url, max: 1 });
    onTestFinished(() => admin.end());
    const { rows } = await admin.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
    expect(rows.map((row) => row.version)).toEqual(SCHEMA_VERSIONS);
  });

  it('users made before look-alike names were refused (look-alikes too) keep signing in; new look-alikes are refused', async () => {
    const url = await databases.create();
    const before = await openPostgresAccountStore({ connectionString: url });
    await before.createUser({ id: 'u1', name: 'admin', passwordHash: 'h1', createdAt: 1 });
    await before.close();
    // As an earlier Tandem left them: no skeletons, and a look-alike it let in.
    const admin = new Pool({ connectionString: url, max: 1 });
    onTestFinished(() => admin.end());
    await admin.query('UPDATE users SET name_skeleton = NULL');
    await admin.query("INSERT INTO users (id, name, name_key, password_hash, created_at) VALUES ('u2', '\u0430dmin', '\u0430dmin', 'h2', 2)");
    const after = await openPostgresAccountStore({ connectionString: url });
    onTestFinished(() => after.close());
    expect((await after.findUserByName('admin'))?.id).toBe('u1');
    expect((await after.findUserByName('\u0430dmin'))?.id).toBe('u2');
    expect(await after.createUser({ id: 'u3', name: 'ADM1N', passwordHash: 'h', createdAt: 3 })).toBe('taken');
    const { rows } = await admin.query<{ n: number }>('SELECT count(*)::int AS n FROM users WHERE name_skeleton IS NULL');
    expect(rows[0]?.n).toBe(0);
  });

  it('runs on a pool the caller owns, and leaves it open when closed', async () => {
    const url = await databases.create();
    const pool = new Pool({ connectionString: url, max: 2 });
    onTestFinished(() => pool.end());
    const store = await openPostgresAccountStore({ pool });
    await store.createUser({ id: 'u1', name: 'ann', passwordHash: 'h', createdAt: 1 });
    await store.close();
    await store.close();
    const { rows } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM users');
    expect(rows[0]?.n).toBe(1);
  });

  it('concurrent messages in one conversation from two stores: none ever appears below an id already seen', async () => {
    const url = await databases.create();
    const [a, b, reader] = await Promise.all([
      openPostgresAccountStore({ connectionString: url }),
      openPostgresAccountStore({ connectionString: url }),
      openPostgresAccountStore({ connectionString: url }),
    ]);
    onTestFinished(() => Promise.all([a.close(), b.close(), reader.close()]).then(() => undefined));
    await a.createUser({ id: 'u1', name: 'ann', passwordHash: 'h', createdAt: 1 });
    // What a read mark relies on: once a reader saw id N, no message with a smaller id commits later.
    let writing = true;
    let polls = 0;
    const seen = new Set<number>();
    const poll = async () => {
      const check = async () => {
        const ids = (await reader.listMessages('c', null, 100)).messages.map((m) => m.id);
        const highest = Math.max(0, ...seen);
        for (const id of ids) if (id < highest) expect(seen.has(id), `message ${id} appeared below ${highest}`).toBe(true);
        for (const id of ids) seen.add(id);
        polls += 1;
      };
      while (writing) await check();
      await check();
    };
    const polling = poll();
    const sent = await Promise.all(
      Array.from({ length: 80 }, (_, i) => (i % 2 ? a : b).appendMessage({ conversationId: 'c', authorId: 'u1', text: `m${i}`, createdAt: i })),
    );
    writing = false;
    await polling;
    expect(polls).toBeGreaterThan(1);
    const page = await reader.listMessages('c', null, 100);
    expect(page.messages.map((m) => m.id)).toEqual(sent.map((m) => m.id).sort((x, y) => x - y));
    expect(new Set(page.messages.map((m) => m.text)).size).toBe(80);
  });

  it('a database that cannot be reached rejects the open', async () => {
    await expect(
      openPostgresAccountStore({ connectionString: 'postgres://postgres@127.0.0.1:1/none' }),
    ).rejects.toThrow();
  });
});
