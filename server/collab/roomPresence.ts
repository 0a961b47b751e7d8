import * as encoding from 'lib0/encoding';
import * as awarenessProtocol from 'y-protocols/awareness';
import type * as Y from 'yjs';
import { CloseCode } from '../../shared/closeCodes.js';
import { ProtocolError } from '../protocolError.js';
import { type AwarenessEntry, parseAwarenessUpdate } from './awarenessUpdate.js';
import { encodeAwarenessFrame } from '../../shared/codec.js';

/** What presence needs to know of a connection: the awareness ids it speaks for. */
export interface PresenceOwner {
  readonly awarenessIds: Set<number>;
  /** True for another server process (its connections' presence arrives through the cluster bus). */
  readonly remote?: boolean;
  /**
   * Who the server knows the connection to be, written into its presence (`user.userId` and
   * `user.name` for a signed-in person, `user.guest` for a visitor) so no one can show up under
   * someone else's name. Absent: the state is relayed as sent (another process already stamped it).
   */
  readonly presenceUser?: PresenceUser;
}

export type PresenceUser = { userId: string; name: string } | { guest: true };

/**
 * A room's presence (y-protocols awareness), with every awareness client id bound to the connection
 * that first set it, so no connection can change or remove someone else's cursor or name.
 */
export class RoomPresence {
  readonly awareness: awarenessProtocol.Awareness;
  private readonly owners = new Map<number, PresenceOwner>();
  /** One owner per other server process, for the presence of its connections. */
  private readonly processes = new Map<string, PresenceOwner>();

  constructor(doc: Y.Doc) {
    this.awareness = new awarenessProtocol.Awareness(doc);
    // The server has no presence of its own.
    this.awareness.setLocalState(null);
  }

  /**
   * Validates and applies an awareness update from `owner`, stamped with the owner's presenceUser.
   * Returns the update as applied (to relay: `update` itself unless it was stamped), or null, applying nothing, when it
   * names an id another process speaks for (or a remote update names a local connection's id): after
   * a process dies its clients reconnect elsewhere with the same ids, and their presence is taken
   * once the dead process is forgotten. Throws ProtocolError: badMessage for a malformed update,
   * forbidden for one that would change another local connection's presence.
   *
   * y-websocket clients echo every awareness change they receive, so an update routinely names
   * other connections' ids with clocks the server already has; those entries change nothing and pass.
   */
  receive(owner: PresenceOwner, update: Uint8Array): Uint8Array | null {
    const changes = parseAwarenessUpdate(update).filter((entry) => this.wouldChange(entry));
    for (const { clientId } of changes) {
      const current = this.owners.get(clientId);
      if (current === undefined || current === owner) continue;
      if (current.remote || owner.remote) return null;
      throw new ProtocolError(CloseCode.forbidden, `awareness client ${clientId} belongs to another connection`);
    }
    let applied = changes;
    if (owner.presenceUser && changes.some((entry) => entry.state !== null && !carriesUser(entry.state, owner.presenceUser!))) {
      // Rare (our web app sends the right user): only the entries that change anything, stamped.
      const user = owner.presenceUser;
      applied = changes.map((entry) => (entry.state === null ? entry : { ...entry, state: withUser(entry.state, user) }));
      update = encodeAwarenessEntries(applied);
    }
    for (const { clientId, state } of changes) {
      if (state === null) {
        // Removed: the id is free again (a client reconnecting here or elsewhere may take it).
        if (this.owners.get(clientId) === owner) this.owners.delete(clientId);
        owner.awarenessIds.delete(clientId);
        continue;
      }
      this.owners.set(clientId, owner);
      owner.awarenessIds.add(clientId);
    }
    this.apply(applied);
    return update;
  }

  /**
   * Applies entries already decoded and found to change something (`wouldChange`), as y-protocols'
   * applyAwarenessUpdate does with bytes, without decoding and parsing the JSON a second time. Its
   * events are not emitted: this awareness is the room's own and nothing subscribes to it (presence is
   * relayed by the room, and read through getStates and meta).
   */
  private apply(entries: readonly AwarenessEntry[]): void {
    const now = Date.now();
    for (const { clientId, clock, state } of entries) {
      if (state === null) this.awareness.states.delete(clientId);
      else this.awareness.states.set(clientId, state as Record<string, unknown>);
      this.awareness.meta.set(clientId, { clock, lastUpdated: now });
    }
  }

  /**
   * Removes everything `owner` spoke for. Returns the awareness update announcing the removal (wrap
   * it with encodeAwarenessFrame for clients), or null when there was nothing to remove.
   */
  release(owner: PresenceOwner): Uint8Array | null {
    const owned = [...owner.awarenessIds].filter((id) => this.owners.get(id) === owner);
    for (const id of owned) this.owners.delete(id);
    // Only ids the awareness knows (an update it ignored as outdated left no entry to remove).
    const known = owned.filter((id) => this.awareness.meta.has(id));
    if (known.length === 0) return null;
    awarenessProtocol.removeAwarenessStates(this.awareness, known, owner);
    return awarenessProtocol.encodeAwarenessUpdate(this.awareness, known);
  }

  /**
   * Applies presence another process relayed for its connections. Returns false (applying nothing)
   * for an update that is malformed or names an id a connection of this process holds.
   */
  receiveRemote(processId: string, update: Uint8Array): boolean {
    let owner = this.processes.get(processId);
    if (!owner) {
      owner = { awarenessIds: new Set(), remote: true };
      this.processes.set(processId, owner);
    }
    try {
      return this.receive(owner, update) !== null;
    } catch {
      return false;
    }
  }

  /** Another process is gone: removes its connections' presence. Returns the removal update, or null. */
  forgetProcess(processId: string): Uint8Array | null {
    const owner = this.processes.get(processId);
    if (!owner) return null;
    this.processes.delete(processId);
    return this.release(owner);
  }

  /** A frame with every current state, for a newcomer or a query; null when nobody is present. */
  everyone(): Uint8Array | null {
    const ids = [...this.awareness.getStates().keys()];
    return ids.length > 0 ? this.frame(ids) : null;
  }

  /** Stops the awareness timer. Safe to call twice. */
  destroy(): void {
    this.awareness.destroy();
  }

  /** Whether y-protocols would apply this entry (its rule: a newer clock, or a removal at the same clock). */
  private wouldChange({ clientId, clock, state }: AwarenessEntry): boolean {
    const known = this.awareness.meta.get(clientId)?.clock ?? 0;
    return known < clock || (known === clock && state === null && this.awareness.states.has(clientId));
  }

  private frame(ids: number[]): Uint8Array {
    return encodeAwarenessFrame(awarenessProtocol.encodeAwarenessUpdate(this.awareness, ids));
  }
}

/** Whether an awareness state's `user` already says exactly who the server knows the owner to be. */
function carriesUser(state: unknown, who: PresenceUser): boolean {
  const user = (state as { user?: unknown } | null)?.user;
  if (typeof user !== 'object' || user === null) return false;
  const { userId, name, guest } = user as Record<string, unknown>;
  return 'guest' in who ? guest === true && userId === undefined : guest === undefined && userId === who.userId && name === who.name;
}

/** The state with its `user` made to say who the server knows the owner to be (colour and the rest kept). */
function withUser(state: unknown, who: PresenceUser): Record<string, unknown> {
  const base = typeof state === 'object' && state !== null && !Array.isArray(state) ? (state as Record<string, unknown>) : {};
  const sent = typeof base.user === 'object' && base.user !== null && !Array.isArray(base.user) ? (base.user as Record<string, unknown>) : {};
  const { userId: _id, guest: _guest, ...rest } = sent;
  const user = 'guest' in who ? { ...rest, name: typeof rest.name === 'string' && rest.name !== '' ? rest.name : 'Guest', guest: true } : { ...rest, name: who.name, userId: who.userId };
  return { ...base, user };
}

/** Encodes awareness entries as y-protocols does (count, then clientID, clock, JSON state each). */
function encodeAwarenessEntries(entries: readonly AwarenessEntry[]): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, entries.length);
  for (const { clientId, clock, state } of entries) {
    encoding.writeVarUint(encoder, clientId);
    encoding.writeVarUint(encoder, clock);
    encoding.writeVarString(encoder, JSON.stringify(state));
  }
  return encoding.toUint8Array(encoder);
}
