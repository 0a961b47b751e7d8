import { EventEmitter } from 'node:events';
import type { FastifyBaseLogger } from 'fastify';
import type { AccountStore } from '../accounts/accountStore.js';
import type { PeopleEvents } from './peopleEvents.js';

export interface OnlineEventMap {
  /** A person came online (their first connection anywhere opened) or went offline (their last one closed), at `at`. */
  changed: [userId: string, online: boolean, at: number];
}

/** In cluster mode, each process re-announces who is online through it this often (newcomers learn it so). */
const SNAPSHOT_INTERVAL_MS = 5_000;

/**
 * Who is online: a person is online while any of their connections (/collab or /live) is open, in
 * this process or, in cluster mode, in any other (each process announces the people it holds on
 * PeopleEvents as `processPresence`; a process that goes away takes its people with it). Going
 * online and offline here is recorded as "last seen" in the store, so it is known after they leave
 * and after a restart.
 */
export class OnlineTracker extends EventEmitter<OnlineEventMap> {
  private readonly local = new Map<string, number>();
  private readonly remote = new Map<string, Set<string>>();
  private readonly since = new Map<string, number>();
  private readonly snapshots: NodeJS.Timeout | null;

  constructor(
    private readonly accounts: AccountStore,
    private readonly log: FastifyBaseLogger,
    private readonly events: PeopleEvents,
    /** This process's id in the cluster, or null when it runs alone. */
    private readonly processId: string | null = null,
  ) {
    super();
    if (processId === null) {
      this.snapshots = null;
      return;
    }
    events.on('processPresence', (from, userIds) => {
      if (from !== processId) this.replaceRemote(from, new Set(userIds));
    });
    this.snapshots = setInterval(() => this.announce(), SNAPSHOT_INTERVAL_MS);
    this.snapshots.unref();
  }

  connected(userId: string): void {
    const count = this.local.get(userId) ?? 0;
    this.local.set(userId, count + 1);
    if (count > 0) return;
    const at = Date.now();
    this.record(userId, at);
    this.announce();
    this.settle(userId, false, at);
  }

  disconnected(userId: string): void {
    const count = this.local.get(userId);
    if (count === undefined) return;
    if (count > 1) {
      this.local.set(userId, count - 1);
      return;
    }
    this.local.delete(userId);
    const at = Date.now();
    this.record(userId, at);
    this.announce();
    this.settle(userId, true, at);
  }

  /** Another process is gone: the people only it held go offline. */
  forgetProcess(processId: string): void {
    this.replaceRemote(processId, new Set());
    this.remote.delete(processId);
  }

  isOnline(userId: string): boolean {
    if (this.local.has(userId)) return true;
    for (const users of this.remote.values()) if (users.has(userId)) return true;
    return false;
  }

  /** How many people are online. */
  get onlineCount(): number {
    return this.since.size;
  }

  /** When the person came online (as far as this process knows), or null while offline. */
  onlineSince(userId: string): number | null {
    return this.since.get(userId) ?? null;
  }

  /** Open connections of the person in this process (for tests and metrics). */
  connectionCount(userId: string): number {
    return this.local.get(userId) ?? 0;
  }

  stop(): void {
    if (this.snapshots) clearInterval(this.snapshots);
  }

  private replaceRemote(processId: string, userIds: Set<string>): void {
    const before = this.remote.get(processId) ?? new Set<string>();
    const changed = [...before].filter((id) => !userIds.has(id)).concat([...userIds].filter((id) => !before.has(id)));
    const wasOnline = new Map(changed.map((id) => [id, this.isOnline(id)]));
    this.remote.set(processId, userIds);
    const at = Date.now();
    for (const id of changed) this.settle(id, wasOnline.get(id)!, at);
  }

  /** Emits `changed` if the person's overall state differs from `wasOnline`. */
  private settle(userId: string, wasOnline: boolean, at: number): void {
    const online = this.isOnline(userId);
    if (online === wasOnline) return;
    if (online) this.since.set(userId, at);
    else this.since.delete(userId);
    this.emit('changed', userId, online, at);
  }

  private announce(): void {
    if (this.processId !== null) this.events.announce('processPresence', this.processId, [...this.local.keys()]);
  }

  private record(userId: string, at: number): void {
    this.accounts.setLastSeen(userId, at).catch((error: unknown) => this.log.warn({ err: error, userId }, 'could not record last seen'));
  }
}
