import type { FastifyReply } from 'fastify';
import type { ApiError } from '../../shared/api.js';

/** Sends the API's error body (a stable machine code and a sentence for people) with a status. */
export function sendApiError(reply: FastifyReply, status: number, error: string, message: string): FastifyReply {
  const body: ApiError = { error, message };
  return reply.code(status).send(body);
}
