import { randomBytes } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import { Redis } from 'ioredis';
import { type ClusterMessage, decodeClusterMessage, encodeClusterMessage } from './clusterMessage.js';

/** Receives what other processes publish about one document. */
export type DocListener = (message: ClusterMessage) => void;

/** What the bus tells its subscribers (see `ClusterBus.on`). */
export interface ClusterBusEvents {
  /** Redis is (again) reachable and every subscription is in place: repair from the store. */
  ready: () => void;
  /** Another process stopped (said bye, or fell silent): forget its presence. */
  processGone: (processId: string) => void;
  /** Another process announced a people event (PeopleEvents JSON). */
  people: (processId: string, json: string) => void;
}

const PROCESS_CHANNEL = 'tandem:processes';
const docChannel = (docId: string) => `tandem:doc:${docId}`;

/**
 * Carries committed updates and presence between Tandem processes through Redis pub/sub. Pub/sub
 * may drop or delay messages, and Redis may be gone for a while: nothing relies on it for
 * durability. The store is the truth, and rooms repair from it on every `onReady` and on a timer;
 * the bus only makes cross-process delivery fast. Publishing never queues while Redis is away.
 */
export class ClusterBus {
  readonly processId = randomBytes(9).toString('base64url');
  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  private readonly listeners = new Map<string, DocListener>();
  private readonly lastSeen = new Map<string, number>();
  private readonly heartbeat: NodeJS.Timeout;
  private closed = false;
  private readonly subscribers: { [K in keyof ClusterBusEvents]: ClusterBusEvents[K][] } = { ready: [], processGone: [], people: [] };

  /**
   * Connects to Redis at once. Subscribers (`on`) may come later, while the app is being built:
   * until a document is open there is nothing to repair or forget, and people events are
   * subscribed before any request is served.
   */
  constructor(
    url: string,
    private readonly log: FastifyBaseLogger,
    private readonly heartbeatMs = 1000,
  ) {
    const options = {
      // Fail fast instead of queueing: the store and the repair timer cover what is not sent.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: (attempt: number) => Math.min(2000, 50 * attempt),
    };
    // Auto-pipelined: the publishes of one event-loop turn (a group commit's updates, over many
    // documents) leave in one write to Redis instead of one each.
    this.publisher = new Redis(url, { ...options, enableAutoPipelining: true });
    // The subscriber keeps its commands until Redis answers; on every (re)connection it subscribes
    // again to everything open, then the rooms repair from the store.
    this.subscriber = new Redis(url, { ...options, enableOfflineQueue: true, maxRetriesPerRequest: null });
    for (const [name, client] of [['publisher', this.publisher], ['subscriber', this.subscriber]] as const) {
      client.on('error', (error: Error) => this.log.warn({ err: error, client: name }, 'redis error'));
    }
    this.subscriber.on('ready', () => {
      const channels = [PROCESS_CHANNEL, ...[...this.listeners.keys()].map(docChannel)];
      this.subscriber
        .subscribe(...channels)
        .then(() => {
          this.log.info({ processId: this.processId, documents: this.listeners.size }, 'cluster bus ready');
          this.emit('ready');
        })
        .catch((error: unknown) => this.log.warn({ err: error }, 'could not subscribe after connecting'));
    });
    this.subscriber.on('messageBuffer', (channel: Buffer, payload: Buffer) => this.receive(channel.toString(), payload));
    this.heartbeat = setInterval(() => {
      this.publish(PROCESS_CHANNEL, { kind: 'alive', from: this.processId });
      const silentFor = 5 * this.heartbeatMs;
      for (const [processId, seen] of this.lastSeen) {
        if (Date.now() - seen > silentFor) this.forget(processId, 'silent');
      }
    }, heartbeatMs);
    this.heartbeat.unref();
  }

  /**
   * Starts receiving a document's messages. Resolves once subscribed — or at once while Redis is
   * away (the 'ready' handler subscribes everything when it returns, and rooms repair from the store
   * meanwhile), and after at most a second if Redis does not answer: a document never waits on Redis.
   */
  async subscribe(docId: string, listener: DocListener): Promise<void> {
    this.listeners.set(docId, listener);
    if (this.subscriber.status !== 'ready') return;
    const subscribed = this.subscriber.subscribe(docChannel(docId)).catch((error: unknown) => {
      this.log.warn({ err: error, docId }, 'could not subscribe; relying on store repair until redis returns');
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, 1000);
    });
    await Promise.race([subscribed, timeout]);
    clearTimeout(timer);
  }

  /** Stops receiving a document's messages. */
  unsubscribe(docId: string): void {
    this.listeners.delete(docId);
    this.subscriber.unsubscribe(docChannel(docId)).catch(() => {});
  }

  /** Tells the other processes about a committed update of `docId` (stored as `seq`). */
  publishUpdate(docId: string, seq: number, update: Uint8Array): void {
    this.publish(docChannel(docId), { kind: 'update', from: this.processId, seq, update });
  }

  /** Tells the other processes about presence on `docId`. */
  publishAwareness(docId: string, update: Uint8Array): void {
    this.publish(docChannel(docId), { kind: 'awareness', from: this.processId, update });
  }

  /** Says goodbye (the others drop this process's presence at once) and closes both connections. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    if (this.publisher.status === 'ready') {
      await this.publisher
        .publish(PROCESS_CHANNEL, Buffer.from(encodeClusterMessage({ kind: 'bye', from: this.processId })))
        .catch(() => {});
    }
    this.publisher.disconnect();
    this.subscriber.disconnect();
  }

  /** Tells every other process about a people event (access changes, sessions, chat, presence). */
  publishPeople(json: string): void {
    this.publish(PROCESS_CHANNEL, { kind: 'people', from: this.processId, json });
  }

  private publish(channel: string, message: ClusterMessage): void {
    if (this.closed || this.publisher.status !== 'ready') return;
    this.publisher.publish(channel, Buffer.from(encodeClusterMessage(message))).catch((error: unknown) => {
      this.log.debug({ err: error, channel }, 'publish failed; the store repair covers it');
    });
  }

  private receive(channel: string, payload: Buffer): void {
    let message: ClusterMessage;
    try {
      message = decodeClusterMessage(new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength));
    } catch (error) {
      this.log.warn({ err: error, channel }, 'ignored a malformed cluster message');
      return;
    }
    if (message.from === this.processId) return;
    if (channel === PROCESS_CHANNEL) {
      if (message.kind === 'bye') return this.forget(message.from, 'bye');
      this.lastSeen.set(message.from, Date.now());
      if (message.kind === 'people') {
        this.emit('people', message.from, message.json);
      }
      return;
    }
    this.lastSeen.set(message.from, Date.now());
    const docId = channel.slice('tandem:doc:'.length);
    const listener = this.listeners.get(docId);
    if (!listener) return;
    try {
      listener(message);
    } catch (error) {
      this.log.error({ err: error, docId }, 'cluster message handler threw');
    }
  }

  private forget(processId: string, why: string): void {
    if (!this.lastSeen.delete(processId)) return;
    this.log.info({ processId, why }, 'a cluster process went away; removing its presence');
    this.emit('processGone', processId);
  }

  /** Adds a subscriber to one of the bus's events (kept until the bus closes). */
  on<K extends keyof ClusterBusEvents>(name: K, subscriber: ClusterBusEvents[K]): void {
    this.subscribers[name].push(subscriber);
  }

  /** Calls every subscriber of `name`; one that throws is logged and does not stop the others. */
  private emit<K extends keyof ClusterBusEvents>(name: K, ...args: Parameters<ClusterBusEvents[K]>): void {
    for (const subscriber of this.subscribers[name]) {
      try {
        (subscriber as (...a: Parameters<ClusterBusEvents[K]>) => void)(...args);
      } catch (error) {
        this.log.error({ err: error, event: name }, 'cluster bus subscriber threw');
      }
    }
  }
}
