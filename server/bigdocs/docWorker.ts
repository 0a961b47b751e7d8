import { parentPort } from 'node:worker_threads';
import * as Y from 'yjs';
import type { ExportFormat } from '../../shared/api.js';
import { lowerThreadPriority } from '../lowPriorityThread.js';
import { documentTitle, documentToHtml, documentToMarkdown, markdownToDocument } from '../documentFormats.js';
import { packParts, unpackParts } from './packedParts.js';
import { segmentDoc } from './segmentState.js';

// The entry of the document worker threads (docWorkers.ts starts them): the heavy work
// on big documents, away from the event loop that relays keystrokes. Each task gets the document as
// updates (packed, see packedParts.ts), builds a scratch Y.Doc and releases it before answering.

/** A task for the pool. `parts`: packed updates that, applied in order, make the document. */
export type DocTask =
  | { kind: 'snapshot'; parts: Uint8Array; maxSegmentBytes: number }
  | { kind: 'export'; parts: Uint8Array; format: ExportFormat }
  | { kind: 'import'; markdown: string };

/** What an export task answers. */
export interface ExportResult {
  title: string;
  body: string;
}

// A lower priority for this thread: on a busy machine the event loop's relays go first, and
// compaction, export and import take the idle time.
lowerThreadPriority(10);

/** A scratch doc from packed updates; throws when they do not apply whole. */
function buildDoc(packed: Uint8Array): Y.Doc {
  const doc = new Y.Doc();
  Y.transact(doc, () => {
    for (const part of unpackParts(packed)) Y.applyUpdate(doc, part);
  });
  if (doc.store.pendingStructs || doc.store.pendingDs) {
    doc.destroy();
    throw new Error('the document has updates waiting for missing dependencies');
  }
  return doc;
}

/**
 * Runs one task: `snapshot` answers the document's state as segments of at most maxSegmentBytes
 * (packed); `export` answers { title, body }; `import` answers markdownToDocument's { update, title }.
 */
export function runTask(task: DocTask): unknown {
  switch (task.kind) {
    case 'snapshot': {
      const doc = buildDoc(task.parts);
      try {
        return packParts(segmentDoc(doc, task.maxSegmentBytes));
      } finally {
        doc.destroy();
      }
    }
    case 'export': {
      const doc = buildDoc(task.parts);
      try {
        const result: ExportResult = { title: documentTitle(doc), body: task.format === 'html' ? documentToHtml(doc) : documentToMarkdown(doc) };
        return result;
      } finally {
        doc.destroy();
      }
    }
    case 'import':
      return markdownToDocument(task.markdown);
  }
}

// Each message is one task; the answer goes back as { ok, value } (a packed buffer is moved, not
// copied) or { ok: false, error }.
parentPort?.on('message', (task: DocTask) => {
  try {
    const value = runTask(task);
    parentPort!.postMessage({ ok: true, value }, value instanceof Uint8Array ? [value.buffer as ArrayBuffer] : []);
  } catch (error) {
    parentPort!.postMessage({ ok: false, error: (error as Error).message });
  }
});
