import * as awarenessProtocol from 'y-protocols/awareness';
import type * as Y from 'yjs';
import { CloseCode } from '../../shared/closeCodes.js';
import { ProtocolError } from '../protocolError.js';
import { type AwarenessEntry, parseAwarenessUpdate } from './awarenessUpdate.js';
import { encodeAwarenessFrame } from './frames.js';

/** What presence needs to know of a connection: the awareness ids it speaks for. */
export interface PresenceOwner {
  readonly awarenessIds: Set<number>;
}

/**
 * A room's presence (y-protocols awareness), with every awareness client id bound to the connection
 * that first set it, so no connection can change or remove someone else's cursor or name.
 */
export class RoomPresence {
  readonly awareness: awarenessProtocol.Awareness;
  private readonly owners = new Map<number, PresenceOwner>();

  constructor(doc: Y.Doc) {
    this.awareness = new awarenessProtocol.Awareness(doc);
    // The server has no presence of its own.
    this.awareness.setLocalState(null);
  }

  /**
   * Validates and applies an awareness update from `owner`. Throws ProtocolError: badMessage for a
   * malformed update, forbidden for one that would change another connection's presence.
   *
   * y-websocket clients echo every awareness change they receive, so an update routinely names
   * other connections' ids with clocks the server already has; those entries change nothing and pass.
   */
  receive(owner: PresenceOwner, update: Uint8Array): void {
    const changes = parseAwarenessUpdate(update).filter((entry) => this.wouldChange(entry));
    for (const { clientId } of changes) {
      const current = this.owners.get(clientId);
      if (current !== undefined && current !== owner) {
        throw new ProtocolError(CloseCode.forbidden, `awareness client ${clientId} belongs to another connection`);
      }
    }
    for (const { clientId, state } of changes) {
      if (state === null) continue;
      this.owners.set(clientId, owner);
      owner.awarenessIds.add(clientId);
    }
    awarenessProtocol.applyAwarenessUpdate(this.awareness, update, owner);
  }

  /**
   * Removes everything `owner` spoke for. Returns the awareness frame announcing the removal to the
   * others, or null when there was nothing to remove.
   */
  release(owner: PresenceOwner): Uint8Array | null {
    const owned = [...owner.awarenessIds].filter((id) => this.owners.get(id) === owner);
    for (const id of owned) this.owners.delete(id);
    // Only ids the awareness knows (an update it ignored as outdated left no entry to remove).
    const known = owned.filter((id) => this.awareness.meta.has(id));
    if (known.length === 0) return null;
    awarenessProtocol.removeAwarenessStates(this.awareness, known, owner);
    return this.frame(known);
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
