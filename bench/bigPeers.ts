// L1 beside the peers (issue 18): the same 50 MB document joined on Tandem, y-websocket-server and
// Hocuspocus. Each server is a fresh process; a holder writes the document over the server's own wire
// (the trace's update, then one update per ~1 MB block) and stays, so every server serves it from
// memory (y-websocket-server and Hocuspocus without an extension keep no storage); after one warm-up
// join, JOINS joins one after another by a bare client (no Y.Doc; permessage-deflate offered as ws and
// browsers do): socket creation → every clock of the document received. A server that fails to serve
// it is reported with its error. Tandem's join from storage with the stock provider is L1 itself (bigJoin.ts).
import { type BigDoc, joinWhole, uploadBigDoc } from './bigDoc.js';
import { processRssKb } from './proc.js';
import { SERVERS, type ServerId, startServer } from './servers.js';
import { Samples } from './stats.js';

export interface PeerJoinResult {
  id: ServerId;
  label: string;
  joins: Samples;
  wireBytes: number;
  rssPeakKb: number;
  error: string | null;
}

/** The rows: Tandem as configured by default (frames from 16 KB compressed), Tandem without compression, the peers. */
export const L1_PEERS: { id: ServerId; label: string; env?: Record<string, string> }[] = [
  { id: 'tandem', label: 'Tandem (permessage-deflate, frames ≥ 16 KB)' },
  { id: 'tandem', label: 'Tandem, no compression', env: { COMPRESS_ABOVE_BYTES: '0' } },
  { id: 'yws', label: SERVERS.yws.label },
  { id: 'hocuspocus', label: SERVERS.hocuspocus.label },
];

export async function runL1Peer(row: (typeof L1_PEERS)[number], big: BigDoc, joins: number, log: (line: string) => void): Promise<PeerJoinResult> {
  const { id, label } = row;
  const server = await startServer(SERVERS[id], { env: row.env ?? {} });
  let rssPeakKb = processRssKb(server.pid);
  const sampler = setInterval(() => {
    rssPeakKb = Math.max(rssPeakKb, processRssKb(server.pid));
  }, 20);
  const result: PeerJoinResult = { id, label, joins: new Samples(), wireBytes: 0, rssPeakKb: 0, error: null };
  try {
    const holder = await uploadBigDoc(server, 'l1-big', big);
    try {
      for (let j = 0; j < joins; j++) {
        const join = await joinWhole(server, 'l1-big', big);
        if (join.error) throw new Error(`join ${j + 1}: ${join.error}`);
        result.joins.add(join.ms);
        result.wireBytes = join.wireBytes;
      }
    } finally {
      await holder.close();
    }
  } catch (error) {
    const tail = server.output().trim().split('\n').slice(-3).join(' | ');
    result.error = `${(error as Error).message}${tail ? ` (server said: ${tail.slice(0, 300)})` : ''}`;
  } finally {
    clearInterval(sampler);
    result.rssPeakKb = rssPeakKb;
    await server.stop();
  }
  log(`    L1 ${label}: ${result.error ? `failed: ${result.error}` : `synced p50 ${result.joins.percentile(50).toFixed(0)} ms, max ${result.joins.max.toFixed(0)} ms, ${(result.wireBytes / 1048576).toFixed(1)} MB on the wire`}; RSS peak ${(rssPeakKb / 1024).toFixed(0)} MB`);
  return result;
}

export function l1PeerLines(results: PeerJoinResult[]): string[] {
  return [
    '| server | synced p50 / max ms | bytes on the wire MB (per join) | server RSS peak MB |',
    '| --- | ---: | ---: | ---: |',
    ...results.map((r) =>
      r.error
        ? `| ${r.label} | failed: ${r.error.replace(/\|/g, '/')} | | ${(r.rssPeakKb / 1024).toFixed(0)} |`
        : `| ${r.label} | ${r.joins.percentile(50).toFixed(0)} / ${r.joins.max.toFixed(0)} | ${(r.wireBytes / 1048576).toFixed(1)} | ${(r.rssPeakKb / 1024).toFixed(0)} |`,
    ),
  ];
}

// Alone: node --import tsx bench/bigPeers.ts (BIG_MB, JOINS; after npm run build).
if (import.meta.url === `file://${process.argv[1]}`) {
  const { buildTraceDoc } = await import('./trace.js');
  const { buildBigDoc } = await import('./bigDoc.js');
  const os = await import('node:os');
  const big = buildBigDoc(buildTraceDoc().update, Number(process.env.BIG_MB ?? 50));
  const results: PeerJoinResult[] = [];
  for (const row of L1_PEERS) {
    console.log(`load average before ${row.label}: ${os.loadavg().map((n) => n.toFixed(2)).join(' ')}`);
    results.push(await runL1Peer(row, big, Number(process.env.JOINS ?? 3), console.log));
  }
  for (const line of l1PeerLines(results)) console.log(line);
  process.exit(0);
}
