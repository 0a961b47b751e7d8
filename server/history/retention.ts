import type { VersionRecord } from '../store/historyStore.js';

/** How long automatic versions are kept, and how thinly (VERSION_KEEP_ALL_MS, VERSION_KEEP_HOURLY_MS). */
export interface RetentionPolicy {
  /** Younger than this, every version is kept (default 24 hours). */
  keepAllMs: number;
  /** Younger than this, one version an hour is kept (default 30 days); older, one a day. */
  keepHourlyMs: number;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/**
 * The versions thinning drops: named versions are kept for ever, and so is the newest version; of
 * the others, all younger than keepAllMs, then the newest of each hour until keepHourlyMs, then the
 * newest of each day. Pure: `versions` in any order, ids of those to drop in ascending seq order.
 */
export function versionsToDrop(versions: readonly VersionRecord[], now: number, policy: RetentionPolicy): number[] {
  const sorted = [...versions].sort((a, b) => b.seq - a.seq || b.id - a.id);
  const seenBuckets = new Set<string>();
  const drop: VersionRecord[] = [];
  sorted.forEach((version, i) => {
    if (version.name !== null) return;
    const age = now - version.createdAt;
    if (age < policy.keepAllMs) return;
    const bucket = age < policy.keepHourlyMs ? `h${Math.floor(version.createdAt / HOUR_MS)}` : `d${Math.floor(version.createdAt / DAY_MS)}`;
    // The newest is kept whatever its age, and stands for its hour or day.
    if (i > 0 && seenBuckets.has(bucket)) drop.push(version);
    else seenBuckets.add(bucket);
  });
  return drop.sort((a, b) => a.seq - b.seq).map((version) => version.id);
}
