import type { ApiError } from '../../../shared/api.js';

/** Thrown for a failed API call; `message` is fit to show to people. */
export class ApiRequestError extends Error {
  constructor(
    message: string,
    /** HTTP status; 0 when the server could not be reached. */
    readonly status: number,
    /** The server's stable error code (ApiError.error), or '' when it sent none. */
    readonly code: string = '',
  ) {
    super(message);
    this.name = 'ApiRequestError';
  }
}

/**
 * Sends a request to the REST API and returns the parsed JSON body (undefined for 204). Throws
 * ApiRequestError with the server's own sentence (ApiError.message) when it sends one, or a
 * generic one otherwise. The session cookie goes with it (same origin).
 */
export async function request<T>(path: string, init?: RequestInit): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      credentials: 'same-origin',
      ...init,
      headers: { accept: 'application/json', ...init?.headers },
    });
  } catch {
    throw new ApiRequestError('Could not reach the server. Check your connection and try again.', 0);
  }
  if (response.status === 204) return undefined as T;
  const body: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    if (isApiError(body)) throw new ApiRequestError(body.message, response.status, typeof body.error === 'string' ? body.error : '');
    throw new ApiRequestError(`The server answered ${response.status} ${response.statusText}.`, response.status);
  }
  return body as T;
}

/** A request with a JSON body (and any further headers). */
export function sendJson<T>(method: 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
  return request<T>(path, {
    method,
    headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

function isApiError(body: unknown): body is ApiError {
  return typeof body === 'object' && body !== null && typeof (body as ApiError).message === 'string';
}
