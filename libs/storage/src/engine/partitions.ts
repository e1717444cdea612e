/** A half-open time range [from, to) in epoch milliseconds. */
export interface TimeRange {
  from: number;
  to: number;
}

// Partitions are aligned on this instant, like the rollups' buckets.
const ORIGIN = Date.UTC(2000, 0, 1);

/** Start of the slot of `intervalMs` that holds `t`. */
export function slotStart(t: number, intervalMs: number): number {
  return ORIGIN + Math.floor((t - ORIGIN) / intervalMs) * intervalMs;
}

/** The slots from the one holding `now` to `ahead` slots after it. */
export function slotsAhead(now: number, intervalMs: number, ahead: number): TimeRange[] {
  const first = slotStart(now, intervalMs);
  return Array.from({ length: ahead + 1 }, (_, i) => ({ from: first + i * intervalMs, to: first + (i + 1) * intervalMs }));
}

/**
 * The parts of the wanted slots that no existing partition covers. Partitions made with an
 * earlier interval may cover a slot in part; only the rest is returned, so ranges never overlap.
 */
export function missingRanges(wanted: readonly TimeRange[], existing: readonly TimeRange[]): TimeRange[] {
  const taken = [...existing].sort((a, b) => a.from - b.from);
  const missing: TimeRange[] = [];
  for (const slot of wanted) {
    let cursor = slot.from;
    for (const p of taken) {
      if (p.to <= cursor || p.from >= slot.to) continue;
      if (p.from > cursor) missing.push({ from: cursor, to: p.from });
      cursor = Math.max(cursor, p.to);
    }
    if (cursor < slot.to) missing.push({ from: cursor, to: slot.to });
  }
  return missing;
}

/** Partitions entirely older than the cutoff: retention drops them whole. */
export function expired<R extends TimeRange>(existing: readonly R[], cutoff: number): R[] {
  return existing.filter((p) => p.to <= cutoff);
}

/** e.g. telemetry_p20250701_0000: the table and the range's start in UTC. */
export function partitionName(table: string, range: TimeRange): string {
  const iso = new Date(range.from).toISOString();
  return `${table}_p${iso.slice(0, 10).replaceAll('-', '')}_${iso.slice(11, 16).replace(':', '')}`;
}
