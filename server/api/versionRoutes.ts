import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  MAX_VERSION_NAME_CHARS,
  VERSION_FORMATS,
  VERSION_KINDS,
  type Version,
  type VersionChanges,
  type VersionContent,
  type VersionFormat,
  type VersionList,
  type VersionName,
} from '../../shared/history.js';
import { newGuestAuthor, userAuthor } from '../history/historyAuthors.js';
import type { HistoryService } from '../history/historyService.js';
import type { DocAccess } from '../people/docAccess.js';
import type { DocStore } from '../store/docStore.js';
import { stripBidiControls } from '../../shared/text.js';
import { KeyedTokenBuckets } from '../tokenBucket.js';
import { ApiHttpError } from './apiError.js';
import { INVALID_ID, noSuchDocument } from './docsRoutes.js';
import { answers, docIdParams } from './schemas.js';

export interface VersionRoutesOptions {
  store: DocStore;
  access: DocAccess;
  history: HistoryService;
  /** Version writes (name, rename, restore) one person, and a guest's address, may make per second, and the burst above that. */
  writesPerSecond: number;
  burst: number;
}

const string = { type: 'string' } as const;
const integer = { type: 'integer' } as const;
const versionAuthor = {
  type: 'object',
  properties: { userId: { type: ['string', 'null'] }, name: string, colour: string, guest: { type: 'boolean' } },
} as const;
const version = {
  type: 'object',
  properties: {
    id: integer,
    createdAt: integer,
    name: { type: ['string', 'null'] },
    authors: { type: 'array', items: versionAuthor },
    kind: { type: 'string', enum: VERSION_KINDS },
  },
} as const;
const VERSION_ID = '^[0-9]{1,15}$';
const versionParams = { type: 'object', properties: { ...docIdParams.properties, vid: { type: 'string', pattern: VERSION_ID } } } as const;
const changesParams = {
  type: 'object',
  properties: { ...docIdParams.properties, vid: { type: 'string', pattern: `${VERSION_ID.slice(0, -1)}|^current$` } },
} as const;
const nameBody = (nullable: boolean) =>
  ({
    type: 'object',
    required: ['name'],
    properties: { name: { type: nullable ? ['string', 'null'] : 'string', minLength: 1, maxLength: MAX_VERSION_NAME_CHARS } },
  }) as const;
const REFUSALS = {
  invalid_id: `${INVALID_ID}; version ids are numbers`,
  bad_request: `name must be 1–${MAX_VERSION_NAME_CHARS} characters (null removes it)`,
  invalid_format: 'format must be json, md or html',
  invalid_query: 'since must be a version id',
};

interface Params {
  id: string;
  vid: string;
}

/** Who a request acts as, in the history: the account, else a guest of its own. */
function requester(request: FastifyRequest): string {
  return request.auth ? userAuthor(request.auth.user.id) : newGuestAuthor();
}

/**
 * A name as kept (everyone with the document is shown it): bidirectional and control characters
 * removed, whitespace runs as one space, trimmed; only whitespace is refused.
 */
function cleanName(name: string | null): string | null {
  if (name === null) return null;
  // eslint-disable-next-line no-control-regex
  const trimmed = stripBidiControls(name).replace(/\s+/g, ' ').replace(/[\u0000-\u001f\u007f-\u009f]/g, '').trim();
  if (trimmed === '') throw new ApiHttpError(400, 'bad_request', 'a version name cannot be only spaces');
  return trimmed;
}

/**
 * A document's version history (README "Version history"): anyone who may open the document lists,
 * opens and compares its versions; owners and editors name and restore. Errors are ApiErrors.
 */
export async function versionRoutes(app: FastifyInstance, { store, access, history, writesPerSecond, burst }: VersionRoutesOptions): Promise<void> {
  // Named versions are kept for ever and each write is announced to the document's members: a
  // writer (an account, or a guest's address: a guest's author id is new with every request) past
  // its rate is refused with 429, so that nobody floods a document's history.
  const writes = new KeyedTokenBuckets(writesPerSecond, burst);
  const sweep = setInterval(() => writes.sweep(), 60_000);
  sweep.unref();
  app.addHook('onClose', async () => clearInterval(sweep));

  /** The caller's role on an existing document (404 otherwise); `change`: only owners and editors (else 403), within their rate (else 429). */
  async function allowed(request: FastifyRequest, id: string, change: boolean): Promise<void> {
    const { role } = await access.require(id, request.auth?.user ?? null);
    if ((await store.describe(id)) === null) throw noSuchDocument();
    if (!change) return;
    if (role !== 'owner' && role !== 'editor') {
      throw new ApiHttpError(403, 'not_allowed', 'Only the owner and editors may name or restore versions.');
    }
    const key = request.auth ? `user:${request.auth.user.id}` : `ip:${request.ip}`;
    if (writes.take(key)) return;
    const seconds = Math.max(1, Math.ceil(writes.msUntilToken(key) / 1000));
    request.log.warn({ docId: id, userId: request.auth?.user.id ?? null, guest: request.auth === null }, 'refused a version write: rate limit');
    throw new ApiHttpError(429, 'rate_limited', `You are naming or restoring versions too fast; wait ${seconds} s.`, { 'retry-after': String(seconds) });
  }

  app.get<{ Params: { id: string } }>(
    '/api/docs/:id/versions',
    { config: { refusals: REFUSALS }, schema: { params: docIdParams, response: answers({ 200: { type: 'object', properties: { versions: { type: 'array', items: version } } } }) } },
    async (request): Promise<VersionList> => {
      await allowed(request, request.params.id, false);
      return { versions: await history.list(request.params.id) };
    },
  );

  app.post<{ Params: { id: string }; Body: { name: string } }>(
    '/api/docs/:id/versions',
    { config: { refusals: REFUSALS }, schema: { params: docIdParams, body: nameBody(false), response: answers({ 201: version }) } },
    async (request, reply) => {
      const { id } = request.params;
      await allowed(request, id, true);
      const made: Version = await history.create(id, 'named', cleanName(request.body.name), requester(request));
      return reply.code(201).send(made);
    },
  );

  app.patch<{ Params: Params; Body: VersionName }>(
    '/api/docs/:id/versions/:vid',
    { config: { refusals: REFUSALS }, schema: { params: versionParams, body: nameBody(true), response: answers({ 200: version }) } },
    async (request): Promise<Version> => {
      const { id, vid } = request.params;
      await allowed(request, id, true);
      return history.rename(id, Number(vid), cleanName(request.body.name), requester(request));
    },
  );

  app.get<{ Params: Params; Querystring: { format?: VersionFormat } }>(
    '/api/docs/:id/versions/:vid',
    {
      config: { refusals: REFUSALS },
      schema: {
        params: versionParams,
        querystring: { type: 'object', properties: { format: { type: 'string', enum: VERSION_FORMATS } } },
        response: answers({ 200: {} }),
      },
    },
    async (request, reply) => {
      const { id, vid } = request.params;
      await allowed(request, id, false);
      const format = request.query.format ?? 'json';
      const { title, body } = await history.content(id, Number(vid), format);
      reply.header('cache-control', 'no-store');
      if (format === 'json') {
        const content: VersionContent = { id: Number(vid), title, doc: body };
        return reply.type('application/json; charset=utf-8').send(JSON.stringify(content));
      }
      return reply
        .type(format === 'md' ? 'text/markdown; charset=utf-8' : 'text/html; charset=utf-8')
        .header('x-content-type-options', 'nosniff')
        .send(body as string);
    },
  );

  app.get<{ Params: Params; Querystring: { since?: string } }>(
    '/api/docs/:id/versions/:vid/changes',
    {
      config: { refusals: REFUSALS },
      schema: {
        params: changesParams,
        querystring: { type: 'object', properties: { since: { type: 'string', pattern: VERSION_ID } } },
        response: answers({ 200: {} }),
      },
    },
    async (request, reply) => {
      const { id, vid } = request.params;
      await allowed(request, id, false);
      const since = request.query.since === undefined ? undefined : Number(request.query.since);
      const changes: VersionChanges = await history.changes(id, vid === 'current' ? 'current' : Number(vid), since);
      return reply.header('cache-control', 'no-store').type('application/json; charset=utf-8').send(JSON.stringify(changes));
    },
  );

  app.post<{ Params: Params }>(
    '/api/docs/:id/versions/:vid/restore',
    { config: { refusals: REFUSALS }, schema: { params: versionParams, response: answers({ 200: { type: 'object', properties: { before: version } } }) } },
    async (request) => {
      const { id, vid } = request.params;
      await allowed(request, id, true);
      return { before: await history.restore(id, Number(vid), requester(request)) };
    },
  );
}
