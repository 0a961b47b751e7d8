import { countSnapshotSegments, type StoredDoc } from '../store/docStore.js';

/** A document's log in storage as its room knows it: where it stands, and when to compact it. */
export class StoredLog {
  /**
   * Every stored row of the document up to this sequence number is in the room's doc. A process
   * alone advances it with its own commits; in a cluster only reading the store does, because rows
   * other processes committed may still be on their way.
   */
  confirmedSeq: number;
  /** Approximate bytes stored: what was loaded, plus appends, as the last compaction left it. */
  storedBytes: number;
  private updatesSinceSnapshot: number;
  private bytesSinceSnapshot = 0;

  constructor(stored: StoredDoc) {
    this.confirmedSeq = stored.lastSeq;
    this.storedBytes = stored.updates.reduce((sum, update) => sum + update.length, 0);
    // Rows after the snapshot's segments: the log has grown past its snapshot.
    this.updatesSinceSnapshot = Math.max(0, stored.updates.length - countSnapshotSegments(stored));
  }

  /** Whether rows follow the snapshot, i.e. compaction has something to do. */
  get needsCompaction(): boolean {
    return this.updatesSinceSnapshot > 0;
  }

  /** Whether the rows after the snapshot have passed either threshold. */
  shouldCompact(afterUpdates: number, afterBytes: number): boolean {
    return this.updatesSinceSnapshot >= afterUpdates || this.bytesSinceSnapshot >= afterBytes;
  }

  /** This process committed a row of `bytes` as `seq`; `confirms` unless other processes also write. */
  committed(seq: number, bytes: number, confirms: boolean): void {
    this.storedBytes += bytes;
    this.updatesSinceSnapshot++;
    this.bytesSinceSnapshot += bytes;
    if (confirms) this.confirmedSeq = Math.max(this.confirmedSeq, seq);
  }

  /** Another process stored `bytes` more. */
  storedElsewhere(bytes: number): void {
    this.storedBytes += bytes;
  }

  /** Reading the store brought the doc up to `seq`. */
  readThrough(seq: number): void {
    this.confirmedSeq = Math.max(this.confirmedSeq, seq);
  }

  /** What a compaction started now would cover; hand it back to `compacted` once stored. */
  compactionMark(): { updates: number; bytes: number } {
    return { updates: this.updatesSinceSnapshot, bytes: this.bytesSinceSnapshot };
  }

  /** A snapshot of `snapshotBytes` replaced the rows counted in `mark` (rows since then stay). */
  compacted(mark: { updates: number; bytes: number }, snapshotBytes: number): void {
    this.updatesSinceSnapshot -= mark.updates;
    this.bytesSinceSnapshot -= mark.bytes;
    this.storedBytes = snapshotBytes + this.bytesSinceSnapshot;
  }
}
