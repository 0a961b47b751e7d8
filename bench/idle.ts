import { BenchClient, pool } from './client.js';
import { foreignCpuPercent, machineBusyMicros, processCpuMicros, processRssKb } from './proc.js';
import type { RunningServer } from './servers.js';
import { Samples, sleep } from './stats.js';

export interface IdleResult {
  connections: number;
  /** Clients that did not get synced. */
  failed: number;
  /** (RSS `settleMs` after the last connect) − (RSS before), ÷ connections; KB. */
  rssPerConnectionKb: number;
  rssKb: number;
  /** Connections synced per second of wall time, 50 handshakes in flight. */
  connectsPerSec: number;
  /** Socket creation → server's step2 arrived, ms. */
  connectMs: Samples;
  serverCpuMicrosPerConnection: number;
  /** CPU used by other processes while connecting, % of one core. */
  foreignCpuPercent: number;
}

/** Opens `connections` idle clients over `docs` documents, measures, and closes them. */
export async function runIdle(server: RunningServer, connections: number, docs: number, tag: string, settleMs: number): Promise<IdleResult> {
  await sleep(300);
  const rssBefore = processRssKb(server.pid);
  const cpuBefore = processCpuMicros(server.pid);
  const connectMs = new Samples();
  const clients: BenchClient[] = [];
  let failed = 0;
  const busyBefore = machineBusyMicros();
  const ownBefore = process.cpuUsage();
  const started = performance.now();
  await pool(
    Array.from({ length: connections }, (_, i) => `${tag}-d${i % docs}`),
    50,
    async (docId) => {
      const begun = performance.now();
      const client = new BenchClient(server, docId);
      clients.push(client);
      try {
        connectMs.add((await client.ready) - begun);
      } catch {
        failed++;
      }
    },
  );
  const wallMs = performance.now() - started;
  const cpu = processCpuMicros(server.pid) - cpuBefore;
  const own = process.cpuUsage(ownBefore);
  const foreign = foreignCpuPercent(machineBusyMicros() - busyBefore, cpu, own.user + own.system, wallMs);
  // Let the server finish what the last handshakes started before reading its memory.
  await sleep(settleMs);
  const rssKb = processRssKb(server.pid);
  await pool(clients, 500, (client) => client.close());
  return {
    connections,
    failed,
    rssPerConnectionKb: (rssKb - rssBefore) / connections,
    rssKb,
    connectsPerSec: (connections / wallMs) * 1000,
    connectMs,
    serverCpuMicrosPerConnection: cpu / connections,
    foreignCpuPercent: foreign,
  };
}
