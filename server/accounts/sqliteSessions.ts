import type Database from 'better-sqlite3';
import { SESSION_COLUMNS, type SessionRow, mapOrNull, toSession } from './accountRows.js';
import type { SessionStore } from './accountStore.js';

/** The sessions of a SQLite account store (table `sessions`). */
export function sqliteSessions(db: Database.Database): SessionStore {
  const insertSession = db.prepare<[string, string, string, number, number, number, string]>(
    `INSERT INTO sessions (${SESSION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );
  const selectSession = db.prepare<[string], SessionRow>(`SELECT ${SESSION_COLUMNS} FROM sessions WHERE token_hash = ?`);
  const updateSession = db.prepare<[number, number, string]>(
    'UPDATE sessions SET last_used_at = ?, expires_at = ? WHERE token_hash = ?',
  );
  const deleteSessionRow = db.prepare<[string], SessionRow>(
    `DELETE FROM sessions WHERE token_hash = ? RETURNING ${SESSION_COLUMNS}`,
  );
  const deleteSessionOfUser = db.prepare<[string, string], SessionRow>(
    `DELETE FROM sessions WHERE id = ? AND user_id = ? RETURNING ${SESSION_COLUMNS}`,
  );
  const selectLiveSessions = db.prepare<[string, number], SessionRow>(
    `SELECT ${SESSION_COLUMNS} FROM sessions WHERE user_id = ? AND expires_at > ? ORDER BY created_at DESC, id`,
  );
  const deleteExpired = db.prepare<[number]>('DELETE FROM sessions WHERE expires_at <= ?');

  return {
    async createSession(s) {
      insertSession.run(s.tokenHash, s.id, s.userId, s.createdAt, s.lastUsedAt, s.expiresAt, s.userAgent);
    },
    async findSession(tokenHash) {
      return mapOrNull(selectSession.get(tokenHash), toSession);
    },
    async touchSession(tokenHash, lastUsedAt, expiresAt) {
      updateSession.run(lastUsedAt, expiresAt, tokenHash);
    },
    async deleteSession(tokenHash) {
      return mapOrNull(deleteSessionRow.get(tokenHash), toSession);
    },
    async deleteSessionById(userId, id) {
      return mapOrNull(deleteSessionOfUser.get(id, userId), toSession);
    },
    async listSessions(userId, now) {
      return selectLiveSessions.all(userId, now).map(toSession);
    },
    async deleteExpiredSessions(now) {
      return deleteExpired.run(now).changes;
    },
  };
}
