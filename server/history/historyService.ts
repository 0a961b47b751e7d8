import type { FastifyBaseLogger } from 'fastify';
import type { AccountStore } from '../accounts/accountStore.js';
import { ApiHttpError } from '../api/apiError.js';
import { InFlightLimit } from '../api/inFlightLimit.js';
import type { RoomRegistry } from '../collab/roomRegistry.js';
import type { HistoryConfig } from '../config.js';
import type { DocStore } from '../store/docStore.js';
import type { HistoryRow, VersionRecord } from '../store/historyStore.js';
import { colorFor } from '../../shared/colours.js';
import type { Version, VersionAuthor, VersionChanges, VersionFormat } from '../../shared/history.js';
import { authorUserId } from './historyAuthors.js';
import type { LiveHub } from '../live/liveHub.js';
import type { HistoryThread } from './historyThread.js';
import { versionsToDrop } from './retention.js';
import { VersionKeeper } from './versionKeeper.js';

/** How long a request waits for an open room's queued updates to be committed before answering 503. */
const SETTLE_TIMEOUT_MS = 5_000;

export interface HistoryServiceParts {
  store: DocStore;
  registry: RoomRegistry;
  accounts: AccountStore;
  thread: HistoryThread;
  config: HistoryConfig;
  log: FastifyBaseLogger;
  /** Where the document's members are told that its version list changed. */
  live: LiveHub;
}

/**
 * A document's history, on the stored log: versions listed with their authors, a version's content
 * and its changes, names, restore, automatic versions and their thinning. Replaying and diffing
 * run on the history thread; this side only reads rows and writes the results.
 */
export class HistoryService {
  private readonly keeper: VersionKeeper;
  /** The thinning pass running (or last run) per document. */
  private readonly thinning = new Map<string, Promise<void>>();
  /** Set at shutdown: checkpoints not yet made are left to the document's next thinning pass. */
  private closing = false;
  /**
   * Requests' reads of a log (content, changes, restore), each held in memory until the history
   * thread, one task at a time, is done with it: past `historyReadsInFlight`, 503 `busy`, so that
   * many opens of a big document wait in the clients' retries, not in this process's memory.
   */
  private readonly reads: InFlightLimit;

  constructor(private readonly parts: HistoryServiceParts) {
    this.reads = new InFlightLimit(parts.config.historyReadsInFlight, 'Version history');
    this.keeper = new VersionKeeper(parts.config, (docId, endedAt) => this.makeAutomatic(docId, endedAt));
  }

  /** This process committed updates of `docId` (RoomRegistry.onStored). */
  stored(docId: string): void {
    this.keeper.stored(docId);
  }

  /** Whether this process still has an automatic version to make (a burst not yet ended). */
  get versionsPending(): boolean {
    return this.keeper.pending;
  }

  /**
   * Makes the automatic versions still due (at shutdown, before the store closes), waits for the
   * thinning passes under way (their checkpoints stop at the one being made), then ends the thread.
   */
  async close(): Promise<void> {
    this.closing = true;
    await this.keeper.flush();
    await Promise.all(this.thinning.values());
    await this.parts.thread.close();
  }

  async list(docId: string): Promise<Version[]> {
    const versions = await this.parts.store.history.listVersions(docId);
    const names = new AuthorNames(this.parts.accounts);
    return Promise.all(versions.map(async (version) => this.toVersion(version, names)));
  }

  /** A version of the current state (named, or just before a restore). */
  async create(docId: string, kind: 'named' | 'restore', name: string | null, by: string): Promise<Version> {
    await this.settle(docId);
    const made = await this.parts.store.history.createVersion(docId, { kind, name, createdBy: by });
    if (!made) throw new ApiHttpError(404, 'not_found', 'the document has no content to keep a version of yet');
    if (kind === 'named') {
      await this.announce(docId, by);
      // A version kept for ever: its checkpoint, if due, made now (not awaited: the answer does not wait for it).
      this.thin(docId).catch((error: unknown) => this.parts.log.error({ err: error, docId }, 'could not thin the history or make checkpoints'));
    }
    return this.toVersion(made, new AuthorNames(this.parts.accounts));
  }

  async rename(docId: string, id: number, name: string | null, by: string): Promise<Version> {
    const renamed = await this.parts.store.history.renameVersion(docId, id, name);
    if (!renamed) throw new ApiHttpError(404, 'not_found', `no version ${id} of this document`);
    await this.announce(docId, by);
    return this.toVersion(renamed, new AuthorNames(this.parts.accounts));
  }

  /** The content of version `id` in `format`. */
  async content(docId: string, id: number, format: VersionFormat): Promise<{ title: string; body: unknown }> {
    return this.reads.run(this.parts.log, { docId }, async () => {
      const version = await this.version(docId, id);
      return this.parts.thread.run({ kind: 'content', updates: await this.stateAt(docId, version.seq), format });
    });
  }

  /** The updates that make the state at `seq`: the nearest checkpoint at or before it, then the rows after it. */
  private async stateAt(docId: string, seq: number): Promise<Uint8Array[]> {
    const { checkpoint, rows } = await this.parts.store.history.readCheckpointed(docId, seq);
    return [...(checkpoint ? [checkpoint.data] : []), ...rows.map((row) => row.data)];
  }

  /**
   * What changed up to version `id` ('current': up to now) since version `since` (undefined: the
   * version before `id`; for 'current', the newest version). The older side must come first.
   */
  async changes(docId: string, id: number | 'current', since: number | undefined): Promise<VersionChanges> {
    return this.reads.run(this.parts.log, { docId }, () => this.computeChanges(docId, id, since));
  }

  private async computeChanges(docId: string, id: number | 'current', since: number | undefined): Promise<VersionChanges> {
    const versions = await this.parts.store.history.listVersions(docId);
    let toSeq: number | null = null;
    if (id !== 'current') {
      const version = versions.find((v) => v.id === id);
      if (!version) throw new ApiHttpError(404, 'not_found', `no version ${id} of this document`);
      toSeq = version.seq;
    } else await this.settle(docId);
    let base: VersionRecord | null;
    if (since !== undefined) {
      base = versions.find((v) => v.id === since) ?? null;
      if (!base) throw new ApiHttpError(404, 'not_found', `no version ${since} of this document`);
      if (toSeq !== null && base.seq > toSeq) throw new ApiHttpError(400, 'invalid_query', 'since must name an older version');
    } else {
      // versions are newest first: the first one older than the target.
      base = versions.find((v) => (toSeq === null ? true : v.seq < toSeq)) ?? null;
    }
    const baseSeq = base?.seq ?? 0;
    // The base from its nearest checkpoint; what changed since, with who did it, from the rows after
    // it (every change shown was made in them: attribution needs no older row).
    const older = baseSeq === 0 ? [] : await this.stateAt(docId, baseSeq);
    const { rows: newer } = await this.parts.store.history.readLog(docId, toSeq, baseSeq);
    const computed = await this.parts.thread.run({
      kind: 'changes',
      base: older,
      newer: newer.map((row) => row.data),
      rows: attributable(newer),
    });
    const names = new AuthorNames(this.parts.accounts);
    const authors = await Promise.all(computed.authors.map((author) => names.author(author ?? 'server')));
    return { since: base?.id ?? null, to: id, authors, changes: computed.changes, doc: computed.doc };
  }

  /**
   * Makes the document's content that of version `id`, as one new change attributed to `by`, after a
   * version of the state before it. Resolves once the change is committed (every open window receives
   * it as it would anyone's change).
   */
  async restore(docId: string, id: number, by: string): Promise<Version> {
    return this.reads.run(this.parts.log, { docId }, () => this.restoreNow(docId, id, by));
  }

  private async restoreNow(docId: string, id: number, by: string): Promise<Version> {
    const version = await this.version(docId, id);
    const before = await this.create(docId, 'restore', null, by);
    const state = await this.stateAt(docId, version.seq);
    const { rows: later } = await this.parts.store.history.readLog(docId, null, version.seq);
    const update = await this.parts.thread.run({ kind: 'restore', version: state, later: later.map((row) => row.data) });
    if (update !== null) {
      const room = await this.parts.registry.acquire(docId);
      await room.writeOnBehalf(update, by);
    }
    this.parts.log.info({ docId, version: id, before: before.id, by, bytes: update?.length ?? 0 }, 'restored a version');
    await this.announce(docId, by);
    return before;
  }

  /**
   * Tells the document's members (and `by`, who may be in by the link alone) on /live, in every
   * process, that its version list changed. A failure is logged: the change itself is made.
   */
  private async announce(docId: string, by: string): Promise<void> {
    try {
      const members = await this.parts.accounts.listMembers(docId);
      const actor = authorUserId(by);
      this.parts.live.push([...members.map((m) => m.userId), ...(actor === null ? [] : [actor])], { type: 'versions', docId });
    } catch (error) {
      this.parts.log.error({ err: error, docId }, 'could not announce a change of the version list');
    }
  }

  private async version(docId: string, id: number): Promise<VersionRecord> {
    const version = await this.parts.store.history.getVersion(docId, id);
    if (!version) throw new ApiHttpError(404, 'not_found', `no version ${id} of this document`);
    return version;
  }

  /** Waits until the open room (if any) has committed what it applied: the store then holds the current state. */
  private async settle(docId: string): Promise<void> {
    const room = this.parts.registry.peek(docId);
    if (!room) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), SETTLE_TIMEOUT_MS);
    });
    try {
      if (!(await Promise.race([room.settled().then(() => true), timeout]))) {
        throw new ApiHttpError(503, 'busy', 'the document is busy; try again');
      }
    } finally {
      clearTimeout(timer);
    }
  }

  private async toVersion(version: VersionRecord, names: AuthorNames): Promise<Version> {
    return {
      id: version.id,
      createdAt: version.createdAt,
      name: version.name,
      kind: version.kind,
      authors: await Promise.all(version.authors.map((author) => names.author(author))),
    };
  }

  /**
   * An automatic version, if anything changed since the newest (and, when the burst ended here at
   * `endedAt`, unless another process stored later: its burst end makes it), then thinning.
   */
  private async makeAutomatic(docId: string, endedAt: number | undefined): Promise<void> {
    try {
      const made = await this.parts.store.history.createVersion(docId, { kind: 'auto', name: null, createdBy: null }, true, endedAt);
      if (made) await this.thin(docId);
    } catch (error) {
      this.parts.log.error({ err: error, docId }, 'could not make an automatic version');
    }
  }

  /**
   * Retention: drops the automatic versions versionsToDrop names, and merges the history rows of
   * each interval between the versions kept into one row (its attribution kept). An interval still
   * holding rows compaction has not moved yet is left for a later pass. Then the checkpoints due
   * among the versions kept are made (checkpointNow).
   */
  thin(docId: string): Promise<void> {
    // One pass per document at a time: passes that overlap would each find the rows changed by the other.
    const previous = this.thinning.get(docId) ?? Promise.resolve();
    const pass = previous.then(async () => {
      await this.thinNow(docId);
      await this.checkpointNow(docId);
    });
    const settled = pass.catch(() => undefined);
    this.thinning.set(docId, settled);
    void settled.then(() => {
      if (this.thinning.get(docId) === settled) this.thinning.delete(docId);
    });
    return pass;
  }

  private async thinNow(docId: string): Promise<void> {
    const { store, thread, config } = this.parts;
    const versions = await store.history.listVersions(docId);
    const drop = new Set(versionsToDrop(versions, Date.now(), { keepAllMs: config.versionKeepAllMs, keepHourlyMs: config.versionKeepHourlyMs }));
    const kept = [...new Set(versions.filter((v) => !drop.has(v.id)).map((v) => v.seq))].sort((a, b) => a - b);
    if (kept.length === 0) return;
    let after = 0;
    for (const boundary of kept) {
      // Read one interval at a time (a merged one is one row). Only rows compaction has moved into the
      // history merge; live ones (and versions among them) wait.
      const { rows } = await store.history.readLog(docId, boundary, after);
      const inRange = rows.filter((row) => row.live !== true);
      const through = inRange.at(-1)?.seq ?? after;
      const dropVersionIds = versions.filter((v) => drop.has(v.id) && v.seq > after && v.seq <= through).map((v) => v.id);
      if (inRange.length > 1 || (inRange.length === 1 && dropVersionIds.length > 0)) {
        const { data, attribution } = await thread.run({ kind: 'merge', rows: attributable(inRange) });
        const merged: HistoryRow = { seq: through, data, author: null, at: null, attribution };
        await store.history.mergeHistory(docId, { afterSeq: after, throughSeq: through, expectRows: inRange.length, merged, dropVersionIds, survivorSeq: boundary });
      }
      after = boundary;
    }
  }

  /**
   * Makes the checkpoints due, oldest first, each on the history thread from the one before it: a
   * version gets one when the rows since the nearest earlier checkpoint pass both
   * versionCheckpointBytes and that checkpoint's size. So replaying a version costs at most about
   * twice reading one state, and checkpoints take at most about as many bytes as the rows they spare.
   * A checkpoint goes with the last version at its position (mergeHistory).
   */
  private async checkpointNow(docId: string): Promise<void> {
    const { store, thread, config, log } = this.parts;
    const seqs = [...new Set((await store.history.listVersions(docId)).map((v) => v.seq))].sort((a, b) => a - b);
    const sizes = await store.history.logSizes(docId);
    const held = new Map(sizes.checkpoints.map((c) => [c.seq, c.bytes]));
    let previousBytes = 0;
    let since = 0;
    let row = 0;
    for (const seq of seqs) {
      if (this.closing) return;
      for (; row < sizes.rows.length && sizes.rows[row]!.seq <= seq; row++) since += sizes.rows[row]!.bytes;
      const bytes = held.get(seq);
      if (bytes === undefined && since > Math.max(config.versionCheckpointBytes, previousBytes)) {
        const data = await thread.run({ kind: 'checkpoint', updates: await this.stateAt(docId, seq) });
        const kept = await store.history.putCheckpoint(docId, seq, data);
        log.debug({ docId, seq, bytes: data.length, replayed: since, kept }, 'made a version checkpoint');
        if (!kept) continue;
        previousBytes = data.length;
        since = 0;
      } else if (bytes !== undefined) {
        previousBytes = bytes;
        since = 0;
      }
    }
  }
}

/** Rows as the history thread takes them (plain fields: they are copied to it). */
function attributable(rows: readonly HistoryRow[]) {
  return rows.map(({ data, author, at, attribution }) => ({ data, author, at, attribution }));
}

/** Author ids as people: account names looked up once per request; guests as guests. */
class AuthorNames {
  private readonly users = new Map<string, Promise<string>>();
  constructor(private readonly accounts: AccountStore) {}

  async author(author: string): Promise<VersionAuthor> {
    const userId = authorUserId(author);
    if (userId === null) {
      const guest = author.startsWith('g:');
      return { userId: null, name: guest ? 'Guest' : 'Tandem', colour: guest ? colorFor(author) : '#6b7280', guest };
    }
    let name = this.users.get(userId);
    if (!name) this.users.set(userId, (name = this.accounts.getUser(userId).then((user) => user?.name ?? 'Unknown account')));
    return { userId, name: await name, colour: colorFor(userId), guest: false };
  }
}
