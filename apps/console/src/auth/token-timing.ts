/** Refresh when this share of the access token's lifetime has passed. */
export const REFRESH_AT_FRACTION = 0.8;

const MIN_DELAY_MS = 1_000;
/** setTimeout fires at once for anything longer than a signed 32-bit count of milliseconds. */
const MAX_DELAY_MS = 2 ** 31 - 1;
const MAX_BACKOFF_MS = 30_000;

/** Instants on this machine's clock, in milliseconds. */
export interface TokenTiming {
  expiresAt: number;
  refreshAt: number;
}

/**
 * When the access token runs out and when to refresh it, on the local clock. The lifetime is measured
 * against the server's clock (the answer's Date header) so that a local clock that is off does not
 * make the console refresh too late.
 */
export function tokenTiming(
  expiresAtIso: string,
  serverDate: string | null,
  receivedAt: number,
  fraction = REFRESH_AT_FRACTION,
): TokenTiming {
  const serverNow = serverDate === null ? Number.NaN : Date.parse(serverDate);
  // Date has whole seconds: the end of that second errs on the side of refreshing early.
  const issuedAt = Number.isNaN(serverNow) ? receivedAt : serverNow + 999;
  const lifetime = Math.max(0, Date.parse(expiresAtIso) - issuedAt);
  return { expiresAt: receivedAt + lifetime, refreshAt: receivedAt + lifetime * fraction };
}

/** How long to wait before the planned refresh: never a busy loop, never past what a timer can hold. */
export function refreshDelayMs(timing: TokenTiming, now: number): number {
  return Math.min(MAX_DELAY_MS, Math.max(MIN_DELAY_MS, timing.refreshAt - now));
}

/** Wait before the nth retry (0 = first try): at once, then 1 s, 2 s, 4 s … up to 30 s. */
export function backoffMs(attempt: number): number {
  return attempt <= 0 ? 0 : Math.min(MAX_BACKOFF_MS, 1_000 * 2 ** (attempt - 1));
}
