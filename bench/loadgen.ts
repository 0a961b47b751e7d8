import { BenchClient, pool } from './client.js';
import { forEachInsert } from './edits.js';
import { foreignCpuPercent, GeneratorMonitor, type GeneratorHealth, machineBusyMicros, processCpuMicros, processRssKb } from './proc.js';
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
  /** Server CPU (utime + stime) during the window, µs. */
  serverCpuMicros: number;
  /** Server VmRSS at the end of the window, KB. */
  rssKb: number;
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
}

/**
 * A set of connected clients over `shape.docs` documents that can be driven through one or more
 * measured windows (S steps up the rate over the same connections). Latency is measured in-process:
 * an edit is identified on arrival by its (client id, clock), which maps back to its send time.
 */
export class LoadRun {
  private readonly senders = new Map<number, Sender>();
  private readonly clients: BenchClient[] = [];
  private windowStart = Number.POSITIVE_INFINITY;
  private windowEnd = Number.POSITIVE_INFINITY;
  private latency = new Samples();
  private delivered = 0;

  private constructor(
    private readonly server: RunningServer,
    private readonly shape: LoadShape,
  ) {}

  /** Connects every client (50 handshakes in flight) and waits until all are synced. */
  static async open(server: RunningServer, shape: LoadShape, tag: string): Promise<LoadRun> {
    const run = new LoadRun(server, shape);
    const specs = Array.from({ length: shape.docs * shape.clientsPerDoc }, (_, i) => `${tag}-d${i % shape.docs}`);
    await pool(specs, 50, async (docId) => {
      const client = new BenchClient(server, docId, { onUpdate: (payload, now) => run.receive(client, payload, now) });
      run.clients.push(client);
      run.senders.set(client.clientId, { client, sendTimes: new Float64Array(256) });
      await client.ready;
      if (shape.awareness) client.sendAwareness();
    });
    return run;
  }

  /** Sends edits at `editsPerSecond` per client for warmup + measure, then drains. */
  async measure(timing: WindowTiming, editsPerSecond = this.shape.editsPerSecond): Promise<LoadResult> {
    this.latency = new Samples();
    this.delivered = 0;
    this.windowStart = this.windowEnd = Number.POSITIVE_INFINITY;
    const monitor = new GeneratorMonitor();
    const totalRate = editsPerSecond * this.clients.length;
    const sending = this.startSending(totalRate);
    await sleep(timing.warmupMs);
    this.windowStart = performance.now();
    const cpuStart = processCpuMicros(this.server.pid);
    const busyStart = machineBusyMicros();
    monitor.start();
    sending.countFrom();
    await sleep(timing.measureMs);
    const edits = sending.stop();
    this.windowEnd = performance.now();
    const serverCpuMicros = processCpuMicros(this.server.pid) - cpuStart;
    const machineBusy = machineBusyMicros() - busyStart;
    const rssKb = processRssKb(this.server.pid);
    const generator = monitor.stop();
    const expected = edits * (this.shape.clientsPerDoc - 1);
    await waitFor(() => this.delivered >= expected, timing.drainMs, 10);
    const windowMs = this.windowEnd - this.windowStart;
    return {
      windowMs,
      edits,
      offeredEditsPerSec: totalRate,
      achievedEditsPerSec: (edits / windowMs) * 1000,
      expected,
      delivered: this.delivered,
      latency: this.latency,
      serverCpuMicros,
      rssKb,
      generator,
      clientsLost: this.clients.filter((c) => c.closedEarly).length,
      foreignCpuPercent: foreignCpuPercent(machineBusy, serverCpuMicros, generator.cpuMicros, windowMs),
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
  private startSending(totalRate: number): { countFrom(): void; stop(): number } {
    const order = [...this.clients].sort(() => Math.random() - 0.5);
    const start = performance.now();
    let sent = 0;
    let counted = 0;
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
        if (counting) counted++;
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

  private receive(receiver: BenchClient, payload: Uint8Array, now: number): void {
    forEachInsert(payload, (clientId, clock) => {
      if (clientId === receiver.clientId) return; // y-websocket-server and Hocuspocus echo to the sender
      const sendTime = this.senders.get(clientId)?.sendTimes[clock];
      if (sendTime === undefined || sendTime < this.windowStart || sendTime >= this.windowEnd) return;
      this.latency.add(now - sendTime);
      this.delivered++;
    });
  }
}
