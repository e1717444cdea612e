import { backoffCeilingMs, nextAttemptAt, parseRetryAfter, type RetrySettings } from './retry-schedule';

const SETTINGS: RetrySettings = { baseMs: 2000, maxMs: 3_600_000, retryForMs: 86_400_000 };
const T0 = Date.parse('2026-03-01T00:00:00Z');

describe('retry schedule', () => {
  it('doubles the longest wait with each failure, up to the maximum', () => {
    expect([1, 2, 3, 4, 5].map((n) => backoffCeilingMs(n, SETTINGS))).toEqual([2000, 4000, 8000, 16_000, 32_000]);
    expect(backoffCeilingMs(11, SETTINGS)).toBe(2_048_000);
    expect(backoffCeilingMs(12, SETTINGS)).toBe(3_600_000);
    expect(backoffCeilingMs(10_000, SETTINGS)).toBe(3_600_000);
  });

  it('waits a random time between nothing and the ceiling (full jitter)', () => {
    const now = T0 + 60_000;
    expect(nextAttemptAt(3, T0, now, SETTINGS, null, () => 0)).toBe(now);
    expect(nextAttemptAt(3, T0, now, SETTINGS, null, () => 0.5)).toBe(now + 4000);
    expect(nextAttemptAt(3, T0, now, SETTINGS, null, () => 0.999_999)).toBe(now + 7999);
  });

  it('waits at least what the receiver asked with Retry-After', () => {
    expect(nextAttemptAt(1, T0, T0, SETTINGS, 120_000, () => 0.5)).toBe(T0 + 120_000);
  });

  it('makes the last attempt at the end of the window and gives up after it', () => {
    const late = T0 + SETTINGS.retryForMs - 1000;
    expect(nextAttemptAt(40, T0, late, SETTINGS, null, () => 0.9)).toBe(T0 + SETTINGS.retryForMs);
    expect(nextAttemptAt(41, T0, T0 + SETTINGS.retryForMs, SETTINGS, null, () => 0.9)).toBeNull();
    expect(nextAttemptAt(1, T0, T0 + SETTINGS.retryForMs + 1, SETTINGS, null, () => 0)).toBeNull();
  });

  it('over a day of failures makes a bounded number of attempts, none after the window', () => {
    let now = T0;
    let attempts = 0;
    for (;;) {
      attempts++;
      const next = nextAttemptAt(attempts, T0, now, SETTINGS, null, () => 0.5);
      if (next === null) break;
      expect(next).toBeGreaterThanOrEqual(now);
      now = next;
    }
    expect(now).toBe(T0 + SETTINGS.retryForMs);
    expect(attempts).toBeGreaterThan(40);
    expect(attempts).toBeLessThan(60);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(parseRetryAfter('30', T0)).toBe(30_000);
    expect(parseRetryAfter(new Date(T0 + 90_000).toUTCString(), T0)).toBe(90_000);
    expect(parseRetryAfter(new Date(T0 - 90_000).toUTCString(), T0)).toBe(0);
    expect(parseRetryAfter(null, T0)).toBeNull();
    expect(parseRetryAfter('soon', T0)).toBeNull();
    expect(parseRetryAfter('-5', T0)).toBeNull();
  });
});
