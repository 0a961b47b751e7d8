import type { FastifyBaseLogger } from 'fastify';
import { CloseCode } from '../../shared/closeCodes.js';
import type { ClusterBus } from '../cluster/clusterBus.js';
import type { ClusterMessage } from '../cluster/clusterMessage.js';
import type { Metrics } from '../metrics.js';
import type { DocStore } from '../store/docStore.js';
import { CommitQueue } from './commitQueue.js';
import type { Connection } from './connection.js';
import { Room } from './room.js';
import type { RoomLimits, RoomWorkers } from './roomContracts.js';

export interface RoomRegistryOptions extends RoomLimits, RoomWorkers {
  /** The cluster bus (REDIS_URL), or null when this process is alone. */
  bus: ClusterBus | null;
  /** In a cluster: how often each open room reads what the other processes stored. */
  repairIntervalMs: number;
  store: DocStore;
  log: FastifyBaseLogger;
  metrics: Metrics;
  unloadGraceMs: number;
}

/** The work running for `key` in `running`, or new work from `start`, forgotten once it settles. */
function shared<T>(running: Map<string, Promise<T>>, key: string, start: () => Promise<T>): Promise<T> {
  let work = running.get(key);
  if (!work) {
    work = start().finally(() => running.delete(key));
    running.set(key, work);
  }
  return work;
}

/** Thrown by RoomRegistry.open when shutdown began while it waited: the connection gets 1012. */
class ShuttingDown extends Error {
  constructor() {
    super('the server is shutting down');
  }
}

/**
 * Owns the open rooms, keyed by document id. Concurrent first connections to a document share one
 * load; a room whose last connection left is compacted and dropped after a grace period; a failed
 * load closes the waiting connections with `loadFailed` and caches nothing, so the next connection
 * tries again.
 */
export class RoomRegistry {
  readonly queue: CommitQueue;
  private readonly rooms = new Map<string, Room>();
  private readonly loading = new Map<string, Promise<Room>>();
  private readonly unloading = new Map<string, Promise<void>>();
  private readonly removing = new Map<string, Promise<void>>();
  private readonly unloadTimers = new Map<Room, NodeJS.Timeout>();
  private closing = false;

  constructor(private readonly options: RoomRegistryOptions) {
    this.queue = new CommitQueue(options.store, options.log, options.metrics);
  }

  /** Stored sizes (bytes) of the open documents. */
  storedSizes(): number[] {
    return [...this.rooms.values()].map((room) => room.storedBytes);
  }

  /** Number of documents in memory. */
  get roomCount(): number {
    return this.rooms.size;
  }

  /** Updates applied in rooms but not yet committed. */
  get pendingWrites(): number {
    let count = 0;
    for (const room of this.rooms.values()) count += room.uncommittedCount;
    return count;
  }

  /** Whether shutdown has begun (new connections are closed with 1012 from then on). */
  get isShuttingDown(): boolean {
    return this.closing;
  }

  /** Number of unload timers running (a leak shows here). */
  get unloadTimerCount(): number {
    return this.unloadTimers.size;
  }

  /** Number of connections across all rooms. */
  get connectionCount(): number {
    let count = 0;
    for (const room of this.rooms.values()) count += room.peers.size;
    return count;
  }

  /** The room of a document if it is in memory, else undefined. */
  peek(docId: string): Room | undefined {
    return this.rooms.get(docId);
  }

  /** Told each time this process committed updates of a document (history's automatic versions). */
  onStored: ((docId: string) => void) | null = null;

  /**
   * The document's room, loaded if it is not in memory; one nobody joins unloads after the grace
   * period as usual. Use it at once (before awaiting anything else). Rejects when the document cannot
   * be loaded or shutdown has begun.
   */
  async acquire(docId: string): Promise<Room> {
    if (this.closing) throw new ShuttingDown();
    const room = await this.open(docId);
    if (room.isDestroyed) throw new Error(`the document ${docId} could not be loaded`);
    if (room.peers.size === 0) this.scheduleUnload(room);
    return room;
  }

  /** Loads (or finds) the connection's room and joins it. Never rejects. */
  async connect(connection: Connection): Promise<void> {
    if (this.closing) {
      connection.close(CloseCode.restarting, 'the server is shutting down');
      return;
    }
    let room: Room;
    try {
      room = await this.open(connection.docId);
    } catch (error) {
      if (error instanceof ShuttingDown) {
        connection.close(CloseCode.restarting, 'the server is shutting down');
        return;
      }
      this.options.log.error({ err: error, docId: connection.docId }, 'document could not be loaded');
      connection.close(CloseCode.loadFailed, 'the document could not be loaded');
      return;
    }
    if (this.closing) {
      connection.close(CloseCode.restarting, 'the server is shutting down');
      return;
    }
    // Another connection sharing the load made the room build its stored row, which failed: the
    // room is gone, and this connection is refused as every other one of that load was.
    if (room.isDestroyed) {
      connection.close(CloseCode.loadFailed, 'the document could not be loaded');
      return;
    }
    this.cancelUnload(room);
    connection.attach(room);
    // The connection may have gone while the room loaded; an empty room must still unload.
    if (room.peers.size === 0) this.scheduleUnload(room);
  }

  private async open(docId: string): Promise<Room> {
    const pendingUnload = this.unloading.get(docId);
    if (pendingUnload) await pendingUnload;
    // Shutdown began while the room unloaded: it has released every room and will close the store.
    if (this.closing) throw new ShuttingDown();
    const existing = this.rooms.get(docId);
    if (existing && !existing.isDestroyed) return existing;
    // Destroyed while open (its stored row failed to build): forgotten, and loaded afresh.
    if (existing) this.drop(existing);
    return shared(this.loading, docId, () => this.load(docId));
  }

  private async load(docId: string): Promise<Room> {
    const { bus, repairIntervalMs } = this.options;
    // Subscribed before reading the store, so nothing committed elsewhere falls between the two;
    // what arrives while the document loads is applied right after.
    const early: ClusterMessage[] = [];
    if (bus) {
      await bus.subscribe(docId, (message) => {
        const room = this.rooms.get(docId);
        if (room) room.receiveRemote(message);
        else if (this.loading.has(docId)) early.push(message);
      });
    }
    let stored;
    try {
      stored = await this.options.store.load(docId);
    } catch (error) {
      bus?.unsubscribe(docId);
      throw error;
    }
    const { store, log, metrics, compactAfterUpdates, compactAfterBytes, maxDocBytes, maxUnsavedBytes, pendingUpdateTimeoutMs } =
      this.options;
    const cluster = bus
      ? {
          publishUpdate: (id: string, seq: number, update: Uint8Array) => bus.publishUpdate(id, seq, update),
          publishAwareness: (id: string, update: Uint8Array) => bus.publishAwareness(id, update),
          repairIntervalMs,
        }
      : undefined;
    let room: Room;
    try {
      room = new Room(docId, stored, {
        cluster,
        queue: this.queue,
        store,
        log,
        metrics,
        compactAfterUpdates,
        compactAfterBytes,
        maxDocBytes,
        maxUnsavedBytes,
        pendingUpdateTimeoutMs,
        workers: this.options.workers ?? null,
        workerAboveBytes: this.options.workerAboveBytes ?? 0,
        onEmpty: (r) => this.scheduleUnload(r),
        onStored: (id) => this.onStored?.(id),
      });
    } catch (error) {
      bus?.unsubscribe(docId);
      throw error;
    }
    this.rooms.set(docId, room);
    for (const message of early) room.receiveRemote(message);
    return room;
  }

  private scheduleUnload(room: Room): void {
    if (this.closing || this.unloadTimers.has(room) || this.rooms.get(room.docId) !== room) return;
    const timer = setTimeout(() => {
      this.unloadTimers.delete(room);
      void this.unload(room);
    }, this.options.unloadGraceMs);
    timer.unref();
    this.unloadTimers.set(room, timer);
  }

  private cancelUnload(room: Room): void {
    const timer = this.unloadTimers.get(room);
    if (timer) clearTimeout(timer);
    this.unloadTimers.delete(room);
  }

  /**
   * Compacts and drops an empty room; a connection arriving meanwhile waits and then reloads. A room
   * with uncommitted updates (storage failing) waits until they are committed: unsaved state is
   * never unloaded.
   */
  private async unload(room: Room): Promise<void> {
    if (room.peers.size > 0 || this.rooms.get(room.docId) !== room) return;
    const done = (async () => {
      try {
        await room.settled();
        if (room.needsCompaction) await room.compact();
      } catch (error) {
        this.options.log.error({ err: error, docId: room.docId }, 'compaction on unload failed; the update log is kept');
      }
      this.drop(room);
    })();
    this.unloading.set(room.docId, done);
    try {
      await done;
    } finally {
      this.unloading.delete(room.docId);
    }
  }

  /**
   * Deletes a document: closes its connections with 4410, lets what they sent commit, drops the room
   * and removes the document from the store. The caller has already made sure no new connection is
   * let in (the access record is a tombstone by now).
   */
  remove(docId: string): Promise<void> {
    // The route that deletes and the deletion event it announces both ask; one removal serves both.
    return shared(this.removing, docId, () => this.removeNow(docId));
  }

  private async removeNow(docId: string): Promise<void> {
    await this.loading.get(docId)?.catch(() => undefined);
    await this.unloading.get(docId);
    const room = this.rooms.get(docId);
    if (room) {
      room.closePeers(CloseCode.docDeleted, 'this document was deleted');
      try {
        await room.settled();
      } finally {
        this.drop(room);
      }
    }
    await this.options.store.delete(docId);
  }

  /** Cluster: Redis is (again) reachable; every open room reads what it may have missed. */
  repairAll(): void {
    for (const room of this.rooms.values()) {
      room.repair().catch((error: unknown) => this.options.log.warn({ err: error, docId: room.docId }, 'repair failed'));
    }
  }

  /** Cluster: another process is gone; its connections' presence goes from every room. */
  forgetProcess(processId: string): void {
    for (const room of this.rooms.values()) room.forgetProcess(processId);
  }

  /** Forgets a room and releases it. */
  private drop(room: Room): void {
    this.cancelUnload(room);
    if (this.rooms.get(room.docId) === room) {
      this.rooms.delete(room.docId);
      this.options.bus?.unsubscribe(room.docId);
    }
    room.destroy();
  }

  /**
   * Graceful shutdown: refuse new connections, commit what is queued, close every connection with
   * 1012 (clients reconnect), compact what changed, release every room.
   */
  async shutdown(): Promise<void> {
    this.closing = true;
    for (const timer of this.unloadTimers.values()) clearTimeout(timer);
    this.unloadTimers.clear();
    await Promise.allSettled([...this.loading.values()]);
    const committed = await this.queue.flush();
    this.queue.close();
    if (committed) {
      // Everything is committed, so unloads in flight can finish (their rooms are dropped, and
      // connections waiting for them are closed with 1012): no compaction runs twice or after the
      // store closes. With storage refusing writes, an unload waits for a commit that will not come
      // now: its room is released below like the others.
      await Promise.allSettled([...this.unloading.values()]);
    } else {
      this.options.log.error(
        { writes: this.queue.pendingCount },
        'shutting down with updates storage refused; their clients still hold them and resend on reconnect',
      );
    }
    for (const room of [...this.rooms.values()]) {
      room.closePeers(CloseCode.restarting, 'the server is restarting');
      try {
        if (committed && room.needsCompaction) await room.compact();
      } catch (error) {
        this.options.log.error({ err: error, docId: room.docId }, 'compaction at shutdown failed; the update log is kept');
      }
      room.destroy();
      this.rooms.delete(room.docId);
    }
    await this.options.bus?.close();
  }
}
