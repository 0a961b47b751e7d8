import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ConversationList } from '../../shared/api.js';
import { requireUser } from '../auth/authPlugin.js';
import { type ChatRefusal, type ChatService, isRefusal, MAX_GROUP_START_MEMBERS } from '../chat/chatService.js';
import { sendApiError } from './apiError.js';

export interface ChatRoutesOptions {
  chat: ChatService;
}

const DEFAULT_PAGE = 50;
const MAX_PAGE = 100;
/** Longest id accepted in a path or body (conversation ids are `doc:` plus a document id at most). */
const MAX_ID_CHARS = 128;

type IdParams = { Params: { id: string } };

function sendRefusal(reply: FastifyReply, refusal: ChatRefusal): FastifyReply {
  return sendApiError(reply, refusal.status, refusal.error, refusal.message);
}

function isId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_ID_CHARS;
}

function bodyObject(body: unknown): Record<string, unknown> | null {
  return typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : null;
}

/** A query parameter that must be a whole number from `min` to `max`: the number, undefined (absent), or null (invalid). */
function intParam(raw: unknown, min: number, max: number): number | undefined | null {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || !/^\d{1,16}$/.test(raw)) return null;
  const value = Number(raw);
  return Number.isSafeInteger(value) && value >= min && value <= max ? value : null;
}

/**
 * Conversations and chat over REST (the same rules as the /live socket, through ChatService):
 * my conversations, groups to join, direct and group creation, members, message pages, posting
 * (when the live socket is down) and read marks. Everything needs a signed-in user.
 */
export async function chatRoutes(app: FastifyInstance, { chat }: ChatRoutesOptions): Promise<void> {
  app.get('/api/conversations', async (request, reply) => {
    const auth = requireUser(request, reply);
    if (!auth) return reply;
    const body: ConversationList = { conversations: await chat.list(auth.user) };
    return body;
  });

  app.get('/api/groups', async (request, reply) => {
    const auth = requireUser(request, reply);
    if (!auth) return reply;
    const body: ConversationList = { conversations: await chat.groups(auth.user) };
    return body;
  });

  app.post('/api/conversations', async (request, reply) => {
    const auth = requireUser(request, reply);
    if (!auth) return reply;
    const body = bodyObject(request.body);
    if (body?.kind === 'direct') {
      if (!isId(body.userId)) return sendApiError(reply, 400, 'bad_request', 'Send {kind: "direct", userId} with the id of a person.');
      const result = await chat.openDirect(auth.user, body.userId);
      if (isRefusal(result)) return sendRefusal(reply, result);
      return reply.code(result.created ? 201 : 200).send(result.conversation);
    }
    if (body?.kind === 'group') {
      const { title, memberIds } = body;
      if (typeof title !== 'string' || title.length > 1000) {
        return sendApiError(reply, 400, 'bad_request', 'Send {kind: "group", title, memberIds} with a name for the group.');
      }
      const ids = memberIds === undefined ? [] : memberIds;
      if (!Array.isArray(ids) || ids.length > MAX_GROUP_START_MEMBERS || !ids.every(isId)) {
        return sendApiError(reply, 400, 'bad_request', `memberIds is a list of at most ${MAX_GROUP_START_MEMBERS} person ids.`);
      }
      const result = await chat.createGroup(auth.user, title, ids);
      if (isRefusal(result)) return sendRefusal(reply, result);
      return reply.code(201).send(result);
    }
    return sendApiError(reply, 400, 'bad_request', 'Send {kind: "direct", userId} or {kind: "group", title, memberIds}.');
  });

  app.get<IdParams>('/api/conversations/:id', async (request, reply) => {
    const auth = requireUser(request, reply);
    if (!auth) return reply;
    const result = await chat.describe(auth.user, request.params.id);
    if (isRefusal(result)) return sendRefusal(reply, result);
    return result;
  });

  app.post<IdParams>('/api/conversations/:id/members', async (request, reply) => {
    const auth = requireUser(request, reply);
    if (!auth) return reply;
    const userId = bodyObject(request.body)?.userId;
    if (!isId(userId)) return sendApiError(reply, 400, 'bad_request', 'Send {userId} with the id of a person.');
    const result = await chat.addMember(auth.user, request.params.id, userId);
    if (isRefusal(result)) return sendRefusal(reply, result);
    return reply.code(204).send();
  });

  app.post<IdParams>('/api/conversations/:id/join', async (request, reply) => {
    const auth = requireUser(request, reply);
    if (!auth) return reply;
    const result = await chat.join(auth.user, request.params.id);
    if (isRefusal(result)) return sendRefusal(reply, result);
    return reply.code(204).send();
  });

  app.delete<IdParams>('/api/conversations/:id/members/me', async (request, reply) => {
    const auth = requireUser(request, reply);
    if (!auth) return reply;
    const result = await chat.leave(auth.user, request.params.id);
    if (isRefusal(result)) return sendRefusal(reply, result);
    return reply.code(204).send();
  });

  app.get<IdParams & { Querystring: Record<string, unknown> }>('/api/conversations/:id/messages', async (request, reply) => {
    const auth = requireUser(request, reply);
    if (!auth) return reply;
    const limit = intParam(request.query.limit, 1, MAX_PAGE);
    if (limit === null) return sendApiError(reply, 400, 'invalid_limit', `limit must be a whole number from 1 to ${MAX_PAGE}.`);
    const before = intParam(request.query.before, 1, Number.MAX_SAFE_INTEGER);
    if (before === null) return sendApiError(reply, 400, 'invalid_before', 'before must be a message id.');
    const result = await chat.messages(auth.user, request.params.id, before ?? null, limit ?? DEFAULT_PAGE);
    if (isRefusal(result)) return sendRefusal(reply, result);
    return result;
  });

  app.post<IdParams>('/api/conversations/:id/messages', async (request, reply) => {
    const auth = requireUser(request, reply);
    if (!auth) return reply;
    // Only the text is read: the author and time are the server's (an `author` field is ignored).
    const text = bodyObject(request.body)?.text;
    if (typeof text !== 'string') return sendApiError(reply, 400, 'bad_request', 'Send {text} with the message.');
    const result = await chat.post(auth.user, request.params.id, text);
    if (isRefusal(result)) {
      if (result.error === 'rate_limited') reply.header('retry-after', '1');
      return sendRefusal(reply, result);
    }
    return reply.code(201).send(result);
  });

  app.post<IdParams>('/api/conversations/:id/read', async (request, reply) => {
    const auth = requireUser(request, reply);
    if (!auth) return reply;
    const messageId = bodyObject(request.body)?.messageId;
    if (typeof messageId !== 'number' || !Number.isSafeInteger(messageId) || messageId < 0) {
      return sendApiError(reply, 400, 'bad_request', 'Send {messageId} with the id of the last message read.');
    }
    const result = await chat.markRead(auth.user, request.params.id, messageId);
    if (isRefusal(result)) return sendRefusal(reply, result);
    return reply.code(204).send();
  });
}
