import type { FastifyReply } from 'fastify';
import type { ApiError, ApiErrorCode } from '../../shared/api.js';

/**
 * A refusal of an API request: thrown by a route or hook, answered by the root error handler
 * (errorHandler.ts) as `status` with the ApiError body `{ error: code, message }` and `headers`
 * (Retry-After…). `message` is for people and goes out as it is: it must not carry internals.
 */
export class ApiHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: ApiErrorCode,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'ApiHttpError';
  }
}

/**
 * Sends the API's error body (a stable machine code and a sentence for people) with a status. For
 * code that answers by hand outside a route's flow (a WebSocket upgrade refused over HTTP); routes
 * throw ApiHttpError instead.
 */
export function sendApiError(reply: FastifyReply, status: number, error: string, message: string): FastifyReply {
  const body: ApiError = { error, message };
  return reply.code(status).send(body);
}
