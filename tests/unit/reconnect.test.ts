import { describe, expect, it } from 'vitest';
import { CloseCode } from '../../shared/closeCodes.js';
import {
  isTerminalClose,
  RECONNECT_FIRST_CEILING_MS,
  RECONNECT_MAX_CEILING_MS,
  RECONNECT_MIN_DELAY_MS,
  reconnectDelayMs,
  reconnectPolitely,
} from '../../web/src/sync/reconnect.js';
import type { WebsocketProvider } from 'y-websocket';

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

describe('reconnectPolitely', () => {
  /** The part of a WebsocketProvider reconnectPolitely uses: 'closed' and 'sync' listeners, connect(). */
  function fakeProvider() {
    const listeners = new Map<string, Array<(value: never) => void>>();
    const provider = {
      connects: 0,
      on(name: string, listener: (value: never) => void) {
        listeners.set(name, [...(listeners.get(name) ?? []), listener]);
      },
      connect() {
        provider.connects++;
      },
      close(code: number) {
        for (const listener of listeners.get('closed') ?? []) listener({ code } as never);
      },
      sync() {
        for (const listener of listeners.get('sync') ?? []) listener(true as never);
      },
    };
    return provider;
  }

  it('reconnects at once after 4100 (moving to a WebSocket) and 4101 (an HTTP session another process holds); after other closes, later', () => {
    const provider = fakeProvider();
    const handle = reconnectPolitely(provider as unknown as WebsocketProvider, () => 1_000);
    provider.close(CloseCode.transportSwitch);
    expect(provider.connects).toBe(1);
    provider.sync();
    provider.close(CloseCode.sessionUnknown);
    expect(provider.connects).toBe(2);
    expect(handle.history).toEqual([]);
    provider.sync();
    provider.close(1006);
    expect(provider.connects).toBe(2);
    expect(handle.scheduledDelayMs).toBe(1_000);
    handle.cancel();
  });

  it('a second 4101 before the new connection synced (a balancer spreading one client over processes) waits as any other close', () => {
    const provider = fakeProvider();
    const handle = reconnectPolitely(provider as unknown as WebsocketProvider, (attempt) => attempt * 1_000);
    provider.close(CloseCode.sessionUnknown);
    expect(provider.connects).toBe(1);
    provider.close(CloseCode.sessionUnknown);
    expect(provider.connects).toBe(1);
    expect(handle.scheduledDelayMs).toBe(1_000);
    handle.cancel();
  });
});
