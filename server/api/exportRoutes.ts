import type { FastifyInstance } from 'fastify';
import * as Y from 'yjs';
import { type ApiErrorCode, type DocSummary, type ExportFormat, MAX_IMPORT_BYTES } from '../../shared/api.js';
import type { Room } from '../collab/room.js';
import type { RoomRegistry } from '../collab/roomRegistry.js';
import type * as DocumentFormats from '../documentFormats.js';
import type { DocStore } from '../store/docStore.js';
import type { BigDocs } from '../bigdocs/bigDocsPlugin.js';
import { signedInUser } from '../auth/authPlugin.js';
import type { DocAccess } from '../people/docAccess.js';
import { ApiHttpError } from './apiError.js';
import { InFlightLimit } from './inFlightLimit.js';
import { createOwnedDocument, INVALID_ID } from './docsRoutes.js';
import { answers, docIdParams, docSummary, exportQuery } from './schemas.js';

export interface ExportRoutesOptions {
  store: DocStore;
  registry: RoomRegistry;
  access: DocAccess;
  /** Documents from `workerAboveBytes` on are exported and imported on a worker thread. */
  bigDocs: Pick<BigDocs, 'workers' | 'workerAboveBytes' | 'exportsInFlight'>;
}

/**
 * How long an export waits for an open room's queued updates to be committed. Past it the answer
 * is 503: the room is busy (or its storage failing), and exporting what is not on disk is refused.
 */
const SETTLE_TIMEOUT_MS = 5_000;

const FORMATS: Record<ExportFormat, { contentType: string; extension: string; render: (formats: typeof DocumentFormats, doc: Y.Doc) => string }> = {
  md: { contentType: 'text/markdown; charset=utf-8', extension: 'md', render: (formats, doc) => formats.documentToMarkdown(doc) },
  html: { contentType: 'text/html; charset=utf-8', extension: 'html', render: (formats, doc) => formats.documentToHtml(doc) },
};

let loadedFormats: Promise<typeof DocumentFormats> | null = null;
/**
 * The conversions, loaded at the first export or import: they bring markdown-it, prosemirror-markdown
 * and y-prosemirror, several MB of memory a server that never converts a document need not hold.
 */
function documentFormats(): Promise<typeof DocumentFormats> {
  return (loadedFormats ??= import('../documentFormats.js'));
}

/**
 * The committed state of a document, or why there is none to read: `message` is for the client,
 * `cause` (the store's error, which may name files, hosts or SQL) only for the log.
 */
type Snapshot =
  | { ok: true; title: string; body: string }
  | { ok: false; status: number; error: ApiErrorCode; message: string; cause?: unknown };

/**
 * Export and import (see documentFormats.ts for the conversions):
 *
 * - `GET /api/docs/:id/export?format=md|html` (default md): the document as a download. Read from
 *   the open room when there is one (it may hold updates newer than the last compaction), once every
 *   update it applied is committed, so the export never shows what is not on disk; otherwise from
 *   storage. 400 for an invalid id or unknown format, 404 for an unknown document.
 * - `POST /api/docs/import` with a `text/markdown` or `text/plain` body (at most MAX_IMPORT_BYTES,
 *   else 413): creates a NEW document with that content and answers 201 with its summary and
 *   `Location: /d/<id>`, like `POST /api/docs`. An existing document is never rebuilt from text.
 *
 * Past `exportsInFlight` exports and imports at once, one more is answered 503 `busy` with
 * Retry-After (a log line says so) rather than queued with its document in memory.
 *
 * Every error answer is an ApiError (errorHandler.ts).
 */
export async function exportRoutes(app: FastifyInstance, { store, registry, access, bigDocs }: ExportRoutesOptions): Promise<void> {
  const big = (bytes: number) => bytes >= bigDocs.workerAboveBytes;
  // Each export or import holds a whole document in memory (a big one until a worker thread is free).
  const heavy = new InFlightLimit(bigDocs.exportsInFlight, 'Export and import');
  // This plugin's routes take Markdown only, as a UTF-8 string (text/plain and text/markdown): any
  // other type, JSON included, is refused by Fastify's parser with 415 before anything else runs.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(['text/markdown', 'text/plain'], { parseAs: 'string' }, (_request, body, done) => done(null, body));

  app.get<{ Params: { id: string }; Querystring: { format?: ExportFormat } }>(
    '/api/docs/:id/export',
    {
      config: { refusals: { invalid_id: INVALID_ID, invalid_format: 'format must be md or html.' } },
      schema: { params: docIdParams, querystring: exportQuery, response: answers({}) },
    },
    async (request, reply) => {
      const { id } = request.params;
      const format = request.query.format ?? 'md';
      await access.require(id, request.auth?.user ?? null);
      if ((await store.describe(id)) === null) throw new ApiHttpError(404, 'not_found', `no document ${id}`);

      const { render, contentType, extension } = FORMATS[format];
      const formats = await documentFormats();
      const snapshot = await heavy.run(request.log, { docId: id }, () =>
        readDocument(id, format, (doc) => ({ title: formats.documentTitle(doc), body: render(formats, doc) })),
      );
      if (!snapshot.ok) {
        if (snapshot.status >= 500) request.log.error({ docId: id, reason: snapshot.message, err: snapshot.cause }, 'export failed');
        throw new ApiHttpError(snapshot.status, snapshot.error, snapshot.message);
      }
      const { ascii, unicode } = formats.downloadFileName(snapshot.title, id);
      return reply
        .header('content-type', contentType)
        .header(
          'content-disposition',
          `attachment; filename="${ascii}.${extension}"; filename*=UTF-8''${encodeURIComponent(`${unicode}.${extension}`)}`,
        )
        .header('x-content-type-options', 'nosniff')
        .header('cache-control', 'no-store')
        .send(snapshot.body);
    },
  );

  app.post<{ Body: string }>(
    '/api/docs/import',
    {
      bodyLimit: MAX_IMPORT_BYTES,
      config: {
        signedIn: true,
        refusals: {
          too_large: `imports are limited to ${MAX_IMPORT_BYTES / (1024 * 1024)} MiB of Markdown`,
          unsupported_media_type: 'send the Markdown as text/markdown or text/plain',
        },
      },
      schema: { body: { type: 'string' }, response: answers({ 201: docSummary }) },
    },
    async (request, reply) => {
      const { update, title } = await heavy.run(request.log, { import: true }, async () =>
        big(Buffer.byteLength(request.body)) ? bigDocs.workers.importMarkdown(request.body) : (await documentFormats()).markdownToDocument(request.body),
      );
      const created = await createOwnedDocument(store, access, signedInUser(request).user);
      const id = created.id;
      // The id is new and random, so no room can hold this document yet: writing to the store
      // directly cannot race a room's own writes.
      await store.appendBatch([{ docId: id, update }]);
      if (title !== '') await store.setTitle(id, title);
      const stored = await store.describe(id);
      const body: DocSummary = stored
        ? { id, title: stored.title, createdAt: stored.createdAt, updatedAt: stored.updatedAt }
        : created;
      return reply.code(201).header('location', `/d/${id}`).send(body);
    },
  );

  /**
   * Runs `read` on the document's committed state: the open room's doc once it has settled, or a
   * fresh Y.Doc loaded from storage (also when the room unloads while we wait). `read` must not
   * change the doc. Storage that cannot be read or applied gives 500, never an empty document.
   */
  async function readDocument(id: string, format: ExportFormat, read: (doc: Y.Doc) => { title: string; body: string }): Promise<Snapshot> {
    const room = registry.peek(id);
    if (room !== undefined) {
      const settled = await settledWithin(room, SETTLE_TIMEOUT_MS);
      if (registry.peek(id) === room && !room.isDestroyed) {
        if (!settled) return { ok: false, status: 503, error: 'busy', message: 'the document is busy; try again' };
        let doc: Y.Doc | null = null;
        let parts: Uint8Array[] | null = null;
        try {
          // A big document goes to a worker as its state's parts (taken now, while settled).
          if (big(room.storedBytes)) parts = room.stateParts();
          else doc = room.doc;
        } catch (error) {
          // Its stored row failed to build: refused as a failed load is (the room is gone now).
          return { ok: false, status: 500, error: 'load_failed', message: 'the document could not be loaded', cause: error };
        }
        return parts ? exportInWorker(parts, format) : { ok: true, ...read(doc!) };
      }
      // The room went away while we waited: what it held is in storage now.
    }
    let stored;
    try {
      stored = await store.load(id);
    } catch (error) {
      return { ok: false, status: 500, error: 'load_failed', message: 'the document could not be loaded', cause: error };
    }
    if (big(stored.updates.reduce((sum, update) => sum + update.length, 0))) return exportInWorker(stored.updates, format);
    const doc = new Y.Doc();
    try {
      try {
        Y.transact(doc, () => {
          for (const update of stored.updates) Y.applyUpdate(doc, update);
        });
      } catch (error) {
        return { ok: false, status: 500, error: 'load_failed', message: 'the document could not be loaded', cause: error };
      }
      if (doc.store.pendingStructs !== null || doc.store.pendingDs !== null) {
        return { ok: false, status: 500, error: 'load_failed', message: 'the stored document has missing parts' };
      }
      return { ok: true, ...read(doc) };
    } finally {
      doc.destroy();
    }
  }

  /** Renders a big document on a worker thread; a state that does not build (or a worker that dies) is 500. */
  async function exportInWorker(parts: Uint8Array[], format: ExportFormat): Promise<Snapshot> {
    try {
      return { ok: true, ...(await bigDocs.workers.exportDoc(parts, format)) };
    } catch (error) {
      return { ok: false, status: 500, error: 'load_failed', message: 'the document could not be loaded', cause: error };
    }
  }
}

/**
 * Resolves true once every update the room applied is committed, false after `timeoutMs`. (A room
 * that is dropped while updates are queued never settles; the caller then reads storage.)
 */
async function settledWithin(room: Room, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([room.settled().then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
