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
/** The structs of the update being applied (what its sender wrote), when it was read. */
let currentStructs: Array<Y.Item | Y.GC | Y.Skip> | null = null;

/**
 * Per document: how much of its own client's text the server had when it sent its sync step 1 (its
 * state vector), i.e. before it got what the page did offline (the page's step 2 answers that step 1).
 */
const serverHadMine = new WeakMap<Y.Doc, { client: number; clock: number }>();

/**
 * A sync step 2's delete set is the server's whole document's: it also names characters of mine
 * that the server deleted on arrival because their paragraph was gone (typed offline into a
 * paragraph someone joined away meanwhile), which nobody saw. Those are dropped from it: mine that
 * the server got only from my own step 2 (from the clock its step 1 showed on). What it names of the
 * rest (mine the server had before, everyone else's) someone deleted having seen it, or had deleted
 * long before (a restore, someone deleting my paragraph on purpose while I was offline).
 */
function withoutMyOffline(ds: DeleteSet, doc: Y.Doc | undefined): DeleteSet {
  const had = doc === undefined ? undefined : serverHadMine.get(doc);
  if (had === undefined) return ds;
  const ranges = ds.clients.get(had.client);
  if (ranges === undefined) return ds;
  const out = Y.createDeleteSet();
  ds.clients.forEach((list, client) => out.clients.set(client, list));
  const kept: typeof ranges = [];
  for (const range of ranges) {
    const end = Math.min(range.clock + range.len, had.clock);
    // Yjs's own range shape (clock, len); isDeleted reads no more.
    if (end > range.clock) kept.push({ clock: range.clock, len: end - range.clock } as (typeof ranges)[number]);
  }
  out.clients.set(had.client, kept);
  return out;
}

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
 * The structs of the update being applied now, as its sender wrote them (content, origins), or null
 * (as incomingDeleteSet). Yjs collects on arrival what goes into a paragraph already deleted here;
 * this is where its text can still be read (moveRebase.ts, goneCopies.ts).
 */
export function incomingStructs(): Array<Y.Item | Y.GC | Y.Skip> | null {
  return currentStructs;
}

/**
 * Runs the provider's sync handler (`apply`) with the delete set of the update in the sync frame
 * `decoder` is at (positioned after the message type; not moved) known to incomingDeleteSet().
 * `doc`: the page's document (a sync step 2 then leaves out what the page did offline, see withoutMyOffline).
 */
export function withIncomingDeletes(decoder: decoding.Decoder, apply: () => void, doc?: Y.Doc): void {
  let ds: DeleteSet | null = null;
  let structs: Array<Y.Item | Y.GC | Y.Skip> | null = null;
  try {
    const peek = decoding.clone(decoder);
    const syncType = decoding.readVarUint(peek);
    // y-protocols: 0 is sync step 1 (a state vector), 1 sync step 2 (a state), 2 an update.
    if (syncType === 0 && doc !== undefined) {
      const vector = Y.decodeStateVector(decoding.readVarUint8Array(peek));
      serverHadMine.set(doc, { client: doc.clientID, clock: vector.get(doc.clientID) ?? 0 });
    } else if (syncType === 1 || syncType === 2) {
      const update = decoding.readVarUint8Array(peek);
      if (update.length <= MAX_PEEK_BYTES) ({ ds, structs } = Y.decodeUpdate(update));
      if (ds !== null && syncType === 1) ds = withoutMyOffline(ds, doc);
    }
  } catch {
    // Malformed: the provider's own handler meets it and fails as it would have.
    ds = null;
    structs = null;
  }
  current = ds;
  currentStructs = structs;
  try {
    apply();
  } finally {
    current = null;
    currentStructs = null;
  }
}
