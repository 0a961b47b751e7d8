import { encodeSavedAck } from '../../shared/codec.js';
import type { Peer } from './roomContracts.js';

/**
 * One peer's saved acknowledgement ([100, N]: "your first N update-bearing frames on this connection
 * are committed"), owned by its room from join to leave.
 *
 * The room numbers each update-bearing frame (sync step 2 or update) when it takes it in — a frame
 * held while the doc settles is numbered when it is applied, after the frames before it, so the
 * numbers follow arrival order. Frames may finish out of order (an update held for its dependencies
 * commits after later ones; a viewer's frame counts as done at once), so N is the longest run
 * 1..N of finished frames. `flush` sends N when it moved, to a peer that asked for our messages.
 */
export class AckLedger {
  /** Update-bearing frames numbered so far. */
  private numbered = 0;
  /** Frames 1..finishedThrough are all finished. */
  private finishedThrough = 0;
  /** Finished frames above finishedThrough (an earlier one still waits); made only when needed. */
  private ahead: Set<number> | null = null;
  /** The N last sent. */
  private acked = 0;

  constructor(private readonly peer: Peer) {}

  /** Numbers the peer's next update-bearing frame (1, 2, 3… per connection). */
  next(): number {
    return ++this.numbered;
  }

  /** Frame `frameNo` is committed, or needed no commit (a viewer's, or one that changed nothing). */
  finished(frameNo: number): void {
    // Frames nearly always finish in order: a Set only for those that overtake an earlier one.
    if (frameNo === this.finishedThrough + 1 && !this.ahead?.size) {
      this.finishedThrough = frameNo;
      return;
    }
    const ahead = (this.ahead ??= new Set());
    ahead.add(frameNo);
    while (ahead.delete(this.finishedThrough + 1)) this.finishedThrough++;
  }

  /** The count a saved ack would carry now. */
  get savedThrough(): number {
    return this.finishedThrough;
  }

  /**
   * If the count moved since the last flush: sends the saved ack to a peer that asked for our
   * messages, and tells the peer (committedThrough) either way.
   */
  flush(): void {
    if (this.finishedThrough === this.acked) return;
    this.acked = this.finishedThrough;
    if (this.peer.ownMessages) this.peer.send(encodeSavedAck(this.finishedThrough));
    this.peer.committedThrough?.(this.finishedThrough);
  }
}
