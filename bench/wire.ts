import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import type { DialectName } from './servers.js';

/**
 * The two wires the generator speaks, encoded by hand with lib0 so the generator's cost stays small.
 *
 * y-websocket (Tandem, y-websocket-server): `[type, …]`, type 0 sync (step1 / step2 / update), 1 awareness.
 * Hocuspocus: the same messages with the document name (varString) in front of each, an auth
 * handshake first (`[name, 2 auth, 0 token, token]`, answered `[name, 2, 2 authenticated, scope]`),
 * 4 "sync reply" for a step2 that must not trigger another step1, and 8 "sync status" acks.
 */
export const Msg = { sync: 0, awareness: 1, auth: 2, syncReply: 4, syncStatus: 8 } as const;
export const Sync = { step1: 0, step2: 1, update: 2 } as const;

/** The Yjs encoding of an empty state vector and of an empty update. */
const EMPTY_STATE_VECTOR = new Uint8Array([0]);
const EMPTY_UPDATE = new Uint8Array([0, 0]);

/** A decoded incoming frame: its message type, sync sub-type (or -1), and payload view. */
export interface Incoming {
  type: number;
  sync: number;
  payload: Uint8Array;
}

export interface Dialect {
  name: DialectName;
  /** Frames to send as soon as the socket opens: (auth and) our sync step1 with an empty state vector. */
  hello(): Uint8Array[];
  /** Our answer to the server's step1: a step2 with what we hold (we start empty). */
  step2Reply(): Uint8Array;
  /** `[sync, update, update]` */
  update(update: Uint8Array): Uint8Array;
  /** `[awareness, awarenessUpdate]` */
  awareness(awarenessUpdate: Uint8Array): Uint8Array;
  /** Decodes the envelope of a frame the server sent. */
  parse(frame: Uint8Array): Incoming;
}

/** The dialect for one document (Hocuspocus frames carry its name). */
export function dialectFor(name: DialectName, docId: string): Dialect {
  const prefix = name === 'hocuspocus' ? encodeVarString(docId) : new Uint8Array(0);
  const frame = (write: (encoder: encoding.Encoder) => void): Uint8Array => {
    const encoder = encoding.createEncoder();
    encoding.writeUint8Array(encoder, prefix);
    write(encoder);
    return encoding.toUint8Array(encoder);
  };
  const sync = (type: number, step: number, payload: Uint8Array): Uint8Array =>
    frame((e) => {
      encoding.writeVarUint(e, type);
      encoding.writeVarUint(e, step);
      encoding.writeVarUint8Array(e, payload);
    });
  const step1 = sync(Msg.sync, Sync.step1, EMPTY_STATE_VECTOR);
  return {
    name,
    hello:
      name === 'hocuspocus'
        ? () => [
            frame((e) => {
              encoding.writeVarUint(e, Msg.auth);
              encoding.writeVarUint(e, 0);
              encoding.writeVarString(e, '');
            }),
            step1,
          ]
        : () => [step1],
    step2Reply: () => sync(name === 'hocuspocus' ? Msg.syncReply : Msg.sync, Sync.step2, EMPTY_UPDATE),
    update: (update) => sync(Msg.sync, Sync.update, update),
    awareness: (awarenessUpdate) =>
      frame((e) => {
        encoding.writeVarUint(e, Msg.awareness);
        encoding.writeVarUint8Array(e, awarenessUpdate);
      }),
    parse: (data) => {
      const decoder = decoding.createDecoder(data);
      if (name === 'hocuspocus') {
        const nameLength = decoding.readVarUint(decoder);
        decoder.pos += nameLength; // skip the document name
      }
      const type = decoding.readVarUint(decoder);
      if (type === Msg.sync || type === Msg.syncReply) {
        const step = decoding.readVarUint(decoder);
        return { type: Msg.sync, sync: step, payload: decoding.readVarUint8Array(decoder) };
      }
      return { type, sync: -1, payload: data.subarray(decoder.pos) };
    },
  };
}

function encodeVarString(text: string): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarString(encoder, text);
  return encoding.toUint8Array(encoder);
}
