import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ExportFormat } from '../../shared/api.js';
import type { ImportedDocument } from '../documentFormats.js';
import type { DocTask, ExportResult } from './docWorker.js';
import { packPartsInTurns, unpackParts } from './packedParts.js';

export interface DocWorkersOptions {
  /** Worker threads (DOC_WORKER_THREADS). */
  threads: number;
  /** Heap limit of each worker (MB); a task past it kills its worker, and only fails itself. Default: Node's. */
  maxOldGenerationMb?: number;
}

// Running from source (tests, tsx) the worker entry is TypeScript: a plain bootstrap registers tsx's
// loader in the thread first, then imports the entry.
const fromSource = import.meta.url.endsWith('.ts');
const WORKER_ENTRY = new URL(fromSource ? './docWorker.ts' : './docWorker.js', import.meta.url).href;
// (require.resolve finds the CommonJS build of tsx's API; its ES module build sits beside it.)
const TSX_API = fromSource ? pathToFileURL(path.join(path.dirname(createRequire(import.meta.url).resolve('tsx/esm/api')), 'index.mjs')).href : null;
const BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
(async () => {
  if (workerData.tsx) (await import(workerData.tsx)).register();
  await import(workerData.entry);
})().catch((error) => setImmediate(() => { throw error; }));`;

/** A thread stays this long after its last task: a big document is compacted again soon. */
const IDLE_MS = 60_000;

interface Job {
  task: DocTask;
  transfer: ArrayBuffer[];
  resolve(value: unknown): void;
  reject(error: Error): void;
}

interface Thread {
  worker: Worker;
  job: Job | null;
  idle: NodeJS.Timeout | null;
}

/**
 * The pool of worker threads that does the heavy work on big documents: a queue, at most `threads`
 * threads started on demand, one task each at a time. Every method resolves with the task's answer or
 * rejects with its error — also when its thread crashed, ran out of memory or was terminated
 * meanwhile: the caller then changes nothing (a compaction stores nothing) and the next task gets a
 * fresh thread. Hand-written rather than piscina: piscina 5.3 leaves a task pending for ever when its
 * thread is terminated from outside (checked), and a killed compaction must fail, not hang its room.
 */
export class DocWorkers {
  private readonly running = new Set<Thread>();
  private readonly queue: Job[] = [];
  private closed = false;

  constructor(private readonly options: DocWorkersOptions) {}

  /**
   * The state made by `parts` (updates applied in order) as segments of at most `maxSegmentBytes`:
   * what compaction stores, and what a checkpoint of the document (history) can be made from.
   */
  async snapshot(parts: readonly Uint8Array[], maxSegmentBytes: number): Promise<Uint8Array[]> {
    const packed = await packPartsInTurns(parts);
    const answer = (await this.run({ kind: 'snapshot', parts: packed, maxSegmentBytes }, [packed.buffer as ArrayBuffer])) as Uint8Array;
    return unpackParts(answer);
  }

  /** The document made by `parts` rendered as Markdown or HTML, with its title. */
  async exportDoc(parts: readonly Uint8Array[], format: ExportFormat): Promise<ExportResult> {
    const packed = await packPartsInTurns(parts);
    return (await this.run({ kind: 'export', parts: packed, format }, [packed.buffer as ArrayBuffer])) as ExportResult;
  }

  /** Markdown as a new document's first update and title (markdownToDocument). */
  async importMarkdown(markdown: string): Promise<ImportedDocument> {
    return (await this.run({ kind: 'import', markdown }, [])) as ImportedDocument;
  }

  /** The threads running now (tests terminate one mid-task). */
  get threads(): Worker[] {
    return [...this.running].map((thread) => thread.worker);
  }

  /** Ends every thread; tasks running or queued are rejected. Safe to call twice. */
  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(new Error('the worker pool is closed'));
    await Promise.all([...this.running].map((thread) => thread.worker.terminate()));
  }

  private run(task: DocTask, transfer: ArrayBuffer[]): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error('the worker pool is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ task, transfer, resolve, reject });
      this.dispatch();
    });
  }

  /** Hands queued jobs to idle threads, starting threads up to the limit. */
  private dispatch(): void {
    while (this.queue.length > 0) {
      let thread = [...this.running].find((candidate) => candidate.job === null);
      if (!thread) {
        if (this.running.size >= this.options.threads) return;
        thread = this.start();
      }
      const job = this.queue.shift()!;
      if (thread.idle) clearTimeout(thread.idle);
      thread.idle = null;
      thread.job = job;
      thread.worker.postMessage(job.task, job.transfer);
    }
  }

  private start(): Thread {
    const limits = this.options.maxOldGenerationMb ? { resourceLimits: { maxOldGenerationSizeMb: this.options.maxOldGenerationMb } } : {};
    const worker = new Worker(BOOTSTRAP, { eval: true, workerData: { entry: WORKER_ENTRY, tsx: TSX_API }, ...limits });
    worker.unref();
    const thread: Thread = { worker, job: null, idle: null };
    this.running.add(thread);
    worker.on('message', (message: { ok: true; value: unknown } | { ok: false; error: string }) => {
      const job = thread.job;
      thread.job = null;
      if (job) {
        if (message.ok) job.resolve(message.value);
        else job.reject(new Error(message.error));
      }
      thread.idle = setTimeout(() => void worker.terminate(), IDLE_MS);
      thread.idle.unref();
      this.dispatch();
    });
    // A crash (an uncaught error, out of memory) or a kill: the task it ran fails, the thread is replaced.
    const gone = (error: Error) => {
      if (!this.running.delete(thread)) return;
      if (thread.idle) clearTimeout(thread.idle);
      thread.job?.reject(error);
      thread.job = null;
      if (!this.closed) this.dispatch();
    };
    worker.on('error', gone);
    worker.on('exit', (code) => gone(new Error(`the document worker stopped (exit code ${code})`)));
    return thread;
  }
}
