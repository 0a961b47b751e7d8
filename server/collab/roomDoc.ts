import * as Y from 'yjs';
import { CloseCode } from '../../shared/closeCodes.js';
import { TITLE_TEXT } from '../../shared/docParts.js';
import { cleanTitle } from '../../shared/text.js';
import { ProtocolError } from '../protocolError.js';
import { limitTitle } from './titleLimit.js';
import { type Applied, UpdateApplier } from './updateApplier.js';
import { mergeStateVectors, readSegmentedSnapshot, type SegmentedSnapshot } from '../bigdocs/segmentedSnapshot.js';
import { MAX_SEGMENT_BYTES } from '../../shared/protocol.js';

/**
 * Stored rows (as loaded) that make a prefix of the doc's state not in segments, kept while that
 * prefix is bigger than a segment: what the segments a join is served from are cut from (on a worker
 * thread), and what stateParts hands out instead of encoding the whole doc.
 */
interface UnsegmentedRows {
  parts: readonly Uint8Array[];
  /** The state vector of the state `parts` make. */
  vector: Uint8Array;
}

/** The state to cut into join segments (RoomDoc.partsToSegment). */
export interface PartsToSegment {
  parts: Uint8Array[];
  /** The state vector of what `parts` make. */
  vector: Uint8Array;
  /** Where the doc stood when they were taken (RoomDoc.joinSegmentsCut checks it). */
  mark: { generation: number; bytesAfter: number; unbuilt: boolean; applied: number };
}

/** The doc's state as parts (RoomDoc.stateParts), with how many updates had been applied then. */
export interface MarkedParts {
  parts: Uint8Array[];
  /** RoomDoc's count of applied updates when the parts were taken (for snapshotStored). */
  applied: number;
}

/**
 * The most applied updates kept for stateParts (RoomDoc.applied); past it they are given up and
 * what came after the stored parts is encoded from the doc. Compaction (after 1,000 updates by
 * default) starts the list again.
 */
const MAX_KEPT_UPDATES = 5_000;

/** The stored document could not be turned into a Y.Doc; nothing may be served in its place. */
export class LoadError extends Error {
  override name = 'LoadError';
}

/**
 * Where a room's document stands, as one value:
 * - `unbuilt`: storage held one row (the snapshot an unload leaves). It was decoded whole at load but
 *   not applied: the Y.Doc is empty, `row` is the whole state and `vector` its state vector.
 * - `built`: the Y.Doc holds the state. `whole` is its encoding while the doc is unchanged (what a new
 *   client, with an empty state vector, is sent), or null to encode on the next need.
 * - `broken`: the row decoded but did not apply when built; the room was refused (see RoomDoc).
 */
export type DocState =
  | { kind: 'unbuilt'; row: Uint8Array; vector: Uint8Array }
  /** Storage held only a snapshot in segments: served from them (see `segmented`), built on first need. */
  | { kind: 'unbuiltSegments' }
  | { kind: 'built'; whole: Uint8Array | null }
  | { kind: 'broken' };

/** An update that adds nothing and deletes nothing (what an empty Yjs doc answers a step1 with). */
export function isEmptyUpdate(update: Uint8Array): boolean {
  return update.length === 2 && update[0] === 0 && update[1] === 0;
}

/**
 * A room's Y.Doc and its stored state. A document stored as one row is checked when it loads but
 * built into the Y.Doc only when something needs one (a change, an export, a snapshot, a viewer's
 * update to judge); until then clients are served from the stored bytes, so opening a large document
 * to read it costs no build. Everything that reads or changes the content goes through `doc` or
 * `apply`, which build first.
 *
 * Contract of the build: it decoded at load, so only an inconsistent row (one depending on changes it
 * lacks) can fail. Then `onBuildFailed` runs once (the room refuses the document and destroys itself)
 * and the caller gets ProtocolError(loadFailed); so does every later caller.
 */
export class RoomDoc {
  // A guid of our own: Yjs's default draws a v4 UUID from 31 separate calls for random bytes (120 µs a
  // room loaded in bench I2). The guid only names subdocuments, which Tandem does not use.
  private readonly ydoc = new Y.Doc({ guid: 'tandem-room' });
  private state: DocState;
  private readonly applier = new UpdateApplier(this.ydoc);
  private titleChanged = false;
  /** The title changed since limitTitle last looked at it. */
  private titleTouched = false;

  /**
   * The stored snapshot when it is in several segments, or segments cut for joins from the rows
   * (joinSegmentsCut): a prefix of the state in segments, what joins are served from; else null.
   */
  private snapshot: SegmentedSnapshot | null = null;
  /** Loaded rows past a segment's size that no segments hold yet (see UnsegmentedRows), else null. */
  private rows: UnsegmentedRows | null = null;
  /** Bytes of the updates (stored rows, then applied ones) the doc holds beyond `snapshot` or `rows`. */
  private bytesAfter = 0;
  /** Counts snapshots stored by compaction: join segments cut from an older state are dropped. */
  private generation = 0;
  /**
   * Stored parts that make the doc's state before `applied`: the rows it was loaded from, then the
   * segments a compaction or a join's cut stored. Mostly held anyway (as `rows`, `snapshot` or the
   * unbuilt row); what is held for this alone — a one-row document's row once it is built and
   * changed, and `applied` — goes at the next compaction (by default after 1 MB or 1,000 updates).
   */
  private base: readonly Uint8Array[];
  /**
   * What changed the doc since `base`, as applied (each update's effective part), in order; null
   * once past MAX_KEPT_UPDATES. `base` then these make the doc's state, so stateParts hands them
   * out instead of encoding the doc on the event loop (70–460 ms at 50 MB, profiled in L2).
   */
  private applied: Uint8Array[] | null = [];
  /** Updates applied since the room opened (`applied` holds the last of them, while kept). */
  private appliedCount = 0;
  /** appliedCount when `base` was taken: `applied` holds every update since. */
  private baseCount = 0;

  /**
   * Throws LoadError when the stored rows do not decode, do not apply, or lack dependencies.
   * `snapshotRows`: how many of the first `updates` are segments of the stored snapshot.
   */
  constructor(
    private readonly docId: string,
    updates: readonly Uint8Array[],
    private readonly onBuildFailed: (error: LoadError) => void,
    snapshotRows = Math.min(1, updates.length),
  ) {
    this.base = updates;
    if (snapshotRows > 1) {
      const segments = updates.slice(0, snapshotRows);
      try {
        this.snapshot = readSegmentedSnapshot(segments);
      } catch (error) {
        this.ydoc.destroy();
        throw new LoadError(`stored snapshot of ${docId} cannot be decoded: ${(error as Error).message}`);
      }
    }
    if (snapshotRows > 1 && updates.length === snapshotRows) {
      this.state = { kind: 'unbuiltSegments' };
    } else if (updates.length === 1) {
      // Decoded whole now, so that a malformed row is refused at load. The state vector reads only
      // the structs; the diff against it reads them again and then the delete set, which a damaged
      // row could otherwise hand to clients verbatim (2 ms for the 259,778-edit trace; building it
      // takes 10–13 ms).
      const row = updates[0]!;
      let vector: Uint8Array;
      try {
        vector = Y.encodeStateVectorFromUpdate(row);
        Y.diffUpdate(row, vector);
      } catch (error) {
        this.ydoc.destroy();
        throw new LoadError(`stored update of ${docId} cannot be decoded: ${(error as Error).message}`);
      }
      this.state = { kind: 'unbuilt', row, vector };
    } else {
      try {
        this.applyStored(updates);
      } catch (error) {
        this.ydoc.destroy();
        throw error;
      }
      this.state = { kind: 'built', whole: null };
    }
    // Rows beyond the segments (all of them when none are): kept if they are more than a segment,
    // so a join is cut segments from them rather than sent them encoded in one frame.
    const rowBytes = updates.slice(snapshotRows > 1 ? snapshotRows : 0).reduce((sum, update) => sum + update.length, 0);
    if (rowBytes > MAX_SEGMENT_BYTES) {
      const state = this.state;
      this.rows = { parts: updates, vector: state.kind === 'unbuilt' ? state.vector : Y.encodeStateVector(this.ydoc) };
    } else {
      this.bytesAfter = rowBytes;
    }
    // Observed after loading: only changes since count.
    this.ydoc.getText(TITLE_TEXT).observe(() => {
      this.titleChanged = true;
      this.titleTouched = true;
    });
  }

  /** The Y.Doc for awareness only (it is bound to a doc but never reads its content): never builds. */
  get presenceDoc(): Y.Doc {
    return this.ydoc;
  }

  /** Whether the doc has been built (a room loaded from one stored row is not until it is needed). */
  get isBuilt(): boolean {
    return this.state.kind !== 'unbuilt' && this.state.kind !== 'unbuiltSegments';
  }

  /** The stored snapshot when it is in several segments (a big document): joins are served from it. */
  get segmented(): SegmentedSnapshot | null {
    return this.state.kind === 'broken' ? null : this.snapshot;
  }

  /**
   * Whether a join must first have segments cut (partsToSegment, joinSegmentsCut): the doc holds
   * more than a segment's worth that no segments hold (never-compacted rows, or much written since).
   */
  get needsJoinSegments(): boolean {
    return this.state.kind !== 'broken' && (this.rows !== null || this.bytesAfter > MAX_SEGMENT_BYTES);
  }

  /**
   * The state to cut into join segments: the stored parts as they are (and what came after them,
   * encoded), never the whole doc encoded at once where rows or segments hold it. Call when settled.
   */
  partsToSegment(): PartsToSegment {
    const { parts, applied } = this.markedStateParts();
    return {
      parts,
      vector: this.stateVector(),
      mark: { generation: this.generation, bytesAfter: this.bytesAfter, unbuilt: !this.isBuilt, applied },
    };
  }

  /**
   * Segments were cut from what partsToSegment gave (`mark`): joins are served from them from now
   * on (the final step 2 carries what came after). Ignored when a compaction stored a snapshot since.
   */
  joinSegmentsCut(segments: Uint8Array[], vector: Uint8Array, mark: PartsToSegment['mark']): void {
    if (mark.generation !== this.generation || this.state.kind === 'broken') return;
    this.snapshot = { segments, vector, bytes: segments.reduce((sum, segment) => sum + segment.length, 0) };
    this.rows = null;
    this.bytesAfter = Math.max(0, this.bytesAfter - mark.bytesAfter);
    this.rebase(segments, mark.applied);
    // Still unbuilt: the doc is exactly the segments; it is built from them when first needed.
    if (mark.unbuilt && this.state.kind === 'unbuilt') this.state = { kind: 'unbuiltSegments' };
  }

  /**
   * What a client holding the segmented snapshot and `clientVector` (merged) still lacks: the final
   * sync step 2 of a segmented join. Nothing (an empty update) while the doc is the snapshot alone;
   * else what came after it, and every deletion. Call only when settled.
   */
  afterSnapshot(snapshot: SegmentedSnapshot, clientVector: Uint8Array): Uint8Array {
    if (this.state.kind === 'unbuiltSegments' && snapshot === this.snapshot) return new Uint8Array([0, 0]);
    return Y.encodeStateAsUpdate(this.doc, mergeStateVectors(snapshot.vector, clientVector));
  }

  /**
   * The doc's state as updates that, applied in order, make it — without encoding the whole doc
   * where that can be avoided: the stored snapshot's segments and what came after them, or the
   * stored row as it is. What a worker builds a snapshot, an export or a checkpoint from. Call only
   * when settled (the doc must be what is committed).
   */
  stateParts(): Uint8Array[] {
    return this.markedStateParts().parts;
  }

  /** stateParts, with the count of updates applied when they were taken (for snapshotStored). */
  markedStateParts(): MarkedParts {
    const state = this.state;
    const applied = this.appliedCount;
    if (state.kind === 'broken') return { parts: [this.answer(new Uint8Array([0]), true)], applied }; // throws
    // The stored parts and what was applied since: nothing encoded.
    if (this.applied !== null) return { parts: [...this.base, ...this.applied], applied };
    // Rows hold more than the segments (they were loaded beyond them): the rows, and what came after.
    if (this.rows) return { parts: [...this.rows.parts, Y.encodeStateAsUpdate(this.doc, this.rows.vector)], applied };
    if (this.snapshot) return { parts: [...this.snapshot.segments, Y.encodeStateAsUpdate(this.doc, this.snapshot.vector)], applied };
    return { parts: [this.answer(new Uint8Array([0]), true)], applied };
  }

  /**
   * The stored state now starts from `parts` (a snapshot or join segments of the doc as it was when
   * `appliedThen` updates had been applied): the updates applied since stay; if they were given up
   * and none came since, keeping starts again.
   */
  private rebase(parts: readonly Uint8Array[], appliedThen: number): void {
    // Parts older than the base (a compaction and a join's cut overlapping, the older finishing
    // last): the updates between them are not kept, so the base stays.
    if (appliedThen < this.baseCount) return;
    const since = this.appliedCount - appliedThen;
    if (this.applied === null && since > 0) return;
    this.base = parts;
    this.baseCount = appliedThen;
    this.applied = since === 0 ? [] : this.applied!.slice(-since);
  }

  /**
   * A compaction stored `segments` (of the doc's state when `appliedThen` updates had been applied;
   * several: kept as `snapshot`, which joins are served from).
   */
  snapshotStored(segments: Uint8Array[], vector: Uint8Array, appliedThen: number): void {
    const bytes = segments.reduce((sum, segment) => sum + segment.length, 0);
    this.snapshot = segments.length > 1 ? { segments, vector, bytes } : null;
    this.rows = null;
    this.bytesAfter = 0;
    this.generation++;
    this.rebase(segments, appliedThen);
  }

  /** The doc, built first if it was not yet. Throws ProtocolError(loadFailed) if it cannot be. */
  get doc(): Y.Doc {
    this.build();
    return this.ydoc;
  }

  /**
   * Current title as titles are shown (cleanTitle: at most MAX_TITLE_CHARS, no bidirectional
   * controls); null while not built (the recorded title is the same) or broken.
   */
  get title(): string | null {
    return this.state.kind === 'built' ? cleanTitle(this.ydoc.getText(TITLE_TEXT).toString()) : null;
  }

  /** The title (as `title` shows it) if it changed since the last call (building is not a change), else null. */
  takeTitleChange(): string | null {
    if (!this.titleChanged) return null;
    this.titleChanged = false;
    return cleanTitle(this.ydoc.getText(TITLE_TEXT).toString());
  }

  /**
   * After an update that changed the title: cuts it back to the rules (titleLimit.ts) by a change of
   * the server's own, returned to be stored and relayed to every peer like any other (so a title
   * typed past MAX_TITLE_CHARS is cut for everyone); null when nothing needed cutting.
   */
  limitTitle(): Uint8Array | null {
    if (!this.titleTouched || this.state.kind !== 'built') return null;
    this.titleTouched = false;
    return limitTitle(this.ydoc);
  }

  /** The state vector, from the stored row while unbuilt. */
  stateVector(): Uint8Array {
    if (this.state.kind === 'unbuilt') return this.state.vector;
    if (this.state.kind === 'unbuiltSegments') return this.snapshot!.vector;
    return Y.encodeStateVector(this.doc);
  }

  /**
   * What a client whose state vector is `stateVector` lacks (a sync step 2's content); `isEmpty`: that
   * vector is empty, and the whole state is served (cached while unchanged). Call only when settled:
   * the doc must be exactly what is committed.
   */
  answer(stateVector: Uint8Array, isEmpty: boolean): Uint8Array {
    const state = this.state;
    if (state.kind === 'unbuilt') return isEmpty ? state.row : Y.diffUpdate(state.row, stateVector);
    if (!isEmpty) return Y.encodeStateAsUpdate(this.doc, stateVector);
    if (state.kind === 'built') return (state.whole ??= Y.encodeStateAsUpdate(this.ydoc));
    return Y.encodeStateAsUpdate(this.doc); // broken: throws
  }

  /** Whether `update` is known to change nothing without building (an empty update while unbuilt). */
  changesNothingUnbuilt(update: Uint8Array): boolean {
    return (this.state.kind === 'unbuilt' || this.state.kind === 'unbuiltSegments') && isEmptyUpdate(update);
  }

  /** Builds, then applies `update` (see UpdateApplier); the cached whole state goes once anything entered. */
  apply(update: Uint8Array, origin: unknown): Applied {
    this.build();
    const applied = this.applier.apply(update, origin);
    if (applied.effective && this.state.kind === 'built') this.state.whole = null;
    if (applied.effective) {
      this.bytesAfter += applied.effective.length;
      this.appliedCount++;
      if (this.applied !== null && this.applied.length >= MAX_KEPT_UPDATES) this.applied = null;
      this.applied?.push(applied.effective);
    }
    return applied;
  }

  /** Releases the Y.Doc. */
  destroy(): void {
    this.ydoc.destroy();
  }

  private build(): void {
    const state = this.state;
    if (state.kind === 'built') return;
    if (state.kind === 'broken') throw new ProtocolError(CloseCode.loadFailed, 'the document could not be loaded');
    try {
      this.applyStored(state.kind === 'unbuilt' ? [state.row] : this.snapshot!.segments);
    } catch (error) {
      this.state = { kind: 'broken' };
      this.onBuildFailed(error as LoadError);
      throw new ProtocolError(CloseCode.loadFailed, 'the document could not be loaded');
    }
    // The row is still exactly the doc's whole state; building is not a change of title.
    this.state = { kind: 'built', whole: state.kind === 'unbuilt' ? state.row : null };
    this.titleChanged = false;
  }

  /** Applies stored rows to the (empty) doc; LoadError if they do not apply whole. */
  private applyStored(updates: readonly Uint8Array[]): void {
    try {
      Y.transact(this.ydoc, () => {
        for (const update of updates) Y.applyUpdate(this.ydoc, update);
      });
    } catch (error) {
      throw new LoadError(`stored update of ${this.docId} cannot be applied: ${(error as Error).message}`);
    }
    if (this.ydoc.store.pendingStructs || this.ydoc.store.pendingDs) {
      throw new LoadError(`stored updates of ${this.docId} have missing dependencies`);
    }
  }
}
