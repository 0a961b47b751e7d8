import type { FastifyBaseLogger } from 'fastify';
import * as decoding from 'lib0/decoding';
import * as Y from 'yjs';
import { MessageType } from '../../shared/protocol.js';
import type { Peer } from '../../server/collab/roomContracts.js';
import type { PresenceUser } from '../../server/collab/roomPresence.js';
import type { SharedBatch } from '../../server/collab/sharedFrame.js';
import { createMetrics, type Metrics } from '../../server/metrics.js';
import type { DocStore } from '../../server/store/docStore.js';
import { openMemoryStore } from '../../server/store/memoryStore.js';

// Small fakes for unit tests of the collab parts: no server, no sockets, no disk.

export interface LogLine {
  level: string;
  msg: string;
  obj: unknown;
}

/** A logger that keeps its lines (child loggers share them). */
export function fakeLog(): FastifyBaseLogger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at = (level: string) => (obj: unknown, msg?: string) => {
    lines.push({ level, obj, msg: msg ?? (typeof obj === 'string' ? obj : '') });
  };
  const log = {
    lines,
    level: 'debug',
    fatal: at('fatal'),
    error: at('error'),
    warn: at('warn'),
    info: at('info'),
    debug: at('debug'),
    trace: at('trace'),
    silent: () => {},
    child: () => log,
  };
  return log as unknown as FastifyBaseLogger & { lines: LogLine[] };
}

export function fakeMetrics(): Metrics {
  return createMetrics(() => null);
}

/** What a decoded frame a peer received says. */
export type Seen =
  | { kind: 'step1' | 'step2' | 'update'; payload: Uint8Array }
  | { kind: 'awareness'; payload: Uint8Array }
  | { kind: 'denied' }
  | { kind: 'saved'; count: number }
  | { kind: 'storage'; failing: boolean }
  | { kind: 'other'; type: number };

export function decodeFrame(frame: Uint8Array): Seen {
  const decoder = decoding.createDecoder(frame);
  const type = decoding.readVarUint(decoder);
  switch (type) {
    case MessageType.sync: {
      const step = decoding.readVarUint(decoder);
      return { kind: (['step1', 'step2', 'update'] as const)[step]!, payload: decoding.readVarUint8Array(decoder) };
    }
    case MessageType.awareness:
      return { kind: 'awareness', payload: decoding.readVarUint8Array(decoder) };
    case MessageType.auth:
      return { kind: 'denied' };
    case MessageType.saved:
      return { kind: 'saved', count: decoding.readVarUint(decoder) };
    case MessageType.storageStatus:
      return { kind: 'storage', failing: decoding.readVarUint(decoder) === 1 };
    default:
      return { kind: 'other', type };
  }
}

/** A connection as a room sees it: keeps what it was sent and how it was closed. */
export class FakePeer implements Peer {
  readonly frames: Uint8Array[] = [];
  readonly awarenessIds = new Set<number>();
  closedWith: { code: number; reason: string } | null = null;
  failures: unknown[] = [];
  refused = 0;
  /** Called on close (a room's peer leaves it then, as a Connection does). */
  onClose: (() => void) | null = null;

  constructor(
    public mayEdit = true,
    readonly ownMessages = true,
    readonly presenceUser?: PresenceUser,
  ) {}

  send(frame: Uint8Array): void {
    if (!this.closedWith) this.frames.push(frame);
  }
  /** The frames of each sendShared call (one write to a real socket). */
  readonly sharedWrites: string[][] = [];
  sendShared({ frames }: SharedBatch): void {
    if (!this.closedWith) this.sharedWrites.push(frames.map((frame) => decodeFrame(frame.payload).kind));
    for (const frame of frames) this.send(frame.payload);
  }
  sendThen(frame: Uint8Array, done: (error?: Error) => void): void {
    if (this.closedWith) return done(new Error('closed'));
    this.send(frame);
    queueMicrotask(() => done());
  }
  get isClosed(): boolean {
    return this.closedWith !== null;
  }
  close(code: number, reason: string): void {
    if (this.closedWith) return;
    this.closedWith = { code, reason };
    this.onClose?.();
  }
  fail(error: unknown): void {
    this.failures.push(error);
    this.close((error as { code?: number }).code ?? 1011, String(error));
  }
  refuseEdit(): void {
    this.refused++;
  }

  /** Every frame received, decoded. */
  seen(): Seen[] {
    return this.frames.map(decodeFrame);
  }
  /** The saved-ack counts received, in order. */
  acks(): number[] {
    return this.seen().flatMap((seen) => (seen.kind === 'saved' ? [seen.count] : []));
  }
  /** Sync updates received (relays), as updates. */
  relays(): Uint8Array[] {
    return this.seen().flatMap((seen) => (seen.kind === 'update' ? [seen.payload] : []));
  }
  kinds(): string[] {
    return this.seen().map((seen) => seen.kind);
  }
}

/** A memory store whose appends fail while `failing` is set, and which counts loads. */
export function flakyStore(): DocStore & { failing: boolean; loads: number; appended: number } {
  const inner = openMemoryStore();
  const store = {
    ...inner,
    failing: false,
    loads: 0,
    appended: 0,
    async load(docId: string) {
      store.loads++;
      return inner.load(docId);
    },
    async appendBatch(entries: Parameters<DocStore['appendBatch']>[0]) {
      if (store.failing) throw new Error('disk unavailable');
      store.appended += entries.length;
      return inner.appendBatch(entries);
    },
  };
  return store;
}

/** A Y.Doc and every update it makes, for feeding rooms real client updates. */
export function clientDoc(clientID: number): { doc: Y.Doc; updates: Uint8Array[]; type(text: string): Uint8Array } {
  const doc = new Y.Doc();
  doc.clientID = clientID;
  const updates: Uint8Array[] = [];
  doc.on('update', (update: Uint8Array) => updates.push(update));
  return {
    doc,
    updates,
    type(text: string) {
      doc.getText('body').insert(doc.getText('body').length, text);
      return updates.at(-1)!;
    },
  };
}

/** Runs pending setImmediate callbacks and promise jobs a few times (a group commit takes one turn). */
export async function turns(count = 3): Promise<void> {
  for (let i = 0; i < count; i++) await new Promise((resolve) => setImmediate(resolve));
}
