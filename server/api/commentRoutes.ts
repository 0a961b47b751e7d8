import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DEFAULT_THREAD_PAGE, MAX_ANCHOR_BYTES, MAX_THREAD_PAGE, type NewThread, REACTIONS } from '../../shared/comments.js';
import type { CommentService } from '../comments/commentService.js';
import { accountCommenter, type Commenter, guestCommenter } from '../comments/commenter.js';
import { guestIdFor, guestNameOf } from '../comments/guestIdentity.js';
import { clearSessionCookie } from '../auth/authPlugin.js';
import { ApiHttpError } from './apiError.js';
import * as schemas from './schemas.js';
import { answers } from './schemas.js';

export interface CommentRoutesOptions {
  comments: CommentService;
}

type DocParams = { Params: { id: string } };
type ThreadParams = { Params: { id: string; threadId: string } };
type CommentParams = { Params: { id: string; commentId: string } };

/** A thread or comment id in a path: 1 to 15 digits (always a safe integer). */
const rowId = { type: 'string', pattern: '^0*[1-9][0-9]{0,14}$' } as const;
const threadParams = { type: 'object', properties: { ...schemas.docIdParams.properties, threadId: rowId } } as const;
const commentParams = { type: 'object', properties: { ...schemas.docIdParams.properties, commentId: rowId } } as const;
const threadsQuery = {
  type: 'object',
  properties: {
    limit: { type: 'string', pattern: `^0*(?:[1-9][0-9]?|${MAX_THREAD_PAGE})$` },
    before: rowId,
  },
} as const;
// Longer than any comment the service accepts, so that the service's too_long (in characters) answers.
const bodyText = { type: 'string', maxLength: 20_000 } as const;
const base64Position = { type: 'string', minLength: 1, maxLength: Math.ceil(MAX_ANCHOR_BYTES / 3) * 4 + 4 } as const;
const commentBody = { type: 'object', required: ['body'], properties: { body: bodyText } } as const;
const reactionBody = { type: 'object', required: ['emoji'], properties: { emoji: { type: 'string', maxLength: 16 } } } as const;

/** `bad_request` words a body of the wrong shape. */
function writeRoute(params: object, body: object | undefined, ok: Record<number, object>, bad_request: string) {
  return {
    config: { refusals: { bad_request } },
    schema: { params, ...(body ? { body } : {}), response: answers(ok) },
  } as const;
}

/**
 * Who the request is to comments: its account, else a guest (the guest cookie, issued on this
 * answer when missing; the name from GUEST_NAME_HEADER). A write with a session cookie that has
 * ended is refused (401) rather than made as a guest: that person meant to write as themselves.
 */
function user(request: FastifyRequest, reply: FastifyReply): Commenter {
  if (request.auth) return accountCommenter(request.auth.user);
  if (request.sessionStale && request.method !== 'GET') {
    clearSessionCookie(request, reply);
    throw new ApiHttpError(401, 'sign_in_required', 'Your session has ended; sign in again.');
  }
  return guestCommenter({ id: guestIdFor(request, reply), name: guestNameOf(request) }, request.ip);
}

/**
 * Comments on a document's text (shared/comments.ts), through CommentService: list and read
 * threads (whoever may open the document, visitors included), and, with a role that may comment,
 * open a thread, reply, edit or delete one's own comment, react and resolve — signed in, or as a
 * guest where the link lets visitors comment. Every change reaches the document's open windows
 * over /live (guests' windows through their document's guest /live).
 */
export async function commentRoutes(app: FastifyInstance, { comments }: CommentRoutesOptions): Promise<void> {
  const sweep = setInterval(() => comments.sweep(), 60_000);
  sweep.unref();
  app.addHook('onClose', async () => clearInterval(sweep));

  app.get<DocParams & { Querystring: { limit?: string; before?: string } }>(
    '/api/docs/:id/threads',
    {
      config: {
        refusals: { invalid_limit: `limit must be a whole number from 1 to ${MAX_THREAD_PAGE}.`, invalid_before: 'before must be a thread id.' },
      },
      schema: { params: schemas.docIdParams, querystring: threadsQuery, response: answers({ 200: schemas.threadPage }) },
    },
    async (request, reply) => {
      const { limit, before } = request.query;
      return comments.list(
        user(request, reply),
        request.params.id,
        before === undefined ? null : Number(before),
        limit === undefined ? DEFAULT_THREAD_PAGE : Number(limit),
      );
    },
  );

  app.get<ThreadParams>(
    '/api/docs/:id/threads/:threadId',
    { schema: { params: threadParams, response: answers({ 200: schemas.commentThread }) } },
    async (request, reply) => comments.get(user(request, reply), request.params.id, Number(request.params.threadId)),
  );

  app.post<DocParams & { Body: NewThread }>(
    '/api/docs/:id/threads',
    writeRoute(
      schemas.docIdParams,
      {
        type: 'object',
        required: ['anchor', 'body'],
        properties: {
          anchor: {
            type: 'object',
            required: ['start', 'end', 'excerpt'],
            properties: { start: base64Position, end: base64Position, excerpt: { type: 'string', maxLength: 20_000 } },
          },
          body: bodyText,
        },
      },
      { 201: schemas.commentThread },
      'Send {anchor: {start, end, excerpt}, body}: two encoded Yjs relative positions in base64, the quoted text, and the comment.',
    ),
    async (request, reply) => {
      const { anchor, body } = request.body;
      return reply.code(201).send(await comments.createThread(user(request, reply), request.params.id, anchor, body));
    },
  );

  app.post<ThreadParams & { Body: { body: string } }>(
    '/api/docs/:id/threads/:threadId/comments',
    writeRoute(threadParams, commentBody, { 201: schemas.commentThread }, 'Send {body} with the reply.'),
    async (request, reply) =>
      reply.code(201).send(await comments.reply(user(request, reply), request.params.id, Number(request.params.threadId), request.body.body)),
  );

  app.patch<ThreadParams & { Body: { resolved: boolean } }>(
    '/api/docs/:id/threads/:threadId',
    writeRoute(
      threadParams,
      { type: 'object', required: ['resolved'], properties: { resolved: { type: 'boolean' } } },
      { 200: schemas.commentThread },
      'Send {resolved: true} to resolve the thread, {resolved: false} to reopen it.',
    ),
    async (request, reply) => comments.resolve(user(request, reply), request.params.id, Number(request.params.threadId), request.body.resolved),
  );

  app.patch<CommentParams & { Body: { body: string } }>(
    '/api/docs/:id/comments/:commentId',
    writeRoute(commentParams, commentBody, { 200: schemas.commentThread }, 'Send {body} with the new text.'),
    async (request, reply) => comments.edit(user(request, reply), request.params.id, Number(request.params.commentId), request.body.body),
  );

  app.delete<CommentParams>(
    '/api/docs/:id/comments/:commentId',
    writeRoute(commentParams, undefined, {}, 'No body.'),
    async (request, reply) => {
      await comments.remove(user(request, reply), request.params.id, Number(request.params.commentId));
      return reply.code(204).send();
    },
  );

  for (const [method, on] of [['PUT', true], ['DELETE', false]] as const) {
    app.route<CommentParams & { Body: { emoji: string } }>({
      method,
      url: '/api/docs/:id/comments/:commentId/reactions',
      ...writeRoute(commentParams, reactionBody, { 200: schemas.commentThread }, `Send {emoji}, one of ${REACTIONS.join(' ')}.`),
      handler: async (request, reply) => comments.react(user(request, reply), request.params.id, Number(request.params.commentId), request.body.emoji, on),
    });
  }
}
