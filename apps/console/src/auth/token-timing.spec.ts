import { backoffMs, refreshDelayMs, tokenTiming } from './token-timing';

const MINUTE = 60_000;
const received = Date.parse('2026-11-23T07:00:00.000Z');

describe('tokenTiming', () => {
  it('refreshes at 80% of a 15-minute lifetime', () => {
    const timing = tokenTiming('2026-11-23T07:15:00.000Z', null, received);
    expect(timing.expiresAt).toBe(received + 15 * MINUTE);
    expect(timing.refreshAt).toBe(received + 12 * MINUTE);
  });

  it('measures the lifetime on the server clock when the local clock is behind', () => {
    // Server time 07:10: the token lives 15 minutes although it "expires at 07:25" on a clock 10 minutes slow.
    const timing = tokenTiming('2026-11-23T07:25:00.000Z', 'Mon, 23 Nov 2026 07:10:00 GMT', received);
    expect(timing.expiresAt).toBe(received + 15 * MINUTE - 999);
    expect(timing.refreshAt).toBeLessThanOrEqual(received + 12 * MINUTE);
    expect(timing.refreshAt).toBeGreaterThan(received + 12 * MINUTE - 1_000);
  });

  it('measures the lifetime on the server clock when the local clock is ahead', () => {
    const timing = tokenTiming('2026-11-23T06:45:00.000Z', 'Mon, 23 Nov 2026 06:30:00 GMT', received);
    expect(timing.expiresAt).toBe(received + 15 * MINUTE - 999);
  });

  it('falls back to the local clock when the Date header is missing or unreadable', () => {
    expect(tokenTiming('2026-11-23T07:15:00.000Z', 'yesterday', received)).toEqual(
      tokenTiming('2026-11-23T07:15:00.000Z', null, received),
    );
  });

  it('treats a token that has already expired as expiring now', () => {
    const timing = tokenTiming('2026-11-23T06:59:00.000Z', null, received);
    expect(timing).toEqual({ expiresAt: received, refreshAt: received });
  });

  it('honours another fraction', () => {
    expect(tokenTiming('2026-11-23T07:10:00.000Z', null, received, 0.5).refreshAt).toBe(received + 5 * MINUTE);
  });
});

describe('refreshDelayMs', () => {
  const timing = { expiresAt: received + 15 * MINUTE, refreshAt: received + 12 * MINUTE };

  it('waits until the refresh instant', () => {
    expect(refreshDelayMs(timing, received + 2 * MINUTE)).toBe(10 * MINUTE);
  });

  it('waits at least a second when the instant has passed (no busy loop)', () => {
    expect(refreshDelayMs(timing, received + 14 * MINUTE)).toBe(1_000);
  });

  it('stays within what setTimeout can hold', () => {
    expect(refreshDelayMs({ expiresAt: Infinity, refreshAt: received + 60 * 24 * 60 * MINUTE }, received)).toBe(2 ** 31 - 1);
  });
});

describe('backoffMs', () => {
  it('tries at once, then doubles from a second up to 30 seconds', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7, 20].map(backoffMs)).toEqual([0, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]);
  });
});
