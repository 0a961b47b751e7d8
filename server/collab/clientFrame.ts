import * as decoding from 'lib0/decoding';
import { CloseCode } from '../../shared/closeCodes.js';
import { MessageType, SyncStep } from '../../shared/protocol.js';
import { ProtocolError } from '../protocolError.js';

/** A frame from a client, decoded far enough to dispatch. Payloads are views into the frame. */
export type ClientFrame =
  | { kind: 'syncStep1'; stateVector: Uint8Array }
  | { kind: 'syncStep2'; update: Uint8Array }
  | { kind: 'syncUpdate'; update: Uint8Array }
  | { kind: 'awareness'; update: Uint8Array }
  | { kind: 'queryAwareness' };

/**
 * Decodes the envelope of a client frame: exactly one message, nothing after it. Throws
 * ProtocolError(badMessage) naming the problem for an empty or truncated frame, an unknown message
 * type or sync step, a length field larger than the frame, trailing bytes, or a message type only
 * the server may send. The payload itself (update, state vector, awareness) is validated later.
 */
export function parseClientFrame(frame: Uint8Array): ClientFrame {
  if (frame.length === 0) throw new ProtocolError(CloseCode.badMessage, 'empty frame');
  const decoder = decoding.createDecoder(frame);
  let parsed: ClientFrame;
  try {
    const type = decoding.readVarUint(decoder);
    switch (type) {
      case MessageType.sync: {
        const step = decoding.readVarUint(decoder);
        const payload = readPayload(decoder, frame);
        if (step === SyncStep.step1) parsed = { kind: 'syncStep1', stateVector: payload };
        else if (step === SyncStep.step2) parsed = { kind: 'syncStep2', update: payload };
        else if (step === SyncStep.update) parsed = { kind: 'syncUpdate', update: payload };
        else throw new ProtocolError(CloseCode.badMessage, `unknown sync step ${step}`);
        break;
      }
      case MessageType.awareness:
        parsed = { kind: 'awareness', update: readPayload(decoder, frame) };
        break;
      case MessageType.queryAwareness:
        parsed = { kind: 'queryAwareness' };
        break;
      case MessageType.auth:
      case MessageType.saved:
      case MessageType.storageStatus:
      case MessageType.access:
        throw new ProtocolError(CloseCode.badMessage, `message type ${type} is sent by the server only`);
      default:
        throw new ProtocolError(CloseCode.badMessage, `unknown message type ${type}`);
    }
  } catch (error) {
    if (error instanceof ProtocolError) throw error;
    throw new ProtocolError(CloseCode.badMessage, `malformed frame: ${(error as Error).message}`.slice(0, 120));
  }
  if (decoder.pos !== frame.length) {
    throw new ProtocolError(CloseCode.badMessage, `${frame.length - decoder.pos} trailing bytes after the message`);
  }
  return parsed;
}

/** Reads a varUint8Array, refusing a length that runs past the end (lib0 would silently cut it). */
function readPayload(decoder: decoding.Decoder, frame: Uint8Array): Uint8Array {
  const length = decoding.readVarUint(decoder);
  if (length > frame.length - decoder.pos) {
    throw new ProtocolError(CloseCode.badMessage, `length field ${length} is larger than the frame`);
  }
  const payload = frame.subarray(decoder.pos, decoder.pos + length);
  decoder.pos += length;
  return payload;
}
