import * as Y from 'yjs';
import { encodeLoadProgress, encodeSyncStep2, encodeSyncUpdate } from '../../shared/codec.js';
import type { SegmentedSnapshot } from '../bigdocs/segmentedSnapshot.js';
import type { Peer } from './roomContracts.js';
import { isEmptyUpdate } from './roomDoc.js';

/**
 * Segments one client may have sent but not yet written to its socket. Two keep a link busy while
 * the next is framed, and bound what a slow client costs the server to two segments (the segments
 * themselves are the room's one copy, shared by every client joining).
 */
const IN_FLIGHT = 2;

/** What serving one segmented join needs from its room. */
export interface SegmentedJoinParts {
  peer: Peer;
  snapshot: SegmentedSnapshot;
  /** The client's state vector from its step1, or null when it is empty (a new client). */
  clientVector: Uint8Array | null;
  /** Calls back once the room has nothing uncommitted (what the final step 2 shows must be stored). */
  whenSettled(callback: () => void): void;
  /** The final step 2's content: what a client holding the snapshot and `clientVector` still lacks. */
  finish(snapshot: SegmentedSnapshot, clientVector: Uint8Array): Uint8Array;
  /** False once the room is gone or the peer left it: the join stops. */
  serving(): boolean;
}

/**
 * Answers a client's sync step 1 on a document whose snapshot is stored in segments: a load
 * progress message (to clients that take our own messages), then each segment as a sync update
 * (for a client that already holds part of the document, only what it lacks of each), paced by
 * the socket, then a sync step 2 with whatever came after the snapshot. Stock clients apply the
 * updates as they come and count as synced at the step 2, as after a one-frame answer; no frame is
 * larger than a segment, so the socket never goes quiet for long (y-websocket's 30 s timeout).
 * Relays of newer updates may reach the client between segments; Yjs holds one until what it
 * builds on has arrived.
 */
export function serveSegmented(parts: SegmentedJoinParts): void {
  const { peer, snapshot, clientVector } = parts;
  const segments = snapshot.segments;
  if (peer.ownMessages) {
    // Frame headers are at most 6 bytes per segment (sync type, update type, length).
    peer.send(encodeLoadProgress(snapshot.bytes + 6 * segments.length));
  }
  let next = 0;
  let inFlight = 0;
  let finished = false;
  const pump = (): void => {
    if (!parts.serving() || peer.isClosed) return;
    while (inFlight < IN_FLIGHT && next < segments.length) {
      const segment = segments[next++]!;
      const payload = clientVector ? Y.diffUpdate(segment, clientVector) : segment;
      if (isEmptyUpdate(payload)) continue;
      inFlight++;
      peer.sendThen(encodeSyncUpdate(payload), (error) => {
        inFlight--;
        if (!error) pump();
      });
    }
    if (next === segments.length && inFlight === 0 && !finished) {
      finished = true;
      parts.whenSettled(() => {
        if (!parts.serving() || peer.isClosed) return;
        peer.send(encodeSyncStep2(parts.finish(snapshot, clientVector ?? new Uint8Array([0]))));
      });
    }
  };
  pump();
}
