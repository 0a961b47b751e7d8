/** A growing list of numbers (latencies in ms, join times…) with percentiles. */
export class Samples {
  private values = new Float64Array(1024);
  private size = 0;
  private sorted = true;

  get count(): number {
    return this.size;
  }

  add(value: number): void {
    if (this.size === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.size++] = value;
    this.sorted = false;
  }

  /** Adds every value of `other` (pooling rounds). */
  addAll(other: Samples): void {
    for (let i = 0; i < other.size; i++) this.add(other.values[i]!);
  }

  /** The p-th percentile (0–100, nearest rank), or NaN when empty. */
  percentile(p: number): number {
    if (this.size === 0) return Number.NaN;
    if (!this.sorted) {
      this.values.subarray(0, this.size).sort();
      this.sorted = true;
    }
    const rank = Math.min(this.size - 1, Math.max(0, Math.ceil((p / 100) * this.size) - 1));
    return this.values[rank]!;
  }

  get max(): number {
    return this.percentile(100);
  }
}

/** p50/p95/p99/max of a sample set, NaN where empty. */
export interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export function percentiles(samples: Samples): Percentiles {
  return { p50: samples.percentile(50), p95: samples.percentile(95), p99: samples.percentile(99), max: samples.max };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `predicate` every `everyMs` until it holds (true) or `timeoutMs` passes (false). */
export async function waitFor(predicate: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 20): Promise<boolean> {
  const end = performance.now() + timeoutMs;
  while (performance.now() < end) {
    if (await predicate()) return true;
    await sleep(everyMs);
  }
  return predicate();
}
