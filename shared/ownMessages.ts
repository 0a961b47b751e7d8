import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import type { Role } from './accounts.js';
import { MessageType } from './protocol.js';

// Codecs of the messages of our own (types 100+), sent only to clients that asked (`?ack=1`).

/**
 * The saved acknowledgement: `[MessageType.saved, varUint committedFrames]`.
 *
 * `committedFrames` counts the update-bearing frames (see isUpdateBearingFrame) this connection has
 * sent, in order, of which every one is committed to storage. Because frames are committed in the
 * order they arrive, "N" means frames 1..N are durable, so a client that numbers what it sends knows
 * exactly which of its changes are safe. Counts restart at 0 on every connection.
 */
export function encodeSavedAck(committedFrames: number): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, MessageType.saved);
  encoding.writeVarUint(encoder, committedFrames);
  return encoding.toUint8Array(encoder);
}

/**
 * Reads the frame count from a saved acknowledgement.
 * Throws if `frame` is not a well-formed saved acknowledgement.
 */
export function decodeSavedAck(frame: Uint8Array): number {
  const decoder = decoding.createDecoder(frame);
  const type = decoding.readVarUint(decoder);
  if (type !== MessageType.saved) throw new Error(`not a saved acknowledgement: message type ${type}`);
  const committed = decoding.readVarUint(decoder);
  if (decoding.hasContent(decoder)) throw new Error('saved acknowledgement has trailing bytes');
  return committed;
}

/** Reads the frame count after the message type has already been read from `decoder`. */
export function readSavedAckBody(decoder: decoding.Decoder): number {
  return decoding.readVarUint(decoder);
}

/**
 * The storage status message: `[MessageType.storageStatus, varUint failing]`, 1 while storage refuses
 * writes (the server keeps them and retries; nothing is acknowledged meanwhile), 0 once it stores again.
 */
export function encodeStorageStatus(failing: boolean): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, MessageType.storageStatus);
  encoding.writeVarUint(encoder, failing ? 1 : 0);
  return encoding.toUint8Array(encoder);
}

/** Reads the failing flag after the message type has already been read from `decoder`. */
export function readStorageStatusBody(decoder: decoding.Decoder): boolean {
  return decoding.readVarUint(decoder) === 1;
}

/** Roles in the order of their codes in the access message. */
const ROLE_CODES: readonly Role[] = ['viewer', 'editor', 'owner'];

/**
 * The access message: `[MessageType.access, varUint role]` (0 viewer, 1 editor, 2 owner). Sent when a
 * connection joins its document and whenever its role changes; a viewer's updates are refused.
 */
export function encodeAccess(role: Role): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, MessageType.access);
  encoding.writeVarUint(encoder, ROLE_CODES.indexOf(role));
  return encoding.toUint8Array(encoder);
}

/** Reads the role after the message type has already been read from `decoder`. Throws on an unknown code. */
export function readAccessBody(decoder: decoding.Decoder): Role {
  const role = ROLE_CODES[decoding.readVarUint(decoder)];
  if (role === undefined) throw new Error('unknown role code in access message');
  return role;
}
