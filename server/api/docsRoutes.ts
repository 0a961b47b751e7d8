import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ApiError, DocDetails, DocList, DocSummary } from '../../shared/api.js';
import { isValidDocId } from '../../shared/docId.js';
import type { RoomRegistry } from '../collab/roomRegistry.js';
import type { DocStore } from '../store/docStore.js';

export interface DocsRoutesOptions {
  store: DocStore;
  registry: RoomRegistry;
}

/** 16 random bytes, base64url: 22 characters, 128 bits, valid as a document id. */
export function newDocId(): string {
  return randomBytes(16).toString('base64url');
}

const DEFAULT_LIST_LIMIT = 200;
const MAX_LIST_LIMIT = 1000;

function sendError(reply: FastifyReply, status: number, error: string, message: string): FastifyReply {
  const body: ApiError = { error, message };
  return reply.code(status).send(body);
}

/** The document REST API: list, create, describe. */
export async function docsRoutes(app: FastifyInstance, { store, registry }: DocsRoutesOptions): Promise<void> {
  app.get<{ Querystring: { limit?: string } }>('/api/docs', async (request, reply) => {
    const raw = request.query.limit;
    const limit = raw === undefined ? DEFAULT_LIST_LIMIT : Number(raw);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
      return sendError(reply, 400, 'invalid_limit', `limit must be an integer from 1 to ${MAX_LIST_LIMIT}`);
    }
    const documents = await store.list(limit);
    // A document open right now may have a newer title than the one last recorded.
    const body: DocList = { documents: documents.map((doc) => withLiveTitle(doc, registry)) };
    return body;
  });

  app.post('/api/docs', async (_request, reply) => {
    const created = await store.create(newDocId());
    return reply.code(201).header('location', `/d/${created.id}`).send(created);
  });

  app.get<{ Params: { id: string } }>('/api/docs/:id', async (request, reply) => {
    const { id } = request.params;
    if (!isValidDocId(id)) return sendError(reply, 400, 'invalid_id', 'document ids are 1–64 characters of A–Z a–z 0–9 _ -');
    const stored = await store.describe(id);
    if (!stored) return sendError(reply, 404, 'not_found', `no document ${id}`);
    const room = registry.peek(id);
    const body: DocDetails = { ...withLiveTitle(stored, registry), storedBytes: stored.storedBytes, connections: room?.peers.size ?? 0 };
    return body;
  });
}

function withLiveTitle<T extends DocSummary>(doc: T, registry: RoomRegistry): DocSummary {
  const room = registry.peek(doc.id);
  return { id: doc.id, title: room ? room.title : doc.title, createdAt: doc.createdAt, updatedAt: doc.updatedAt };
}
