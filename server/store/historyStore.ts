import type { VersionKind } from '../../shared/history.js';

/** A version as stored: a position in the document's log. */
export interface VersionRecord {
  id: number;
  docId: string;
  /** Every stored update with sequence number ≤ seq, and none after, makes this version. */
  seq: number;
  kind: VersionKind;
  name: string | null;
  createdAt: number;
  /** Author ids (historyAuthors.ts) of the updates since the previous version, in first-seen order. */
  authors: string[];
}

/** One row of a document's history: an update as stored, or several merged (attribution set). */
export interface HistoryRow {
  seq: number;
  data: Uint8Array;
  /** Who sent it (historyAuthors.ts), null for the server or a merged row. */
  author: string | null;
  /** When it was stored, null when not known (stored before history was kept, or merged). */
  at: number | null;
  /** A merged row's attribution (attribution.ts encoding), else null. */
  attribution: Uint8Array | null;
  /** Still in the live log (not yet compacted): such rows are never merged. Absent: false. */
  live?: boolean;
}

/** What makes a version's content: every history row and update row with seq ≤ the version's, oldest first. */
export interface HistoryLog {
  rows: HistoryRow[];
}

/**
 * A checkpoint: the document's state at `seq` (a position some version is at) as one garbage-collected
 * Yjs update, so that a version's state replays from the nearest one instead of from the log's start.
 */
export interface Checkpoint {
  seq: number;
  data: Uint8Array;
}

/** A version's state as read: the newest checkpoint at or before its position (if any) and the rows after it. */
export interface CheckpointedLog {
  checkpoint: Checkpoint | null;
  rows: HistoryRow[];
}

/** How much there is to replay: the sizes of the checkpoints and of the rows, oldest first. */
export interface LogSizes {
  checkpoints: Array<{ seq: number; bytes: number }>;
  rows: Array<{ seq: number; bytes: number }>;
}

/** What `createVersion` needs. */
export interface NewVersion {
  kind: VersionKind;
  name: string | null;
  /** Author id of whoever made it (named, restore), null for automatic versions. */
  createdBy: string | null;
}

/**
 * A document's versions and the log they point into, kept in the same database as the DocStore
 * (whose compaction moves the rows it folds into the history instead of dropping them). Every
 * method rejects on a storage fault.
 */
export interface HistoryStore {
  /** The document's versions, newest first (empty for an unknown document). */
  listVersions(docId: string): Promise<VersionRecord[]>;
  /** One version, or null when the document has no version `id`. */
  getVersion(docId: string, id: number): Promise<VersionRecord | null>;
  /**
   * Makes a version at the newest stored update of the document (in one transaction), naming the
   * authors of the updates since the previous version. Resolves to null when the document has
   * nothing stored, or when `onlyIfChanged` and nothing was stored since the newest version, or when
   * `onlyIfChanged` and the newest stored update was stored after `burstEndedAt` (ms since the epoch,
   * on the clock that stamps `at`): it belongs to a burst that goes on through another process, whose
   * own end makes that version (so one burst typed through several processes makes one version).
   */
  createVersion(docId: string, version: NewVersion, onlyIfChanged?: boolean, burstEndedAt?: number): Promise<VersionRecord | null>;
  /** Sets (null: removes) a version's name; null when there is no such version. */
  renameVersion(docId: string, id: number, name: string | null): Promise<VersionRecord | null>;
  /** Every row (history and live update rows) with `afterSeq` < seq ≤ `throughSeq` (null: all), oldest first. */
  readLog(docId: string, throughSeq: number | null, afterSeq?: number): Promise<HistoryLog>;
  /**
   * What makes the state at `throughSeq` (null: now), read at one moment: the newest checkpoint at or
   * before it, and every row after the checkpoint up to it (all rows when there is no checkpoint).
   */
  readCheckpointed(docId: string, throughSeq: number | null): Promise<CheckpointedLog>;
  /** The sizes of the document's checkpoints and rows (to decide where a checkpoint is due). */
  logSizes(docId: string): Promise<LogSizes>;
  /**
   * Keeps `data` as the checkpoint at `seq`. Resolves false, storing nothing, when no version is at
   * `seq` any more (thinning dropped it meanwhile) or a checkpoint is there already.
   */
  putCheckpoint(docId: string, seq: number, data: Uint8Array): Promise<boolean>;
  /**
   * Replaces the history rows with `afterSeq` < seq ≤ `throughSeq` by `merged` (whose seq must be
   * `throughSeq`, the highest of them) and drops the versions `dropVersionIds` (whose authors are
   * added to the version at `survivorSeq`) with the checkpoints no version is at any more, in one transaction. Resolves false, changing nothing, when
   * a row in that range is still a live update row (not yet compacted) or the rows changed since
   * `expectRows`.
   */
  mergeHistory(docId: string, range: MergeRange): Promise<boolean>;
}

/** What mergeHistory replaces. */
export interface MergeRange {
  afterSeq: number;
  throughSeq: number;
  /** How many history rows the caller read in the range (a different count: someone merged first). */
  expectRows: number;
  merged: HistoryRow;
  dropVersionIds: number[];
  /** The kept version the dropped ones' authors go to. */
  survivorSeq: number;
}
