// L2 of issue 18: E2's fan-out while a 50 MB document compacts and exports, against E2 alone, on
// one Tandem process. The big document is written first (its holder stays, so it is in memory and
// has its update rows uncompacted), then E2's 1,000 clients connect. After a window not counted,
// three windows on the same
// connections: E2 alone, E2 while the holder leaves (the room unloads after 100 ms and compacts the
// 50 MB on the worker pool) and Markdown exports of the document run back to back for the whole
// window, then E2 alone again. Target: the heavy window's p99 ≤ 1.5 × the alone windows' (pooled).
// The server is not pinned to a core (the other parts pin it): its worker threads may use the second core.
import { buildBigDoc, uploadBigDoc } from './bigDoc.js';
import { LoadRun, type LoadResult, type WindowTiming } from './loadgen.js';
import { LOAD_SHAPES } from './scenarios.js';
import { SERVERS, startServer } from './servers.js';
import { Samples } from './stats.js';
import type { TraceDoc } from './trace.js';

export interface L2Result {
  megabytes: number;
  alone: LoadResult[];
  heavy: LoadResult;
  /** Exports finished in the heavy window, and how long each took, ms. */
  exports: number[];
  exportErrors: string[];
  /** When the room was gone (compacted and unloaded), ms after the window opened; NaN if not within it. */
  compactedAtMs: number;
}

export async function runL2(trace: TraceDoc, megabytes: number, timing: WindowTiming, log: (line: string) => void): Promise<L2Result> {
  const big = buildBigDoc(trace.update, megabytes);
  // Not pinned to one core: the compaction and the export run on worker threads, which is the point,
  // and pinned they would take their CPU from the event loop's own core.
  // L2_CPU_PROF=<dir>: the server writes V8 CPU profiles there (its main thread's and each worker's).
  const profDir = process.env.L2_CPU_PROF;
  const server = await startServer(SERVERS.tandem, { env: { UNLOAD_GRACE_MS: '100' }, pin: false, nodeArgs: profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [] });
  try {
    const docId = 'l2-big';
    const holder = await uploadBigDoc(server, docId, big);
    const run = await LoadRun.open(server, LOAD_SHAPES.E2, 'l2');
    try {
      // A first window settles the freshly connected clients and the upload's garbage; not counted.
      await run.measure(timing);
      const alone = [await run.measure(timing)];
      const exports: number[] = [];
      const exportErrors: string[] = [];
      let compactedAtMs = Number.NaN;
      let windowOpen = false;
      let opened = 0;
      const heavyWork = async (): Promise<void> => {
        opened = performance.now();
        windowOpen = true;
        void holder.close();
        void (async () => {
          // The room is gone once the server holds E2's 100 documents only.
          while (windowOpen) {
            if ((await server.stats()).docs === LOAD_SHAPES.E2.docs) {
              compactedAtMs = performance.now() - opened;
              return;
            }
            await new Promise((resolve) => setTimeout(resolve, 50));
          }
        })();
        while (windowOpen) {
          const began = performance.now();
          const response = await fetch(`http://127.0.0.1:${server.port}/api/docs/${docId}/export?format=md`);
          const body = await response.arrayBuffer();
          if (response.ok) exports.push(performance.now() - began);
          else exportErrors.push(`${response.status} ${Buffer.from(body).toString().slice(0, 200)}`);
        }
      };
      let work: Promise<void> = Promise.resolve();
      const heavy = await run.measure({ ...timing, drainMs: timing.drainMs }, undefined, () => {
        work = heavyWork();
      });
      windowOpen = false;
      await work;
      alone.push(await run.measure(timing));
      log(`    L2: alone p99 ${alone.map((r) => r.latency.percentile(99).toFixed(1)).join(' / ')} ms; while compacting and exporting ${heavy.latency.percentile(99).toFixed(1)} ms; ${exports.length} exports (${exports.map((ms) => ms.toFixed(0)).join(', ')} ms); compacted ${Number.isNaN(compactedAtMs) ? 'not within the window' : `after ${compactedAtMs.toFixed(0)} ms`}`);
      return { megabytes, alone, heavy, exports, exportErrors, compactedAtMs };
    } finally {
      await run.close();
    }
  } finally {
    await server.stop();
  }
}

export function l2Lines(r: L2Result): string[] {
  const pooled = new Samples();
  for (const a of r.alone) pooled.addAll(a.latency);
  const base = pooled.percentile(99);
  const heavy = r.heavy.latency.percentile(99);
  const ratio = heavy / base;
  const f = (n: number): string => n.toFixed(1);
  const delivered = (x: LoadResult): string => `${((x.delivered / Math.max(1, x.expected)) * 100).toFixed(2)} %`;
  return [
    `| E2 alone (two windows, pooled) | p50 ${f(pooled.percentile(50))} ms, p99 ${f(base)} ms (windows: ${r.alone.map((a) => f(a.latency.percentile(99))).join(', ')}), delivered ${r.alone.map(delivered).join(', ')}, others' CPU ${r.alone.map((a) => `${Math.round(a.foreignCpuPercent)} %`).join(', ')} |`,
    `| E2 while ${r.megabytes} MB compacts and exports | p50 ${f(r.heavy.latency.percentile(50))} ms, p99 ${f(heavy)} ms, delivered ${delivered(r.heavy)}, server CPU ${Math.round(r.heavy.serverCpuMicros / r.heavy.windowMs / 10)} % of a core, others' CPU ${Math.round(r.heavy.foreignCpuPercent)} % |`,
    `| heavy work in the window | ${r.exports.length} Markdown exports (${r.exports.map((ms) => `${(ms / 1000).toFixed(1)} s`).join(', ') || 'none finished'})${r.exportErrors.length ? `, errors: ${r.exportErrors.join('; ')}` : ''}; compaction and unload ${Number.isNaN(r.compactedAtMs) ? 'not finished within the window' : `done ${(r.compactedAtMs / 1000).toFixed(1)} s into it`} |`,
    `| p99 ratio | ${f(ratio)}× ${ratio <= 1.5 ? '✓' : '✗'} (≤ 1.5×) |`,
  ];
}
