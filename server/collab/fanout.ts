import type { Metrics } from '../metrics.js';
import type { Peer } from './roomContracts.js';
import { SharedBatch, SharedFrame } from './sharedFrame.js';

/**
 * How a room's frames reach its peers. Every frame is framed for the WebSocket once and the same
 * bytes written to each socket. Frames are queued and sent together: committed updates per group
 * commit (`queueRelay`, sent by `sendRelays`), presence and updates stored elsewhere (`broadcast`)
 * at the end of the event-loop turn, or with the turn's relays if a commit comes first. Each peer
 * gets everything queued but what it is skipped for (its own updates), in queue order, in one write:
 * a keystroke and the cursor move that follows it reach every peer in one write instead of two.
 */
export class Fanout {
  private queued: Array<{ frame: SharedFrame; skip: Peer | null }> = [];
  private flushScheduled = false;

  constructor(
    private readonly peers: ReadonlySet<Peer>,
    private readonly metrics: Metrics,
  ) {}

  /** Queues a committed update's frame for `sendRelays`; `from` (its sender, or null) does not get it. */
  queueRelay(frame: Uint8Array, from: Peer | null): void {
    this.queued.push({ frame: new SharedFrame(frame), skip: from });
  }

  /** Sends what is queued (the batch's relays, and any broadcast still waiting). */
  sendRelays(): void {
    const queued = this.queued;
    if (queued.length === 0) return;
    this.queued = [];
    // Framed and joined once for every peer skipped for none (most of them), once for each other.
    const all = new SharedBatch(queued.map((entry) => entry.frame));
    let sent = 0;
    for (const peer of this.peers) {
      // Most batches skip no one or one peer: filter only for a peer that is skipped for some.
      const batch = queued.some((entry) => entry.skip === peer) ? new SharedBatch(queued.filter((entry) => entry.skip !== peer).map((entry) => entry.frame)) : all;
      if (batch.frames.length === 0) continue;
      peer.sendShared(batch);
      sent += batch.frames.length;
    }
    this.metrics.framesRelayed.inc(sent);
  }

  /** Sends one frame to every peer but `except` (null: to all) at the end of this turn of the event loop. */
  broadcast(frame: Uint8Array, except: Peer | null): void {
    this.queued.push({ frame: new SharedFrame(frame), skip: except });
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.sendRelays();
    });
  }
}
