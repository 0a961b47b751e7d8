import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import type { Role } from './accounts.js';
import { MessageType, SyncStep } from './protocol.js';

// The codec of /collab frames, for server and web: the y-websocket frames the server sends (types 0–2,
// exactly as y-protocols encodes them, so stock clients read them) and our own messages (types 100+,
// sent only to clients that asked with `?ack=1`). Message type numbers are in protocol.ts.
//
// Decoders come in two forms: `decodeX(frame)` reads a whole frame and throws unless it is a
// well-formed X; `readXBody(decoder)` reads what follows the message type, for a y-websocket
// provider's messageHandlers, which get a decoder whose type has already been read.

// ---------------------------------------------------------------------------------------------
// y-websocket frames

/** `[sync, step1, stateVector]`: asks the receiver for what it has beyond `stateVector`. */
export function encodeSyncStep1(stateVector: Uint8Array): Uint8Array {
  return encodeSync(SyncStep.step1, stateVector);
}

/** `[sync, step2, update]`: the answer to a step1. */
export function encodeSyncStep2(update: Uint8Array): Uint8Array {
  return encodeSync(SyncStep.step2, update);
}

/** `[sync, update, update]`: one incremental update, as relayed to other connections. */
export function encodeSyncUpdate(update: Uint8Array): Uint8Array {
  return encodeSync(SyncStep.update, update);
}

/** `[awareness, awarenessUpdate]`. */
export function encodeAwarenessFrame(awarenessUpdate: Uint8Array): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, MessageType.awareness);
  encoding.writeVarUint8Array(encoder, awarenessUpdate);
  return encoding.toUint8Array(encoder);
}

function encodeSync(step: SyncStep, payload: Uint8Array): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, MessageType.sync);
  encoding.writeVarUint(encoder, step);
  encoding.writeVarUint8Array(encoder, payload);
  return encoding.toUint8Array(encoder);
}

/**
 * Whether a frame carries document content that the server commits: a sync step2 or a sync update.
 * These are the frames the saved acknowledgement counts. Returns false for anything else, including
 * frames too short to tell (both type bytes are single-byte varUints for these messages).
 */
export function isUpdateBearingFrame(frame: Uint8Array): boolean {
  return (
    frame.length >= 2 &&
    frame[0] === MessageType.sync &&
    (frame[1] === SyncStep.step2 || frame[1] === SyncStep.update)
  );
}

/** The only auth sub-type y-protocols defines: permission denied, followed by a reason. */
const PERMISSION_DENIED = 0;

/**
 * `[auth, permissionDenied, reason]` (y-protocols/auth): the server refused something the client did.
 * Tandem sends it when a viewer's change is refused.
 */
export function encodePermissionDenied(reason: string): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, MessageType.auth);
  encoding.writeVarUint(encoder, PERMISSION_DENIED);
  encoding.writeVarString(encoder, reason);
  return encoding.toUint8Array(encoder);
}

/**
 * Reads an auth message after its type: the reason of a permission denied ('' when none was sent),
 * or null for an auth sub-type y-protocols does not define (nothing more is read then).
 */
export function readPermissionDeniedBody(decoder: decoding.Decoder): string | null {
  if (decoding.readVarUint(decoder) !== PERMISSION_DENIED) return null;
  return decoding.hasContent(decoder) ? decoding.readVarString(decoder) : '';
}

/** Reads the reason from a permission-denied frame. Throws if `frame` is not one. */
export function decodePermissionDenied(frame: Uint8Array): string {
  return decodeWhole(frame, MessageType.auth, 'a permission denied', (decoder) => {
    const reason = readPermissionDeniedBody(decoder);
    if (reason === null) throw new Error('not a permission denied: unknown auth message');
    return reason;
  });
}

// ---------------------------------------------------------------------------------------------
// Our own messages (types 100+)

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

/** Reads the frame count after the message type has already been read from `decoder`. */
export function readSavedAckBody(decoder: decoding.Decoder): number {
  return decoding.readVarUint(decoder);
}

/**
 * Reads the frame count from a saved acknowledgement.
 * Throws if `frame` is not a well-formed saved acknowledgement.
 */
export function decodeSavedAck(frame: Uint8Array): number {
  return decodeWhole(frame, MessageType.saved, 'a saved acknowledgement', readSavedAckBody);
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

/** Reads the failing flag from a storage status message. Throws if `frame` is not one. */
export function decodeStorageStatus(frame: Uint8Array): boolean {
  return decodeWhole(frame, MessageType.storageStatus, 'a storage status message', readStorageStatusBody);
}

/** Roles in the order of their codes in the access message (commenter came later: code 3). */
const ROLE_CODES: readonly Role[] = ['viewer', 'editor', 'owner', 'commenter'];

/**
 * The access message: `[MessageType.access, varUint role]` (0 viewer, 1 editor, 2 owner, 3
 * commenter). Sent when a connection joins its document and whenever its role changes; a viewer's
 * and a commenter's updates are refused.
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

/** Reads the role from an access message. Throws if `frame` is not a well-formed one. */
export function decodeAccess(frame: Uint8Array): Role {
  return decodeWhole(frame, MessageType.access, 'an access message', readAccessBody);
}

/**
 * The load progress message: `[MessageType.loadProgress, varUint bytes]`, sent before a big
 * document's segments: `bytes` is what the sync frames that follow add up to (the final step 2 aside).
 */
export function encodeLoadProgress(bytes: number): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, MessageType.loadProgress);
  encoding.writeVarUint(encoder, bytes);
  return encoding.toUint8Array(encoder);
}

/** Reads the byte count after the message type has already been read from `decoder`. */
export function readLoadProgressBody(decoder: decoding.Decoder): number {
  return decoding.readVarUint(decoder);
}

/** Reads the byte count from a load progress message. Throws if `frame` is not one. */
export function decodeLoadProgress(frame: Uint8Array): number {
  return decodeWhole(frame, MessageType.loadProgress, 'a load progress message', readLoadProgressBody);
}

/** Reads a whole frame of type `type` with `readBody`; throws on another type or trailing bytes. */
function decodeWhole<T>(frame: Uint8Array, type: MessageType, name: string, readBody: (decoder: decoding.Decoder) => T): T {
  const decoder = decoding.createDecoder(frame);
  const actual = decoding.readVarUint(decoder);
  if (actual !== type) throw new Error(`not ${name}: message type ${actual}`);
  const value = readBody(decoder);
  if (decoding.hasContent(decoder)) throw new Error(`${name} has trailing bytes`);
  return value;
}
