import type { Pool, PoolClient } from 'pg';
import { inTransaction, postgresQueries } from '../db/postgresPool.js';
import { DOC_ACCESS_COLUMNS, type DocAccessRow, MEMBER_COLUMNS, type MemberRow, mapOrNull, toDocAccess, toMember } from './accountRows.js';
import type { DocAccessStore } from './accountStore.js';

/**
 * A PostgreSQL domain's share of deleting a document: removes what of its own tables belongs to the
 * document, on the caller's transaction's connection.
 */
export type PostgresForgetDocument = (client: PoolClient, docId: string) => Promise<void>;

// Text orders use the "C" collation (code points), as SQLite does, whatever the database's locale.
const MEMBER_ORDER = `CASE role WHEN 'owner' THEN 0 WHEN 'editor' THEN 1 WHEN 'commenter' THEN 2 ELSE 3 END, joined_at, user_id COLLATE "C"`;

/**
 * Document access in a PostgreSQL account store (tables `doc_access`, `doc_members`). Deleting a
 * document runs `forgetDocument` (the chat's and the notifications' share) in its transaction.
 */
export function postgresDocAccess(pool: Pool, forgetDocument: readonly PostgresForgetDocument[]): DocAccessStore {
  const { one, rows, count, run } = postgresQueries(pool);
  return {
    async getDocAccess(docId) {
      return mapOrNull(await one<DocAccessRow>(`SELECT ${DOC_ACCESS_COLUMNS} FROM doc_access WHERE doc_id = $1`, [docId]), toDocAccess);
    },
    async createDocAccess(docId, ownerId, linkAccess, at) {
      await inTransaction(pool, async (client) => {
        await client.query('INSERT INTO doc_access (doc_id, owner_id, link_access, created_at) VALUES ($1, $2, $3, $4)', [
          docId,
          ownerId,
          linkAccess,
          at,
        ]);
        await client.query(
          // The owner's role never follows the link, whatever membership they held before (as SQLite's).
          `INSERT INTO doc_members (${MEMBER_COLUMNS}) VALUES ($1, $2, 'owner', $3, false)
           ON CONFLICT (doc_id, user_id) DO UPDATE SET role = EXCLUDED.role, via_link = false`,
          [docId, ownerId, at],
        );
      });
    },
    async setLinkAccess(docId, linkAccess) {
      await run('UPDATE doc_access SET link_access = $1 WHERE doc_id = $2', [linkAccess, docId]);
    },
    async markDocDeleted(docId, at) {
      await inTransaction(pool, async (client) => {
        await client.query(
          `INSERT INTO doc_access (doc_id, owner_id, link_access, created_at, deleted_at) VALUES ($1, NULL, 'none', $2, $2)
           ON CONFLICT (doc_id) DO UPDATE SET deleted_at = coalesce(doc_access.deleted_at, EXCLUDED.deleted_at)`,
          [docId, at],
        );
        await client.query('DELETE FROM doc_members WHERE doc_id = $1', [docId]);
        for (const forget of forgetDocument) await forget(client, docId);
      });
    },
    async getMember(docId, userId) {
      const row = await one<MemberRow>(`SELECT ${MEMBER_COLUMNS} FROM doc_members WHERE doc_id = $1 AND user_id = $2`, [docId, userId]);
      return mapOrNull(row, toMember);
    },
    async listMembers(docId) {
      return (await rows<MemberRow>(`SELECT ${MEMBER_COLUMNS} FROM doc_members WHERE doc_id = $1 ORDER BY ${MEMBER_ORDER}`, [docId])).map(toMember);
    },
    async setMember(docId, userId, role, at, viaLink = false) {
      await run(
        `INSERT INTO doc_members (${MEMBER_COLUMNS}) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (doc_id, user_id) DO UPDATE SET role = EXCLUDED.role, via_link = EXCLUDED.via_link`,
        [docId, userId, role, at, viaLink],
      );
    },
    async joinViaLink(docId, userId, role, at) {
      const added = await count(
        `INSERT INTO doc_members (${MEMBER_COLUMNS}) VALUES ($1, $2, $3, $4, true)
         ON CONFLICT (doc_id, user_id) DO NOTHING`,
        [docId, userId, role, at],
      );
      return added > 0;
    },
    async removeMember(docId, userId) {
      return (await count('DELETE FROM doc_members WHERE doc_id = $1 AND user_id = $2', [docId, userId])) > 0;
    },
    async listMemberships(userId) {
      const found = await rows<MemberRow>(
        `SELECT m.doc_id, m.user_id, m.role, m.joined_at, m.via_link FROM doc_members m
         LEFT JOIN doc_access a ON a.doc_id = m.doc_id
         WHERE m.user_id = $1 AND a.deleted_at IS NULL ORDER BY m.joined_at, m.doc_id COLLATE "C"`,
        [userId],
      );
      return found.map(toMember);
    },
  };
}
