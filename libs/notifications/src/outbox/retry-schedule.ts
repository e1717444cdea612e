export interface RetrySettings {
  /** The longest first wait; each further failure doubles it. */
  baseMs: number;
  /** No wait is longer. */
  maxMs: number;
  /** A delivery not taken this long after the change is given up (dead). */
  retryForMs: number;
}

/** The longest wait after the n-th failed attempt (n from 1). */
export function backoffCeilingMs(attempts: number, s: Pick<RetrySettings, 'baseMs' | 'maxMs'>): number {
  return Math.min(s.maxMs, s.baseMs * 2 ** Math.min(Math.max(attempts - 1, 0), 40));
}

/**
 * When to try again after a failed attempt, or null when the delivery is given up. Full jitter: a
 * random wait up to the ceiling, so receivers coming back are not met by every sender at once;
 * a receiver's Retry-After is a floor. The last attempt is at the end of the retry window.
 */
export function nextAttemptAt(
  attempts: number,
  createdAtMs: number,
  nowMs: number,
  s: RetrySettings,
  retryAfterMs: number | null = null,
  random: () => number = Math.random,
): number | null {
  const deadline = createdAtMs + s.retryForMs;
  if (nowMs >= deadline) return null;
  const wait = Math.max(Math.floor(random() * backoffCeilingMs(attempts, s)), retryAfterMs ?? 0);
  return Math.min(nowMs + wait, deadline);
}

/** A Retry-After header (seconds, or an HTTP date) as milliseconds from now; null: none or unreadable. */
export function parseRetryAfter(header: string | null, nowMs: number): number | null {
  if (header === null) return null;
  const text = header.trim();
  if (/^\d{1,9}$/.test(text)) return Number(text) * 1000;
  // An HTTP date names its day and month; Date.parse alone would take "-5" for a year.
  const at = /^[A-Za-z]{3}, /.test(text) ? Date.parse(text) : Number.NaN;
  return Number.isNaN(at) ? null : Math.max(at - nowMs, 0);
}
