// L3 of issue 18, in Chromium: a 1 MB Markdown document (about 500 pages) imported and opened, then
// one person types 80 characters in its middle while a second page watches.
//   part of `npm run bench -- --only=L3` (and of a full run); `--profile-l3` adds a CPU profile of the
//   typing page's keystrokes (Chrome DevTools Protocol Profiler), its heaviest functions by self time.
//
// - Time to show: navigation start → the editor holds the whole document (the provider synced, every
//   block rendered) and the next frame has been produced (requestAnimationFrame, then a task).
// - Keystroke to screen, in the typing page: the keydown's event timestamp → the frame after it
//   (requestAnimationFrame, then a MessageChannel task: the frame has been handed to the compositor),
//   each keystroke alone (the next one is pressed once the last is on screen, at a typist's pace).
// - Keystroke to the watcher's screen: the keydown (epoch ms) → the watching page's frame after its
//   editor took the character (both pages on one machine, one clock).
// - Long tasks (PerformanceObserver 'longtask', > 50 ms) in both pages, while typing and while opening.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { ensureChromium } from '../tests/helpers/chromium.js';
import { type RunningServer, SERVERS, startServer } from './servers.js';
import { Samples, sleep } from './stats.js';

const TYPED = 'The quick brown fox jumps over the lazy dog; Tandem keeps up at five hundred pages'.slice(0, 80);
/** A typist's pace: the next key this long after the last one reached the screen. */
const KEY_GAP_MS = 90;

export interface LongTask {
  /** Epoch ms. */
  start: number;
  duration: number;
}

export interface L3Result {
  markdownBytes: number;
  blocks: number;
  importMs: number;
  /** Navigation start → whole document on screen, typing page and watching page. */
  showMs: number;
  watcherShowMs: number;
  keyToScreen: Samples;
  keyToWatcher: Samples;
  longTasksTyping: { typist: LongTask[]; watcher: LongTask[] };
  longTasksOpening: { typist: LongTask[]; watcher: LongTask[] };
  /** Main-thread busy time per keystroke while typing (CDP Performance TaskDuration), ms. */
  taskMsPerKey: { typist: number; watcher: number };
  /** CPU time of each page's main thread per keystroke while typing (CDP Performance ThreadTime), ms. */
  cpuMsPerKey: { typist: number; watcher: number };
  /** Script, layout and style recalculation per keystroke (CDP Performance), as text. */
  breakdownPerKey: { typist: string; watcher: string };
  /** Heaviest functions while typing, typing page then watching page (with --profile-l3). */
  profile: string[] | null;
}

/** About 2 KB of Markdown a page: headings, paragraphs with marks, lists, now and then a code block. */
export function bigMarkdown(bytes: number): string {
  const words = 'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et dolore magna aliqua enim ad minim veniam quis nostrud exercitation ullamco laboris nisi aliquip ex ea commodo consequat'.split(' ');
  let seed = 7;
  const word = (): string => words[(seed = (seed * 16807) % 2147483647) % words.length]!;
  const sentence = (n: number): string => {
    const ws = Array.from({ length: n }, word);
    ws[0] = ws[0]![0]!.toUpperCase() + ws[0]!.slice(1);
    if (n > 6) ws[3] = `**${ws[3]}**`;
    if (n > 9) ws[7] = `*${ws[7]}*`;
    return `${ws.join(' ')}.`;
  };
  const out: string[] = ['# A long book', ''];
  let size = 0;
  for (let chapter = 1; size < bytes; chapter++) {
    const part: string[] = [`## Chapter ${chapter}`, ''];
    for (let p = 0; p < 12; p++) {
      part.push(Array.from({ length: 5 }, (_, i) => sentence(8 + ((p + i) % 7))).join(' '), '');
      if (p % 4 === 3) part.push(...Array.from({ length: 4 }, (_, i) => `- item ${chapter}.${p}.${i}: ${sentence(6)}`), '');
      if (p % 6 === 5) part.push('```', `const chapter = ${chapter}; // ${word()}`, `print(chapter * ${p})`, '```', '');
    }
    const text = part.join('\n');
    out.push(text);
    size += text.length;
  }
  return out.join('\n');
}

/** Installed before any page script: long tasks with epoch timestamps, kept in window.__longTasks. */
function observeLongTasks(): void {
  const tasks: { start: number; duration: number }[] = [];
  (window as unknown as { __longTasks: typeof tasks }).__longTasks = tasks;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) tasks.push({ start: performance.timeOrigin + entry.startTime, duration: entry.duration });
  }).observe({ type: 'longtask', buffered: true });
}

interface Tandem {
  provider: { synced: boolean };
  doc: { on(event: 'afterTransaction', f: (tr: { origin: unknown; local: boolean }) => void): void };
  view: {
    state: { doc: { childCount: number; content: { size: number }; child(i: number): { nodeSize: number; type: { name: string } } }; selection: unknown; tr: { setSelection(s: unknown): unknown } };
    dispatch(tr: unknown): void;
    focus(): void;
    dom: HTMLElement;
  };
}

async function openPage(browser: Browser, state: Awaited<ReturnType<BrowserContext['storageState']>>): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 720 }, storageState: state });
  await context.addInitScript(observeLongTasks);
  await context.addInitScript(() => localStorage.setItem('tandem.identity', JSON.stringify({ name: 'Bench', color: '#3366cc' })));
  return context.newPage();
}

/** Opens the document and waits until all of it is on screen; navigation start → that frame, ms. */
async function show(page: Page, url: string, blocks: number): Promise<number> {
  await page.goto(url);
  const shown = await page.waitForFunction(
    (n) => {
      const t = (window as unknown as { tandem?: Tandem }).tandem;
      return t !== undefined && t.provider.synced && t.view.state.doc.childCount >= n;
    },
    blocks,
    { polling: 'raf', timeout: 300_000 },
  );
  await shown.dispose();
  return page.evaluate(() => new Promise<number>((resolve) => requestAnimationFrame(() => setTimeout(() => resolve(performance.now())))));
}

const longTasks = (page: Page): Promise<LongTask[]> => page.evaluate(() => (window as unknown as { __longTasks: LongTask[] }).__longTasks.slice());

/** Runs L3 against a fresh Tandem (built: `npm run build`). */
export async function runL3(markdownBytes: number, profile: boolean, log: (line: string) => void): Promise<L3Result> {
  // L3_WEB_ROOT: another build of the web app (a before/after comparison), on the same server.
  const server = await startServer(SERVERS.tandem, { env: { WEB_ROOT: process.env.L3_WEB_ROOT ?? 'dist/web' } });
  const browser = await chromium.launch({
    executablePath: ensureChromium(log),
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  try {
    return await measure(server, browser, markdownBytes, profile, log);
  } finally {
    await browser.close();
    await server.stop();
  }
}

async function measure(server: RunningServer, browser: Browser, markdownBytes: number, profile: boolean, log: (line: string) => void): Promise<L3Result> {
  const base = `http://127.0.0.1:${server.port}`;
  // An account (import is for signed-in people), registered through the app's own page.
  const signup = await browser.newContext();
  const page0 = await signup.newPage();
  await page0.goto(`${base}/register`);
  await page0.fill('#name', 'bench-writer');
  await page0.fill('#password', 'Tr0ub4dor&3-xyzzy');
  await page0.click('#register-form button[type=submit]');
  await page0.waitForURL(`${base}/`);
  const markdown = bigMarkdown(markdownBytes);
  const importStart = performance.now();
  const imported = await signup.request.post(`${base}/api/docs/import`, { headers: { 'content-type': 'text/markdown' }, data: markdown });
  if (imported.status() !== 201) throw new Error(`import answered ${imported.status()}: ${await imported.text()}`);
  const importMs = performance.now() - importStart;
  const { id } = (await imported.json()) as { id: string };
  const state = await signup.storageState();
  await signup.close();
  const url = `${base}/d/${id}`;

  // The block count the editor must reach: asked of a first page, which then closes (its IndexedDB
  // copy is its own context's, so the measured pages start cold).
  const probe = await openPage(browser, state);
  await probe.goto(url);
  await probe.waitForFunction(() => (window as unknown as { tandem?: Tandem }).tandem?.provider.synced === true, undefined, { timeout: 300_000 });
  const blocks = await probe.evaluate(() => (window as unknown as { tandem: Tandem }).tandem.view.state.doc.childCount);
  await probe.context().close();

  const typist = await openPage(browser, state);
  const showMs = await show(typist, url, blocks);
  const watcher = await openPage(browser, state);
  const watcherShowMs = await show(watcher, url, blocks);
  log(`    L3: ${(markdown.length / 1048576).toFixed(2)} MB of Markdown, ${blocks} blocks; import ${importMs.toFixed(0)} ms; shown in ${showMs.toFixed(0)} ms (watcher ${watcherShowMs.toFixed(0)} ms)`);

  // The caret at the end of the middle block's text; the watcher notes when each character it
  // receives is on its screen.
  await typist.evaluate(() => {
    const { view } = (window as unknown as { tandem: Tandem }).tandem;
    const doc = view.state.doc;
    let pos = 0;
    let i = 0;
    for (; i < doc.childCount / 2 || doc.child(i).type.name !== 'paragraph'; i++) pos += doc.child(i).nodeSize;
    pos += doc.child(i).nodeSize - 1;
    const Selection = view.state.selection!.constructor as unknown as { near(p: unknown): unknown };
    const resolved = (view.state.doc as unknown as { resolve(p: number): unknown }).resolve(pos);
    view.dispatch((view.state.tr.setSelection(Selection.near(resolved)) as { scrollIntoView(): unknown }).scrollIntoView());
    view.focus();
    const samples: number[] = [];
    const keys: number[] = [];
    (window as unknown as { __keys: { samples: number[]; keys: number[] } }).__keys = { samples, keys };
    window.addEventListener(
      'keydown',
      (event) => {
        const t0 = event.timeStamp;
        keys.push(performance.timeOrigin + t0);
        requestAnimationFrame(() => {
          const channel = new MessageChannel();
          channel.port1.onmessage = () => samples.push(performance.now() - t0);
          channel.port2.postMessage(0);
        });
      },
      true,
    );
  });
  await watcher.evaluate(() => {
    const { doc } = (window as unknown as { tandem: Tandem }).tandem;
    const arrivals: number[] = [];
    (window as unknown as { __arrivals: number[] }).__arrivals = arrivals;
    doc.on('afterTransaction', (tr) => {
      if (tr.local) return;
      requestAnimationFrame(() => {
        const channel = new MessageChannel();
        channel.port1.onmessage = () => arrivals.push(performance.timeOrigin + performance.now());
        channel.port2.postMessage(0);
      });
    });
  });
  await sleep(1_000); // let both pages finish what opening left (IndexedDB copy, presence)
  // Main-thread time of each page while typing (Chrome's own counters, as DevTools' Performance
  // monitor shows them): a figure other processes on the machine inflate less than wall-clock ones.
  const counters = await Promise.all([typist, watcher].map((page) => page.context().newCDPSession(page)));
  await Promise.all(counters.map((session) => session.send('Performance.enable')));
  const metric = (name: string) => async (): Promise<number[]> =>
    Promise.all(counters.map(async (session) => ((await session.send('Performance.getMetrics')) as { metrics: { name: string; value: number }[] }).metrics.find((m) => m.name === name)?.value ?? Number.NaN));
  // TaskDuration: wall time of the main thread's tasks (a task descheduled by other processes counts
  // whole); ThreadTime: the main thread's CPU time.
  const taskSeconds = metric('TaskDuration');
  const threadSeconds = metric('ThreadTime');
  const BREAKDOWN = ['ScriptDuration', 'LayoutDuration', 'RecalcStyleDuration', 'LayoutCount', 'RecalcStyleCount'];
  const breakdown = async (): Promise<Record<string, number>[]> =>
    Promise.all(counters.map(async (session) => Object.fromEntries(((await session.send('Performance.getMetrics')) as { metrics: { name: string; value: number }[] }).metrics.filter((m) => BREAKDOWN.includes(m.name)).map((m) => [m.name, m.value]))));
  const breakdownBefore = await breakdown();
  const tasksBefore = await taskSeconds();
  const cpuBefore = await threadSeconds();
  const profilers = profile ? await Promise.all([typist, watcher].map((page) => page.context().newCDPSession(page))) : [];
  for (const cdp of profilers) {
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
    await cdp.send('Profiler.start');
  }
  if (process.env.L3_TRACE) await browser.startTracing(typist, { categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'blink', 'cc', 'v8'] });
  const typingStart = Date.now();
  for (const [n, char] of [...TYPED].entries()) {
    await typist.keyboard.type(char);
    await typist.waitForFunction((k) => (window as unknown as { __keys: { samples: number[] } }).__keys.samples.length > k, n, { polling: 'raf' });
    await sleep(KEY_GAP_MS);
  }
  const arrived = await watcher
    .waitForFunction((k) => (window as unknown as { __arrivals: number[] }).__arrivals.length >= k, TYPED.length, { timeout: 30_000 })
    .then(() => true, () => false);
  const typingEnd = Date.now() + 100;
  if (process.env.L3_TRACE) {
    // Where the typing page's main thread spent its time: complete events by name, self time.
    const trace = JSON.parse((await browser.stopTracing()).toString()) as { traceEvents: { name: string; ph: string; dur?: number; tdur?: number; pid: number; tid: number; ts: number; args?: { name?: string } }[] };
    const mains = new Set(trace.traceEvents.filter((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain').map((e) => `${e.pid}:${e.tid}`));
    const byName = new Map<string, number>();
    for (const e of trace.traceEvents) {
      if (e.ph !== 'X' || !mains.has(`${e.pid}:${e.tid}`)) continue;
      byName.set(`${e.pid} ${e.name}`, (byName.get(`${e.pid} ${e.name}`) ?? 0) + (e.tdur ?? e.dur ?? 0));
    }
    log([...byName].sort((a, b) => b[1] - a[1]).slice(0, 30).map(([k, us]) => `${(us / 1000 / TYPED.length).toFixed(2).padStart(8)} ms/key (thread time, inclusive)  ${k}`).join('\n'));
  }
  const tasksAfter = await taskSeconds();
  const cpuAfter = await threadSeconds();
  const breakdownAfter = await breakdown();
  const perKey = breakdownAfter.map((after, i) =>
    BREAKDOWN.map((name) => `${name.replace('Duration', '')} ${(((after[name] ?? Number.NaN) - (breakdownBefore[i]![name] ?? Number.NaN)) * (name.endsWith('Count') ? 1 : 1000) / TYPED.length).toFixed(name.endsWith('Count') ? 1 : 1)}${name.endsWith('Count') ? '' : ' ms'}`).join(', '));
  const [typistCpuMs, watcherCpuMs] = cpuAfter.map((after, i) => ((after - cpuBefore[i]!) * 1000) / TYPED.length);
  const [typistTaskMs, watcherTaskMs] = tasksAfter.map((after, i) => ((after - tasksBefore[i]!) * 1000) / TYPED.length);
  const profileLines: string[] | null = profile ? [] : null;
  for (const [i, cdp] of profilers.entries()) {
    const { profile: cpuProfile } = (await cdp.send('Profiler.stop')) as { profile: CpuProfile };
    // L3_PROFILE_DIR: the raw profiles too (open in DevTools' Performance panel, or read with a script).
    if (process.env.L3_PROFILE_DIR) writeFileSync(path.join(process.env.L3_PROFILE_DIR, `l3-${i === 0 ? 'typist' : 'watcher'}.cpuprofile`), JSON.stringify(cpuProfile));
    profileLines!.push(i === 0 ? '— the typing page —' : '— the watching page —', ...topSelfTime(cpuProfile));
  }
  const { samples, keys } = await typist.evaluate(() => (window as unknown as { __keys: { samples: number[]; keys: number[] } }).__keys);
  const arrivals = await watcher.evaluate(() => (window as unknown as { __arrivals: number[] }).__arrivals);
  if (!arrived) log(`    L3: the watcher saw ${arrivals.length} of ${TYPED.length} remote changes`);
  const keyToScreen = new Samples();
  for (const s of samples) keyToScreen.add(s);
  const keyToWatcher = new Samples();
  // Each keystroke is one update, relayed as one change: the k-th arrival is the k-th key.
  for (const [k, at] of arrivals.slice(0, keys.length).entries()) keyToWatcher.add(at - keys[k]!);
  const text = await watcher.evaluate(() => (window as unknown as { tandem: { view: { dom: HTMLElement } } }).tandem.view.dom.textContent ?? '');
  if (!text.includes(TYPED)) throw new Error('the watcher does not show the typed text');
  const [typistTasks, watcherTasks] = await Promise.all([longTasks(typist), longTasks(watcher)]);
  const during = (tasks: LongTask[]): LongTask[] => tasks.filter((t) => t.start + t.duration >= typingStart && t.start <= typingEnd);
  const before = (tasks: LongTask[]): LongTask[] => tasks.filter((t) => t.start < typingStart - 1_000);
  return {
    markdownBytes: markdown.length,
    blocks,
    importMs,
    showMs,
    watcherShowMs,
    keyToScreen,
    keyToWatcher,
    longTasksTyping: { typist: during(typistTasks), watcher: during(watcherTasks) },
    longTasksOpening: { typist: before(typistTasks), watcher: before(watcherTasks) },
    taskMsPerKey: { typist: typistTaskMs!, watcher: watcherTaskMs! },
    cpuMsPerKey: { typist: typistCpuMs!, watcher: watcherCpuMs! },
    breakdownPerKey: { typist: perKey[0]!, watcher: perKey[1]! },
    profile: profileLines,
  };
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

/**
 * The 25 functions with the most self time in a CDP CPU profile (idle and program excluded), then the
 * 25 with the most total time (self and callees, each function counted once per stack).
 */
function topSelfTime(profile: CpuProfile): string[] {
  const self = new Map<number, number>();
  for (const [i, id] of profile.samples.entries()) self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const keyOf = (id: number): string => {
    const { functionName, url, lineNumber } = nodes.get(id)!.callFrame;
    return `${functionName || '(anonymous)'} ${url.split('/').pop()}:${lineNumber + 1}`;
  };
  const bySelf = new Map<string, number>();
  const byTotal = new Map<string, number>();
  let total = 0;
  for (const [id, us] of self) {
    const { functionName } = nodes.get(id)!.callFrame;
    if (functionName === '(idle)' || functionName === '(program)') continue;
    total += us;
    bySelf.set(keyOf(id), (bySelf.get(keyOf(id)) ?? 0) + us);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const key = keyOf(at);
      if (seen.has(key)) continue;
      seen.add(key);
      byTotal.set(key, (byTotal.get(key) ?? 0) + us);
    }
  }
  const top = (map: Map<string, number>, n = 25): string[] => [...map].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, us]) => `${(us / 1000).toFixed(1).padStart(8)} ms  ${k}`);
  // Where the five heaviest functions by self time are called from: the chain of callers, three up.
  const heaviest = [...bySelf].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([k]) => k);
  const callers = heaviest.flatMap((name) => {
    const chains = new Map<string, number>();
    for (const [id, us] of self) {
      if (keyOf(id) !== name) continue;
      const chain: string[] = [];
      for (let at = parent.get(id); at !== undefined && chain.length < 3; at = parent.get(at)) chain.push(keyOf(at).split(' ')[0]!);
      chains.set(chain.join(' ← '), (chains.get(chain.join(' ← ')) ?? 0) + us);
    }
    return [`${name} ←`, ...top(chains, 3).map((line) => `    ${line}`)];
  });
  return [`busy ${(total / 1000).toFixed(0)} ms in all; by self time:`, ...top(bySelf), 'by total time:', ...top(byTotal, 45), 'callers:', ...callers];
}

export function l3Lines(r: L3Result): string[] {
  const f = (n: number): string => n.toFixed(1);
  const tasks = (list: LongTask[]): string => (list.length === 0 ? 'none' : `${list.length} (longest ${list.reduce((m, t) => Math.max(m, t.duration), 0).toFixed(0)} ms)`);
  const p95 = r.keyToScreen.percentile(95);
  return [
    `| Markdown imported | ${(r.markdownBytes / 1048576).toFixed(2)} MB, ${r.blocks} blocks, import ${r.importMs.toFixed(0)} ms |`,
    `| time to show (navigation → whole document on screen) | typist ${r.showMs.toFixed(0)} ms, watcher ${r.watcherShowMs.toFixed(0)} ms |`,
    `| long tasks while opening | typist ${tasks(r.longTasksOpening.typist)}, watcher ${tasks(r.longTasksOpening.watcher)} |`,
    `| keystroke → typist's screen, ${r.keyToScreen.count} keys | p50 ${f(r.keyToScreen.percentile(50))} ms, p95 ${f(p95)} ms, max ${f(r.keyToScreen.max)} ms ${p95 <= 16 ? '✓' : '✗'} (p95 ≤ 16 ms) |`,
    `| keystroke → watcher's screen | p50 ${f(r.keyToWatcher.percentile(50))} ms, p95 ${f(r.keyToWatcher.percentile(95))} ms, max ${f(r.keyToWatcher.max)} ms |`,
    `| main-thread time per keystroke (Chrome's TaskDuration) | typist ${f(r.taskMsPerKey.typist)} ms, watcher ${f(r.taskMsPerKey.watcher)} ms |`,
    `| main-thread CPU time per keystroke (Chrome's ThreadTime) | typist ${f(r.cpuMsPerKey.typist)} ms, watcher ${f(r.cpuMsPerKey.watcher)} ms |`,
    `| per keystroke, typist | ${r.breakdownPerKey.typist} |`,
    `| per keystroke, watcher | ${r.breakdownPerKey.watcher} |`,
    `| long tasks while typing | typist ${tasks(r.longTasksTyping.typist)}, watcher ${tasks(r.longTasksTyping.watcher)} ${r.longTasksTyping.typist.length + r.longTasksTyping.watcher.length === 0 ? '✓' : '✗'} (none) |`,
  ];
}

// Alone: node --import tsx bench/bigEditor.ts [--profile-l3] (after npm run build)
if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await runL3(Number(process.env.L3_BYTES ?? 1_048_576), process.argv.includes('--profile-l3'), console.log);
  for (const line of l3Lines(result)) console.log(line);
  if (result.profile) console.log(result.profile.join('\n'));
  process.exit(0);
}
