import type { Pool } from 'pg';
import { userNameKey } from '../../shared/accounts.js';
import { inTransaction, postgresQueries } from '../db/postgresPool.js';
import { USER_COLUMNS, type UserRow, mapOrNull, toUser } from './accountRows.js';
import type { UserStore } from './accountStore.js';
import { userNameSkeleton } from './nameSkeleton.js';

/** First key of the advisory locks registrations take per name skeleton ("name"). */
const SKELETON_LOCK_KEY = 0x6e616d65;

/**
 * Writes every user's current userNameSkeleton where it differs from the stored one, so that a change
 * of the look-alike rules (or of the package's map) reaches existing names too. Run at every open.
 */
export async function refreshPostgresSkeletons(pool: Pool): Promise<void> {
  const { rows } = await pool.query<{ id: string; name: string; name_skeleton: string | null }>('SELECT id, name, name_skeleton FROM users');
  const stale = rows.filter((row) => userNameSkeleton(row.name) !== row.name_skeleton);
  if (stale.length === 0) return;
  await pool.query('UPDATE users AS u SET name_skeleton = t.skeleton FROM unnest($1::text[], $2::text[]) AS t(id, skeleton) WHERE u.id = t.id', [
    stale.map((row) => row.id),
    stale.map((row) => userNameSkeleton(row.name)),
  ]);
}

/** The users of a PostgreSQL account store (table `users`; skeletons: refreshPostgresSkeletons at open). */
export function postgresUsers(pool: Pool): UserStore {
  const { one, rows, run } = postgresQueries(pool);
  return {
    async createUser(user) {
      const skeleton = userNameSkeleton(user.name);
      const inserted = await inTransaction(pool, async (client) => {
        // Two registrations of look-alike names take turns, so that the second sees the first.
        await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [SKELETON_LOCK_KEY, skeleton]);
        const result = await client.query(
          `INSERT INTO users (id, name, name_key, name_skeleton, password_hash, created_at)
           SELECT $1, $2, $3, $4, $5, $6 WHERE NOT EXISTS (SELECT 1 FROM users WHERE name_skeleton = $4)
           ON CONFLICT (name_key) DO NOTHING`,
          [user.id, user.name, userNameKey(user.name), skeleton, user.passwordHash, user.createdAt],
        );
        return result.rowCount ?? 0;
      });
      return inserted === 0 ? 'taken' : { ...user, lastSeenAt: null };
    },
    async findUserByName(name) {
      return mapOrNull(await one<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE name_key = $1`, [userNameKey(name)]), toUser);
    },
    async getUser(id) {
      return mapOrNull(await one<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE id = $1`, [id]), toUser);
    },
    async listUsers() {
      // Text orders use the "C" collation (code points), as SQLite does, whatever the database's locale.
      return (await rows<UserRow>(`SELECT ${USER_COLUMNS} FROM users ORDER BY name_key COLLATE "C", id COLLATE "C"`, [])).map(toUser);
    },
    async setLastSeen(userId, at) {
      await run('UPDATE users SET last_seen_at = $1 WHERE id = $2', [at, userId]);
    },
    async setPasswordHash(userId, passwordHash) {
      await run('UPDATE users SET password_hash = $1 WHERE id = $2', [passwordHash, userId]);
    },
  };
}
