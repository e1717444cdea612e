import { MAX_HISTORY_POINTS, type BucketResolution, type Resolution } from '@ioc/contracts';
import { ErrorCode, IocError } from '@ioc/common';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export const BUCKET_MS: Record<BucketResolution, number> = { '1m': MINUTE, '1h': HOUR, '1d': DAY };

/** `auto`: raw up to 2 h, 1-minute buckets up to 2 days, hourly up to 180 days, then days. */
export function chooseResolution(asked: Resolution | 'auto', spanMs: number): Resolution {
  if (asked !== 'auto') return asked;
  if (spanMs <= 2 * HOUR) return 'raw';
  if (spanMs <= 2 * DAY) return '1m';
  if (spanMs <= 180 * DAY) return '1h';
  return '1d';
}

/** Buckets of that size touched by [from, to): a day more or less across a DST change does not matter here. */
export function bucketCount(resolution: BucketResolution, from: number, to: number): number {
  const size = BUCKET_MS[resolution];
  return Math.floor((to - 1) / size) - Math.floor(from / size) + 1;
}

/** 400 when the answer would hold more points than one response may. */
export function checkPointBudget(resolution: BucketResolution, from: number, to: number, metrics: number): void {
  const points = bucketCount(resolution, from, to) * metrics;
  if (points > MAX_HISTORY_POINTS) {
    throw new IocError(
      ErrorCode.Invalid,
      `resolution: ${points} points (buckets x metrics) asked for, at most ${MAX_HISTORY_POINTS}: choose a coarser resolution, fewer metrics or a shorter range`,
    );
  }
}

/** The zone's offset from UTC at that instant, in minutes (Asia/Ho_Chi_Minh: 420). */
export function utcOffsetMinutes(timeZone: string, at: number): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(new Date(at));
  const get = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  const local = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return Math.round((local - Math.floor(at / 1000) * 1000) / MINUTE);
}

/**
 * Days are assembled from hourly rollups, which is exact only where local midnight falls on a
 * UTC hour (whole-hour offsets such as Asia/Ho_Chi_Minh, +07:00).
 */
export function checkDayZone(timeZone: string, from: number, to: number): void {
  for (const at of [from, to - 1]) {
    if (utcOffsetMinutes(timeZone, at) % 60 !== 0) {
      throw new IocError(ErrorCode.Invalid, `tz: ${timeZone} is not a whole number of hours from UTC; days are built from hourly buckets`);
    }
  }
}
