import * as Y from 'yjs';

/** What applying one client update did to a document. */
export interface Applied {
  /**
   * Exactly what entered the doc, as one update (null if nothing did): the client's transaction plus
   * any Yjs ran after it (formatting clean-up after a remote change to formatted text).
   */
  effective: Uint8Array | null;
  /** The error Yjs threw (a malformed update), or null. Whatever entered before it is in `effective`. */
  failure: unknown;
  /** Whether part of the update waits for changes the doc does not have. That part was dropped. */
  pending: boolean;
}

/**
 * Applies client updates to a Y.Doc and reports what entered it. Yjs parks the parts of an update
 * whose dependencies are missing as "pending" and would serve them to every later client; the
 * applier drops them instead (the caller decides whether the update may be retried).
 */
export class UpdateApplier {
  private collecting: Uint8Array[] | null = null;

  constructor(private readonly doc: Y.Doc) {
    doc.on('update', (update: Uint8Array) => {
      this.collecting?.push(update);
    });
  }

  apply(update: Uint8Array, origin: unknown): Applied {
    const collected: Uint8Array[] = [];
    this.collecting = collected;
    let failure: unknown = null;
    try {
      Y.applyUpdate(this.doc, update, origin);
    } catch (error) {
      failure = error;
    } finally {
      this.collecting = null;
    }
    const store = this.doc.store;
    const pending = store.pendingStructs !== null || store.pendingDs !== null;
    if (pending) {
      store.pendingStructs = null;
      store.pendingDs = null;
    }
    const effective = collected.length <= 1 ? (collected[0] ?? null) : Y.mergeUpdates(collected);
    return { effective, failure, pending };
  }
}
