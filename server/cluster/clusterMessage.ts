import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';

/** What one Tandem process tells the others through Redis. */
export type ClusterMessage =
  /** A committed update of the document (stored with sequence number `seq`). */
  | { kind: 'update'; from: string; seq: number; update: Uint8Array }
  /** An awareness update from one of the sender's connections. */
  | { kind: 'awareness'; from: string; update: Uint8Array }
  /** The sender is alive (on the process channel). */
  | { kind: 'alive'; from: string }
  /** The sender is shutting down: forget its presence now. */
  | { kind: 'bye'; from: string }
  /** Something happened to people's access or presence (see PeopleEvents), as JSON. */
  | { kind: 'people'; from: string; json: string };

const KIND_CODES = { update: 0, awareness: 1, alive: 2, bye: 3, people: 4 } as const;

/** `[varUint kind, varString from, (varUint seq), (varUint8Array payload)]`. */
export function encodeClusterMessage(message: ClusterMessage): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, KIND_CODES[message.kind]);
  encoding.writeVarString(encoder, message.from);
  if (message.kind === 'update') encoding.writeVarUint(encoder, message.seq);
  if (message.kind === 'update' || message.kind === 'awareness') encoding.writeVarUint8Array(encoder, message.update);
  if (message.kind === 'people') encoding.writeVarString(encoder, message.json);
  return encoding.toUint8Array(encoder);
}

/** Decodes a cluster message; throws on anything malformed (Redis is shared infrastructure). */
export function decodeClusterMessage(bytes: Uint8Array): ClusterMessage {
  const decoder = decoding.createDecoder(bytes);
  const kind = decoding.readVarUint(decoder);
  const from = decoding.readVarString(decoder);
  let message: ClusterMessage;
  switch (kind) {
    case KIND_CODES.update: {
      const seq = decoding.readVarUint(decoder);
      message = { kind: 'update', from, seq, update: decoding.readVarUint8Array(decoder) };
      break;
    }
    case KIND_CODES.awareness:
      message = { kind: 'awareness', from, update: decoding.readVarUint8Array(decoder) };
      break;
    case KIND_CODES.alive:
      message = { kind: 'alive', from };
      break;
    case KIND_CODES.bye:
      message = { kind: 'bye', from };
      break;
    case KIND_CODES.people:
      message = { kind: 'people', from, json: decoding.readVarString(decoder) };
      break;
    default:
      throw new Error(`unknown cluster message kind ${kind}`);
  }
  if (decoder.pos !== bytes.length) throw new Error('trailing bytes in cluster message');
  return message;
}
