import * as Y from 'yjs';

/** What applying one client update did to a document. */
export interface Applied {
  /**
   * Exactly what entered the doc, as one update (null if nothing did). In the common case — the
   * update applied whole and Yjs ran nothing after it — this is the update itself (`whole`).
   */
  effective: Uint8Array | null;
  /** `effective` is the client's update, byte for byte (its frame may be relayed as it came). */
  whole: boolean;
  /** The error Yjs threw (a malformed update), or null. Whatever entered before it is in `effective`. */
  failure: unknown;
  /** Whether part of the update waits for changes the doc does not have. That part was dropped. */
  pending: boolean;
}

/** Whether a transaction added structs or deleted anything (the test Yjs uses before emitting 'update'). */
function changed(transaction: Y.Transaction): boolean {
  if (transaction.deleteSet.clients.size > 0) return true;
  for (const [client, clock] of transaction.afterState) {
    if (transaction.beforeState.get(client) !== clock) return true;
  }
  return false;
}

/**
 * Applies client updates to a Y.Doc and reports what entered it. Yjs parks the parts of an update
 * whose dependencies are missing as "pending" and would serve them to every later client; the
 * applier drops them instead (the caller decides whether the update may be retried).
 *
 * Re-encoding what entered costs as much as applying it, so it is done only when the client's
 * update is not that: when part of it is pending, or Yjs runs a formatting clean-up transaction
 * after it (a remote change to formatted text). Both are known when the client's transaction ends,
 * which is when the applier starts listening to the doc's 'update' events.
 */
export class UpdateApplier {
  private origin: unknown = undefined;
  private first: Y.Transaction | null = null;
  private captured: Uint8Array[] | null = null;
  private readonly capture = (update: Uint8Array): void => {
    this.captured?.push(update);
  };

  constructor(private readonly doc: Y.Doc) {
    doc.on('afterTransaction', (transaction: Y.Transaction) => {
      if (this.origin === undefined || this.first !== null || transaction.origin !== this.origin) return;
      this.first = transaction;
      const store = doc.store;
      if (transaction._needFormattingCleanup || store.pendingStructs !== null || store.pendingDs !== null) {
        // Yjs emits this transaction's 'update' (and the clean-up's) after 'afterTransaction'.
        this.captured = [];
        doc.on('update', this.capture);
      }
    });
  }

  apply(update: Uint8Array, origin: unknown): Applied {
    this.origin = origin;
    this.first = null;
    this.captured = null;
    let failure: unknown = null;
    try {
      Y.applyUpdate(this.doc, update, origin);
    } catch (error) {
      failure = error;
    } finally {
      this.origin = undefined;
      if (this.captured !== null) this.doc.off('update', this.capture);
    }
    // Set by the afterTransaction listener while Yjs applied the update (TypeScript cannot see that).
    const first = this.first as Y.Transaction | null;
    const captured = this.captured as Uint8Array[] | null;
    this.first = null;
    this.captured = null;
    const store = this.doc.store;
    const pending = store.pendingStructs !== null || store.pendingDs !== null;
    if (pending) {
      store.pendingStructs = null;
      store.pendingDs = null;
    }
    if (failure !== null) {
      // Rare (hostile input): what entered before the throw, with the doc's whole delete set.
      const entered = first !== null && changed(first);
      const effective = entered ? Y.encodeStateAsUpdate(this.doc, Y.encodeStateVector(first.beforeState)) : null;
      return { effective, whole: false, failure, pending };
    }
    if (captured !== null) {
      const effective = captured.length <= 1 ? (captured[0] ?? null) : Y.mergeUpdates(captured);
      return { effective, whole: false, failure, pending };
    }
    const whole = first !== null && changed(first);
    return { effective: whole ? update : null, whole, failure, pending };
  }
}
