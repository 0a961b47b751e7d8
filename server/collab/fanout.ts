import type { Metrics } from '../metrics.js';
import type { Peer } from './roomContracts.js';
import { SharedFrame } from './sharedFrame.js';

/**
 * How a room's frames reach its peers. Every frame is framed for the WebSocket once and the same
 * bytes written to each socket. Committed updates are collected per group commit (`queueRelay`) and
 * sent together (`sendRelays`): each peer gets every one but its own, in one write, in commit order.
 */
export class Fanout {
  private relays: Array<{ frame: SharedFrame; from: Peer | null }> = [];

  constructor(
    private readonly peers: ReadonlySet<Peer>,
    private readonly metrics: Metrics,
  ) {}

  /** Queues a committed update's frame for `sendRelays`; `from` (its sender, or null) does not get it. */
  queueRelay(frame: Uint8Array, from: Peer | null): void {
    this.relays.push({ frame: new SharedFrame(frame), from });
  }

  /** Sends the queued relays: each peer gets every one but its own, in one write. */
  sendRelays(): void {
    const relays = this.relays;
    if (relays.length === 0) return;
    this.relays = [];
    const all = relays.map((relay) => relay.frame);
    let sent = 0;
    for (const peer of this.peers) {
      // Most batches hold one relay, from one peer: filter only for a peer that sent some.
      const frames = relays.some((relay) => relay.from === peer) ? relays.filter((relay) => relay.from !== peer).map((relay) => relay.frame) : all;
      if (frames.length === 0) continue;
      peer.sendShared(frames);
      sent += frames.length;
    }
    this.metrics.framesRelayed.inc(sent);
  }

  /** Sends one frame to every peer but `except` (null: to all) now. */
  broadcast(frame: Uint8Array, except: Peer | null): void {
    const shared = [new SharedFrame(frame)];
    let sent = 0;
    for (const peer of this.peers) {
      if (peer === except) continue;
      peer.sendShared(shared);
      sent++;
    }
    this.metrics.framesRelayed.inc(sent);
  }
}
