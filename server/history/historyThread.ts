import { Worker } from 'node:worker_threads';
import type { VersionFormat } from '../../shared/history.js';
import type { AttributableRow } from './attribution.js';
import type { ComputedChanges } from './historyCompute.js';
import { PacingClock } from './pacing.js';

/** The work the history thread does (historyCompute.ts), as messages. */
export type HistoryTask =
  | { kind: 'content'; updates: Uint8Array[]; format: VersionFormat }
  | { kind: 'changes'; base: Uint8Array[]; newer: Uint8Array[]; rows: AttributableRow[] }
  | { kind: 'restore'; version: Uint8Array[]; later: Uint8Array[] }
  | { kind: 'merge'; rows: AttributableRow[] }
  | { kind: 'checkpoint'; updates: Uint8Array[] };

interface Results {
  content: { title: string; body: unknown };
  changes: ComputedChanges;
  restore: Uint8Array | null;
  merge: { data: Uint8Array; attribution: Uint8Array };
  checkpoint: Uint8Array;
}

/**
 * One worker thread for history's heavy work — replaying a long log, diffing, merging, making checkpoints — so that it
 * never holds up the event loop that relays keystrokes. Tasks run one after another in the thread.
 * From source (tests, tsx) the thread loads the TypeScript through tsx; from dist/ the compiled file.
 */
export class HistoryThread {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  /** Stamped while tasks are in flight, so the thread can give way when the event loop is late. */
  private readonly clock = new PacingClock();

  /** How many times the thread has paused for a late event loop. */
  pauses(): number {
    return this.clock.pauses();
  }

  run<K extends HistoryTask['kind']>(task: Extract<HistoryTask, { kind: K }>): Promise<Results[K]> {
    const worker = this.start();
    const id = this.nextId++;
    return new Promise<Results[K]>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (value: unknown) => void, reject });
      worker.ref();
      this.clock.start();
      worker.postMessage({ id, task });
    });
  }

  /** Ends the thread; tasks still waiting reject. Safe to call twice. */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    this.fail(new Error('the history thread was closed'));
    if (worker) await worker.terminate();
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const fromSource = import.meta.url.endsWith('.ts');
    const workerData = { pacing: this.clock.share };
    const file = new URL(`./historyWorker.${fromSource ? 'ts' : 'js'}`, import.meta.url);
    const worker = fromSource
      ? new Worker(`import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(file.href)}); });`, { eval: true, workerData })
      : new Worker(file, { workerData });
    worker.unref();
    worker.on('message', ({ id, result, error }: { id: number; result?: unknown; error?: string }) => {
      const waiter = this.waiting.get(id);
      if (!waiter) return;
      this.waiting.delete(id);
      if (this.waiting.size === 0) {
        worker.unref();
        this.clock.stop();
      }
      if (error !== undefined) waiter.reject(new Error(error));
      else waiter.resolve(result);
    });
    worker.on('error', (error) => {
      this.worker = null;
      this.fail(error);
    });
    worker.on('exit', () => {
      if (this.worker === worker) this.worker = null;
      this.fail(new Error('the history thread stopped'));
    });
    this.worker = worker;
    return worker;
  }

  private fail(error: Error): void {
    for (const waiter of this.waiting.values()) waiter.reject(error);
    this.waiting.clear();
    this.clock.stop();
  }
}
