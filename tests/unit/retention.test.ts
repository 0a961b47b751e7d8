import { describe, expect, it } from 'vitest';
import { versionsToDrop } from '../../server/history/retention.js';
import type { VersionRecord } from '../../server/store/historyStore.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const policy = { keepAllMs: DAY, keepHourlyMs: 30 * DAY };

function version(id: number, createdAt: number, name: string | null = null): VersionRecord {
  return { id, docId: 'd', seq: id * 10, kind: name ? 'named' : 'auto', name, createdAt, authors: [] };
}

describe('retention', () => {
  it('keeps everything of the last day, one an hour for a month, one a day after, named ones for ever', () => {
    const now = 100 * DAY;
    const versions = [
      version(1, now - 60 * DAY + 1000), // day A
      version(2, now - 60 * DAY + 2000, 'Launch'), // named: kept
      version(3, now - 60 * DAY + 3000), // day A, newer than 1: kept, 1 dropped
      version(4, now - 2 * DAY), // hour X
      version(5, now - 2 * DAY + 60_000), // hour X, newer: kept, 4 dropped
      version(6, now - 3 * HOUR),
      version(7, now - 3 * HOUR + 1), // within the day: both kept
    ];
    expect(versionsToDrop(versions, now, policy)).toEqual([1, 4]);
  });

  it('never drops the newest version, even when everything is old', () => {
    const now = 100 * DAY;
    expect(versionsToDrop([version(1, 0), version(2, 1)], now, { keepAllMs: 0, keepHourlyMs: 0 })).toEqual([1]);
    expect(versionsToDrop([version(1, 0)], now, { keepAllMs: 0, keepHourlyMs: 0 })).toEqual([]);
  });
});
