import * as Y from 'yjs';
import { BenchClient } from './client.js';
import { processRssKb } from './proc.js';
import type { RunningServer } from './servers.js';
import { Samples, sleep, waitFor } from './stats.js';
import { covers, type TraceDoc } from './trace.js';

export interface JoinResult {
  /** Sequential joins, one at a time: socket creation → the last byte of the document arrived, ms. */
  sequential: Samples;
  /** 20 (or `burst`) joins started at once. */
  burst: Samples;
}

export interface C1Result {
  memory: JoinResult;
  /** Null when the server cannot unload a document and load it back (no storage). */
  storage: JoinResult | null;
  /** Server VmRSS with the document loaded, KB. */
  rssKb: number;
}

/**
 * Watches a joining client's incoming content until it holds the whole trace. Each payload is
 * time-stamped on arrival, before it is checked, so the check's own cost is not counted; a payload
 * already known to be complete (the same server sends the same bytes) is recognised by comparison.
 */
export class CompletionWatch {
  private readonly complete: Buffer[] = [];

  constructor(private readonly trace: Pick<TraceDoc, 'stateVector'>) {}

  async join(server: RunningServer, docId: string, timeoutMs = 20_000): Promise<number> {
    const begun = performance.now();
    const received: Uint8Array[] = [];
    let doneAt = -1;
    const client = new BenchClient(server, docId, {
      onContent: (payload, now) => {
        if (doneAt >= 0) return;
        received.push(payload);
        if (this.isComplete(payload) || (received.length > 1 && this.isComplete(Y.mergeUpdates(received)))) {
          doneAt = now;
        }
      },
    });
    try {
      const ok = await waitFor(() => doneAt >= 0 || client.closedEarly, timeoutMs, 1);
      if (!ok || doneAt < 0) throw new Error(`${server.spec.label}: a joining client did not receive the whole document`);
      return doneAt - begun;
    } finally {
      await client.close();
    }
  }

  private isComplete(payload: Uint8Array): boolean {
    const bytes = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
    if (this.complete.some((known) => known.equals(bytes))) return true;
    if (!covers(payload, this.trace.stateVector)) return false;
    this.complete.push(Buffer.from(bytes));
    return true;
  }
}

/**
 * C1: the trace as one document. A holder uploads it and stays (the document is in memory) while
 * clients join one by one and then `burst` at once; then, if the server stores documents, the holder
 * leaves, the bench waits until the server has unloaded it, and every join loads it from storage.
 */
export async function runC1(server: RunningServer, trace: TraceDoc, joins: number, burst: number): Promise<C1Result> {
  const docId = 'c1-trace';
  const watch = new CompletionWatch(trace);
  const holder = new BenchClient(server, docId);
  await holder.ready;
  holder.sendUpdate(trace.update);
  await watch.join(server, docId); // warm-up, and proof the server has it all
  const join = (): Promise<number> => watch.join(server, docId);
  const memory = await joinSeries(join, joins, burst);
  const rssKb = processRssKb(server.pid);
  await holder.close();
  if (!server.spec.persistent) return { memory, storage: null, rssKb };
  const unloaded = async (): Promise<void> => {
    if (!(await waitFor(async () => (await server.stats()).docs === 0, 15_000, 20))) {
      throw new Error(`${server.spec.label} did not unload the document`);
    }
    await sleep(100); // let a store that writes behind (LevelDB) finish
  };
  await unloaded();
  const storage = await joinSeries(join, joins, burst, unloaded);
  return { memory, storage, rssKb };
}

/** `joins` joins one after the other, then `burst` at once; `settle` runs after each join and after the burst. */
async function joinSeries(
  join: () => Promise<number>,
  joins: number,
  burst: number,
  settle: () => Promise<void> = async () => {},
): Promise<JoinResult> {
  const sequential = new Samples();
  for (let i = 0; i < joins; i++) {
    sequential.add(await join());
    await settle();
  }
  const burstSamples = new Samples();
  for (const ms of await Promise.all(Array.from({ length: burst }, join))) burstSamples.add(ms);
  await settle();
  return { sequential, burst: burstSamples };
}
