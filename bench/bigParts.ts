import os from 'node:os';
import { l3Lines, runL3 } from './bigEditor.js';
import { buildBigDoc } from './bigDoc.js';
import { l1Lines, runL1Tandem } from './bigJoin.js';
import { l2Lines, runL2 } from './bigLoad.js';
import { L1_PEERS, l1PeerLines, runL1Peer } from './bigPeers.js';
import { waitForQuiet } from './proc.js';
import type { Plan } from './scenarios.js';
import type { TraceDoc } from './trace.js';

/** The big-document parts of issue 18 (run after the others, each only when asked for). */
export const BIG_PARTS = ['L1', 'L2', 'L3'];

/** Sizes of the big parts: a full run's, and `--quick`'s smoke sizes. */
function bigSizes(quick: boolean) {
  return quick
    ? { l1Mb: 5, l1Joins: 2, l2Mb: 5, l3Bytes: 256 * 1024 }
    : { l1Mb: 50, l1Joins: 3, l2Mb: 50, l3Bytes: 1024 * 1024 };
}

const load = (): string => `load average ${os.loadavg().map((n) => n.toFixed(2)).join(' ')}`;

/**
 * Runs the big parts of the plan; returns the summary's section (Markdown lines). A failed part is
 * recorded in `errors` and the others run.
 */
export async function runBigParts(plan: Plan, trace: TraceDoc, errors: string[], log: (line: string) => void, profileL3: boolean): Promise<string[]> {
  const sizes = bigSizes(plan.quick);
  const lines: string[] = [];
  const attempt = async (what: string, body: () => Promise<string[]>): Promise<void> => {
    await waitForQuiet(20_000);
    const before = load();
    try {
      const got = await body();
      lines.push(`### ${what}`, '', `Before: ${before}; after: ${load()}.`, '', ...got, '');
      for (const line of got) log(line);
    } catch (error) {
      const message = `${what}: ${(error as Error).message.split('\n')[0]}`;
      errors.push(message);
      log(`  ! ${message}`);
    }
  };
  if (plan.parts.has('L1')) {
    await attempt(`L1: join a ${sizes.l1Mb} MB document (Tandem, stock provider, from storage)`, async () => l1Lines(await runL1Tandem(trace.update, sizes.l1Mb, sizes.l1Joins)));
    await attempt(`L1 beside the peers: the same ${sizes.l1Mb} MB document, in memory, joined by a bare client`, async () => {
      const big = buildBigDoc(trace.update, sizes.l1Mb);
      const results = [];
      for (const row of L1_PEERS) results.push(await runL1Peer(row, big, sizes.l1Joins, log));
      return l1PeerLines(results);
    });
  }
  if (plan.parts.has('L2')) {
    await attempt(`L2: E2 while a ${sizes.l2Mb} MB document compacts and exports`, async () => ['| | |', '| --- | --- |', ...l2Lines(await runL2(trace, sizes.l2Mb, { ...plan.load, measureMs: Math.max(plan.load.measureMs, plan.quick ? 2_000 : 10_000) }, log))]);
  }
  if (plan.parts.has('L3')) {
    await attempt(`L3: a ${(sizes.l3Bytes / 1048576).toFixed(2)} MB Markdown document in Chromium`, async () => {
      const result = await runL3(sizes.l3Bytes, profileL3, log);
      return ['| | |', '| --- | --- |', ...l3Lines(result), ...(result.profile ? ['', 'Typing page, CPU profile while typing (self time):', '', '```', ...result.profile, '```'] : [])];
    });
  }
  return lines;
}
