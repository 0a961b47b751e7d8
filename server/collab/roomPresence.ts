import * as awarenessProtocol from 'y-protocols/awareness';
import type * as Y from 'yjs';
import { CloseCode } from '../../shared/closeCodes.js';
import { ProtocolError } from '../protocolError.js';
import { type AwarenessEntry, parseAwarenessUpdate } from './awarenessUpdate.js';
import { encodeAwarenessFrame } from './frames.js';

/** What presence needs to know of a connection: the awareness ids it speaks for. */
export interface PresenceOwner {
  readonly awarenessIds: Set<number>;
  /** True for another server process (its connections' presence arrives through the cluster bus). */
  readonly remote?: boolean;
}

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
   * Validates and applies an awareness update from `owner`. Returns false, applying nothing, when it
   * names an id another process speaks for (or a remote update names a local connection's id): after
   * a process dies its clients reconnect elsewhere with the same ids, and their presence is taken
   * once the dead process is forgotten. Throws ProtocolError: badMessage for a malformed update,
   * forbidden for one that would change another local connection's presence.
   *
   * y-websocket clients echo every awareness change they receive, so an update routinely names
   * other connections' ids with clocks the server already has; those entries change nothing and pass.
   */
  receive(owner: PresenceOwner, update: Uint8Array): boolean {
    const changes = parseAwarenessUpdate(update).filter((entry) => this.wouldChange(entry));
    for (const { clientId } of changes) {
      const current = this.owners.get(clientId);
      if (current === undefined || current === owner) continue;
      if (current.remote || owner.remote) return false;
      throw new ProtocolError(CloseCode.forbidden, `awareness client ${clientId} belongs to another connection`);
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
    awarenessProtocol.applyAwarenessUpdate(this.awareness, update, owner);
    return true;
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
      return this.receive(owner, update);
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
