import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { afterEach, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import { Awareness, encodeAwarenessUpdate } from 'y-protocols/awareness';
import * as Y from 'yjs';
import type { Role } from '../../shared/accounts.js';
import { encodeAccess, encodeLoadProgress, encodePermissionDenied, encodeSavedAck, encodeStorageStatus, encodeSyncStep2, encodeSyncUpdate } from '../../shared/codec.js';
import { segmentDoc } from '../../server/bigdocs/segmentState.js';
import { randomDoc } from '../helpers/randomYDoc.js';
import { MessageType } from '../../shared/protocol.js';
import { handleServerMessages } from '../../web/src/sync/serverMessages.js';

/**
 * Hands `frame` to the provider the way y-websocket's readMessage does (it is not exported): the
 * message type is read, then the handler registered for it gets the rest. Returns the reply bytes.
 */
function deliver(provider: WebsocketProvider, frame: Uint8Array): Uint8Array {
  const decoder = decoding.createDecoder(frame);
  const encoder = encoding.createEncoder();
  const type = decoding.readVarUint(decoder);
  const handler = provider.messageHandlers[type];
  if (handler === undefined) throw new Error(`no handler for message type ${type}`);
  handler(encoder, decoder, provider, false, type);
  return encoding.toUint8Array(encoder);
}

function setUp() {
  const provider = new WebsocketProvider('ws://127.0.0.1:9', 'doc', new Y.Doc(), {
    connect: false,
    disableBc: true,
    // Never connects; the provider only needs a class to hold.
    WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
  });
  // Stands for the provider's current socket: the saved callback is keyed by it.
  const socket = {} as globalThis.WebSocket;
  provider.ws = socket;
  const seen = {
    saved: [] as [globalThis.WebSocket, number][],
    storageFailing: [] as boolean[],
    role: [] as Role[],
    changeRefused: [] as string[],
    loading: [] as number[],
    syncBytes: [] as number[],
    /** Per beforeRemote call: the text of the provider's document at that moment. */
    beforeRemote: [] as string[],
  };
  handleServerMessages(provider, {
    saved: (s, n) => seen.saved.push([s, n]),
    storageFailing: (failing) => seen.storageFailing.push(failing),
    role: (role) => seen.role.push(role),
    changeRefused: (reason) => seen.changeRefused.push(reason),
    loading: (bytes) => seen.loading.push(bytes),
    syncFrame: (bytes) => seen.syncBytes.push(bytes),
    beforeRemote: () => seen.beforeRemote.push(provider.doc.getText('t').toString()),
  });
  return { provider, socket, seen };
}

/** Destroys the provider, whose stand-in socket it must not try to close. */
function close(provider: WebsocketProvider): void {
  provider.ws = null;
  provider.destroy();
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('the client handler of the server messages', () => {
  it('hands each message, decoded, to its callback and answers nothing', () => {
    vi.spyOn(console, 'info').mockImplementation(() => {});
    const { provider, socket, seen } = setUp();
    const replies = [
      deliver(provider, encodeSavedAck(7)),
      deliver(provider, encodeStorageStatus(true)),
      deliver(provider, encodeStorageStatus(false)),
      deliver(provider, encodeAccess('viewer')),
      deliver(provider, encodeAccess('owner')),
      deliver(provider, encodePermissionDenied('read-only')),
      deliver(provider, encodeLoadProgress(12345)),
    ];
    const update = encodeSyncUpdate(Y.encodeStateAsUpdate(new Y.Doc()));
    deliver(provider, update);
    expect(seen).toEqual({
      saved: [[socket, 7]],
      storageFailing: [true, false],
      role: ['viewer', 'owner'],
      changeRefused: ['read-only'],
      loading: [12345],
      syncBytes: [update.length],
      beforeRemote: [''],
    });
    expect(replies.every((reply) => reply.length === 0)).toBe(true);
    close(provider);
  });

  it('ignores malformed messages and a saved acknowledgement with no socket', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const { provider, seen } = setUp();
    deliver(provider, new Uint8Array([MessageType.saved]));
    deliver(provider, new Uint8Array([MessageType.storageStatus]));
    deliver(provider, new Uint8Array([MessageType.access, 9]));
    provider.ws = null;
    deliver(provider, encodeSavedAck(1));
    deliver(provider, new Uint8Array([MessageType.loadProgress]));
    expect(seen).toEqual({ saved: [], storageFailing: [], role: [], changeRefused: [], loading: [], syncBytes: [], beforeRemote: [] });
    expect(warn).toHaveBeenCalledTimes(4);
    close(provider);
  });

  it('calls beforeRemote before a sync or awareness frame is applied (the editor reads pending input first)', () => {
    const { provider, seen } = setUp();
    const other = new Y.Doc();
    other.getText('t').insert(0, 'a');
    deliver(provider, encodeSyncUpdate(Y.encodeStateAsUpdate(other)));
    other.getText('t').insert(1, 'b');
    deliver(provider, encodeSyncUpdate(Y.encodeStateAsUpdate(other)));
    // An awareness frame from another client: its state is applied after the call.
    const remote = new Awareness(other);
    remote.setLocalState({ user: { name: 'Grace' } });
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, MessageType.awareness);
    encoding.writeVarUint8Array(encoder, encodeAwarenessUpdate(remote, [other.clientID]));
    deliver(provider, encoding.toUint8Array(encoder));
    // Called before each frame was applied: the document was '' then 'a'; and before the awareness frame.
    expect(seen.beforeRemote).toEqual(['', 'a', 'ab']);
    expect(provider.awareness.getStates().get(other.clientID)).toEqual({ user: { name: 'Grace' } });
    remote.destroy();
    close(provider);
  });

  it('holds the sync updates of an announced (segmented) load and applies them with its step 2, whole; a close drops them', () => {
    const { provider } = setUp();
    // Seed 58 cut into 200-byte segments loses a bold mark when applied one transaction each (heldSegments.test.ts).
    const source = randomDoc(58);
    const segments = segmentDoc(source, 200);
    const body = () => provider.doc.getXmlFragment('prosemirror').toString();
    deliver(provider, encodeLoadProgress(1));
    deliver(provider, encodeSyncUpdate(segments[0]!));
    provider.emit('connection-close', [null, provider]);
    // The next connection's load: announced again, every segment, then the step 2.
    deliver(provider, encodeLoadProgress(1));
    for (const segment of segments) deliver(provider, encodeSyncUpdate(segment));
    expect(body()).toBe('');
    deliver(provider, encodeSyncStep2(Y.encodeStateAsUpdate(new Y.Doc())));
    expect(body()).toBe(source.getXmlFragment('prosemirror').toString());
    // Done: later updates apply at once.
    const later = new Y.Doc();
    later.getText('title').insert(0, 'x');
    deliver(provider, encodeSyncUpdate(Y.encodeStateAsUpdate(later)));
    expect(provider.doc.getText('title').toString()).toContain('x');
    close(provider);
  });

  it('forgets a storage failure when the connection closes (a new one is told again)', () => {
    const { provider, seen } = setUp();
    deliver(provider, encodeStorageStatus(true));
    provider.emit('connection-close', [null, provider]);
    expect(seen.storageFailing).toEqual([true, false]);
    close(provider);
  });
});
