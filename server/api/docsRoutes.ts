import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { DEFAULT_LINK_ACCESS } from '../../shared/accounts.js';
import type {
  DocAccess as DocAccessBody,
  DocDetails,
  DocList,
  DocSummary,
  LinkAccessChange,
  Member,
  MyDocSummary,
  PublicUser,
  RoleChange,
  ShareRequest,
} from '../../shared/api.js';
import { cleanTitle } from '../../shared/text.js';
import type { AccountStore, UserRecord } from '../accounts/accountStore.js';
import { signedInUser } from '../auth/authPlugin.js';
import type { RoomRegistry } from '../collab/roomRegistry.js';
import type { DocAccess } from '../people/docAccess.js';
import type { DocStore } from '../store/docStore.js';
import { KeyedTokenBuckets } from '../tokenBucket.js';
import { publicUser } from './accountRoutes.js';
import { ApiHttpError } from './apiError.js';
import * as schemas from './schemas.js';
import { answers } from './schemas.js';

export interface DocsRoutesOptions {
  store: DocStore;
  registry: RoomRegistry;
  accounts: AccountStore;
  access: DocAccess;
  /** A document stored past `docWarnBytes` is shown to its owner as approaching `maxDocBytes`. */
  sizes: { docWarnBytes: number; maxDocBytes: number };
}

/** 16 random bytes, base64url: 22 characters, 128 bits, valid as a document id. */
export function newDocId(): string {
  return randomBytes(16).toString('base64url');
}

/** Shares one person may make per minute (and in a burst). */
const SHARES_PER_MINUTE = 30;

/** Path parameters of the routes about one document. */
interface DocParams {
  id: string;
}

/** The refusal of an `:id` that is not a document id (400 invalid_id). */
export const INVALID_ID = 'document ids are 1–64 characters of A–Z a–z 0–9 _ -';

/** Answer to an id nobody made, or that the caller may not see (indistinguishable on purpose). */
export function noSuchDocument(): ApiHttpError {
  return new ApiHttpError(404, 'not_found', 'There is no such document, or you do not have access to it.');
}

/**
 * The document REST API: my list, create (I own it), describe (opening a link that admits me joins
 * me to the document), who has access, link access, members (share, change role, remove, leave)
 * and delete. Every route needs a session except describe, which a visitor may call where the link
 * admits visitors. Someone who joined by opening the link has the role the link gives, and follows
 * it when the owner changes the link access; someone shared with by name keeps their role.
 */
export async function docsRoutes(app: FastifyInstance, { store, registry, accounts, access, sizes }: DocsRoutesOptions): Promise<void> {
  // Sharing notifies someone else: limited per person, so nobody can flood another's notifications.
  const shareBuckets = new KeyedTokenBuckets(SHARES_PER_MINUTE / 60, SHARES_PER_MINUTE);
  const sweep = setInterval(() => shareBuckets.sweep(), 60_000);
  sweep.unref();
  app.addHook('onClose', async () => clearInterval(sweep));

  /** Title of a document: the open room's (newer) or the recorded one. */
  async function titleOf(docId: string): Promise<string> {
    return registry.peek(docId)?.title ?? cleanTitle((await store.describe(docId))?.title ?? '');
  }

  async function userById(id: string): Promise<PublicUser | null> {
    const user = await accounts.getUser(id);
    return user ? publicUser(user) : null;
  }

  async function accessBody(docId: string, myRole: DocAccessBody['myRole']): Promise<DocAccessBody> {
    const record = await accounts.getDocAccess(docId);
    const members: Member[] = [];
    for (const member of await accounts.listMembers(docId)) {
      const user = await userById(member.userId);
      if (user) members.push({ user, role: member.role, joinedAt: member.joinedAt });
    }
    return {
      docId,
      owner: record?.ownerId ? await userById(record.ownerId) : null,
      linkAccess: record?.linkAccess ?? 'edit',
      myRole,
      members,
    };
  }

  /** Route options of a route about one document (`:id`) for a signed-in person. */
  const aboutOneDoc = { config: { signedIn: true, refusals: { invalid_id: INVALID_ID } } } as const;

  app.get('/api/docs', { config: { signedIn: true }, schema: { response: answers({ 200: schemas.docList }) } }, async (request) => {
    const auth = signedInUser(request);
    const documents: MyDocSummary[] = [];
    for (const membership of await accounts.listMemberships(auth.user.id)) {
      const stored = await store.describe(membership.docId);
      if (stored) documents.push({ ...withLiveTitle(stored, registry), role: membership.role });
    }
    documents.sort((a, b) => b.updatedAt - a.updatedAt);
    const body: DocList = { documents };
    return body;
  });

  app.post('/api/docs', { config: { signedIn: true }, schema: { response: answers({ 201: schemas.docSummary }) } }, async (request, reply) => {
    const created = await createOwnedDocument(store, access, signedInUser(request).user);
    return reply.code(201).header('location', `/d/${created.id}`).send(created);
  });

  // Visitors too, where the link admits them.
  app.get<{ Params: DocParams }>(
    '/api/docs/:id',
    { config: { refusals: aboutOneDoc.config.refusals }, schema: { params: schemas.docIdParams, response: answers({ 200: schemas.docDetails }) } },
    async (request) => {
      const { id } = request.params;
      const user = request.auth?.user ?? null;
      const stored = await store.describe(id);
      if (!stored) {
        // Refused as a deleted (410) or closed (401) document is; else 404, joining nobody to an id nobody made.
        await access.require(id, user, false);
        throw noSuchDocument();
      }
      const { role, record } = await access.require(id, user, true);
      const room = registry.peek(id);
      const body: DocDetails = {
        ...withLiveTitle(stored, registry),
        storedBytes: stored.storedBytes,
        connections: room?.peers.size ?? 0,
        myRole: role,
        owner: record?.ownerId ? await userById(record.ownerId) : null,
        linkAccess: record?.linkAccess ?? 'edit',
        sizeLimitBytes: role === 'owner' && stored.storedBytes > sizes.docWarnBytes ? sizes.maxDocBytes : null,
      };
      return body;
    },
  );

  // Who has access is for people with an account: a visitor by link sees no names.
  app.get<{ Params: DocParams }>(
    '/api/docs/:id/access',
    { ...aboutOneDoc, schema: { params: schemas.docIdParams, response: answers({ 200: schemas.docAccess }) } },
    async (request) => {
      const { id } = request.params;
      return accessBody(id, (await access.require(id, signedInUser(request).user)).role);
    },
  );

  app.patch<{ Params: DocParams; Body: LinkAccessChange }>(
    '/api/docs/:id/access',
    {
      config: { ...aboutOneDoc.config, refusals: { ...aboutOneDoc.config.refusals, bad_request: 'linkAccess must be none, view or edit.' } },
      schema: {
        params: schemas.docIdParams,
        body: { type: 'object', required: ['linkAccess'], properties: { linkAccess: schemas.linkAccess } },
        response: answers({ 200: schemas.docAccess }),
      },
    },
    async (request) => {
      const { id } = request.params;
      const { linkAccess } = request.body;
      await access.setLinkAccess(id, signedInUser(request).user, linkAccess);
      request.log.info({ docId: id, linkAccess }, 'link access changed');
      return accessBody(id, 'owner');
    },
  );

  app.post<{ Params: DocParams; Body: ShareRequest }>(
    '/api/docs/:id/members',
    {
      config: {
        ...aboutOneDoc.config,
        refusals: { ...aboutOneDoc.config.refusals, bad_request: 'Send the role (editor or viewer) and the person by userId or name.' },
      },
      schema: {
        params: schemas.docIdParams,
        body: {
          type: 'object',
          required: ['role'],
          properties: { role: schemas.givenRole, userId: { type: 'string', maxLength: 64 }, name: { type: 'string', maxLength: 64 } },
          anyOf: [{ required: ['userId'] }, { required: ['name'] }],
        },
        response: answers({ 200: schemas.member, 201: schemas.member }),
      },
    },
    async (request, reply) => {
      const auth = signedInUser(request);
      const { id } = request.params;
      const { userId, name, role } = request.body;
      const target = userId !== undefined ? await accounts.getUser(userId) : await accounts.findUserByName((name ?? '').trim());
      if (!target) throw new ApiHttpError(404, 'no_such_user', 'There is nobody with that name.');
      if (!shareBuckets.take(auth.user.id)) {
        request.log.warn({ userId: auth.user.id }, 'refused sharing: rate limit');
        throw new ApiHttpError(429, 'rate_limited', 'You are sharing too fast; wait a moment.');
      }
      if ((await store.describe(id)) === null) throw noSuchDocument();
      const { member, changed } = await access.share(id, auth.user, target, role, await titleOf(id));
      request.log.info({ docId: id, userId: target.id, role: member.role, changed }, 'document shared');
      const answer: Member = { user: publicUser(target), role: member.role, joinedAt: member.joinedAt };
      return reply.code(changed ? 201 : 200).send(answer);
    },
  );

  app.patch<{ Params: DocParams & { userId: string }; Body: RoleChange }>(
    '/api/docs/:id/members/:userId',
    {
      config: { ...aboutOneDoc.config, refusals: { ...aboutOneDoc.config.refusals, bad_request: 'role must be editor or viewer.' } },
      schema: {
        params: schemas.docMemberParams,
        body: { type: 'object', required: ['role'], properties: { role: schemas.givenRole } },
        response: answers({ 200: schemas.member }),
      },
    },
    async (request) => {
      const { id, userId } = request.params;
      const member = await access.changeRole(id, signedInUser(request).user, userId, request.body.role);
      request.log.info({ docId: id, userId, role: member.role }, 'member role changed');
      const user = await userById(userId);
      const answer: Member = { user: user ?? { id: userId, name: '' }, role: member.role, joinedAt: member.joinedAt };
      return answer;
    },
  );

  app.delete<{ Params: DocParams & { userId: string } }>(
    '/api/docs/:id/members/:userId',
    { ...aboutOneDoc, schema: { params: schemas.docMemberParams, response: answers({}) } },
    async (request, reply) => {
      const auth = signedInUser(request);
      const { id } = request.params;
      const userId = request.params.userId === 'me' ? auth.user.id : request.params.userId;
      await access.removeMember(id, auth.user, userId);
      request.log.info({ docId: id, userId, by: auth.user.id }, userId === auth.user.id ? 'member left' : 'member removed');
      return reply.code(204).send();
    },
  );

  app.delete<{ Params: DocParams }>(
    '/api/docs/:id',
    { ...aboutOneDoc, schema: { params: schemas.docIdParams, response: answers({}) } },
    async (request, reply) => {
      const { id } = request.params;
      await access.delete(id, signedInUser(request).user);
      await registry.remove(id);
      request.log.info({ docId: id }, 'document deleted');
      return reply.code(204).send();
    },
  );
}

/** Creates a new, empty document owned by `owner` (anyone with the link can edit it). */
export async function createOwnedDocument(store: DocStore, access: DocAccess, owner: UserRecord, id = newDocId()): Promise<DocSummary> {
  const created = await store.create(id);
  await access.createOwned(id, owner, DEFAULT_LINK_ACCESS);
  return created;
}

function withLiveTitle<T extends DocSummary>(doc: T, registry: RoomRegistry): DocSummary {
  const room = registry.peek(doc.id);
  // The recorded title is clean already; cleaned again for rows recorded before the rules.
  return { id: doc.id, title: room?.title ?? cleanTitle(doc.title), createdAt: doc.createdAt, updatedAt: doc.updatedAt };
}
