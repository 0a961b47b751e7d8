import { describe, expect, it } from 'vitest';
import { CloseCode } from '../../shared/closeCodes.js';
import {
  isTerminalClose,
  RECONNECT_FIRST_CEILING_MS,
  RECONNECT_MAX_CEILING_MS,
  RECONNECT_MIN_DELAY_MS,
  reconnectDelayMs,
} from '../../web/src/sync/reconnect.js';

describe('reconnectDelayMs (jittered reconnect policy)', () => {
  it('spreads the first attempt after a close between the minimum and the first ceiling', () => {
    expect(reconnectDelayMs(1, () => 0)).toBe(RECONNECT_MIN_DELAY_MS);
    expect(reconnectDelayMs(1, () => 0.999999)).toBe(RECONNECT_FIRST_CEILING_MS);
    expect(reconnectDelayMs(1, () => 0.5)).toBe(Math.round((RECONNECT_MIN_DELAY_MS + RECONNECT_FIRST_CEILING_MS) / 2));
  });

  it('lets the ceiling grow with consecutive attempts, up to the maximum, never the floor', () => {
    const ceilings = [1, 2, 3, 4, 5, 10, 50].map((attempt) => reconnectDelayMs(attempt, () => 0.999999));
    for (let i = 1; i < ceilings.length; i++) expect(ceilings[i]).toBeGreaterThanOrEqual(ceilings[i - 1]!);
    expect(ceilings[1]).toBeGreaterThan(ceilings[0]!);
    expect(ceilings.at(-1)).toBe(RECONNECT_MAX_CEILING_MS);
    expect(reconnectDelayMs(50, () => 0)).toBe(RECONNECT_MIN_DELAY_MS);
  });

  it('treats nonsense attempts as the first, and clamps a misbehaving random source', () => {
    expect(reconnectDelayMs(0, () => 1)).toBe(RECONNECT_FIRST_CEILING_MS);
    expect(reconnectDelayMs(-3, () => 1)).toBe(RECONNECT_FIRST_CEILING_MS);
    expect(reconnectDelayMs(Number.NaN, () => 1)).toBe(RECONNECT_FIRST_CEILING_MS);
    expect(reconnectDelayMs(1, () => 7)).toBe(RECONNECT_FIRST_CEILING_MS);
    expect(reconnectDelayMs(1, () => -1)).toBe(RECONNECT_MIN_DELAY_MS);
  });

  it('with Math.random, a thousand clients restarting together do not come back together', () => {
    const delays = Array.from({ length: 1000 }, () => reconnectDelayMs(1));
    const perSecond = new Map<number, number>();
    for (const delay of delays) {
      expect(delay).toBeGreaterThanOrEqual(RECONNECT_MIN_DELAY_MS);
      expect(delay).toBeLessThanOrEqual(RECONNECT_FIRST_CEILING_MS);
      perSecond.set(Math.floor(delay / 1000), (perSecond.get(Math.floor(delay / 1000)) ?? 0) + 1);
    }
    // Spread over the three seconds: no second gets more than half of them.
    expect(Math.max(...perSecond.values())).toBeLessThan(500);
    expect(new Set(delays).size).toBeGreaterThan(500);
  });
});

describe('isTerminalClose', () => {
  it('stops on refusals, reconnects after restarts and faults', () => {
    for (const code of [CloseCode.badMessage, CloseCode.forbidden, CloseCode.updateRejected, CloseCode.policy, CloseCode.tooBig, CloseCode.unsupportedData]) {
      expect(isTerminalClose(code)).toBe(true);
    }
    for (const code of [CloseCode.restarting, CloseCode.serverError, CloseCode.loadFailed, CloseCode.storageFailed, 1006, CloseCode.normal]) {
      expect(isTerminalClose(code)).toBe(false);
    }
  });
});
