import type { LinkAccess, Role } from '../../../shared/accounts.js';
import {
  type DocAccess,
  type DocDetails,
  type DocList,
  type DocSummary,
  type Member,
  type MyDocSummary,
  type ShareRequest,
  MAX_IMPORT_BYTES,
} from '../../../shared/api.js';
import { ApiRequestError, request, sendJson } from './request.js';

// REST calls for documents: listing, creating, importing, access and members (/api/docs).

function isDocSummary(value: unknown): value is DocSummary {
  const doc = value as DocSummary;
  return (
    typeof value === 'object' && value !== null &&
    typeof doc.id === 'string' && typeof doc.title === 'string' && typeof doc.updatedAt === 'number'
  );
}

function docPath(docId: string, rest = ''): string {
  return `/api/docs/${encodeURIComponent(docId)}${rest}`;
}

/** GET /api/docs: my documents and those shared with me, newest-edited first (sorted here too, in case). */
export async function listDocuments(): Promise<MyDocSummary[]> {
  const body = await request<DocList>('/api/docs');
  if (!Array.isArray(body?.documents) || !body.documents.every(isDocSummary)) {
    throw new ApiRequestError('The server sent a document list this page does not understand.', 200);
  }
  return [...body.documents].sort((a, b) => b.updatedAt - a.updatedAt);
}

/** POST /api/docs: creates an empty document (I am its owner) and returns its summary. */
export async function createDocument(): Promise<DocSummary> {
  const body = await request<DocSummary>('/api/docs', { method: 'POST' });
  if (!isDocSummary(body)) {
    throw new ApiRequestError('The server did not say which document it created.', 201);
  }
  return body;
}

/**
 * POST /api/docs/import: creates a new document from a Markdown text and returns its summary.
 * Throws ApiRequestError for a text over MAX_IMPORT_BYTES without sending it.
 */
export async function importMarkdown(markdown: string): Promise<DocSummary> {
  if (new TextEncoder().encode(markdown).length > MAX_IMPORT_BYTES) {
    throw new ApiRequestError(`The file is larger than ${MAX_IMPORT_BYTES / (1024 * 1024)} MiB.`, 413);
  }
  const body = await request<DocSummary>('/api/docs/import', {
    method: 'POST',
    headers: { 'content-type': 'text/markdown; charset=utf-8' },
    body: markdown,
  });
  if (!isDocSummary(body)) {
    throw new ApiRequestError('The server did not say which document it created.', 201);
  }
  return body;
}

/** GET /api/docs/:id: the document and what I may do with it (401, 404 and 410 are refusals). */
export function getDocument(docId: string): Promise<DocDetails> {
  return request<DocDetails>(docPath(docId));
}

/** GET /api/docs/:id/access: the owner, link access and members. */
export function getDocAccess(docId: string): Promise<DocAccess> {
  return request<DocAccess>(docPath(docId, '/access'));
}

/** PATCH /api/docs/:id/access (owner only). */
export function setLinkAccess(docId: string, linkAccess: LinkAccess): Promise<DocAccess> {
  return sendJson<DocAccess>('PATCH', docPath(docId, '/access'), { linkAccess });
}

/** POST /api/docs/:id/members: shares the document with a person (by id or name). */
export function shareDocument(docId: string, share: ShareRequest): Promise<Member> {
  return sendJson<Member>('POST', docPath(docId, '/members'), share);
}

/** PATCH /api/docs/:id/members/:userId (owner only). */
export function changeRole(docId: string, userId: string, role: Exclude<Role, 'owner'>): Promise<Member> {
  return sendJson<Member>('PATCH', docPath(docId, `/members/${encodeURIComponent(userId)}`), { role });
}

/** DELETE /api/docs/:id/members/:userId: the owner removes someone, or I leave (my own id). */
export function removeMember(docId: string, userId: string): Promise<void> {
  return request<void>(docPath(docId, `/members/${encodeURIComponent(userId)}`), { method: 'DELETE' });
}

/** DELETE /api/docs/:id (owner only). */
export function deleteDocument(docId: string): Promise<void> {
  return request<void>(docPath(docId), { method: 'DELETE' });
}
