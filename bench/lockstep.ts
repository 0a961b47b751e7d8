import os from 'node:os';
import { BenchClient, pool } from './client.js';
import { pinGenerator, processCpuMicros, processSyscalls } from './proc.js';
import { SERVERS, type ServerId, type ServerSpec, startServer } from './servers.js';

// E1's shape in lock-step: one edit and its cursor move at a time, the next once every other client
// of the document has the edit. Every server then handles each edit alone (one group commit per
// edit, the same wake-ups), whatever else runs on the machine, so CPU per edit (/proc, 10 ms ticks,
// thousands of edits) can be compared on a machine too loaded for the rate-driven E1: a starved
// server batches more per wake-up and looks cheaper. It is the light-load cost: every fixed cost of
// an edit (commit, relay, presence) paid once per edit.
//
//   node --import tsx bench/lockstep.ts [--servers=tandem,yws] [--rounds=3] [--edits=3000]
//     [--build=<label>:<path to a built main.js>]…   (other Tandem builds, e.g. before a change)

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const rounds = Number(flag('rounds') ?? 3);
const edits = Number(flag('edits') ?? 3000);
const DOCS = 10;
const CLIENTS_PER_DOC = 5;
const WARMUP_EDITS = 500;

const specs: ServerSpec[] = (flag('servers') ?? 'tandem,yws').split(',').map((id) => {
  if (!(id in SERVERS) || SERVERS[id as ServerId].cluster) throw new Error(`--servers: ${id} is not a single-process server kind`);
  return SERVERS[id as ServerId];
});
for (const build of args.filter((a) => a.startsWith('--build='))) {
  const [label, script] = build.slice('--build='.length).split(/:(.*)/s) as [string, string];
  specs.push({ ...SERVERS.tandem, label, launch: (dataDir) => ({ ...SERVERS.tandem.launch(dataDir), script }) });
}

interface Figure {
  cpuMicrosPerEdit: number;
  writesPerEdit: number;
  readsPerEdit: number;
}

async function measure(spec: ServerSpec, tag: string): Promise<Figure> {
  const server = await startServer(spec);
  try {
    let received = 0;
    let wanted = Infinity;
    let arrived: (() => void) | null = null;
    const clients: BenchClient[] = [];
    await pool(Array.from({ length: DOCS * CLIENTS_PER_DOC }, (_, i) => i), 50, async (i) => {
      const client = new BenchClient(server, `${tag}-d${i % DOCS}`, {
        onUpdate: () => {
          if (++received >= wanted && arrived) arrived();
        },
      });
      clients[i] = client;
      await client.ready;
      client.sendAwareness();
    });
    const edit = async (i: number): Promise<void> => {
      const client = clients[i % clients.length]!;
      wanted = received + CLIENTS_PER_DOC - 1;
      const done = new Promise<void>((resolve) => (arrived = resolve));
      client.sendEdit();
      client.sendAwareness();
      await done;
      arrived = null;
    };
    for (let i = 0; i < WARMUP_EDITS; i++) await edit(i);
    const cpu = processCpuMicros(server.pid);
    const syscalls = processSyscalls(server.pid);
    for (let i = 0; i < edits; i++) await edit(i);
    const after = processSyscalls(server.pid);
    const figure = {
      cpuMicrosPerEdit: (processCpuMicros(server.pid) - cpu) / edits,
      writesPerEdit: (after.writes - syscalls.writes) / edits,
      readsPerEdit: (after.reads - syscalls.reads) / edits,
    };
    await pool(clients, 100, (client) => client.close());
    return figure;
  } finally {
    await server.stop();
  }
}

pinGenerator();
const perLabel = new Map<string, number[]>();
for (let round = 0; round < rounds; round++) {
  const order = round % 2 === 0 ? specs : [...specs].reverse();
  const line = new Map<string, number>();
  for (const spec of order) {
    const figure = await measure(spec, `ls${round}`);
    line.set(spec.label, figure.cpuMicrosPerEdit);
    perLabel.set(spec.label, [...(perLabel.get(spec.label) ?? []), figure.cpuMicrosPerEdit]);
    console.log(
      `round ${round + 1} ${spec.label}: ${figure.cpuMicrosPerEdit.toFixed(0)} µs/edit, ${figure.writesPerEdit.toFixed(2)} writes/edit, ` +
        `${figure.readsPerEdit.toFixed(2)} reads/edit (load average ${os.loadavg()[0]!.toFixed(1)})`,
    );
  }
  const yws = line.get(SERVERS.yws.label);
  if (yws) console.log(`  ÷ y-websocket-server's, round ${round + 1}: ${[...line].filter(([label]) => label !== SERVERS.yws.label).map(([label, v]) => `${label} ${(v / yws).toFixed(2)}×`).join(', ')}`);
}
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
console.log(`medians, µs/edit: ${[...perLabel].map(([label, values]) => `${label} ${median(values).toFixed(0)}`).join(', ')}`);
process.exit(0);
