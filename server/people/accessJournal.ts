import type { PeopleEvents } from './peopleEvents.js';

/** How long changes are remembered: far longer than resolving a connection's access can take. */
const KEEP_MS = 10 * 60_000;

type Change =
  | { kind: 'session'; sessionHash: string }
  | { kind: 'member'; docId: string; userId: string }
  | { kind: 'link' | 'deleted'; docId: string };
type Entry = Change & { seq: number; at: number };

/** Who a connection being opened is. */
export interface Opening {
  docId: string | null;
  userId: string | null;
  sessionHash: string | null;
}

/**
 * A short memory of access changes, for the connections being opened while they happen. A
 * connection's session and access are resolved (awaited) before its socket joins the set that
 * PeopleEvents' listeners close or re-role; a change announced in between would miss it. So each
 * upgrade takes a `mark()` before anything is resolved, and `changedSince(mark, opening)` tells,
 * once the socket is ready, what changed for it meanwhile.
 */
export class AccessJournal {
  private entries: Entry[] = [];
  private seq = 0;

  constructor(events: PeopleEvents) {
    events.on('sessionEnded', (session) => this.push({ kind: 'session', sessionHash: session.tokenHash }));
    events.on('memberChanged', (docId, userId) => this.push({ kind: 'member', docId, userId }));
    events.on('linkAccessChanged', (docId) => this.push({ kind: 'link', docId }));
    events.on('docDeleted', (docId) => this.push({ kind: 'deleted', docId }));
  }

  /** The point after which changes count for a connection being opened now. */
  mark(): number {
    return this.seq;
  }

  /**
   * What changed for `opening` after `mark`: its session ended, its document was deleted, or its
   * access changed (then it must be resolved again); null when nothing did.
   */
  changedSince(mark: number, opening: Opening): 'sessionEnded' | 'deleted' | 'access' | null {
    let found: 'deleted' | 'access' | null = null;
    for (let i = this.entries.length - 1; i >= 0 && this.entries[i]!.seq > mark; i--) {
      const entry = this.entries[i]!;
      if (entry.kind === 'session') {
        if (entry.sessionHash === opening.sessionHash) return 'sessionEnded';
      } else if (entry.docId === opening.docId) {
        if (entry.kind === 'deleted') found = 'deleted';
        else if (found === null && (entry.kind === 'link' || (entry.kind === 'member' && entry.userId === opening.userId))) found = 'access';
      }
    }
    return found;
  }

  private push(change: Change): void {
    const at = Date.now();
    this.entries.push({ ...change, seq: ++this.seq, at });
    if (this.entries[0]!.at < at - KEEP_MS) this.entries = this.entries.filter((e) => e.at >= at - KEEP_MS);
  }
}
