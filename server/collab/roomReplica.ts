import type { FastifyBaseLogger } from 'fastify';
import type { ClusterMessage } from '../cluster/clusterMessage.js';
import type { DocStore } from '../store/docStore.js';
import type { RoomCluster } from './roomContracts.js';
import type { StoredLog } from './storedLog.js';

/** What a replica needs of its room. */
export interface ReplicaHost {
  readonly docId: string;
  readonly isDestroyed: boolean;
  /** Applies an update some process committed and relays what was new; false when it did not apply whole. */
  applyStored(update: Uint8Array): boolean;
  /** Applies presence another process relayed for its connections, and relays it to this process's peers. */
  applyRemotePresence(processId: string, update: Uint8Array): void;
}

/**
 * The cluster side of a room (REDIS_URL), both ways. Out: what this process committed, and its
 * connections' presence, published for the other processes (after the commit: the store is the
 * truth, the bus only the fast path). In: what other processes publish, and what they stored — read
 * on a timer, on demand, and whenever a published update does not apply — so the replica converges
 * whatever Redis delivered, delayed or dropped. A room alone (no REDIS_URL) has no replica.
 */
export class RoomReplica {
  private repairing: Promise<void> | null = null;
  /** Rows this process committed that the last read did not cover yet. */
  private ownSeqs: number[] = [];
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly host: ReplicaHost,
    private readonly storedLog: StoredLog,
    private readonly store: DocStore,
    private readonly log: FastifyBaseLogger,
    private readonly cluster: RoomCluster,
  ) {
    this.timer = setInterval(() => {
      this.repair().catch((error: unknown) => log.warn({ err: error, docId: host.docId }, 'repair from storage failed'));
    }, cluster.repairIntervalMs);
    this.timer.unref();
  }

  /**
   * This process committed `update` as row `seq`: the others apply it. Rows committed here do not
   * advance the log's `confirmedSeq` in a cluster (rows before them may be on their way); reading
   * the store does.
   */
  publishUpdate(seq: number, update: Uint8Array): void {
    this.ownSeqs.push(seq);
    this.cluster.publishUpdate(this.host.docId, seq, update);
  }

  /** This process's connections' presence changed (an applied update, or a removal). */
  publishAwareness(update: Uint8Array): void {
    this.cluster.publishAwareness(this.host.docId, update);
  }

  /** Takes what another process published about this document (through the cluster bus). */
  receive(message: ClusterMessage): void {
    if (this.host.isDestroyed) return;
    if (message.kind === 'update') {
      // Out of order or after a gap: the store has what is missing, in order.
      if (!this.host.applyStored(message.update)) void this.repair().catch(() => {});
    } else if (message.kind === 'awareness') {
      this.host.applyRemotePresence(message.from, message.update);
    }
  }

  /**
   * Reads what the store has beyond the log's `confirmedSeq` (other processes' commits) into the doc.
   * Concurrent calls share one read.
   */
  repair(): Promise<void> {
    this.repairing ??= (async () => {
      // This process's own commits are in the doc already: the read leaves them out (they were most
      // of what each read carried: every row a process committed came back to it a second later),
      // and once it is done the doc holds every row up to the newest of them too — a document's rows
      // commit in sequence order (DocStore.loadSince), so every older row was there to be read.
      const confirmed = this.storedLog.confirmedSeq;
      const own = this.ownSeqs.filter((seq) => seq > confirmed);
      this.ownSeqs = [];
      try {
        const since = await this.store.loadSince(this.host.docId, confirmed, own);
        if (this.host.isDestroyed) return;
        for (const update of since.updates) {
          if (!this.host.applyStored(update)) this.log.error({ docId: this.host.docId }, 'a stored update does not apply in order');
        }
        this.storedLog.readThrough(own.reduce((newest, seq) => Math.max(newest, seq), since.lastSeq));
      } catch (error) {
        this.ownSeqs = own.concat(this.ownSeqs);
        throw error;
      }
    })().finally(() => {
      this.repairing = null;
    });
    return this.repairing;
  }

  /** Stops the timer. Safe to call twice. */
  stop(): void {
    clearInterval(this.timer);
  }
}
