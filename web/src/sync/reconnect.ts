import type { WebsocketProvider } from 'y-websocket';
import { CloseCode, isPermanentRefusal, isReconnectAtOnce } from '../../../shared/closeCodes.js';

/**
 * Reconnecting politely. When a server restarts (1012) or crashes, every client loses its socket
 * in the same instant; if all of them come back on the same schedule, the new server meets them
 * all at once (a reconnect storm). y-websocket's own backoff (100 ms · 2ⁿ) is the same for every
 * client, so the page takes reconnecting over after every server close that is not a refusal:
 * the provider is built with `shouldReconnect: () => false` (it then stops and emits 'closed'),
 * and a random delay later this module calls `provider.connect()`.
 */

/** Shortest wait before reconnecting. */
export const RECONNECT_MIN_DELAY_MS = 250;
/** Longest wait for the first attempt after a close: the spread of a restart's reconnects. */
export const RECONNECT_FIRST_CEILING_MS = 3_000;
/** The ceiling grows by this factor with each failed attempt… */
export const RECONNECT_GROWTH = 1.5;
/** …up to this. */
export const RECONNECT_MAX_CEILING_MS = 10_000;

/**
 * How long to wait before reconnect attempt number `attempt` (1 = the first after a close; the
 * count restarts once a connection has synced): uniformly random between RECONNECT_MIN_DELAY_MS
 * and a ceiling that starts at RECONNECT_FIRST_CEILING_MS and grows by RECONNECT_GROWTH per attempt,
 * up to RECONNECT_MAX_CEILING_MS ("full jitter"). `random` returns a number in [0, 1). An attempt
 * below 1 counts as 1. Returns whole milliseconds.
 */
export function reconnectDelayMs(attempt: number, random: () => number = Math.random): number {
  const n = Math.max(1, Math.floor(Number.isFinite(attempt) ? attempt : 1));
  const ceiling = Math.min(RECONNECT_FIRST_CEILING_MS * RECONNECT_GROWTH ** (n - 1), RECONNECT_MAX_CEILING_MS);
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.round(RECONNECT_MIN_DELAY_MS + r * (ceiling - RECONNECT_MIN_DELAY_MS));
}

/**
 * Whether a close code means reconnecting cannot help, so the page should stop and tell the user
 * why (with a Retry button). Beyond the 44xx refusals, this includes 1008 (the server refuses
 * this document address), 1009 (a change too large: every reconnect would resend it in the step2
 * and be closed again) and 1003 (we sent something the server never accepts).
 */
export function isTerminalClose(code: number): boolean {
  return (
    isPermanentRefusal(code) ||
    code === CloseCode.policy ||
    code === CloseCode.tooBig ||
    code === CloseCode.unsupportedData
  );
}

/** The reconnect schedule as the page (and browser tests, via window.tandem.reconnect) see it. */
export interface ReconnectHandle {
  /** Attempts since the last successful sync (0 when connected or never closed). */
  readonly attempt: number;
  /** The delay chosen for the scheduled attempt, or null when none is scheduled. */
  readonly scheduledDelayMs: number | null;
  /** Every delay chosen so far on this page, oldest first (for tests and debugging). */
  readonly history: readonly number[];
  /** Cancels a scheduled attempt (e.g. before `provider.disconnect()` to stay offline on purpose). */
  cancel(): void;
  /** Cancels a scheduled attempt and connects at once. */
  connectNow(): void;
}

/**
 * Reconnects `provider` after every non-terminal 'closed', with the delay `delayFor(attempt)` — at
 * once after 4100/4101 (isReconnectAtOnce) from a connection that synced since the last such close.
 * The provider must have been built with `shouldReconnect: () => false`. A terminal close
 * (isTerminalClose) schedules nothing: the page shows why and offers Retry. When the browser comes
 * back online, a scheduled attempt is made at once.
 */
export function reconnectPolitely(
  provider: WebsocketProvider,
  delayFor: (attempt: number) => number = reconnectDelayMs,
): ReconnectHandle {
  let attempt = 0;
  let atOnceSinceSync = false;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let scheduledDelayMs: number | null = null;
  const history: number[] = [];

  const cancel = (): void => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    scheduledDelayMs = null;
  };
  const connectNow = (): void => {
    cancel();
    provider.connect();
  };

  provider.on('closed', ({ code }) => {
    if (isTerminalClose(code)) return;
    // Our own socket moving from HTTP to a WebSocket, or an HTTP session another process holds:
    // nothing a wait would help, so none — once per sync: a second such close before the new
    // connection synced (a balancer that keeps sending this client's requests to other processes)
    // waits as any other.
    if (isReconnectAtOnce(code) && !atOnceSinceSync) {
      atOnceSinceSync = true;
      return connectNow();
    }
    cancel();
    attempt += 1;
    const delay = delayFor(attempt);
    scheduledDelayMs = delay;
    history.push(delay);
    timer = setTimeout(connectNow, delay);
  });
  provider.on('sync', (synced) => {
    if (!synced) return;
    attempt = 0;
    atOnceSinceSync = false;
  });
  if (typeof window !== 'undefined') {
    window.addEventListener('online', () => {
      if (timer !== null) connectNow();
    });
  }

  return {
    get attempt() {
      return attempt;
    },
    get scheduledDelayMs() {
      return scheduledDelayMs;
    },
    history,
    cancel,
    connectNow,
  };
}
