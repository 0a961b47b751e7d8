import type { AuxiliaryCpu } from './cluster.js';
import { BenchClient, pool } from './client.js';
import { forEachInsert } from './edits.js';
import { foreignCpuPercent, GeneratorMonitor, type GeneratorHealth, machineBusyMicros, processCpuMicros, processRssKb, processSyscalls } from './proc.js';
import type { RunningServer } from './servers.js';
import { Samples, sleep, waitFor } from './stats.js';

/** How many documents, clients and edits a load has. */
export interface LoadShape {
  docs: number;
  clientsPerDoc: number;
  /** Edits per second per client. */
  editsPerSecond: number;
  /** Each client sets its presence on join and moves its cursor after every edit. */
  awareness: boolean;
}

export interface WindowTiming {
  warmupMs: number;
  measureMs: number;
  /** After the window, how long to wait for deliveries still under way. */
  drainMs: number;
}

/** One server process over a window (a single server has one, a cluster one per process). */
export interface ProcessLoad {
  port: number;
  /** CPU (utime + stime, all threads) during the window, µs. */
  cpuMicros: number;
  /** Edits sent in the window by the clients connected to this process. */
  edits: number;
  /** VmRSS at the end of the window, KB. */
  rssKb: number;
}

/** What one measured window produced. */
export interface LoadResult {
  windowMs: number;
  /** Edits sent in the window, and per second. */
  edits: number;
  offeredEditsPerSec: number;
  achievedEditsPerSec: number;
  /** Deliveries expected (edits × other clients of the doc) and received. */
  expected: number;
  delivered: number;
  /** Fan-out latency in ms: send of an edit → arrival at each other client of its document. */
  latency: Samples;
  /**
   * The same deliveries split by where the receiver is: on the sender's process, or on another one
   * (a cluster's cross-process fan-out). A single server has only same-process deliveries.
   */
  sameProcess: { latency: Samples; expected: number; delivered: number };
  crossProcess: { latency: Samples; expected: number; delivered: number };
  /** Server CPU (utime + stime) during the window, µs; summed over a cluster's processes. */
  serverCpuMicros: number;
  /** Server system calls that read and that wrote during the window; summed over a cluster's processes. */
  serverSyscalls: { reads: number; writes: number };
  /** Server VmRSS at the end of the window, KB; summed over a cluster's processes. */
  rssKb: number;
  processes: ProcessLoad[];
  /** A cluster's PostgreSQL and Redis CPU during the window, µs (null for other servers). */
  auxiliaryCpu: AuxiliaryCpu | null;
  generator: GeneratorHealth;
  /** Clients whose socket the server closed. */
  clientsLost: number;
  /** CPU used on this machine by neither server nor generator during the window, % of one core. */
  foreignCpuPercent: number;
}

/** Per sender: when each of its edits (index = clock) left the generator. */
interface Sender {
  client: BenchClient;
  sendTimes: Float64Array;
  /** Index of the server process it is connected to. */
  proc: number;
  /** Other clients of its document on its own process, and on other processes. */
  samePeers: number;
  crossPeers: number;
}

/** Deliveries of one kind (same-process or cross-process) in the current window. */
interface Tally {
  latency: Samples;
  expected: number;
  delivered: number;
}

const tally = (): Tally => ({ latency: new Samples(), expected: 0, delivered: 0 });

/**
 * A set of connected clients over `shape.docs` documents that can be driven through one or more
 * measured windows (S steps up the rate over the same connections). Latency is measured in-process:
 * an edit is identified on arrival by its (client id, clock), which maps back to its send time.
 * On a cluster the clients of each document alternate between its processes (client k of a document
 * connects to process k mod n), so with 10 clients on 2 processes 5 of an edit's 9 deliveries cross.
 */
export class LoadRun {
  private readonly senders = new Map<number, Sender>();
  private readonly clients: BenchClient[] = [];
  private windowStart = Number.POSITIVE_INFINITY;
  private windowEnd = Number.POSITIVE_INFINITY;
  private latency = new Samples();
  private delivered = 0;
  private same = tally();
  private cross = tally();

  private constructor(
    private readonly server: RunningServer,
    private readonly shape: LoadShape,
  ) {}

  /** Connects every client (50 handshakes in flight) and waits until all are synced. */
  static async open(server: RunningServer, shape: LoadShape, tag: string): Promise<LoadRun> {
    const run = new LoadRun(server, shape);
    const n = server.processes.length;
    // Client i: document i mod docs, and the (i div docs)-th client of it, on that number's process mod n.
    const specs = Array.from({ length: shape.docs * shape.clientsPerDoc }, (_, i) => ({
      docId: `${tag}-d${i % shape.docs}`,
      proc: Math.floor(i / shape.docs) % n,
    }));
    const perProc = Array.from({ length: n }, (_, p) => specs.filter((s) => s.docId === specs[0]!.docId && s.proc === p).length);
    await pool(specs, 50, async ({ docId, proc }) => {
      const client = new BenchClient(server, docId, { onUpdate: (payload, now) => run.receive(client, proc, payload, now) }, 15_000, server.processes[proc]!.wsBase);
      run.clients.push(client);
      // Every document spreads its clients over the processes the same way.
      const samePeers = perProc[proc]! - 1;
      run.senders.set(client.clientId, { client, sendTimes: new Float64Array(256), proc, samePeers, crossPeers: shape.clientsPerDoc - 1 - samePeers });
      await client.ready;
      if (shape.awareness) client.sendAwareness();
    });
    return run;
  }

  /**
   * Sends edits at `editsPerSecond` per client for warmup + measure, then drains. `atWindowStart`
   * runs when the measured window opens (L2 starts its heavy work there).
   */
  async measure(timing: WindowTiming, editsPerSecond = this.shape.editsPerSecond, atWindowStart?: () => void): Promise<LoadResult> {
    this.latency = new Samples();
    this.delivered = 0;
    this.same = tally();
    this.cross = tally();
    this.windowStart = this.windowEnd = Number.POSITIVE_INFINITY;
    const monitor = new GeneratorMonitor();
    const totalRate = editsPerSecond * this.clients.length;
    const sending = this.startSending(totalRate);
    const pids = this.server.processes.map((p) => p.pid);
    const auxiliary = this.server.auxiliary;
    await sleep(timing.warmupMs);
    this.windowStart = performance.now();
    const cpuStart = pids.map(processCpuMicros);
    const syscallsStart = pids.map(processSyscalls);
    auxiliary?.start();
    const busyStart = machineBusyMicros();
    monitor.start();
    sending.countFrom();
    atWindowStart?.();
    await sleep(timing.measureMs);
    const editsByProc = sending.stop();
    this.windowEnd = performance.now();
    const cpuByProc = pids.map((pid, i) => processCpuMicros(pid) - cpuStart[i]!);
    const syscallsByProc = pids.map((pid, i) => {
      const now = processSyscalls(pid);
      return { reads: now.reads - syscallsStart[i]!.reads, writes: now.writes - syscallsStart[i]!.writes };
    });
    const auxiliaryCpu = auxiliary?.read() ?? null;
    const machineBusy = machineBusyMicros() - busyStart;
    const rssByProc = pids.map(processRssKb);
    const generator = monitor.stop();
    const edits = editsByProc.reduce((a, b) => a + b, 0);
    const serverCpuMicros = cpuByProc.reduce((a, b) => a + b, 0);
    const expected = edits * (this.shape.clientsPerDoc - 1);
    await waitFor(() => this.delivered >= expected, timing.drainMs, 10);
    const windowMs = this.windowEnd - this.windowStart;
    // Close the books: a delivery later than the drain counts neither as delivered nor in the latencies.
    this.windowStart = this.windowEnd = Number.POSITIVE_INFINITY;
    const auxiliaryMicros = auxiliaryCpu ? auxiliaryCpu.postgres + auxiliaryCpu.redis : 0;
    return {
      windowMs,
      edits,
      offeredEditsPerSec: totalRate,
      achievedEditsPerSec: (edits / windowMs) * 1000,
      expected,
      delivered: this.delivered,
      latency: this.latency,
      sameProcess: this.same,
      crossProcess: this.cross,
      serverCpuMicros,
      serverSyscalls: {
        reads: syscallsByProc.reduce((a, b) => a + b.reads, 0),
        writes: syscallsByProc.reduce((a, b) => a + b.writes, 0),
      },
      rssKb: rssByProc.reduce((a, b) => a + b, 0),
      processes: this.server.processes.map((p, i) => ({ port: p.port, cpuMicros: cpuByProc[i]!, edits: editsByProc[i]!, rssKb: rssByProc[i]! })),
      auxiliaryCpu,
      generator,
      clientsLost: this.clients.filter((c) => c.closedEarly).length,
      // A cluster's PostgreSQL and Redis are part of what is measured, not other people's work.
      foreignCpuPercent: foreignCpuPercent(machineBusy - auxiliaryMicros, serverCpuMicros, generator.cpuMicros, windowMs),
    };
  }

  /** Closes every client. */
  async close(): Promise<void> {
    await pool(this.clients, 200, (client) => client.close());
  }

  /**
   * Round-robin over the clients in a shuffled order, `totalRate` edits/s overall, so every client
   * sends at the same rate with its edits evenly spaced. A 1 ms timer sends whatever is due, so a
   * slow generator sends in bursts (and shows as lag) rather than silently offering less.
   */
  private startSending(totalRate: number): { countFrom(): void; stop(): number[] } {
    const order = [...this.clients].sort(() => Math.random() - 0.5);
    const start = performance.now();
    let sent = 0;
    // Edits sent in the window, per server process of the sender.
    const counted = this.server.processes.map(() => 0);
    let counting = false;
    const timer = setInterval(() => {
      const due = Math.floor(((performance.now() - start) * totalRate) / 1000);
      while (sent < due) {
        const client = order[sent++ % order.length]!;
        if (!client.open) continue;
        const clock = client.clock;
        const sender = this.senders.get(client.clientId)!;
        if (clock >= sender.sendTimes.length) {
          const grown = new Float64Array(sender.sendTimes.length * 2);
          grown.set(sender.sendTimes);
          sender.sendTimes = grown;
        }
        sender.sendTimes[clock] = performance.now();
        client.sendEdit();
        if (counting) {
          counted[sender.proc]!++;
          this.same.expected += sender.samePeers;
          this.cross.expected += sender.crossPeers;
        }
        if (this.shape.awareness) client.sendAwareness();
      }
    }, 1);
    return {
      countFrom: () => {
        counting = true;
      },
      stop: () => {
        clearInterval(timer);
        return counted;
      },
    };
  }

  private receive(receiver: BenchClient, receiverProc: number, payload: Uint8Array, now: number): void {
    forEachInsert(payload, (clientId, clock) => {
      if (clientId === receiver.clientId) return; // y-websocket-server and Hocuspocus echo to the sender
      const sender = this.senders.get(clientId);
      const sendTime = sender?.sendTimes[clock];
      if (sendTime === undefined || sendTime < this.windowStart || sendTime >= this.windowEnd) return;
      const ms = now - sendTime;
      this.latency.add(ms);
      this.delivered++;
      const kind = sender!.proc === receiverProc ? this.same : this.cross;
      kind.latency.add(ms);
      kind.delivered++;
    });
  }
}
