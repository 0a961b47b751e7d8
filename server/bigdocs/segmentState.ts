import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';

// Cuts a document's whole state into segments: valid Yjs updates of at most `maxBytes` each which,
// applied in order to an empty doc, give the document — each one integrating at once, never held
// for changes a later segment brings (so a client applies every segment as it arrives, and no
// segment waits in Yjs's pending store to be merged again with the next). Yjs has no API for
// "this clock range of the state", so this writes updates itself from Yjs's exported struct classes
// and encoder (Y.Item#write, Y.UpdateEncoderV1), the same calls `Y.encodeStateAsUpdate` makes.
//
// Order: a struct is written only after what it depends on (its left and right origins and its
// parent's item) is written, client by client in clock order (Kahn's algorithm, clients woken when
// what they wait for is written). Large strings are cut into pieces (never inside a surrogate pair:
// a lone surrogate does not survive UTF-8). Each deletion range goes into the segment holding the
// structs it deletes.

/** A run of one struct, [start, end) in its own clock units. */
interface Piece {
  struct: Y.Item | Y.GC;
  start: number;
  end: number;
}

/** What one segment holds of one client: consecutive pieces starting at clock `lo`. */
interface ClientRun {
  lo: number;
  hi: number;
  pieces: Piece[];
}

type Struct = Y.Item | Y.GC | Y.Skip;

/** Estimated bytes of one deletion range (two varUints), counted against the segment's budget. */
const DELETE_RANGE_BYTES = 10;
/** Bytes a client's header in a segment can take (count, client id, first clock). */
const CLIENT_HEADER_BYTES = 16;

/**
 * The document's state as segments of at most `maxBytes` (a single struct that cannot be cut and is
 * larger, e.g. a binary embed, is a segment of its own). Returns at least one segment (an empty
 * doc gives one empty update). Throws when the doc holds structs waiting for missing dependencies.
 */
export function segmentDoc(doc: Y.Doc, maxBytes: number): Uint8Array[] {
  if (doc.store.pendingStructs || doc.store.pendingDs) throw new Error('the document has updates waiting for missing dependencies');
  // The estimate of a piece's size is exact (it is written once to measure it); the headers and
  // deletion ranges are estimated generously, so a retry with a smaller budget is rare.
  let budget = maxBytes - 64;
  for (let attempt = 0; attempt < 4; attempt++) {
    const segments = encodeSegments(doc, planSegments(doc, budget));
    if (segments.every((segment) => segment.length <= maxBytes) || segments.length === 0) return segments.length > 0 ? segments : [Y.encodeStateAsUpdate(new Y.Doc())];
    // Only a segment of a single uncuttable struct may stay over the limit.
    if (attempt === 3) return segments;
    budget = Math.floor(budget * 0.7);
  }
  throw new Error('unreachable');
}

/** How many clock units of a struct one piece may take: its content's bytes stay well under `budget`. */
function pieceUnits(struct: Struct, budget: number): number {
  if (struct instanceof Y.Item) {
    const content = struct.content;
    // At most 3 UTF-8 bytes per UTF-16 unit.
    if (content instanceof Y.ContentString) return Math.max(1, Math.floor(budget / 4));
    if (content instanceof Y.ContentAny || content instanceof Y.ContentJSON) return Math.max(1, Math.floor(budget / 256));
  }
  return struct.length; // GC, deleted content, embeds, types, formats: small, or not cuttable
}

/** Moves a cut so that it does not fall between the halves of a surrogate pair. */
function safeCut(struct: Struct, at: number): number {
  if (struct instanceof Y.Item && struct.content instanceof Y.ContentString) {
    const code = struct.content.str.charCodeAt(at - 1);
    if (code >= 0xd800 && code <= 0xdbff) return at - 1 > 0 ? at - 1 : at + 1;
  }
  return at;
}

/** The IDs a struct needs integrated before it: left and right origin, and its parent's item. */
function dependencies(struct: Struct): Y.ID[] {
  if (!(struct instanceof Y.Item)) return [];
  const deps: Y.ID[] = [];
  if (struct.origin) deps.push(struct.origin);
  if (struct.rightOrigin) deps.push(struct.rightOrigin);
  const parent = struct.parent;
  if (parent instanceof Y.AbstractType && parent._item) deps.push(parent._item.id);
  return deps;
}

/** Writes `piece` to `encoder` (cutting its end off through a copy of the struct when it ends early). */
function writePiece(encoder: Y.UpdateEncoderV1, piece: Piece): void {
  const { struct, start, end } = piece;
  if (end === struct.length) return struct.write(encoder, start);
  if (struct instanceof Y.GC) return new Y.GC(struct.id, end).write(encoder, start);
  const content = struct.content;
  let cut: Y.ContentString | Y.ContentAny | Y.ContentJSON | Y.ContentDeleted;
  if (content instanceof Y.ContentString) cut = new Y.ContentString(content.str.slice(0, end));
  else if (content instanceof Y.ContentAny) cut = new Y.ContentAny(content.arr.slice(0, end));
  else if (content instanceof Y.ContentJSON) cut = new Y.ContentJSON(content.arr.slice(0, end));
  else if (content instanceof Y.ContentDeleted) cut = new Y.ContentDeleted(end);
  else throw new Error(`cannot cut a struct of content ${content.constructor.name}`);
  new Y.Item(struct.id, null, struct.origin, null, struct.rightOrigin, struct.parent, struct.parentSub, cut).write(encoder, start);
}

/** Bytes `piece` takes when written (measured by writing it to a scratch encoder). */
function pieceBytes(piece: Piece): number {
  const scratch = new Y.UpdateEncoderV1();
  writePiece(scratch, piece);
  return encoding.length(scratch.restEncoder);
}

/** The segments as runs per client, in dependency order, each within `budget` bytes as estimated. */
function planSegments(doc: Y.Doc, budget: number): Array<Map<number, ClientRun>> {
  const clients = doc.store.clients as Map<number, Struct[]>;
  const deletes = Y.createDeleteSetFromStructStore(doc.store).clients;
  const segments: Array<Map<number, ClientRun>> = [];
  let current = new Map<number, ClientRun>();
  let currentBytes = 0;
  /** Per client: the clock up to which it is written, the next struct, and the next deletion range. */
  const written = new Map<number, number>();
  const next = new Map<number, number>();
  const nextDelete = new Map<number, number>();
  const waiting = new Map<number, Array<{ client: number; clock: number }>>();
  const ready: number[] = [...clients.keys()];
  for (const client of ready) {
    written.set(client, 0);
    next.set(client, 0);
    nextDelete.set(client, 0);
  }
  const isWritten = (id: Y.ID) => id.clock < (written.get(id.client) ?? 0);

  /** Deletion ranges of `client` below `clock` not yet counted: how many (they go where their structs go). */
  const countDeletes = (client: number, clock: number): number => {
    const ranges = deletes.get(client);
    if (!ranges) return 0;
    let i = nextDelete.get(client)!;
    let count = 0;
    while (i < ranges.length && ranges[i]!.clock < clock) {
      count++;
      if (ranges[i]!.clock + ranges[i]!.len > clock) break; // continues in the next piece
      i++;
    }
    nextDelete.set(client, i);
    return count;
  };

  const add = (client: number, piece: Piece) => {
    const bytes = pieceBytes(piece) + DELETE_RANGE_BYTES * countDeletes(client, piece.struct.id.clock + piece.end);
    let run = current.get(client);
    const extra = bytes + (run ? 0 : CLIENT_HEADER_BYTES);
    if (currentBytes > 0 && currentBytes + extra > budget) {
      segments.push(current);
      current = new Map();
      currentBytes = 0;
      run = undefined;
    }
    const clock = piece.struct.id.clock + piece.start;
    if (!run) current.set(client, (run = { lo: clock, hi: clock, pieces: [] }));
    run.pieces.push(piece);
    run.hi = piece.struct.id.clock + piece.end;
    currentBytes += bytes + (run.pieces.length === 1 ? CLIENT_HEADER_BYTES : 0);
  };

  const writeClient = (client: number, ignoreDependencies: boolean): void => {
    const structs = clients.get(client)!;
    let i = next.get(client)!;
    for (; i < structs.length; i++) {
      const struct = structs[i]!;
      if (!ignoreDependencies) {
        const missing = dependencies(struct).find((id) => !isWritten(id));
        if (missing) {
          const list = waiting.get(missing.client) ?? [];
          list.push({ client, clock: missing.clock });
          waiting.set(missing.client, list);
          break;
        }
      }
      const units = pieceUnits(struct, budget);
      for (let start = 0; start < struct.length; ) {
        const end = start + units >= struct.length ? struct.length : safeCut(struct, start + units);
        add(client, { struct: struct as Y.Item | Y.GC, start, end });
        start = end;
      }
      written.set(client, struct.id.clock + struct.length);
    }
    next.set(client, i);
    const woken = waiting.get(client);
    if (woken) {
      const still = woken.filter((wait) => {
        if (wait.clock < written.get(client)!) {
          ready.push(wait.client);
          return false;
        }
        return true;
      });
      waiting.set(client, still);
    }
  };

  while (ready.length > 0) writeClient(ready.pop()!, false);
  // A valid document has no cycles; should one appear, what is left is written in clock order
  // (a client would then hold some structs until a later segment).
  for (const client of clients.keys()) if (next.get(client)! < clients.get(client)!.length) writeClient(client, true);
  if (current.size > 0 || segments.length === 0) segments.push(current);
  return segments;
}

/** Encodes planned segments as V1 updates, each with the deletion ranges of its own structs. */
function encodeSegments(doc: Y.Doc, plan: Array<Map<number, ClientRun>>): Uint8Array[] {
  const deletes = Y.createDeleteSetFromStructStore(doc.store).clients;
  return plan.map((runs) => {
    const encoder = new Y.UpdateEncoderV1();
    const clients = [...runs.keys()].sort((a, b) => b - a);
    encoding.writeVarUint(encoder.restEncoder, clients.length);
    for (const client of clients) {
      const run = runs.get(client)!;
      encoding.writeVarUint(encoder.restEncoder, run.pieces.length);
      encoder.writeClient(client);
      encoding.writeVarUint(encoder.restEncoder, run.lo);
      for (const piece of run.pieces) writePiece(encoder, piece);
    }
    const dsClients: Array<[number, Array<[number, number]>]> = [];
    for (const client of clients) {
      const run = runs.get(client)!;
      const ranges: Array<[number, number]> = [];
      for (const range of deletes.get(client) ?? []) {
        const from = Math.max(range.clock, run.lo);
        const to = Math.min(range.clock + range.len, run.hi);
        if (from < to) ranges.push([from, to - from]);
      }
      if (ranges.length > 0) dsClients.push([client, ranges]);
    }
    encoding.writeVarUint(encoder.restEncoder, dsClients.length);
    for (const [client, ranges] of dsClients) {
      encoder.resetDsCurVal();
      encoding.writeVarUint(encoder.restEncoder, client);
      encoding.writeVarUint(encoder.restEncoder, ranges.length);
      for (const [clock, len] of ranges) {
        encoder.writeDsClock(clock);
        encoder.writeDsLen(len);
      }
    }
    return encoder.toUint8Array();
  });
}
