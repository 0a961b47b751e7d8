import { ROLES } from '../../shared/accounts.js';
import { describe, expect, it } from 'vitest';
import * as encoding from 'lib0/encoding';
import * as authProtocol from 'y-protocols/auth';
import * as awarenessProtocol from 'y-protocols/awareness';
import * as Y from 'yjs';
import { CloseCode, describeCloseCode, isPermanentRefusal } from '../../shared/closeCodes.js';
import { isValidDocId } from '../../shared/docId.js';
import { MessageType } from '../../shared/protocol.js';
import {
  decodeAccess,
  decodeLoadProgress,
  decodePermissionDenied,
  decodeSavedAck,
  decodeStorageStatus,
  encodeAccess,
  encodeAwarenessFrame,
  encodeLoadProgress,
  encodePermissionDenied,
  encodeSavedAck,
  encodeStorageStatus,
  encodeSyncStep1,
  encodeSyncStep2,
  encodeSyncUpdate,
  isUpdateBearingFrame,
} from '../../shared/codec.js';
import { parseAwarenessUpdate } from '../../server/collab/awarenessUpdate.js';
import { parseClientFrame } from '../../server/collab/clientFrame.js';
import { ProtocolError } from '../../server/protocolError.js';

function refusal(action: () => unknown): ProtocolError {
  try {
    action();
  } catch (error) {
    if (error instanceof ProtocolError) return error;
    throw error;
  }
  throw new Error('expected a ProtocolError');
}

describe('saved acknowledgement codec', () => {
  it('round-trips small and large counts', () => {
    for (const count of [0, 1, 127, 128, 300, 2 ** 31, Number.MAX_SAFE_INTEGER]) {
      const frame = encodeSavedAck(count);
      expect(frame[0]).toBe(MessageType.saved);
      expect(decodeSavedAck(frame)).toBe(count);
    }
  });
  it('rejects other message types and trailing bytes', () => {
    expect(() => decodeSavedAck(new Uint8Array([0, 1]))).toThrow(/not a saved/);
    expect(() => decodeSavedAck(new Uint8Array([100, 1, 1]))).toThrow(/trailing/);
  });
});

describe('own message codecs', () => {
  it('load progress round-trips a byte count (large ones too), and refuses another type', () => {
    for (const bytes of [0, 1, 52_428_800, 2 ** 40]) {
      const frame = encodeLoadProgress(bytes);
      expect(frame[0]).toBe(MessageType.loadProgress);
      expect(decodeLoadProgress(frame)).toBe(bytes);
    }
    expect(() => decodeLoadProgress(encodeStorageStatus(true))).toThrow(/not a load progress message/);
  });
  it('storage status round-trips both states', () => {
    for (const failing of [true, false]) {
      const frame = encodeStorageStatus(failing);
      expect(frame[0]).toBe(MessageType.storageStatus);
      expect(decodeStorageStatus(frame)).toBe(failing);
    }
  });
  it('access round-trips every role, and refuses an unknown role code', () => {
    for (const role of ROLES) {
      const frame = encodeAccess(role);
      expect(frame[0]).toBe(MessageType.access);
      expect(decodeAccess(frame)).toBe(role);
    }
    // Codes as they were before commenter (code 3) came: an older client reads them unchanged.
    expect([...encodeAccess('viewer'), ...encodeAccess('editor'), ...encodeAccess('owner'), ...encodeAccess('commenter')]).toEqual([
      MessageType.access, 0, MessageType.access, 1, MessageType.access, 2, MessageType.access, 3,
    ]);
    expect(() => decodeAccess(new Uint8Array([MessageType.access, 4]))).toThrow(/unknown role/);
  });
  it('each decoder refuses the others\' frames and trailing bytes', () => {
    expect(() => decodeStorageStatus(encodeAccess('editor'))).toThrow(/not a storage status/);
    expect(() => decodeAccess(encodeSavedAck(1))).toThrow(/not an access message/);
    expect(() => decodeStorageStatus(new Uint8Array([MessageType.storageStatus, 1, 0]))).toThrow(/trailing/);
    expect(() => decodeAccess(new Uint8Array([MessageType.access, 1, 0]))).toThrow(/trailing/);
  });
});

describe('permission denied codec (y-protocols auth)', () => {
  it('round-trips the reason, empty and non-ASCII included', () => {
    for (const reason of ['read-only: you may view this document but not change it', '', 'lecture seule — é ✓']) {
      const frame = encodePermissionDenied(reason);
      expect(frame[0]).toBe(MessageType.auth);
      expect(decodePermissionDenied(frame)).toBe(reason);
    }
  });
  it('reads what y-protocols/auth writes, and a frame without a reason', () => {
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, MessageType.auth);
    authProtocol.writePermissionDenied(encoder, 'no');
    expect(decodePermissionDenied(encoding.toUint8Array(encoder))).toBe('no');
    expect(decodePermissionDenied(new Uint8Array([MessageType.auth, 0]))).toBe('');
  });
  it('refuses other auth sub-types and other message types', () => {
    expect(() => decodePermissionDenied(new Uint8Array([MessageType.auth, 1]))).toThrow(/unknown auth/);
    expect(() => decodePermissionDenied(encodeSavedAck(0))).toThrow(/not a permission denied/);
  });
});

describe('frame codecs', () => {
  const update = new Uint8Array([1, 2, 3, 4]);
  it('encode → parse round-trips every client message', () => {
    expect(parseClientFrame(encodeSyncStep1(update))).toEqual({ kind: 'syncStep1', stateVector: update });
    expect(parseClientFrame(encodeSyncStep2(update))).toEqual({ kind: 'syncStep2', update });
    expect(parseClientFrame(encodeSyncUpdate(update))).toEqual({ kind: 'syncUpdate', update });
    expect(parseClientFrame(encodeAwarenessFrame(update))).toEqual({ kind: 'awareness', update });
    expect(parseClientFrame(new Uint8Array([MessageType.queryAwareness]))).toEqual({ kind: 'queryAwareness' });
  });
  it('knows which frames carry document content', () => {
    expect(isUpdateBearingFrame(encodeSyncStep2(update))).toBe(true);
    expect(isUpdateBearingFrame(encodeSyncUpdate(update))).toBe(true);
    expect(isUpdateBearingFrame(encodeSyncStep1(update))).toBe(false);
    expect(isUpdateBearingFrame(encodeAwarenessFrame(update))).toBe(false);
    expect(isUpdateBearingFrame(new Uint8Array([0]))).toBe(false);
  });
  it('refuses malformed envelopes with badMessage and a reason', () => {
    for (const frame of [[], [0], [0, 2], [0, 2, 9, 1], [7], [2, 0], [100, 1], [3, 3], [0, 7, 0]]) {
      const error = refusal(() => parseClientFrame(new Uint8Array(frame)));
      expect(error.code, JSON.stringify(frame)).toBe(CloseCode.badMessage);
      expect(error.reason.length).toBeGreaterThan(0);
    }
  });
});

describe('awareness update parser', () => {
  it('reads what y-protocols encodes', () => {
    const doc = new Y.Doc();
    const awareness = new awarenessProtocol.Awareness(doc);
    awareness.setLocalState({ user: { name: 'Ada', color: '#123456' } });
    const entries = parseAwarenessUpdate(awarenessProtocol.encodeAwarenessUpdate(awareness, [doc.clientID]));
    expect(entries).toEqual([{ clientId: doc.clientID, clock: 1, state: { user: { name: 'Ada', color: '#123456' } } }]);
    awareness.destroy();
  });
  it('refuses invalid JSON, truncation, trailing bytes and impossible counts', () => {
    for (const bytes of [[1, 7, 1, 2, 123, 120], [1, 7, 1, 5, 110], [0, 9], [0xff, 0xff, 0x03]]) {
      expect(refusal(() => parseAwarenessUpdate(new Uint8Array(bytes))).code).toBe(CloseCode.badMessage);
    }
  });
});

describe('document ids', () => {
  it('accepts URL-safe ids of 1–64 characters only', () => {
    for (const ok of ['a', 'A-b_9', 'x'.repeat(64), 'pNq3x0vK2mLs8dWc1eRt4A']) expect(isValidDocId(ok), ok).toBe(true);
    for (const bad of ['', 'x'.repeat(65), '../etc', 'a/b', 'a.b', 'a b', 'é', 'a\u0000', null, 42]) {
      expect(isValidDocId(bad), String(bad)).toBe(false);
    }
  });
});

describe('close codes', () => {
  it('tells permanent refusals from retryable faults, with a sentence for each', () => {
    expect(isPermanentRefusal(CloseCode.updateRejected)).toBe(true);
    expect(isPermanentRefusal(CloseCode.badMessage)).toBe(true);
    expect(isPermanentRefusal(CloseCode.restarting)).toBe(false);
    expect(isPermanentRefusal(CloseCode.storageFailed)).toBe(false);
    const sentences = new Set(Object.values(CloseCode).map(describeCloseCode));
    expect(sentences.size).toBe(Object.values(CloseCode).length);
  });
});
