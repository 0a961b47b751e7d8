import type { FastifyInstance, FastifySchema } from 'fastify';
import type { ConversationList, NewConversation, NewMessage } from '../../shared/api.js';
import { signedInUser } from '../auth/authPlugin.js';
import { type ChatRefusal, type ChatResult, type ChatService, isRefusal, MAX_GROUP_START_MEMBERS } from '../chat/chatService.js';
import { ApiHttpError } from './apiError.js';
import * as schemas from './schemas.js';
import { answers } from './schemas.js';

export interface ChatRoutesOptions {
  chat: ChatService;
}

const DEFAULT_PAGE = 50;
/** The largest page of messages (`limit`). */
const MAX_PAGE = 100;

type IdParams = { Params: { id: string } };

/** A ChatService refusal, thrown to the root error handler. */
function refusalError(refusal: ChatRefusal): ApiHttpError {
  return new ApiHttpError(refusal.status, refusal.error, refusal.message);
}

/** The value of a ChatService answer, or its refusal thrown. */
function orRefuse<T>(result: ChatResult<T>): T {
  if (isRefusal(result)) throw refusalError(result);
  return result;
}

/** Every chat route needs a session; `bad_request` words a body of the wrong shape. */
function chatRoute(schema: FastifySchema, bad_request?: string) {
  return { config: { signedIn: true, refusals: bad_request === undefined ? {} : { bad_request } }, schema } as const;
}

const messagesQuery = {
  type: 'object',
  properties: {
    // 1 to MAX_PAGE (leading zeros allowed); a message id, 1 to 15 digits (always a safe integer).
    limit: { type: 'string', pattern: '^0*(?:[1-9][0-9]?|100)$' },
    before: { type: 'string', pattern: '^0*[1-9][0-9]{0,14}$' },
  },
} as const;

/**
 * Conversations and chat over REST (the same rules as the /live socket, through ChatService):
 * my conversations, groups to join, direct and group creation, members, message pages, posting
 * (when the live socket is down) and read marks. Everything needs a signed-in user.
 */
export async function chatRoutes(app: FastifyInstance, { chat }: ChatRoutesOptions): Promise<void> {
  app.get('/api/conversations', chatRoute({ response: answers({ 200: schemas.conversationList }) }), async (request) => {
    const body: ConversationList = { conversations: await chat.list(signedInUser(request).user) };
    return body;
  });

  app.get('/api/groups', chatRoute({ response: answers({ 200: schemas.conversationList }) }), async (request) => {
    const body: ConversationList = { conversations: await chat.groups(signedInUser(request).user) };
    return body;
  });

  app.post<{ Body: NewConversation }>(
    '/api/conversations',
    chatRoute(
      {
        body: {
          type: 'object',
          required: ['kind'],
          properties: { kind: { type: 'string', enum: ['direct', 'group'] } },
          if: { properties: { kind: { const: 'direct' } } },
          then: { required: ['userId'], properties: { userId: schemas.idString } },
          else: {
            required: ['title'],
            properties: {
              title: { type: 'string', maxLength: 1000 },
              memberIds: { type: 'array', maxItems: MAX_GROUP_START_MEMBERS, items: schemas.idString },
            },
          },
        },
        response: answers({ 200: schemas.conversation, 201: schemas.conversation }),
      },
      `Send {kind: "direct", userId} or {kind: "group", title, memberIds} (at most ${MAX_GROUP_START_MEMBERS} person ids).`,
    ),
    async (request, reply) => {
      const { user } = signedInUser(request);
      const body = request.body;
      if (body.kind === 'direct') {
        const { conversation, created } = orRefuse(await chat.openDirect(user, body.userId));
        return reply.code(created ? 201 : 200).send(conversation);
      }
      return reply.code(201).send(orRefuse(await chat.createGroup(user, body.title, body.memberIds ?? [])));
    },
  );

  app.get<IdParams>(
    '/api/conversations/:id',
    chatRoute({ params: schemas.idParams, response: answers({ 200: schemas.conversation }) }),
    async (request) => orRefuse(await chat.describe(signedInUser(request).user, request.params.id)),
  );

  app.post<IdParams & { Body: { userId: string } }>(
    '/api/conversations/:id/members',
    chatRoute(
      { params: schemas.idParams, body: { type: 'object', required: ['userId'], properties: { userId: schemas.idString } }, response: answers({}) },
      'Send {userId} with the id of a person.',
    ),
    async (request, reply) => {
      orRefuse(await chat.addMember(signedInUser(request).user, request.params.id, request.body.userId));
      return reply.code(204).send();
    },
  );

  app.post<IdParams>('/api/conversations/:id/join', chatRoute({ params: schemas.idParams, response: answers({}) }), async (request, reply) => {
    orRefuse(await chat.join(signedInUser(request).user, request.params.id));
    return reply.code(204).send();
  });

  app.delete<IdParams>(
    '/api/conversations/:id/members/me',
    chatRoute({ params: schemas.idParams, response: answers({}) }),
    async (request, reply) => {
      orRefuse(await chat.leave(signedInUser(request).user, request.params.id));
      return reply.code(204).send();
    },
  );

  app.get<IdParams & { Querystring: { limit?: string; before?: string } }>(
    '/api/conversations/:id/messages',
    {
      config: {
        signedIn: true,
        refusals: { invalid_limit: `limit must be a whole number from 1 to ${MAX_PAGE}.`, invalid_before: 'before must be a message id.' },
      },
      schema: { params: schemas.idParams, querystring: messagesQuery, response: answers({ 200: schemas.messagePage }) },
    },
    async (request) => {
      const { limit, before } = request.query;
      const page = await chat.messages(
        signedInUser(request).user,
        request.params.id,
        before === undefined ? null : Number(before),
        limit === undefined ? DEFAULT_PAGE : Number(limit),
      );
      return orRefuse(page);
    },
  );

  app.post<IdParams & { Body: NewMessage }>(
    '/api/conversations/:id/messages',
    chatRoute(
      // Only the text is read: the author and time are the server's (an `author` field is ignored).
      { params: schemas.idParams, body: { type: 'object', required: ['text'], properties: { text: { type: 'string' } } }, response: answers({ 201: schemas.chatMessage }) },
      'Send {text} with the message.',
    ),
    async (request, reply) => {
      const result = await chat.post(signedInUser(request).user, request.params.id, request.body.text);
      if (isRefusal(result) && result.error === 'rate_limited') reply.header('retry-after', '1');
      return reply.code(201).send(orRefuse(result));
    },
  );

  app.post<IdParams & { Body: { messageId: number } }>(
    '/api/conversations/:id/read',
    chatRoute(
      {
        params: schemas.idParams,
        body: { type: 'object', required: ['messageId'], properties: { messageId: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } } },
        response: answers({}),
      },
      'Send {messageId} with the id of the last message read.',
    ),
    async (request, reply) => {
      orRefuse(await chat.markRead(signedInUser(request).user, request.params.id, request.body.messageId));
      return reply.code(204).send();
    },
  );
}
