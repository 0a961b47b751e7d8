import type Database from 'better-sqlite3';
import { userNameKey } from '../../shared/accounts.js';
import { USER_COLUMNS, type UserRow, mapOrNull, toUser } from './accountRows.js';
import type { UserStore } from './accountStore.js';
import { userNameSkeleton } from './nameSkeleton.js';

/** Writes every user's current userNameSkeleton where it differs from the stored one (one transaction). */
function refreshSkeletons(db: Database.Database): void {
  const users = db.prepare<[], { id: string; name: string; name_skeleton: string | null }>('SELECT id, name, name_skeleton FROM users');
  const update = db.prepare<[string, string]>('UPDATE users SET name_skeleton = ? WHERE id = ?');
  db.transaction(() => {
    for (const user of users.all()) {
      const skeleton = userNameSkeleton(user.name);
      if (skeleton !== user.name_skeleton) update.run(skeleton, user.id);
    }
  }).immediate();
}

/**
 * The users of a SQLite account store (table `users`). Every user's name skeleton is (re)computed
 * here at open, so that a change of the look-alike rules (or of the package's map) reaches existing
 * names too.
 */
export function sqliteUsers(db: Database.Database): UserStore {
  refreshSkeletons(db);
  // Nothing when the name is taken (name_key) or looks like one taken (name_skeleton).
  const insertUser = db.prepare<[string, string, string, string, string, number, string]>(
    `INSERT INTO users (id, name, name_key, name_skeleton, password_hash, created_at)
     SELECT ?, ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM users WHERE name_skeleton = ?)
     ON CONFLICT (name_key) DO NOTHING`,
  );
  const selectUserByKey = db.prepare<[string], UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE name_key = ?`);
  const selectUser = db.prepare<[string], UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE id = ?`);
  const selectUsers = db.prepare<[], UserRow>(`SELECT ${USER_COLUMNS} FROM users ORDER BY name_key, id`);
  const updateLastSeen = db.prepare<[number, string]>('UPDATE users SET last_seen_at = ? WHERE id = ?');
  const updatePasswordHash = db.prepare<[string, string]>('UPDATE users SET password_hash = ? WHERE id = ?');

  return {
    async createUser(user) {
      const skeleton = userNameSkeleton(user.name);
      const { changes } = insertUser.run(user.id, user.name, userNameKey(user.name), skeleton, user.passwordHash, user.createdAt, skeleton);
      if (changes === 0) return 'taken';
      return { ...user, lastSeenAt: null };
    },
    async findUserByName(name) {
      return mapOrNull(selectUserByKey.get(userNameKey(name)), toUser);
    },
    async getUser(id) {
      return mapOrNull(selectUser.get(id), toUser);
    },
    async listUsers() {
      return selectUsers.all().map(toUser);
    },
    async setLastSeen(userId, at) {
      updateLastSeen.run(at, userId);
    },
    async setPasswordHash(userId, passwordHash) {
      updatePasswordHash.run(passwordHash, userId);
    },
  };
}
