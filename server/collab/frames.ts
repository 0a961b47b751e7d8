import * as encoding from 'lib0/encoding';
import { MessageType, SyncStep } from '../../shared/protocol.js';

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

/** `[auth, permissionDenied, reason]` (y-protocols/auth): the server refused something the client did. */
export function encodePermissionDenied(reason: string): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, MessageType.auth);
  encoding.writeVarUint(encoder, 0);
  encoding.writeVarString(encoder, reason);
  return encoding.toUint8Array(encoder);
}
