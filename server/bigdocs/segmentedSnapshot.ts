import * as Y from 'yjs';

/**
 * A snapshot stored as consecutive segments (see segmentState.ts): what a big document's joins are
 * served from, one copy per room whatever the number of clients reading it.
 */
export interface SegmentedSnapshot {
  /** Valid updates that, applied in order, give the snapshot. */
  segments: readonly Uint8Array[];
  /** The snapshot's state vector. */
  vector: Uint8Array;
  /** The segments' bytes in all. */
  bytes: number;
}

/**
 * Reads stored segments: checks each decodes whole (structs and deletions), and takes the state
 * vector they make together. Throws when one does not decode.
 */
export function readSegmentedSnapshot(segments: readonly Uint8Array[]): SegmentedSnapshot {
  const ends = new Map<number, number>();
  let bytes = 0;
  for (const segment of segments) {
    // A segment's structs need not start at clock 0, so encodeStateVectorFromUpdate cannot say
    // where it ends; its meta can.
    for (const [client, clock] of Y.parseUpdateMeta(segment).to) ends.set(client, Math.max(ends.get(client) ?? 0, clock));
    bytes += segment.length;
  }
  const vector = Y.encodeStateVector(ends);
  // Reads each segment's deletions too (its structs, all below the vector, are skipped unwritten).
  for (const segment of segments) Y.diffUpdate(segment, vector);
  return { segments, vector, bytes };
}

/** The state vector holding, for each client, the larger clock of `a` and `b`. */
export function mergeStateVectors(a: Uint8Array, b: Uint8Array): Uint8Array {
  const merged = Y.decodeStateVector(a);
  for (const [client, clock] of Y.decodeStateVector(b)) merged.set(client, Math.max(merged.get(client) ?? 0, clock));
  return Y.encodeStateVector(merged);
}
