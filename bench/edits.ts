import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';

/** Name of the Y.Text every generated edit goes into. */
export const TEXT_NAME = 't';

/**
 * A Yjs v1 update inserting one character at the end of what `client` has typed so far: its first
 * character has no left origin (goes into the root Y.Text `t`), each later one has the client's
 * previous character as its origin. So clock k is the client's k-th edit, every update depends only
 * on the sender's own earlier ones (never pending on a server), and nothing needs a Y.Doc.
 * Byte-for-byte what Yjs emits for `text.insert(text.length, char)` on such a doc (checked in selfTest).
 */
export function encodeCharInsert(client: number, clock: number, char: string): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, 1); // one client
  encoding.writeVarUint(encoder, 1); // one struct
  encoding.writeVarUint(encoder, client);
  encoding.writeVarUint(encoder, clock);
  if (clock === 0) {
    encoding.writeUint8(encoder, 4); // Item, ContentString, no origins: parent follows
    encoding.writeVarUint(encoder, 1); // parent is a root type, by name
    encoding.writeVarString(encoder, TEXT_NAME);
  } else {
    encoding.writeUint8(encoder, 0x84); // Item, ContentString, left origin
    encoding.writeVarUint(encoder, client);
    encoding.writeVarUint(encoder, clock - 1);
  }
  encoding.writeVarString(encoder, char);
  encoding.writeVarUint(encoder, 0); // empty delete set
  return encoding.toUint8Array(encoder);
}

/** A y-protocols awareness update for one client: `[1, client, clock, JSON]`. */
export function encodeAwarenessUpdate(client: number, clock: number, state: unknown): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, 1);
  encoding.writeVarUint(encoder, client);
  encoding.writeVarUint(encoder, clock);
  encoding.writeVarString(encoder, JSON.stringify(state));
  return encoding.toUint8Array(encoder);
}

/**
 * Calls `found(client, clock)` for every inserted character an update carries. Fast path for what
 * servers relay one by one (one client, one struct, one ASCII char: `… 01 <char> 00`); anything else
 * (Hocuspocus merges what arrives in one tick) goes through Yjs's own parser.
 */
export function forEachInsert(update: Uint8Array, found: (client: number, clock: number) => void): void {
  const n = update.length;
  if (n > 6 && update[0] === 1 && update[1] === 1 && update[n - 3] === 1 && update[n - 1] === 0 && update[n - 2]! < 0x80) {
    const decoder = decoding.createDecoder(update);
    decoder.pos = 2;
    const client = decoding.readVarUint(decoder);
    found(client, decoding.readVarUint(decoder));
    return;
  }
  const { from, to } = Y.parseUpdateMeta(update);
  for (const [client, start] of from) {
    const end = to.get(client) ?? start;
    for (let clock = start; clock < end; clock++) found(client, clock);
  }
}

/** Throws unless the hand encoding equals what Yjs produces and forEachInsert reads it back. */
export function selfTest(): void {
  const doc = new Y.Doc();
  doc.clientID = 987654321;
  const emitted: Uint8Array[] = [];
  doc.on('update', (update: Uint8Array) => emitted.push(update));
  const text = doc.getText(TEXT_NAME);
  for (let clock = 0; clock < 3; clock++) {
    text.insert(text.length, 'abc'[clock]!);
    const ours = encodeCharInsert(doc.clientID, clock, 'abc'[clock]!);
    if (Buffer.compare(Buffer.from(ours), Buffer.from(emitted[clock]!)) !== 0) {
      throw new Error(`encodeCharInsert differs from Yjs at clock ${clock}`);
    }
    const seen: number[] = [];
    forEachInsert(ours, (client, c) => seen.push(client, c));
    if (seen.join() !== `${doc.clientID},${clock}`) throw new Error(`forEachInsert misread clock ${clock}`);
  }
  const seen: number[] = [];
  forEachInsert(Y.mergeUpdates(emitted), (_client, c) => seen.push(c));
  if (seen.join() !== '0,1,2') throw new Error('forEachInsert misread a merged update');
}
