import type { Pooled } from './report.js';
import type { LoadScenarioId } from './scenarios.js';
import { SERVERS, type ServerId } from './servers.js';

const COLORS: Record<ServerId, string> = {
  tandem: '#d9480f',
  'tandem-memory': '#f59f00',
  'tandem-cluster': '#862e9c',
  'hocuspocus-cluster': '#087f5b',
  'tandem-http': '#e8590c',
  yws: '#1c7ed6',
  'yws-leveldb': '#4dabf7',
  hocuspocus: '#2f9e44',
  'hocuspocus-sqlite': '#8ce99a',
};

const W = 920;
const PANEL = 250;
const LEFT = 70;
const SCENARIOS: LoadScenarioId[] = ['E1', 'E2', 'E3'];

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;');
}

/**
 * Two panels, hand-drawn: fan-out latency per server for E1–E3 (one bar per server, p99 light,
 * p95 middle, p50 dark, log scale), and server CPU µs per edit (linear).
 */
export function chart(title: string, servers: ServerId[], pooled: Record<LoadScenarioId, Partial<Record<ServerId, Pooled | null>>>): string {
  const out: string[] = [];
  const groupW = (W - LEFT - 20) / SCENARIOS.length;
  const barW = Math.min(36, (groupW - 30) / servers.length);
  const x = (g: number, s: number): number => LEFT + g * groupW + 15 + s * barW;
  const top1 = 50;
  const top2 = top1 + PANEL + 60;
  const legendY = top2 + PANEL + 45;
  const height = legendY + 20;
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="100%" height="100%" fill="#fff"/><text x="${LEFT}" y="24" font-size="16" font-weight="bold">${esc(title)}</text>`);

  // Panel 1: latency, log scale from 0.1 ms to the next power of ten above the largest p99.
  const p99s = SCENARIOS.flatMap((sc) => servers.map((id) => pooled[sc][id]?.latency.percentile(99) ?? Number.NaN)).filter(Number.isFinite);
  const maxDecade = Math.max(1, Math.ceil(Math.log10(Math.max(1, ...p99s))));
  const minDecade = -1;
  const y1 = (ms: number): number => top1 + PANEL - ((Math.log10(Math.max(ms, 0.1)) - minDecade) / (maxDecade - minDecade)) * PANEL;
  out.push(`<text x="${LEFT}" y="${top1 - 8}" font-weight="bold">fan-out latency, ms (log scale): bar = p99, middle = p95, dark = p50</text>`);
  for (let d = minDecade; d <= maxDecade; d++) {
    const yy = y1(10 ** d);
    out.push(`<line x1="${LEFT}" x2="${W - 20}" y1="${yy}" y2="${yy}" stroke="#ddd"/><text x="${LEFT - 6}" y="${yy + 4}" text-anchor="end">${10 ** d}</text>`);
  }
  SCENARIOS.forEach((sc, g) => {
    servers.forEach((id, s) => {
      const p = pooled[sc][id];
      if (!p) return;
      const base = y1(0.1);
      for (const [pct, opacity] of [[99, 0.35], [95, 0.6], [50, 1]] as const) {
        const v = p.latency.percentile(pct);
        if (!Number.isFinite(v)) continue;
        out.push(`<rect x="${x(g, s) + 2}" y="${y1(v)}" width="${barW - 4}" height="${Math.max(0, base - y1(v))}" fill="${COLORS[id]}" fill-opacity="${opacity}"><title>${esc(SERVERS[id].label)} ${sc} p${pct} ${v.toFixed(2)} ms</title></rect>`);
      }
      const v99 = p.latency.percentile(99);
      if (Number.isFinite(v99)) out.push(`<text x="${x(g, s) + barW / 2}" y="${y1(v99) - 3}" text-anchor="middle" font-size="10">${v99 < 10 ? v99.toFixed(1) : v99.toFixed(0)}</text>`);
    });
    out.push(`<text x="${LEFT + g * groupW + groupW / 2}" y="${top1 + PANEL + 16}" text-anchor="middle" font-weight="bold">${sc}</text>`);
  });

  // Panel 2: CPU per edit, linear.
  const cpus = SCENARIOS.flatMap((sc) => servers.map((id) => pooled[sc][id]?.cpuMicrosPerEdit ?? Number.NaN)).filter(Number.isFinite);
  const step = niceStep(Math.max(1, ...cpus) / 5);
  const cpuMax = Math.ceil(Math.max(1, ...cpus) / step) * step;
  const y2 = (us: number): number => top2 + PANEL - (us / cpuMax) * PANEL;
  out.push(`<text x="${LEFT}" y="${top2 - 8}" font-weight="bold">server CPU per edit, µs (user + system, all threads)</text>`);
  for (let v = 0; v <= cpuMax; v += step) {
    out.push(`<line x1="${LEFT}" x2="${W - 20}" y1="${y2(v)}" y2="${y2(v)}" stroke="#ddd"/><text x="${LEFT - 6}" y="${y2(v) + 4}" text-anchor="end">${v}</text>`);
  }
  SCENARIOS.forEach((sc, g) => {
    servers.forEach((id, s) => {
      const v = pooled[sc][id]?.cpuMicrosPerEdit;
      if (v === undefined || !Number.isFinite(v)) return;
      out.push(`<rect x="${x(g, s) + 2}" y="${y2(v)}" width="${barW - 4}" height="${y2(0) - y2(v)}" fill="${COLORS[id]}"><title>${esc(SERVERS[id].label)} ${sc} ${v.toFixed(0)} µs/edit</title></rect>`);
      out.push(`<text x="${x(g, s) + barW / 2}" y="${y2(v) - 3}" text-anchor="middle" font-size="10">${v.toFixed(0)}</text>`);
    });
    out.push(`<text x="${LEFT + g * groupW + groupW / 2}" y="${top2 + PANEL + 16}" text-anchor="middle" font-weight="bold">${sc}</text>`);
  });

  // Legend.
  let lx = LEFT;
  for (const id of servers) {
    out.push(`<rect x="${lx}" y="${legendY - 10}" width="12" height="12" fill="${COLORS[id]}"/><text x="${lx + 16}" y="${legendY}">${esc(SERVERS[id].label)}</text>`);
    lx += 34 + SERVERS[id].label.length * 6.8;
  }
  out.push('</svg>');
  return out.join('\n');
}

function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * power >= raw) return m * power;
  return 10 * power;
}
