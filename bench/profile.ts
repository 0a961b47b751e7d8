import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LoadRun, type WindowTiming } from './loadgen.js';
import { runC1 } from './join.js';
import { LOAD_SHAPES, type LoadScenarioId } from './scenarios.js';
import { buildTraceDoc } from './trace.js';
import { SERVERS, type ServerId, startServer } from './servers.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** One function's share of a V8 CPU profile. */
export interface SelfTime {
  name: string;
  where: string;
  selfMs: number;
  percent: number;
}

/** Where a frame's code lives: a package name, Tandem's dist/ file, a node: module, or (native/V8). */
function owner(url: string): string {
  if (!url) return '(native, GC, V8)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith('node:')) return 'node core';
  const dist = /\/dist\/server\/(.*)$/.exec(url);
  return dist ? `tandem ${dist[1]}` : url.replace(/^file:\/\/.*\/bench\//, 'bench/');
}

/** Busy time (everything but idle) per owner (see owner()), in ms, largest first. */
export function selfTimeByOwner(profile: CpuProfile): { owner: string; selfMs: number; percent: number }[] {
  const byNode = new Map<number, ProfileNode>(profile.nodes.map((n) => [n.id, n]));
  const totals = new Map<string, number>();
  let busy = 0;
  profile.samples.forEach((id, i) => {
    const frame = byNode.get(id)!.callFrame;
    if (frame.functionName === '(idle)') return;
    const micros = profile.timeDeltas[i] ?? 0;
    busy += micros;
    const key = owner(frame.url);
    totals.set(key, (totals.get(key) ?? 0) + micros);
  });
  return [...totals.entries()]
    .map(([name, micros]) => ({ owner: name, selfMs: micros / 1000, percent: (micros / busy) * 100 }))
    .sort((a, b) => b.selfMs - a.selfMs);
}

/** Self time per function (summed over every node of the same function), largest first; % of busy time. */
export function topSelfTime(profile: CpuProfile, top = 25): SelfTime[] {
  const byNode = new Map<number, ProfileNode>(profile.nodes.map((n) => [n.id, n]));
  const totals = new Map<string, SelfTime>();
  let all = 0;
  profile.samples.forEach((id, i) => {
    const micros = profile.timeDeltas[i] ?? 0;
    all += micros;
    const frame = byNode.get(id)!.callFrame;
    const where = frame.url ? `${frame.url.replace(/^file:\/\/.*?node_modules\//, '').replace(/^file:\/\/.*?\/dist\//, 'dist/')}:${frame.lineNumber + 1}` : '';
    const key = `${frame.functionName}@${where}`;
    const entry = totals.get(key) ?? { name: frame.functionName || '(anonymous)', where, selfMs: 0, percent: 0 };
    entry.selfMs += micros / 1000;
    totals.set(key, entry);
  });
  const idle = [...totals.values()].find((t) => t.name === '(idle)')?.selfMs ?? 0;
  const list = [...totals.values()].filter((t) => t.name !== '(idle)').sort((a, b) => b.selfMs - a.selfMs).slice(0, top);
  for (const entry of list) entry.percent = (entry.selfMs / (all / 1000 - idle)) * 100;
  return list;
}

/**
 * Runs one scenario (E1, E2, E3 or C1) against a server started with --cpu-prof (it must write the
 * profile on SIGTERM, as Tandem does through process.exit) and returns the busy time by owner and
 * the top self-time functions, as markdown.
 */
export async function profileScenario(id: ServerId, scenario: string, timing: WindowTiming, log: (line: string) => void): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-cpuprof-'));
  const nodeArgs = ['--cpu-prof', `--cpu-prof-dir=${dir}`];
  const trace = scenario === 'C1' ? buildTraceDoc() : null;
  const server = await startServer(SERVERS[id], { nodeArgs, env: trace ? { UNLOAD_GRACE_MS: '50' } : {} });
  try {
    if (trace) {
      const result = await runC1(server, trace, 10, 20);
      log(`C1 under --cpu-prof: from storage p50 ${result.storage?.sequential.percentile(50).toFixed(1) ?? 'n/a'} ms`);
    } else {
      const run = await LoadRun.open(server, LOAD_SHAPES[scenario as LoadScenarioId], 'prof');
      const result = await run.measure(timing);
      log(`${scenario} under --cpu-prof: ${(result.serverCpuMicros / result.edits).toFixed(0)} µs/edit, p99 ${result.latency.percentile(99).toFixed(2)} ms`);
      await run.close();
    }
  } finally {
    await server.stop();
  }
  const file = fs.readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no .cpuprofile written in ${dir}`);
  const profile = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as CpuProfile;
  const lines = ['| busy ms | % | owner |', '| ---: | ---: | --- |'];
  for (const o of selfTimeByOwner(profile).slice(0, 15)) lines.push(`| ${o.selfMs.toFixed(0)} | ${o.percent.toFixed(1)} | ${o.owner} |`);
  lines.push('', '| self ms | % of busy | function | where |', '| ---: | ---: | --- | --- |');
  for (const t of topSelfTime(profile, 30)) lines.push(`| ${t.selfMs.toFixed(0)} | ${t.percent.toFixed(1)} | ${t.name} | ${t.where} |`);
  log(`profile: ${path.join(dir, file)}`);
  return lines.join('\n');
}
