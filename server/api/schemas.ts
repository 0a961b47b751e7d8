import { LINK_ACCESS, ROLES } from '../../shared/accounts.js';
import { EXPORT_FORMATS } from '../../shared/api.js';
import { DOC_ID_PATTERN } from '../../shared/docId.js';

// JSON schemas of the REST API's requests and answers: the shapes of shared/api.ts, for Fastify.
//
// Requests: Fastify validates params, query and body before the handler runs (refusals: see
// errorHandler.ts), with type coercion off (app.ts), so a handler's typed `request.body` is what
// the schema says. Extra properties are let through and ignored, as before schemas.
//
// Answers: fast-json-stringify writes only the properties listed here, so each answer schema lists
// every property of its shared/api.ts type (a property added there must be added here, or it is
// silently left out). No answer property is `required`: a missing one is left out, never a 500.

const string = { type: 'string' } as const;
const integer = { type: 'integer' } as const;
const nullableInteger = { type: ['integer', 'null'] } as const;
const boolean = { type: 'boolean' } as const;
const role = { type: 'string', enum: ROLES } as const;

/** A role that can be given: anyone's but the owner's. */
export const givenRole = { type: 'string', enum: ROLES.filter((value) => value !== 'owner') } as const;
export const linkAccess = { type: 'string', enum: LINK_ACCESS } as const;

/** An id in a body (a person, a conversation): 1 to 128 characters. */
export const idString = { type: 'string', minLength: 1, maxLength: 128 } as const;

/** `:id` of the routes about one document: a document id (else 400 invalid_id). */
export const docIdParams = {
  type: 'object',
  properties: { id: { type: 'string', pattern: DOC_ID_PATTERN.source } },
} as const;
/** `:id` and `:userId` of a document's member routes. */
export const docMemberParams = {
  type: 'object',
  properties: { ...docIdParams.properties, userId: string },
} as const;
/** An `:id` whose form the service behind the route checks (sessions, conversations). */
export const idParams = { type: 'object', properties: { id: string } } as const;

export const exportQuery = {
  type: 'object',
  properties: { format: { type: 'string', enum: EXPORT_FORMATS } },
} as const;

// Answers.

export const apiErrorBody = { type: 'object', properties: { error: string, message: string } } as const;

/** The answers of a route: `ok` by status, and an ApiError body for every 4xx and 5xx. */
export function answers<T extends Record<number, object>>(ok: T) {
  return { ...ok, '4xx': apiErrorBody, '5xx': apiErrorBody };
}

export const publicUser = { type: 'object', properties: { id: string, name: string } } as const;
/** A comment's author, reactor or resolver: an account, or a guest (`guest: true`). */
const commenter = { type: 'object', properties: { id: string, name: string, guest: boolean } } as const;
const nullablePublicUser = { ...publicUser, nullable: true } as const;

const docSummaryProperties = { id: string, title: string, createdAt: integer, updatedAt: integer } as const;
export const docSummary = { type: 'object', properties: docSummaryProperties } as const;
export const docList = {
  type: 'object',
  properties: { documents: { type: 'array', items: { type: 'object', properties: { ...docSummaryProperties, role } } } },
} as const;
export const docDetails = {
  type: 'object',
  properties: {
    ...docSummaryProperties,
    connections: integer,
    storedBytes: integer,
    myRole: role,
    owner: nullablePublicUser,
    linkAccess,
    sizeLimitBytes: { type: ['integer', 'null'] },
  },
} as const;

export const member = { type: 'object', properties: { user: publicUser, role, joinedAt: integer } } as const;
export const docAccess = {
  type: 'object',
  properties: { docId: string, owner: nullablePublicUser, linkAccess, myRole: role, members: { type: 'array', items: member } },
} as const;

export const sessionInfo = { type: 'object', properties: { user: nullablePublicUser } } as const;
export const sessionList = {
  type: 'object',
  properties: {
    sessions: {
      type: 'array',
      items: {
        type: 'object',
        properties: { id: string, createdAt: integer, lastUsedAt: integer, expiresAt: integer, userAgent: string, current: boolean },
      },
    },
  },
} as const;

export const peopleList = {
  type: 'object',
  properties: {
    people: { type: 'array', items: { type: 'object', properties: { id: string, name: string, online: boolean, lastSeenAt: nullableInteger } } },
  },
} as const;

export const conversation = {
  type: 'object',
  properties: {
    id: string,
    kind: { type: 'string', enum: ['doc', 'direct', 'group'] },
    title: string,
    members: { type: 'array', items: publicUser },
    unread: integer,
    lastMessageAt: nullableInteger,
    docId: string,
  },
} as const;
export const conversationList = { type: 'object', properties: { conversations: { type: 'array', items: conversation } } } as const;

export const chatMessage = {
  type: 'object',
  properties: { id: integer, conversationId: string, author: publicUser, text: string, createdAt: integer },
} as const;
export const messagePage = { type: 'object', properties: { messages: { type: 'array', items: chatMessage }, hasMore: boolean } } as const;

const commentSchema = {
  type: 'object',
  properties: {
    id: integer,
    threadId: integer,
    author: commenter,
    body: string,
    createdAt: integer,
    editedAt: nullableInteger,
    reactions: { type: 'array', items: { type: 'object', properties: { emoji: string, users: { type: 'array', items: commenter } } } },
  },
} as const;
/** A comment thread (shared/comments.ts CommentThread). */
export const commentThread = {
  type: 'object',
  properties: {
    id: integer,
    docId: string,
    anchor: { type: 'object', properties: { start: string, end: string, excerpt: string } },
    createdAt: integer,
    resolvedAt: nullableInteger,
    resolvedBy: { ...commenter, nullable: true },
    comments: { type: 'array', items: commentSchema },
  },
} as const;
export const threadPage = { type: 'object', properties: { threads: { type: 'array', items: commentThread }, hasMore: boolean, me: commenter } } as const;

/** A notification of either kind (shared/api.ts NotificationBody): the properties of both, each present where its kind has it. */
export const notification = {
  type: 'object',
  properties: {
    id: integer,
    kind: { type: 'string', enum: ['share', 'mention', 'commentMention'] },
    actor: publicUser,
    createdAt: integer,
    readAt: nullableInteger,
    docId: string,
    docTitle: string,
    role,
    conversationId: string,
    conversationTitle: string,
    messageId: integer,
    excerpt: string,
    threadId: integer,
    commentId: integer,
  },
} as const;
export const notificationList = {
  type: 'object',
  properties: { notifications: { type: 'array', items: notification }, unread: integer },
} as const;
