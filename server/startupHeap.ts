import v8 from 'node:v8';

// V8 doubles its young generation (up to 2 × 16 MB) each time more survives a scavenge than it holds.
// Start-up's module loading and app building keep most of what they allocate, so by the time the
// server listens the young generation has grown to 8–16 MB of touched memory that an idle server
// never needs again: a fifth of its RSS. Growth is held off while the server starts and allowed
// again once it listens, so load grows it as before (V8 reads the factor at each growth).
//
// Imported first by main.ts, so that it runs before the other modules load. Left alone when the
// factor was given on the command line or in NODE_OPTIONS.

/** V8's default (`node --v8-options`). */
const DEFAULT_GROWTH_FACTOR = 2;
const FLAG = '--semi-space-growth-factor';

const givenByOperator = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].some(
  (arg) => arg.startsWith(FLAG) || arg.startsWith(FLAG.replace(/-/g, '_').replace(/^__/, '--')),
);
if (!givenByOperator) v8.setFlagsFromString(`${FLAG}=1`);

/** The server listens: the young generation may grow with load again. */
export function startupDone(): void {
  if (!givenByOperator) v8.setFlagsFromString(`${FLAG}=${DEFAULT_GROWTH_FACTOR}`);
}
