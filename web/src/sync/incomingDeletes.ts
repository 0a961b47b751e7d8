import * as decoding from 'lib0/decoding';
import * as Y from 'yjs';

/** A Yjs delete set, as an update carries it. */
export type DeleteSet = ReturnType<typeof Y.decodeUpdate>['ds'];

/**
 * Largest incoming update whose delete set is read. What it serves (moveRebase.ts) is a race of
 * keystroke-sized changes; a first sync or a big paste is not decoded twice.
 */
const MAX_PEEK_BYTES = 256 * 1024;

let current: DeleteSet | null = null;

/**
 * The delete set of the update being applied now, as its sender wrote it: the characters the sender
 * saw and deleted. Yjs gives transaction observers only the receiver's delete set, which also holds
 * what was deleted with a deleted paragraph without the sender having seen it. Null outside an
 * incoming sync frame, or when the update was too large to read twice.
 */
export function incomingDeleteSet(): DeleteSet | null {
  return current;
}

/**
 * Runs the provider's sync handler (`apply`) with the delete set of the update in the sync frame
 * `decoder` is at (positioned after the message type; not moved) known to incomingDeleteSet().
 */
export function withIncomingDeletes(decoder: decoding.Decoder, apply: () => void): void {
  let ds: DeleteSet | null = null;
  try {
    const peek = decoding.clone(decoder);
    const syncType = decoding.readVarUint(peek);
    // y-protocols: 1 is sync step 2 (a state), 2 an update; step 1 carries no update.
    if (syncType === 1 || syncType === 2) {
      const update = decoding.readVarUint8Array(peek);
      if (update.length <= MAX_PEEK_BYTES) ds = Y.decodeUpdate(update).ds;
    }
  } catch {
    // Malformed: the provider's own handler meets it and fails as it would have.
    ds = null;
  }
  current = ds;
  try {
    apply();
  } finally {
    current = null;
  }
}
