import { EventEmitter } from 'node:events';
import type { FastifyBaseLogger } from 'fastify';
import type { AccountStore } from '../accounts/accountStore.js';

export interface OnlineEventMap {
  /** A person came online (their first connection opened) or went offline (their last one closed), at `at`. */
  changed: [userId: string, online: boolean, at: number];
}

/**
 * Who is online: a person is online while any of their connections (/collab or /live) is open. Going
 * online and offline are recorded as "last seen" in the store, so it is known after they leave (and
 * after a restart). In memory, per process.
 */
export class OnlineTracker extends EventEmitter<OnlineEventMap> {
  private readonly connections = new Map<string, { count: number; since: number }>();

  constructor(
    private readonly accounts: AccountStore,
    private readonly log: FastifyBaseLogger,
  ) {
    super();
  }

  connected(userId: string): void {
    const entry = this.connections.get(userId);
    if (entry) {
      entry.count += 1;
      return;
    }
    const at = Date.now();
    this.connections.set(userId, { count: 1, since: at });
    this.record(userId, at);
    this.emit('changed', userId, true, at);
  }

  disconnected(userId: string): void {
    const entry = this.connections.get(userId);
    if (!entry) return;
    entry.count -= 1;
    if (entry.count > 0) return;
    this.connections.delete(userId);
    const at = Date.now();
    this.record(userId, at);
    this.emit('changed', userId, false, at);
  }

  isOnline(userId: string): boolean {
    return this.connections.has(userId);
  }

  /** When the person came online, or null while offline. */
  onlineSince(userId: string): number | null {
    return this.connections.get(userId)?.since ?? null;
  }

  /** Open connections of the person (for tests and metrics). */
  connectionCount(userId: string): number {
    return this.connections.get(userId)?.count ?? 0;
  }

  private record(userId: string, at: number): void {
    this.accounts.setLastSeen(userId, at).catch((error: unknown) => this.log.warn({ err: error, userId }, 'could not record last seen'));
  }
}
