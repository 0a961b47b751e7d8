import { Piscina } from 'piscina';
import type { Worker } from 'node:worker_threads';
import type { ExportFormat } from '../../shared/api.js';
import type { ImportedDocument } from '../documentFormats.js';
import type { DocTask, ExportResult } from './docWorker.js';
import { packParts, unpackParts } from './packedParts.js';

export interface DocWorkersOptions {
  /** Worker threads (DOC_WORKER_THREADS). */
  threads: number;
  /** Heap limit of each worker (MB); a task past it kills its worker, and only fails itself. Default: Node's. */
  maxOldGenerationMb?: number;
}

// Running from source (tests, tsx) the worker entry is TypeScript: its thread loads tsx first.
const fromSource = import.meta.url.endsWith('.ts');
const WORKER_FILE = new URL(fromSource ? './docWorker.ts' : './docWorker.js', import.meta.url).href;

/**
 * The pool of worker threads that does the heavy work on big documents (piscina: a queue, threads
 * started on demand and replaced when one dies). Every method resolves with the task's answer or
 * rejects with its error — also when its worker crashed, ran out of memory or was terminated
 * meanwhile: the caller then changes nothing (a compaction stores nothing), and the next task gets
 * a fresh thread.
 */
export class DocWorkers {
  private readonly pool: Piscina;

  constructor(options: DocWorkersOptions) {
    this.pool = new Piscina({
      filename: WORKER_FILE,
      minThreads: 0,
      maxThreads: options.threads,
      // Threads stay for a minute after their last task: a big document is compacted again soon.
      idleTimeout: 60_000,
      execArgv: fromSource ? ['--import', 'tsx'] : [],
      ...(options.maxOldGenerationMb ? { resourceLimits: { maxOldGenerationSizeMb: options.maxOldGenerationMb } } : {}),
    });
  }

  /**
   * The state made by `parts` (updates applied in order) as segments of at most `maxSegmentBytes`:
   * what compaction stores, and a checkpoint of the document (history) can be.
   */
  async snapshot(parts: readonly Uint8Array[], maxSegmentBytes: number): Promise<Uint8Array[]> {
    const packed = packParts(parts);
    const task: DocTask = { kind: 'snapshot', parts: packed, maxSegmentBytes };
    const answer = (await this.pool.run(task, { transferList: [packed.buffer as ArrayBuffer] })) as Uint8Array;
    return unpackParts(answer);
  }

  /** The document made by `parts` rendered as Markdown or HTML, with its title. */
  async exportDoc(parts: readonly Uint8Array[], format: ExportFormat): Promise<ExportResult> {
    const packed = packParts(parts);
    const task: DocTask = { kind: 'export', parts: packed, format };
    return (await this.pool.run(task, { transferList: [packed.buffer as ArrayBuffer] })) as ExportResult;
  }

  /** Markdown as a new document's first update and title (markdownToDocument). */
  async importMarkdown(markdown: string): Promise<ImportedDocument> {
    const task: DocTask = { kind: 'import', markdown };
    return (await this.pool.run(task)) as ImportedDocument;
  }

  /** The running threads (tests terminate one mid-task). */
  get threads(): readonly Worker[] {
    return this.pool.threads;
  }

  /** Ends every thread (tasks still queued are rejected). Safe to call twice. */
  async close(): Promise<void> {
    await this.pool.close({ force: true }).catch(() => undefined);
  }
}
