import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import * as Y from 'yjs';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The automerge-paper editing trace (see ../shared/data/README.md). */
export const TRACE_FILE = path.resolve(here, '../../shared/data/automerge-paper.json.gz');

interface TraceFile {
  startContent: string;
  endContent: string;
  txns: { patches: [number, number, string][] }[];
}

/** The trace replayed into one Y.Text, one transaction per edit. */
export interface TraceDoc {
  edits: number;
  /** Y.encodeStateAsUpdate of the result. */
  update: Uint8Array;
  /** Its state vector: a joining client has everything once it holds these clocks. */
  stateVector: Map<number, number>;
}

/** Replays the trace (about 1.5 s) and checks the result equals the trace's endContent. */
export function buildTraceDoc(file = TRACE_FILE): TraceDoc {
  const trace = JSON.parse(zlib.gunzipSync(fs.readFileSync(file)).toString('utf8')) as TraceFile;
  const doc = new Y.Doc();
  const text = doc.getText('trace');
  text.insert(0, trace.startContent);
  let edits = 0;
  for (const txn of trace.txns) {
    doc.transact(() => {
      for (const [pos, deleted, inserted] of txn.patches) {
        if (deleted > 0) text.delete(pos, deleted);
        if (inserted) text.insert(pos, inserted);
        edits++;
      }
    });
  }
  if (text.toString() !== trace.endContent) throw new Error('replaying the trace did not give its endContent');
  const update = Y.encodeStateAsUpdate(doc);
  doc.destroy();
  return { edits, update, stateVector: Y.decodeStateVector(Y.encodeStateVectorFromUpdate(update)) };
}

/** Whether `update` holds every clock of `target`. */
export function covers(update: Uint8Array, target: Map<number, number>): boolean {
  const have = Y.decodeStateVector(Y.encodeStateVectorFromUpdate(update));
  for (const [client, clock] of target) if ((have.get(client) ?? 0) < clock) return false;
  return true;
}
