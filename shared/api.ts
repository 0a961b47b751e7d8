/** Shapes of the REST API under /api, shared by server and web. Timestamps are epoch milliseconds. */

/** One document as listed and described by the API. `title` is '' until someone names it. */
export interface DocSummary {
  id: string;
  title: string;
  createdAt: number;
  updatedAt: number;
}

/** GET /api/docs → newest-edited first. */
export interface DocList {
  documents: DocSummary[];
}

/** GET /api/docs/:id → the summary plus live figures. */
export interface DocDetails extends DocSummary {
  /** Open WebSocket connections to this document on this server right now. */
  connections: number;
  /** Bytes the document occupies in storage (snapshot plus pending updates). */
  storedBytes: number;
}

/** Body of every error response: a stable machine code and a sentence for people. */
export interface ApiError {
  error: string;
  message: string;
}

/** Largest Markdown text POST /api/docs/import accepts, in bytes (larger: 413). */
export const MAX_IMPORT_BYTES = 2 * 1024 * 1024;

/** Formats of GET /api/docs/:id/export?format=… */
export const EXPORT_FORMATS = ['md', 'html'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** Path of a document's export in `format`. */
export function exportPath(docId: string, format: ExportFormat): string {
  return `/api/docs/${encodeURIComponent(docId)}/export?format=${format}`;
}
