import { type ApiError, type DocList, type DocSummary, MAX_IMPORT_BYTES } from '../../shared/api.js';

/** Thrown for a failed API call; `message` is fit to show to people. */
export class ApiRequestError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'ApiRequestError';
  }
}

/**
 * Sends a request to the REST API and returns the parsed JSON body. Throws ApiRequestError with
 * the server's own sentence (ApiError.message) when it sends one, or a generic one otherwise.
 */
async function request<T>(path: string, init?: RequestInit): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, { ...init, headers: { accept: 'application/json', ...init?.headers } });
  } catch {
    throw new ApiRequestError('Could not reach the server. Check your connection and try again.', 0);
  }
  const body: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    const message = isApiError(body) ? body.message : `The server answered ${response.status} ${response.statusText}.`;
    throw new ApiRequestError(message, response.status);
  }
  return body as T;
}

function isApiError(body: unknown): body is ApiError {
  return typeof body === 'object' && body !== null && typeof (body as ApiError).message === 'string';
}

function isDocSummary(value: unknown): value is DocSummary {
  const doc = value as DocSummary;
  return (
    typeof value === 'object' && value !== null &&
    typeof doc.id === 'string' && typeof doc.title === 'string' && typeof doc.updatedAt === 'number'
  );
}

/** GET /api/docs: every document, newest-edited first (sorted here too, in case). */
export async function listDocuments(): Promise<DocSummary[]> {
  const body = await request<DocList>('/api/docs');
  if (!Array.isArray(body?.documents) || !body.documents.every(isDocSummary)) {
    throw new ApiRequestError('The server sent a document list this page does not understand.', 200);
  }
  return [...body.documents].sort((a, b) => b.updatedAt - a.updatedAt);
}

/** POST /api/docs: creates an empty document and returns its summary. */
export async function createDocument(): Promise<DocSummary> {
  const body = await request<DocSummary>('/api/docs', { method: 'POST' });
  if (!isDocSummary(body)) {
    throw new ApiRequestError('The server did not say which document it created.', 201);
  }
  return body;
}

/**
 * POST /api/docs/import: creates a new document from a Markdown text and returns its summary.
 * Throws ApiRequestError for a text over MAX_IMPORT_BYTES without sending it.
 */
export async function importMarkdown(markdown: string): Promise<DocSummary> {
  if (new TextEncoder().encode(markdown).length > MAX_IMPORT_BYTES) {
    throw new ApiRequestError(`The file is larger than ${MAX_IMPORT_BYTES / (1024 * 1024)} MiB.`, 413);
  }
  const body = await request<DocSummary>('/api/docs/import', {
    method: 'POST',
    headers: { 'content-type': 'text/markdown; charset=utf-8' },
    body: markdown,
  });
  if (!isDocSummary(body)) {
    throw new ApiRequestError('The server did not say which document it created.', 201);
  }
  return body;
}
