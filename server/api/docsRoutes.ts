import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DEFAULT_LINK_ACCESS, isLinkAccess, isRole } from '../../shared/accounts.js';
import type { DocAccess as DocAccessBody, DocDetails, DocList, DocSummary, Member, MyDocSummary, PublicUser } from '../../shared/api.js';
import { isValidDocId } from '../../shared/docId.js';
import { cleanTitle } from '../../shared/text.js';
import type { AccountStore, UserRecord } from '../accounts/accountStore.js';
import { requireUser } from '../auth/authPlugin.js';
import type { Authenticated } from '../auth/sessions.js';
import type { RoomRegistry } from '../collab/roomRegistry.js';
import { AccessError, type DocAccess } from '../people/docAccess.js';
import type { DocStore } from '../store/docStore.js';
import { publicUser } from './accountRoutes.js';
import { KeyedTokenBuckets } from '../tokenBucket.js';
import { sendApiError } from './apiError.js';

export interface DocsRoutesOptions {
  store: DocStore;
  registry: RoomRegistry;
  accounts: AccountStore;
  access: DocAccess;
}

/** 16 random bytes, base64url: 22 characters, 128 bits, valid as a document id. */
export function newDocId(): string {
  return randomBytes(16).toString('base64url');
}

/** Shares one person may make per minute (and in a burst). */
const SHARES_PER_MINUTE = 30;

/** Path parameters of the routes about one document (and, for members, one person). */
interface DocParams {
  id: string;
  userId?: string;
}

const INVALID_ID = 'document ids are 1–64 characters of A–Z a–z 0–9 _ -';

/** Answers an AccessError with its status and code; rethrows anything else. */
export function sendAccessError(reply: FastifyReply, error: unknown): FastifyReply {
  if (error instanceof AccessError) return sendApiError(reply, error.status, error.code, error.message);
  throw error;
}

/**
 * The document REST API: my list, create (I own it), describe (opening a link that admits me joins
 * me to the document), who has access, link access, members (share, change role, remove, leave)
 * and delete. Every route needs a session except describe, which a visitor may call where the link
 * admits visitors. Someone who joined by opening the link has the role the link gives, and follows
 * it when the owner changes the link access; someone shared with by name keeps their role.
 */
export async function docsRoutes(app: FastifyInstance, { store, registry, accounts, access }: DocsRoutesOptions): Promise<void> {
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

  app.get('/api/docs', async (request, reply) => {
    const auth = requireUser(request, reply);
    if (!auth) return reply;
    const documents: MyDocSummary[] = [];
    for (const membership of await accounts.listMemberships(auth.user.id)) {
      const stored = await store.describe(membership.docId);
      if (stored) documents.push({ ...withLiveTitle(stored, registry), role: membership.role });
    }
    documents.sort((a, b) => b.updatedAt - a.updatedAt);
    const body: DocList = { documents };
    return body;
  });

  app.post('/api/docs', async (request, reply) => {
    const auth = requireUser(request, reply);
    if (!auth) return reply;
    const created = await createOwnedDocument(store, access, auth.user);
    return reply.code(201).header('location', `/d/${created.id}`).send(created);
  });

  app.get<{ Params: { id: string } }>('/api/docs/:id', async (request, reply) => {
    const { id } = request.params;
    if (!isValidDocId(id)) return sendApiError(reply, 400, 'invalid_id', INVALID_ID);
    try {
      const user = request.auth?.user ?? null;
      const stored = await store.describe(id);
      if (!stored) {
        // Refused as a deleted (410) or closed (401) document is; else 404, joining nobody to an id nobody made.
        await access.require(id, user, false);
        return sendApiError(reply, 404, 'not_found', 'There is no such document, or you do not have access to it.');
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
      };
      return body;
    } catch (error) {
      return sendAccessError(reply, error);
    }
  });

  /**
   * A route about one document for a signed-in person: answers 401 (no session), 400 (bad id) and
   * access refusals (AccessError) itself, so `handle` holds only what the route is for.
   */
  function signedInDocRoute(
    handle: (request: FastifyRequest<{ Params: DocParams }>, reply: FastifyReply, auth: Authenticated, id: string) => Promise<unknown>,
  ) {
    return async (request: FastifyRequest<{ Params: DocParams }>, reply: FastifyReply): Promise<unknown> => {
      const auth = requireUser(request, reply);
      if (!auth) return reply;
      const { id } = request.params;
      if (!isValidDocId(id)) return sendApiError(reply, 400, 'invalid_id', INVALID_ID);
      try {
        return await handle(request, reply, auth, id);
      } catch (error) {
        return sendAccessError(reply, error);
      }
    };
  }

  // Who has access is for people with an account: a visitor by link sees no names.
  app.get<{ Params: DocParams }>(
    '/api/docs/:id/access',
    signedInDocRoute(async (_request, _reply, auth, id) => accessBody(id, (await access.require(id, auth.user)).role)),
  );

  app.patch<{ Params: DocParams }>(
    '/api/docs/:id/access',
    signedInDocRoute(async (request, reply, auth, id) => {
      const linkAccess = (request.body as { linkAccess?: unknown } | null)?.linkAccess;
      if (!isLinkAccess(linkAccess)) return sendApiError(reply, 400, 'bad_request', 'linkAccess must be none, view or edit.');
      await access.setLinkAccess(id, auth.user, linkAccess);
      request.log.info({ docId: id, linkAccess }, 'link access changed');
      return accessBody(id, 'owner');
    }),
  );

  app.post<{ Params: DocParams }>(
    '/api/docs/:id/members',
    signedInDocRoute(async (request, reply, auth, id) => {
      const body = (request.body ?? {}) as { userId?: unknown; name?: unknown; role?: unknown };
      if (!isRole(body.role) || body.role === 'owner') return sendApiError(reply, 400, 'bad_request', 'role must be editor or viewer.');
      let target: UserRecord | null = null;
      if (typeof body.userId === 'string' && body.userId.length <= 64) target = await accounts.getUser(body.userId);
      else if (typeof body.name === 'string' && body.name.length <= 64) target = await accounts.findUserByName(body.name.trim());
      else return sendApiError(reply, 400, 'bad_request', 'Name the person by userId or name.');
      if (!target) return sendApiError(reply, 404, 'no_such_user', 'There is nobody with that name.');
      if (!shareBuckets.take(auth.user.id)) {
        request.log.warn({ userId: auth.user.id }, 'refused sharing: rate limit');
        return sendApiError(reply, 429, 'rate_limited', 'You are sharing too fast; wait a moment.');
      }
      if ((await store.describe(id)) === null) return sendApiError(reply, 404, 'not_found', 'There is no such document, or you do not have access to it.');
      const { member, changed } = await access.share(id, auth.user, target, body.role, await titleOf(id));
      request.log.info({ docId: id, userId: target.id, role: member.role, changed }, 'document shared');
      const answer: Member = { user: publicUser(target), role: member.role, joinedAt: member.joinedAt };
      return reply.code(changed ? 201 : 200).send(answer);
    }),
  );

  app.patch<{ Params: DocParams }>(
    '/api/docs/:id/members/:userId',
    signedInDocRoute(async (request, reply, auth, id) => {
      const userId = request.params.userId ?? '';
      const role = (request.body as { role?: unknown } | null)?.role;
      if (!isRole(role) || role === 'owner') return sendApiError(reply, 400, 'bad_request', 'role must be editor or viewer.');
      const member = await access.changeRole(id, auth.user, userId, role);
      request.log.info({ docId: id, userId, role }, 'member role changed');
      const user = await userById(userId);
      const answer: Member = { user: user ?? { id: userId, name: '' }, role: member.role, joinedAt: member.joinedAt };
      return answer;
    }),
  );

  app.delete<{ Params: DocParams }>(
    '/api/docs/:id/members/:userId',
    signedInDocRoute(async (request, reply, auth, id) => {
      const userId = request.params.userId === 'me' ? auth.user.id : (request.params.userId ?? '');
      await access.removeMember(id, auth.user, userId);
      request.log.info({ docId: id, userId, by: auth.user.id }, userId === auth.user.id ? 'member left' : 'member removed');
      return reply.code(204).send();
    }),
  );

  app.delete<{ Params: DocParams }>(
    '/api/docs/:id',
    signedInDocRoute(async (request, reply, auth, id) => {
      await access.delete(id, auth.user);
      await registry.remove(id);
      request.log.info({ docId: id }, 'document deleted');
      return reply.code(204).send();
    }),
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
