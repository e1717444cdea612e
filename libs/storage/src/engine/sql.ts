/** SQL fragments every time-series statement shares, on both engines. */

/** Where buckets are counted from: whole minutes, hours and days of UTC. */
export const ORIGIN = `TIMESTAMPTZ '2000-01-01 00:00:00+00'`;

/** Hours of a (device, metric) with more samples than this keep their minutes; NULL: none do (migration 0016). */
export const MINUTES_ABOVE = '(SELECT minute_rollup_above FROM telemetry_rollup_state)';
