import type { Pool } from 'pg';
import { postgresQueries } from '../db/postgresPool.js';
import { SESSION_COLUMNS, type SessionRow, mapOrNull, toSession } from './accountRows.js';
import type { SessionStore } from './accountStore.js';

/** The sessions of a PostgreSQL account store (table `sessions`). */
export function postgresSessions(pool: Pool): SessionStore {
  const { one, rows, count, run } = postgresQueries(pool);
  return {
    async createSession(s) {
      await run(`INSERT INTO sessions (${SESSION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)`, [
        s.tokenHash,
        s.id,
        s.userId,
        s.createdAt,
        s.lastUsedAt,
        s.expiresAt,
        s.userAgent,
      ]);
    },
    async findSession(tokenHash) {
      return mapOrNull(await one<SessionRow>(`SELECT ${SESSION_COLUMNS} FROM sessions WHERE token_hash = $1`, [tokenHash]), toSession);
    },
    async touchSession(tokenHash, lastUsedAt, expiresAt) {
      await run('UPDATE sessions SET last_used_at = $1, expires_at = $2 WHERE token_hash = $3', [lastUsedAt, expiresAt, tokenHash]);
    },
    async deleteSession(tokenHash) {
      const row = await one<SessionRow>(`DELETE FROM sessions WHERE token_hash = $1 RETURNING ${SESSION_COLUMNS}`, [tokenHash]);
      return mapOrNull(row, toSession);
    },
    async deleteSessionById(userId, id) {
      const row = await one<SessionRow>(`DELETE FROM sessions WHERE id = $1 AND user_id = $2 RETURNING ${SESSION_COLUMNS}`, [id, userId]);
      return mapOrNull(row, toSession);
    },
    async listSessions(userId, now) {
      const found = await rows<SessionRow>(
        `SELECT ${SESSION_COLUMNS} FROM sessions WHERE user_id = $1 AND expires_at > $2 ORDER BY created_at DESC, id COLLATE "C"`,
        [userId, now],
      );
      return found.map(toSession);
    },
    async deleteExpiredSessions(now) {
      return count('DELETE FROM sessions WHERE expires_at <= $1', [now]);
    },
  };
}
