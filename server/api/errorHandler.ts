import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiError, ApiErrorCode } from '../../shared/api.js';
import { AccessError } from '../people/docAccess.js';
import { ApiHttpError } from './apiError.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * This route's own wording of the refusals Fastify makes for it (a body or query of the wrong
     * shape, too large, of another type), by the code answered; a generic sentence otherwise.
     */
    refusals?: Partial<Record<ApiErrorCode, string>>;
  }
}

/** Query parameters whose refusal has a code of its own (`invalid_<name>`); others are `invalid_query`. */
const NAMED_QUERY_CODES: Readonly<Record<string, ApiErrorCode>> = {
  format: 'invalid_format',
  limit: 'invalid_limit',
  before: 'invalid_before',
};

/** Longest part of a request (path, Content-Type) quoted back in a message. */
const MAX_QUOTED_CHARS = 200;

/**
 * The one error pipeline of the HTTP server, installed on the root app before any route so that it
 * covers every route (no route sets a handler of its own):
 *
 * - an ApiHttpError (what routes and hooks throw) or DocAccess's AccessError: its status, code,
 *   message and headers;
 * - Fastify's own refusals: a failed JSON schema (400: `bad_request` for the body, `invalid_id` for
 *   a path parameter, `invalid_<name>` / `invalid_query` for the query string), a malformed or
 *   empty JSON body (400 `invalid_json`), a body over the route's limit (413 `too_large`), a body
 *   of a type the route does not parse (415 `unsupported_media_type`), any other 4xx;
 * - an unknown path (404 `not_found`);
 * - anything else: logged with the request's id (every line of `request.log` carries it), answered
 *   500 `internal` with that id and no detail of the error.
 *
 * Every answer is an ApiError body, and every refusal is logged (info; failures: error).
 */
export function installApiErrors(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof ApiHttpError) {
      reply.headers(error.headers);
      return refuse(request, reply, error.status, error.code, error.message);
    }
    if (error instanceof AccessError) return refuse(request, reply, error.status, error.code, error.message);
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      const code = fastifyRefusalCode(error, status);
      const message = request.routeOptions.config.refusals?.[code] ?? fastifyRefusalMessage(request, error, code);
      if (error.validation) request.log.info({ validation: error.message }, 'request failed its schema');
      return refuse(request, reply, status, code, message);
    }
    request.log.error({ err: error }, 'request failed');
    return send(reply, 500, 'internal', `The server could not complete this request (request ${request.id}).`);
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    return refuse(request, reply, 404, 'not_found', `There is nothing at ${request.method} ${quote(path)}.`);
  });
}

function refuse(request: FastifyRequest, reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  request.log.info({ status, error: code }, `refused: ${message}`);
  return send(reply, status, code, message);
}

function send(reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  const body: ApiError = { error: code, message };
  return reply.code(status).send(body);
}

/** The code of a 4xx error that Fastify (its router, body parser or schema validation) raised. */
function fastifyRefusalCode(error: FastifyError, status: number): ApiErrorCode {
  if (error.validation) {
    switch (error.validationContext) {
      case 'params':
        return 'invalid_id';
      case 'querystring':
        return NAMED_QUERY_CODES[offendingProperty(error)] ?? 'invalid_query';
      default:
        return 'bad_request';
    }
  }
  if (error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return 'invalid_json';
  if (status === 413) return 'too_large';
  if (status === 415) return 'unsupported_media_type';
  if (status === 404) return 'not_found';
  return 'bad_request';
}

/** The property a failed schema validation is about: `limit` for `/limit`, or the missing one. */
function offendingProperty(error: FastifyError): string {
  const first = error.validation?.[0];
  if (!first) return '';
  const missing = (first.params as { missingProperty?: unknown }).missingProperty;
  if (typeof missing === 'string') return missing;
  return first.instancePath.split('/')[1] ?? '';
}

/** A sentence for a refusal Fastify made, when the route has none of its own. */
function fastifyRefusalMessage(request: FastifyRequest, error: FastifyError, code: ApiErrorCode): string {
  switch (code) {
    case 'too_large':
      return `The body is over this request's limit of ${formatBytes(request.routeOptions.bodyLimit ?? 0)}.`;
    case 'unsupported_media_type':
      return `A body of type ${quote(request.headers['content-type'] ?? '(none)')} is not accepted here.`;
    case 'invalid_json':
      return 'The body is not valid JSON.';
    default:
      // Fastify's own sentences (a schema's "body/role must be equal to one of the allowed values")
      // name what was sent, never the server's internals.
      return error.validation ? `The request does not have the expected shape: ${error.message}.` : error.message;
  }
}

function quote(text: string): string {
  return text.length > MAX_QUOTED_CHARS ? `${text.slice(0, MAX_QUOTED_CHARS)}…` : text;
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}
