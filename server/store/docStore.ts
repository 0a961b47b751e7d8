import type { DocDetails, DocSummary } from '../../shared/api.js';
import type { HistoryStore } from './historyStore.js';

/** What is stored for one document, oldest first. */
export interface StoredDoc {
  /** The snapshot (if any) followed by every update appended after it. Empty for an unknown document. */
  updates: Uint8Array[];
  /** Sequence number of the newest row read, or 0 when there are none. */
  lastSeq: number;
  /**
   * How many of the first `updates` are the snapshot's segments (consecutive valid updates of one
   * snapshot, see server/bigdocs/segmentState.ts): 0 when there is no snapshot. Absent: the first
   * row is the snapshot, if there are rows (what stores without segments return).
   */
  snapshotSegments?: number;
}

/** A snapshot as written: one update, or consecutive segments that together make it. */
export type Snapshot = Uint8Array | readonly Uint8Array[];

/** The segments of a snapshot as written (one update is one segment). */
export function snapshotSegments(snapshot: Snapshot): readonly Uint8Array[] {
  return snapshot instanceof Uint8Array ? [snapshot] : snapshot;
}

/** How many of `stored.updates` are snapshot segments (see StoredDoc.snapshotSegments). */
export function countSnapshotSegments(stored: StoredDoc): number {
  return stored.snapshotSegments ?? Math.min(1, stored.updates.length);
}

/** One update to append for a document. */
export interface AppendEntry {
  docId: string;
  update: Uint8Array;
  /** Who sent it, as the server knows (server/history/historyAuthors.ts); null or absent: the server. */
  author?: string | null;
}

/**
 * Storage of documents as Yjs update logs. Rooms and routes talk only to this interface, so a second
 * implementation (PostgreSQL) can be added without touching them. Every method rejects on a storage
 * fault and never reports success for something it did not make durable.
 */
export interface DocStore {
  /** Reads a document's snapshot and later updates. Resolves to no updates for an unknown document. */
  load(docId: string): Promise<StoredDoc>;
  /**
   * What a replica holding every row up to `afterSeq` lacks: the updates after it, oldest first — or,
   * when a compaction has since folded rows after `afterSeq` into the snapshot, the snapshot and the
   * updates after that. `lastSeq` is the newest row read (`afterSeq` when there is nothing new).
   * Rows of one document are committed in sequence order, so nothing older can appear later. Rows
   * whose sequence number is in `except` (the caller's own commits, which it holds) are left out, and
   * then `lastSeq` is the newest row read of the others.
   */
  loadSince(docId: string, afterSeq: number, except?: readonly number[]): Promise<StoredDoc>;
  /**
   * Appends every entry in one transaction (group commit), creating document rows as needed and
   * touching their `updatedAt`. Resolves to each entry's sequence number, in order, once committed.
   */
  appendBatch(entries: readonly AppendEntry[]): Promise<number[]>;
  /**
   * Replaces the document's snapshot and every update with sequence ≤ `throughSeq` by `snapshot`
   * (one update, or its segments in order, stored as consecutive rows), in one transaction: after a
   * crash there is either the old state or the new one. The updates it replaces move to the
   * document's history (HistoryStore), with their authors; the first time, a snapshot stored before
   * history was kept goes there too, as its beginning. Resolves to false
   * (changing nothing) when the stored snapshot already covers `throughSeq` or more, so a process
   * never replaces a newer snapshot with an older one.
   */
  compact(docId: string, snapshot: Snapshot, throughSeq: number): Promise<boolean>;
  /** Creates an empty document row. Rejects if `docId` already exists. */
  create(docId: string): Promise<DocSummary>;
  /** Removes the document: its row, snapshot and every update. Resolves whether or not it existed. */
  delete(docId: string): Promise<void>;
  /** Describes one document, or resolves to null when it does not exist. */
  describe(docId: string): Promise<(DocSummary & Pick<DocDetails, 'storedBytes'>) | null>;
  /** Lists documents, most recently edited first, at most `limit` of them. */
  list(limit: number): Promise<DocSummary[]>;
  /** Records the document's current title for listings (the title itself lives in the document). */
  setTitle(docId: string, title: string): Promise<void>;
  /** The document's versions and the history its compactions keep (same database). */
  readonly history: HistoryStore;
  /** Resolves when the store can serve requests; rejects with the fault otherwise. */
  check(): Promise<void>;
  /** Releases the store. Safe to call twice. */
  close(): Promise<void>;
}
