import * as Y from 'yjs';

/** y-protocols' sync message types. */
const SYNC_STEP_2 = 1;
const SYNC_UPDATE = 2;

/**
 * A big document's segments, applied together at the end of the load.
 *
 * The server sends a big document as segments (`[103, bytes]`, then one sync update per segment,
 * then a sync step 2; server/collab/segmentedJoin.ts), each a valid update that integrates at once.
 * But Yjs, after every remote transaction that touched formatted text, "cleans up" formatting marks
 * that look redundant in the document as it then stands — and it deletes them as a local change,
 * which the page then sends to everyone. Between two segments a bold run's opening mark can stand
 * with the text it applies to (or the mark that closes the run before it) still to come: the cleanup
 * deleted it, and the bold was gone for everyone (`tests/unit/segmentState.test.ts` found it: 5 of
 * 3,000 random documents cut into small segments). Applied in one transaction, the cleanup sees the
 * whole document, as when it arrives in one frame. So while a segmented load is under way, this page
 * holds its sync updates (segments, and relays that arrive between them, in order) and applies them
 * in one transaction when the step 2 that ends the load arrives, then the step 2. The progress bar still counts each frame as it
 * arrives. Stock clients (y-websocket without Tandem's messages) get no announcement and apply
 * segments one by one: see the README.
 */
export class HeldSegments {
  private held: Array<() => void> | null = null;

  /** The server announced a segmented load: hold sync updates until the step 2 that ends it. */
  begin(): void {
    this.held ??= [];
  }

  /** The connection closed: what is held is dropped (the next connection's load sends it again). */
  drop(): void {
    this.held = null;
  }

  /** Whether a segmented load is being held. */
  get holding(): boolean {
    return this.held !== null;
  }

  /**
   * Handles one sync frame of type `syncType`: `apply` (which reads and applies it) runs now, or is
   * held, or — for the step 2 ending a held load — runs right after everything held has been
   * applied in one transaction of `origin` (the provider: the page does not send it back).
   */
  handle(doc: Y.Doc, origin: unknown, syncType: number, apply: () => void): void {
    const held = this.held;
    if (held === null) return apply();
    if (syncType === SYNC_UPDATE) {
      held.push(apply);
      return;
    }
    if (syncType === SYNC_STEP_2) {
      this.held = null;
      // The segments (a whole stored state) in one transaction; then the step 2 as ever (the
      // provider marks the page synced while reading it, with the document already whole).
      Y.transact(
        doc,
        () => {
          for (const run of held) run();
        },
        origin,
      );
      apply();
      return;
    }
    // A sync step 1 (the server asking what it lacks) is answered at once.
    apply();
  }
}
