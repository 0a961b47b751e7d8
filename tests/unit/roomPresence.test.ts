import { afterEach, describe, expect, it } from 'vitest';
import * as awarenessProtocol from 'y-protocols/awareness';
import * as Y from 'yjs';
import { CloseCode } from '../../shared/closeCodes.js';
import { RoomPresence, type PresenceOwner } from '../../server/collab/roomPresence.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function presence(): RoomPresence {
  const room = new RoomPresence(new Y.Doc());
  cleanups.push(() => room.destroy());
  return room;
}

/** A client's awareness update for its id, at its next clock. */
function client(clientID: number) {
  const doc = new Y.Doc();
  doc.clientID = clientID;
  const awareness = new awarenessProtocol.Awareness(doc);
  cleanups.push(() => awareness.destroy());
  return (state: Record<string, unknown> | null) => {
    awareness.setLocalState(state);
    return awarenessProtocol.encodeAwarenessUpdate(awareness, [clientID]);
  };
}

const owner = (presenceUser?: PresenceOwner['presenceUser']): PresenceOwner => ({ awarenessIds: new Set(), presenceUser });
const stateOf = (room: RoomPresence, id: number) => room.awareness.getStates().get(id) as { user?: Record<string, unknown> };

describe('RoomPresence', () => {
  it('binds an awareness id to the connection that set it first', () => {
    const room = presence();
    const a = owner();
    const b = owner();
    const ada = client(7);
    expect(room.receive(a, ada({ name: 'x' }))).not.toBeNull();
    expect(a.awarenessIds).toEqual(new Set([7]));
    expect(() => room.receive(b, ada({ name: 'y' }))).toThrow(expect.objectContaining({ code: CloseCode.forbidden }));
    expect(() => room.receive(a, new Uint8Array([1, 2]))).toThrow(expect.objectContaining({ code: CloseCode.badMessage }));
  });

  it("stamps who the server knows the sender to be, and relays a state that already says so as sent", () => {
    const room = presence();
    const ada = owner({ userId: 'u1', name: 'Ada' });
    const say = client(3);
    const forged = say({ user: { name: 'Mallory', userId: 'u2', color: 'red' } });
    const applied = room.receive(ada, forged);
    expect(applied).not.toBe(forged);
    expect(stateOf(room, 3).user).toEqual({ name: 'Ada', userId: 'u1', color: 'red' });
    const honest = say({ user: { name: 'Ada', userId: 'u1' } });
    expect(room.receive(ada, honest)).toBe(honest);
    const guest = owner({ guest: true });
    const visitor = client(4)({ user: { name: 'Ada', userId: 'u1' } });
    room.receive(guest, visitor);
    expect(stateOf(room, 4).user).toEqual({ name: 'Ada', guest: true });
  });

  it("releases what a leaving connection spoke for, as one removal", () => {
    const room = presence();
    const a = owner();
    room.receive(a, client(1)({ n: 1 }));
    room.receive(a, client(2)({ n: 2 }));
    expect(room.everyone()).not.toBeNull();
    expect(room.release(a)).not.toBeNull();
    expect(room.awareness.getStates().size).toBe(0);
    expect(room.everyone()).toBeNull();
    expect(room.release(a)).toBeNull();
  });

  it("keeps another process's ids from local connections until that process is forgotten", () => {
    const room = presence();
    const say = client(9);
    expect(room.receiveRemote('p2', say({ there: true }))).toBe(true);
    const local = owner();
    // The client reconnected here while the other process still speaks for it: dropped, not refused.
    expect(room.receive(local, say({ here: true }))).toBeNull();
    expect(room.receiveRemote('p2', new Uint8Array([1]))).toBe(false);
    expect(room.forgetProcess('p2')).not.toBeNull();
    expect(room.forgetProcess('p2')).toBeNull();
    expect(room.receive(local, say({ here: true }))).not.toBeNull();
  });
});
