import type Database from 'better-sqlite3';
import type { LinkAccess, Role } from '../../shared/accounts.js';
import { DOC_ACCESS_COLUMNS, type DocAccessRow, MEMBER_COLUMNS, type MemberRow, mapOrNull, toDocAccess, toMember } from './accountRows.js';
import type { DocAccessStore } from './accountStore.js';

/**
 * A SQLite domain's share of deleting a document: removes what of its own tables belongs to the
 * document. Runs inside the caller's transaction (never on its own).
 */
export type SqliteForgetDocument = (docId: string) => void;

// Members by role, owner first, then by when they joined.
const MEMBER_ORDER = `CASE role WHEN 'owner' THEN 0 WHEN 'editor' THEN 1 WHEN 'commenter' THEN 2 ELSE 3 END, joined_at, user_id`;

/**
 * Document access in a SQLite account store (tables `doc_access`, `doc_members`). Deleting a
 * document runs `forgetDocument` (the chat's and the notifications' share) in its transaction.
 */
export function sqliteDocAccess(db: Database.Database, forgetDocument: readonly SqliteForgetDocument[]): DocAccessStore {
  const selectAccess = db.prepare<[string], DocAccessRow>(`SELECT ${DOC_ACCESS_COLUMNS} FROM doc_access WHERE doc_id = ?`);
  const insertAccess = db.prepare<[string, string, LinkAccess, number]>(
    'INSERT INTO doc_access (doc_id, owner_id, link_access, created_at) VALUES (?, ?, ?, ?)',
  );
  const updateLinkAccess = db.prepare<[LinkAccess, string]>('UPDATE doc_access SET link_access = ? WHERE doc_id = ?');
  const upsertTombstone = db.prepare<[string, number, number]>(
    `INSERT INTO doc_access (doc_id, owner_id, link_access, created_at, deleted_at) VALUES (?, NULL, 'none', ?, ?)
     ON CONFLICT (doc_id) DO UPDATE SET deleted_at = coalesce(deleted_at, excluded.deleted_at)`,
  );
  const deleteDocMembers = db.prepare<[string]>('DELETE FROM doc_members WHERE doc_id = ?');
  const selectMember = db.prepare<[string, string], MemberRow>(
    `SELECT ${MEMBER_COLUMNS} FROM doc_members WHERE doc_id = ? AND user_id = ?`,
  );
  const selectMembers = db.prepare<[string], MemberRow>(
    `SELECT ${MEMBER_COLUMNS} FROM doc_members WHERE doc_id = ? ORDER BY ${MEMBER_ORDER}`,
  );
  // On a conflict the role and via_link are both replaced: the owner's row never stays "by link".
  const upsertMember = db.prepare<[string, string, Role, number, number]>(
    `INSERT INTO doc_members (${MEMBER_COLUMNS}) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (doc_id, user_id) DO UPDATE SET role = excluded.role, via_link = excluded.via_link`,
  );
  const insertLinkMember = db.prepare<[string, string, Role, number]>(
    `INSERT INTO doc_members (${MEMBER_COLUMNS}) VALUES (?, ?, ?, ?, 1)
     ON CONFLICT (doc_id, user_id) DO NOTHING`,
  );
  const deleteMember = db.prepare<[string, string]>('DELETE FROM doc_members WHERE doc_id = ? AND user_id = ?');
  const selectMemberships = db.prepare<[string], MemberRow>(
    `SELECT m.doc_id, m.user_id, m.role, m.joined_at, m.via_link FROM doc_members m
     LEFT JOIN doc_access a ON a.doc_id = m.doc_id
     WHERE m.user_id = ? AND a.deleted_at IS NULL ORDER BY m.joined_at, m.doc_id`,
  );

  // Multi-statement writes. IMMEDIATE: take the write lock at BEGIN, never upgrade a read later.
  const createDocAccessTx = db.transaction((docId: string, ownerId: string, linkAccess: LinkAccess, at: number) => {
    insertAccess.run(docId, ownerId, linkAccess, at);
    upsertMember.run(docId, ownerId, 'owner', at, 0);
  });
  const markDocDeletedTx = db.transaction((docId: string, at: number) => {
    upsertTombstone.run(docId, at, at);
    deleteDocMembers.run(docId);
    for (const forget of forgetDocument) forget(docId);
  });

  return {
    async getDocAccess(docId) {
      return mapOrNull(selectAccess.get(docId), toDocAccess);
    },
    async createDocAccess(docId, ownerId, linkAccess, at) {
      createDocAccessTx.immediate(docId, ownerId, linkAccess, at);
    },
    async setLinkAccess(docId, linkAccess) {
      updateLinkAccess.run(linkAccess, docId);
    },
    async markDocDeleted(docId, at) {
      markDocDeletedTx.immediate(docId, at);
    },
    async getMember(docId, userId) {
      return mapOrNull(selectMember.get(docId, userId), toMember);
    },
    async listMembers(docId) {
      return selectMembers.all(docId).map(toMember);
    },
    async setMember(docId, userId, role, at, viaLink = false) {
      upsertMember.run(docId, userId, role, at, viaLink ? 1 : 0);
    },
    async joinViaLink(docId, userId, role, at) {
      return insertLinkMember.run(docId, userId, role, at).changes > 0;
    },
    async removeMember(docId, userId) {
      return deleteMember.run(docId, userId).changes > 0;
    },
    async listMemberships(userId) {
      return selectMemberships.all(userId).map(toMember);
    },
  };
}
