// Version history: the shapes of /api/docs/:id/versions… (README "Version history") and the marks
// a version's changes are drawn with. Imported by the server and the web app alike.

/** Why a version exists: made when editing paused or ran long, named by someone, or made just before a restore. */
export const VERSION_KINDS = ['auto', 'named', 'restore'] as const;
export type VersionKind = (typeof VERSION_KINDS)[number];

/** Longest version name, in characters (after trimming). */
export const MAX_VERSION_NAME_CHARS = 100;

/** Someone who changed the document: an account (userId), or a guest connection (guest, userId null). */
export interface VersionAuthor {
  userId: string | null;
  name: string;
  colour: string;
  guest: boolean;
}

/** GET /api/docs/:id/versions → newest first. */
export interface Version {
  id: number;
  createdAt: number;
  /** null: unnamed. */
  name: string | null;
  /** Who changed the document between the previous version and this one. */
  authors: VersionAuthor[];
  kind: VersionKind;
}
export interface VersionList {
  versions: Version[];
}

/** POST /api/docs/:id/versions (name required) and PATCH …/versions/:vid (null removes the name). */
export interface VersionName {
  name: string | null;
}

/** Formats of GET /api/docs/:id/versions/:vid?format=… (json: ProseMirror JSON of the body). */
export const VERSION_FORMATS = ['json', 'md', 'html'] as const;
export type VersionFormat = (typeof VERSION_FORMATS)[number];

/** GET …/versions/:vid?format=json. */
export interface VersionContent {
  id: number;
  title: string;
  /** The body as ProseMirror JSON of shared/schema.ts. */
  doc: unknown;
}

/** One attributed change: text inserted or deleted by `author` (an index into `authors`), at about `at`. */
export interface VersionChange {
  kind: 'insert' | 'delete';
  text: string;
  /** Index into VersionChanges.authors; -1: not known (stored before history was kept, or by the server). */
  author: number;
  /** When it was stored (ms since the epoch), or null when not known. */
  at: number | null;
}

/**
 * GET …/versions/:vid/changes?since=<vid> (default: the version before). `:vid` may be `current`:
 * what changed from version `since` to now ("Compare with current"). `doc` is the body as ProseMirror JSON of shared/schema.ts
 * with one more mark, CHANGE_MARK, on inserted and deleted text: both are in the text, deleted text
 * struck through where it stood.
 */
export interface VersionChanges {
  /** The version compared against (null: the document's beginning). */
  since: number | null;
  /** The newer side: a version id, or 'current'. */
  to: number | 'current';
  authors: VersionAuthor[];
  changes: VersionChange[];
  doc: unknown;
}

/** Name of the mark on inserted or deleted text in VersionChanges.doc. */
export const CHANGE_MARK = 'change';
/** Attributes of CHANGE_MARK. */
export interface ChangeMarkAttrs {
  kind: 'insert' | 'delete';
  author: number;
  at: number | null;
}

/** Path of a document's versions. */
export function versionsPath(docId: string): string {
  return `/api/docs/${encodeURIComponent(docId)}/versions`;
}
