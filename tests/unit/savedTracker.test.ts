import * as encoding from 'lib0/encoding';
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import * as syncProtocol from 'y-protocols/sync';
import type { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { MessageType } from '../../shared/protocol.js';
import { encodeSavedAck } from '../../shared/codec.js';
import { openCollab } from '../../web/src/sync/collabConnection.js';
import { SavedTracker } from '../../web/src/sync/savedTracker.js';
import type { WebSocketClass } from '../../web/src/sync/savedWiring.js';
import { waitFor } from '../helpers/waitFor.js';

// Frames as the provider sends them; the tracker only looks at the first two bytes.
const step1 = Uint8Array.of(MessageType.sync, 0, 0);
const step2 = Uint8Array.of(MessageType.sync, 1, 2, 0, 0);
const update = Uint8Array.of(MessageType.sync, 2, 2, 0, 0);
const awareness = Uint8Array.of(MessageType.awareness, 1, 0);

/** A local change made and sent at once as a sync update on `socket` (the connected case). */
function typeOnline(tracker: SavedTracker, socket: object): void {
  tracker.onLocalChange();
  tracker.onFrameSent(socket, update);
}

describe('SavedTracker', () => {
  it('starts saved: no local change, nothing to wait for', () => {
    const tracker = new SavedTracker();
    expect(tracker.isSaved).toBe(true);
    expect(tracker.pendingChanges).toBe(0);
  });

  it('is not saved after a change until the server acknowledges its frame', () => {
    const tracker = new SavedTracker();
    const socket = {};
    tracker.onFrameSent(socket, step2); // the connection's step2, before any change
    typeOnline(tracker, socket);
    expect(tracker.isSaved).toBe(false);
    expect(tracker.pendingChanges).toBe(1);
    tracker.onAck(socket, 1); // acks only the step2, which carried nothing of change 1
    expect(tracker.isSaved).toBe(false);
    tracker.onAck(socket, 2);
    expect(tracker.isSaved).toBe(true);
  });

  it('ignores frames that carry no document content', () => {
    const tracker = new SavedTracker();
    const socket = {};
    tracker.onFrameSent(socket, step1);
    tracker.onFrameSent(socket, awareness);
    typeOnline(tracker, socket);
    tracker.onAck(socket, 1); // frame 1 is the update: step1 and awareness are not counted
    expect(tracker.isSaved).toBe(true);
  });

  it('advances in order as update frames are acknowledged one by one', () => {
    const tracker = new SavedTracker();
    const socket = {};
    tracker.onFrameSent(socket, step2);
    for (let i = 0; i < 3; i++) typeOnline(tracker, socket);
    expect(tracker.pendingChanges).toBe(3);
    tracker.onAck(socket, 2);
    expect(tracker.savedThrough).toBe(1);
    expect(tracker.pendingChanges).toBe(2);
    tracker.onAck(socket, 3);
    expect(tracker.savedThrough).toBe(2);
    tracker.onAck(socket, 4);
    expect(tracker.savedThrough).toBe(3);
    expect(tracker.isSaved).toBe(true);
  });

  it('treats an ack of a step2 as covering every change made before it, sent or not', () => {
    const tracker = new SavedTracker();
    const socket = {};
    tracker.onLocalChange(); // typed while still connecting: no frame
    tracker.onLocalChange();
    tracker.onFrameSent(socket, step2);
    expect(tracker.isSaved).toBe(false);
    tracker.onAck(socket, 1);
    expect(tracker.savedThrough).toBe(2);
    expect(tracker.isSaved).toBe(true);
  });

  it('does not count a step2 as covering changes made after it was sent', () => {
    const tracker = new SavedTracker();
    const socket = {};
    tracker.onLocalChange();
    tracker.onFrameSent(socket, step2);
    tracker.onLocalChange(); // made after the step2, while the socket was not open: no frame
    tracker.onAck(socket, 1);
    expect(tracker.savedThrough).toBe(1);
    expect(tracker.isSaved).toBe(false);
  });

  it('holds an acked update back until the step2 that carries earlier changes is acked', () => {
    const tracker = new SavedTracker();
    const socket = {};
    tracker.onLocalChange(); // 1: offline
    typeOnline(tracker, socket); // 2: update frame 1, sent before this connection's step2
    tracker.onFrameSent(socket, step2); // frame 2 covers 1..2
    tracker.onAck(socket, 1);
    expect(tracker.savedThrough).toBe(0); // change 2 is durable, but change 1 is not yet
    expect(tracker.isSaved).toBe(false);
    expect(tracker.pendingChanges).toBe(2);
    tracker.onAck(socket, 2);
    expect(tracker.savedThrough).toBe(2);
    expect(tracker.isSaved).toBe(true);
  });

  it('never counts unacked frames of a dead socket; the next connection covers them again', () => {
    const tracker = new SavedTracker();
    const first = {};
    tracker.onFrameSent(first, step2);
    typeOnline(tracker, first); // 1
    typeOnline(tracker, first); // 2
    tracker.onAck(first, 2); // step2 + change 1
    expect(tracker.savedThrough).toBe(1);
    // the first socket dies with change 2 unacknowledged; change 3 is made offline
    tracker.onLocalChange();
    const second = {};
    typeOnline(tracker, second); // 4, sent on the new socket before its step2
    tracker.onAck(second, 1); // counts restart per connection: this is the update of change 4
    expect(tracker.savedThrough).toBe(1);
    expect(tracker.isSaved).toBe(false);
    tracker.onFrameSent(second, step2); // covers 1..4
    tracker.onAck(second, 2);
    expect(tracker.savedThrough).toBe(4);
    expect(tracker.isSaved).toBe(true);
  });

  it('does not apply an ack of one socket to the frames of another', () => {
    const tracker = new SavedTracker();
    const first = {};
    const second = {};
    typeOnline(tracker, first);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    tracker.onAck(second, 1); // nothing was sent on `second`: a server fault, logged
    expect(warn).toHaveBeenCalledOnce();
    warn.mockRestore();
    expect(tracker.isSaved).toBe(false);
    tracker.onAck(first, 1);
    expect(tracker.isSaved).toBe(true);
  });

  it('ignores repeated or stale acks', () => {
    const tracker = new SavedTracker();
    const socket = {};
    typeOnline(tracker, socket);
    typeOnline(tracker, socket);
    tracker.onAck(socket, 1);
    tracker.onAck(socket, 1);
    tracker.onAck(socket, 0);
    expect(tracker.savedThrough).toBe(1);
    typeOnline(tracker, socket);
    tracker.onAck(socket, 2);
    expect(tracker.savedThrough).toBe(2);
    expect(tracker.isSaved).toBe(false);
  });

  it('notifies listeners on local changes and on progress, not on acks that change nothing', () => {
    const tracker = new SavedTracker();
    const socket = {};
    let calls = 0;
    const stop = tracker.onChange(() => calls++);
    typeOnline(tracker, socket);
    expect(calls).toBe(1);
    tracker.onAck(socket, 1);
    expect(calls).toBe(2);
    tracker.onAck(socket, 1);
    expect(calls).toBe(2);
    stop();
    tracker.onLocalChange();
    expect(calls).toBe(2);
  });
});

/**
 * The wiring with the real Y.Doc and the real, unmodified WebsocketProvider, over a fake socket
 * that plays the server's part by hand. This checks the assumptions the tracker rests on: local
 * changes are counted before the provider sends their update, remote updates are not counted, and
 * MessageType.saved frames reach the tracker.
 */
describe('SavedTracker.setHeldLocally (a composition shown but not yet in the Y.Doc)', () => {
  it('is not saved while a change is held, even with every frame acknowledged, and tells listeners', () => {
    const tracker = new SavedTracker();
    const socket = {};
    const heard = vi.fn();
    tracker.onChange(heard);
    typeOnline(tracker, socket);
    tracker.onAck(socket, 1);
    expect(tracker.isSaved).toBe(true);
    tracker.setHeldLocally(true);
    expect(tracker.isSaved).toBe(false);
    expect(tracker.pendingChanges).toBe(1);
    // Written into the Y.Doc: one more local change, sent and acknowledged.
    tracker.setHeldLocally(false);
    typeOnline(tracker, socket);
    expect(tracker.isSaved).toBe(false);
    tracker.onAck(socket, 2);
    expect(tracker.isSaved).toBe(true);
    expect(heard).toHaveBeenCalledTimes(6);
    tracker.setHeldLocally(false);
    expect(heard).toHaveBeenCalledTimes(6);
  });
});

describe('SavedTracker.restorePending (changes of an earlier visit, restored from the offline copy)', () => {
  it('makes restored changes pending until a step2 that carries them is acknowledged', () => {
    const tracker = new SavedTracker();
    const changes: number[] = [];
    tracker.onChange(() => changes.push(tracker.pendingChanges));
    tracker.restorePending(3);
    expect(tracker.pendingChanges).toBe(3);
    expect(tracker.isSaved).toBe(false);
    expect(changes).toEqual([3]);
    const socket = {};
    tracker.onFrameSent(socket, step2);
    tracker.onAck(socket, 1);
    expect(tracker.isSaved).toBe(true);
  });

  it('lets the update frame sent for the restoring doc update cover exactly the restored changes', () => {
    const tracker = new SavedTracker();
    const socket = {};
    tracker.onFrameSent(socket, step2); // frame 1: the step2, sent before the offline copy loaded
    typeOnline(tracker, socket); // change 1, frame 2
    tracker.restorePending(2); // changes 2 and 3…
    tracker.onFrameSent(socket, update); // …carried by frame 3
    typeOnline(tracker, socket); // change 4, frame 4
    tracker.onAck(socket, 2);
    expect(tracker.savedThrough).toBe(1);
    tracker.onAck(socket, 3);
    expect(tracker.savedThrough).toBe(3);
    expect(tracker.isSaved).toBe(false);
    tracker.onAck(socket, 4);
    expect(tracker.isSaved).toBe(true);
  });

  it('with 0, records an update that carries none of our changes (its frame covers nothing)', () => {
    const tracker = new SavedTracker();
    const socket = {};
    tracker.onLocalChange(); // change 1, made offline: no frame
    tracker.restorePending(0); // an offline-copy load with nothing of ours
    expect(tracker.pendingChanges).toBe(1);
    tracker.onFrameSent(socket, update); // the load's content goes out as an update
    tracker.onAck(socket, 1);
    expect(tracker.isSaved).toBe(false); // change 1 was not in that frame
    tracker.onFrameSent(socket, step2);
    tracker.onAck(socket, 2);
    expect(tracker.isSaved).toBe(true);
  });
});

describe('saved tracking wired to WebsocketProvider', () => {
  class FakeSocket {
    static readonly CONNECTING = 0;
    static readonly OPEN = 1;
    static readonly CLOSING = 2;
    static readonly CLOSED = 3;
    static instances: FakeSocket[] = [];
    readonly OPEN = 1;
    readyState = 0;
    binaryType = 'blob';
    sent: Uint8Array[] = [];
    onopen: (() => void) | null = null;
    onmessage: ((event: { data: ArrayBuffer }) => void) | null = null;
    onclose: ((event: { code: number; reason: string }) => void) | null = null;
    onerror: ((event: unknown) => void) | null = null;
    constructor(readonly url: string) {
      FakeSocket.instances.push(this);
    }
    send(data: Uint8Array): void {
      this.sent.push(data);
    }
    close(): void {
      this.readyState = 3;
    }
    /** The server accepts the connection. */
    open(): void {
      this.readyState = 1;
      this.onopen?.();
    }
    /** The server sends `frame`. */
    receive(frame: Uint8Array): void {
      this.onmessage?.({ data: frame.slice().buffer });
    }
    /** The connection drops. */
    drop(code = 1006): void {
      this.readyState = 3;
      this.onclose?.({ code, reason: '' });
    }
  }

  const providers: WebsocketProvider[] = [];
  afterEach(() => {
    for (const provider of providers.splice(0)) provider.destroy();
    FakeSocket.instances = [];
  });

  function setup(): { doc: Y.Doc; tracker: SavedTracker; provider: WebsocketProvider } {
    const doc = new Y.Doc();
    const tracker = new SavedTracker();
    const { provider } = openCollab('doc-1', doc, tracker, {
      serverUrl: 'ws://server.test/collab',
      WebSocketBase: FakeSocket as unknown as WebSocketClass,
      reconnectDelay: () => 10,
    });
    providers.push(provider);
    return { doc, tracker, provider };
  }

  function latestSocket(): FakeSocket {
    const socket = FakeSocket.instances.at(-1);
    if (socket === undefined) throw new Error('the provider opened no socket');
    return socket;
  }

  /** The server's step1 for an empty server document; the provider answers it with a step2. */
  function serverStep1(): Uint8Array {
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, MessageType.sync);
    syncProtocol.writeSyncStep1(encoder, new Y.Doc());
    return encoding.toUint8Array(encoder);
  }

  it('asks for acks, counts only local changes, and is saved exactly when the server acks', async () => {
    const { doc, tracker } = setup();
    const text = doc.getText('t');
    const socket = latestSocket();
    expect(socket.url).toBe('ws://server.test/collab/doc-1?ack=1');

    text.insert(0, 'a'); // change 1, typed while connecting: no frame
    expect(tracker.localSeq).toBe(1);
    socket.open();
    socket.receive(serverStep1()); // provider answers with a step2: frame 1 covers change 1
    text.insert(1, 'b'); // change 2: update frame 2
    expect(tracker.isSaved).toBe(false);

    socket.receive(encodeSavedAck(1));
    expect(tracker.savedThrough).toBe(1);
    expect(tracker.isSaved).toBe(false);
    socket.receive(encodeSavedAck(2));
    expect(tracker.isSaved).toBe(true);

    // A remote update applied by the provider is not a local change.
    const remote = new Y.Doc();
    Y.applyUpdate(remote, Y.encodeStateAsUpdate(doc));
    remote.getText('t').insert(0, 'z');
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, MessageType.sync);
    syncProtocol.writeUpdate(encoder, Y.encodeStateAsUpdate(remote, Y.encodeStateVector(doc)));
    socket.receive(encoding.toUint8Array(encoder));
    expect(text.toString()).toBe('zab');
    expect(tracker.localSeq).toBe(2);
    expect(tracker.isSaved).toBe(true);
  });

  it('after a drop, covers unacked and offline changes with the new connection', async () => {
    const { doc, tracker } = setup();
    const text = doc.getText('t');
    const first = latestSocket();
    first.open();
    first.receive(serverStep1()); // frame 1: step2 (nothing local yet)
    text.insert(0, 'a'); // change 1: frame 2
    first.receive(encodeSavedAck(1));
    expect(tracker.isSaved).toBe(false);
    first.drop(); // change 1 was never acknowledged

    text.insert(1, 'b'); // change 2, offline
    await waitFor(() => FakeSocket.instances.length === 2, 'the provider to reconnect');
    const second = latestSocket();
    second.open();
    text.insert(2, 'c'); // change 3: sent before this connection's step2, as frame 1
    second.receive(encodeSavedAck(1));
    expect(tracker.savedThrough).toBe(0);
    expect(tracker.pendingChanges).toBe(3);
    second.receive(serverStep1()); // frame 2: step2 covering 1..3
    second.receive(encodeSavedAck(2));
    expect(tracker.isSaved).toBe(true);
  });
  it('does not count the offline copy loading as new changes; restores its pending count instead', async () => {
    const doc = new Y.Doc();
    const tracker = new SavedTracker();
    const persistence = { name: 'offline copy' };
    let stored = 2;
    const { provider } = openCollab('doc-2', doc, tracker, {
      serverUrl: 'ws://server.test/collab',
      WebSocketBase: FakeSocket as unknown as WebSocketClass,
      reconnectDelay: () => 10,
      offline: {
        origin: persistence,
        takePending: () => {
          const count = stored;
          stored = 0;
          return count;
        },
      },
    });
    providers.push(provider);
    const earlier = new Y.Doc();
    earlier.getText('t').insert(0, 'typed offline yesterday');
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(earlier), persistence); // the offline copy loads
    expect(tracker.localSeq).toBe(2);
    expect(tracker.pendingChanges).toBe(2);
    doc.getText('t').insert(0, '!'); // a real change
    expect(tracker.pendingChanges).toBe(3);
    const socket = latestSocket();
    socket.open();
    socket.receive(serverStep1()); // frame 1: step2 with everything
    socket.receive(encodeSavedAck(1));
    expect(tracker.isSaved).toBe(true);
    const later = new Y.Doc();
    later.getText('u').insert(0, 'another tab');
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(later), persistence); // a later offline-copy load
    expect(tracker.localSeq).toBe(3);
  });

  it('reconnects after a server restart (1012) on its own jittered schedule, and stops on a refusal', () => {
    // The schedule is what is tested: fake timers move it exactly, and show that nothing follows a refusal.
    vi.useFakeTimers();
    onTestFinished(() => void vi.useRealTimers());
    const doc = new Y.Doc();
    const tracker = new SavedTracker();
    const delays: number[] = [];
    const { provider, reconnect } = openCollab('doc-3', doc, tracker, {
      serverUrl: 'ws://server.test/collab',
      WebSocketBase: FakeSocket as unknown as WebSocketClass,
      reconnectDelay: (attempt) => {
        delays.push(attempt);
        return 20 * attempt;
      },
    });
    providers.push(provider);
    const closed: number[] = [];
    provider.on('closed', ({ code }) => closed.push(code));
    latestSocket().open();
    latestSocket().drop(1012);
    expect(closed).toEqual([1012]); // the provider stopped itself…
    expect(reconnect.scheduledDelayMs).toBe(20);
    vi.advanceTimersByTime(19);
    expect(FakeSocket.instances.length).toBe(1);
    vi.advanceTimersByTime(1);
    expect(FakeSocket.instances.length).toBe(2); // …and the schedule reconnected it
    latestSocket().drop(1006); // the server is not back yet
    expect(reconnect.scheduledDelayMs).toBe(40);
    vi.advanceTimersByTime(39);
    expect(FakeSocket.instances.length).toBe(2);
    vi.advanceTimersByTime(1);
    expect(FakeSocket.instances.length).toBe(3);
    latestSocket().open();
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, MessageType.sync);
    syncProtocol.writeSyncStep2(encoder, new Y.Doc()); // the server's document: this syncs
    latestSocket().receive(encoding.toUint8Array(encoder));
    expect(provider.synced).toBe(true);
    expect(reconnect.attempt).toBe(0); // a synced connection restarts the count
    latestSocket().drop(4403);
    expect(reconnect.scheduledDelayMs).toBeNull();
    expect(delays).toEqual([1, 2]);
    vi.advanceTimersByTime(60_000); // far past any schedule, and the provider's own checks
    expect(FakeSocket.instances.length).toBe(3);
  });
});
