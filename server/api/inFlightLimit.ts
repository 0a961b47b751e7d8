import type { FastifyBaseLogger } from 'fastify';
import { ApiHttpError } from './apiError.js';

/**
 * At most `max` of one kind of heavy request (each holding a whole document or log in memory while
 * it waits for a worker thread) at once; one more is refused at once with 503 `busy` and
 * Retry-After, and a log line, instead of queueing without bound.
 */
export class InFlightLimit {
  private running = 0;

  constructor(
    private readonly max: number,
    /** What is refused, for the log line and the answer ("Version history", "Export"). */
    private readonly what: string,
  ) {}

  /** Requests of this kind running now. */
  get inFlight(): number {
    return this.running;
  }

  /** Runs `work`, or throws ApiHttpError 503 `busy` when `max` already run. */
  async run<T>(log: FastifyBaseLogger, context: Record<string, unknown>, work: () => Promise<T>): Promise<T> {
    if (this.running >= this.max) {
      log.warn({ ...context, inFlight: this.running }, `refused a request: ${this.what} is busy`);
      throw new ApiHttpError(503, 'busy', `${this.what} is busy; try again in a moment.`, { 'retry-after': '1' });
    }
    this.running += 1;
    try {
      return await work();
    } finally {
      this.running -= 1;
    }
  }
}
