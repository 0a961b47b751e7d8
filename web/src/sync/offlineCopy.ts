import { IndexeddbPersistence } from 'y-indexeddb';
import type * as Y from 'yjs';
import type { SavedTracker } from './savedTracker.js';
import type { OfflineRestore } from './savedWiring.js';

/**
 * Offline first: this browser keeps a copy of each open document in IndexedDB (y-indexeddb), so
 * the page shows it without the server and a tab closed or reloaded while offline loses nothing;
 * the copy's content syncs with the next connection's step2 like any unsynced edit.
 *
 * "Saved" stays truthful across reloads: the number of this browser's unsynced local changes of a
 * document is kept in localStorage (PENDING_KEY_PREFIX + docId), written whenever it changes, and
 * restored into the SavedTracker when the IndexedDB copy loads (see countLocalChanges). Loading the
 * copy is never counted as new changes. Tabs of one document in one browser share the key: the
 * last writer wins, which can only misstate the count, never lose content.
 */

/** localStorage key prefix of a document's unsynced change count. */
export const PENDING_KEY_PREFIX = 'tandem.unsynced.';
/** IndexedDB database name prefix of a document's offline copy. */
export const OFFLINE_DB_PREFIX = 'tandem.doc.';

/** The part of Web Storage used here (localStorage in the page, a fake in tests). */
export type CountStorage = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

/** The stored unsynced change count of `docId`: a whole number ≥ 0 (0 when absent, unreadable or invalid). */
export function readPendingCount(storage: CountStorage | null, docId: string): number {
  try {
    const raw = storage?.getItem(PENDING_KEY_PREFIX + docId) ?? null;
    const value = raw === null ? 0 : Number(raw);
    return Number.isSafeInteger(value) && value > 0 ? value : 0;
  } catch {
    return 0;
  }
}

/** Stores `count` for `docId`; 0 removes the key. A failing storage (private mode, full) is ignored. */
export function writePendingCount(storage: CountStorage | null, docId: string, count: number): void {
  try {
    if (count > 0) storage?.setItem(PENDING_KEY_PREFIX + docId, String(Math.floor(count)));
    else storage?.removeItem(PENDING_KEY_PREFIX + docId);
  } catch {
    // Only the count after a reload is lost; the content is in IndexedDB.
  }
}

/** A document's offline copy, as the page uses it. */
export interface OfflineCopy extends OfflineRestore {
  /** Whether the copy is usable: true until IndexedDB turns out to be missing or failing. */
  readonly available: boolean;
  /** Resolves true once the copy is loaded into the doc, false when there is none. */
  readonly loaded: Promise<boolean>;
  /** Keeps the stored count equal to `tracker`'s pending changes (plus any not yet restored). */
  track(tracker: SavedTracker): void;
}

/**
 * Opens the offline copy of `docId` into `doc` (create it before the provider connects). The
 * earlier visit's unsynced count is read at once and handed out by `takePending()` when the copy's
 * content arrives; if the copy loads without bringing anything new (the server already had it all)
 * or cannot be opened, that count is dropped: nothing of it waits any more, or nothing is here.
 */
export function openOfflineCopy(docId: string, doc: Y.Doc, storage: CountStorage | null = pageStorage()): OfflineCopy {
  let unrestored = readPendingCount(storage, docId);
  let tracked: SavedTracker | null = null;
  let available = typeof indexedDB !== 'undefined';
  let persistence: IndexeddbPersistence | null = null;
  if (available) {
    try {
      persistence = new IndexeddbPersistence(OFFLINE_DB_PREFIX + docId, doc);
    } catch (err) {
      console.warn('offline copy unavailable', err);
      available = false;
    }
  }
  const write = (): void => {
    if (tracked !== null) writePendingCount(storage, docId, tracked.pendingChanges + unrestored);
  };
  const loaded: Promise<boolean> =
    persistence === null
      ? Promise.resolve(false)
      : Promise.race([
          persistence.whenSynced.then(() => true),
          // y-indexeddb never settles whenSynced when the database cannot be opened.
          persistence._db.then(
            () => new Promise<boolean>(() => {}),
            (err: unknown) => {
              console.warn('offline copy unavailable', err);
              return false;
            },
          ),
        ]);
  void loaded.then((ok) => {
    available = ok;
    unrestored = 0;
    write();
  });
  return {
    origin: persistence ?? {},
    get available() {
      return available;
    },
    loaded,
    takePending() {
      const count = unrestored;
      unrestored = 0;
      return count;
    },
    track(tracker) {
      tracked = tracker;
      tracker.onChange(write);
      write();
    },
  };
}

function pageStorage(): CountStorage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}
