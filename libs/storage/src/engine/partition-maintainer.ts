import type { Pool, PoolClient } from 'pg';
import { expired, missingRanges, partitionName, slotsAhead, type TimeRange } from './partitions';
import { interval, type StorageSettings } from './storage-settings';

/** The range-partitioned tables of the plain layout (migration 0006) and their partition keys. */
const PARTITIONED = [
  { table: 'telemetry', key: 'time' },
  { table: 'telemetry_1m', key: 'bucket' },
  { table: 'device_events', key: 'time' },
] as const;

// Any constant works; it only has to be the same on every node. The packer takes it too.
export const MAINTENANCE_LOCK = 4_771_205;

export interface MaintenanceReport {
  created: string[];
  dropped: string[];
}

/**
 * Plain PostgreSQL: makes partitions ahead of time, moves rows that landed in a default
 * partition into partitions of their own, and applies retention by dropping whole partitions.
 * One node at a time does it (an advisory lock); the others skip that round.
 */
export class PartitionMaintainer {
  constructor(
    private readonly pool: Pool,
    private readonly settings: StorageSettings,
  ) {}

  async run(now = Date.now()): Promise<MaintenanceReport> {
    const report: MaintenanceReport = { created: [], dropped: [] };
    const client = await this.pool.connect();
    try {
      const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [MAINTENANCE_LOCK]);
      if (!rows[0].locked) return report;
      try {
        for (const spec of PARTITIONED) await this.maintain(client, spec.table, spec.key, now, report);
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [MAINTENANCE_LOCK]);
      }
    } finally {
      client.release();
    }
    return report;
  }

  private async maintain(client: PoolClient, table: string, key: string, now: number, report: MaintenanceReport): Promise<void> {
    const { partitionIntervalMs: step, partitionsAhead, retentionDays } = this.settings;
    const cutoff = retentionDays > 0 ? now - retentionDays * 86_400_000 : null;
    const existing = await partitions(client, table);
    // Table and column names are the constants above, never input.
    const { rows: late } = await client.query<{ slot: Date }>(
      `SELECT DISTINCT date_bin($1::interval, ${key}, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS slot
         FROM ${table}_default WHERE $2::timestamptz IS NULL OR ${key} >= $2`,
      [interval(step), cutoff === null ? null : new Date(cutoff)],
    );
    const wanted = [
      ...slotsAhead(now, step, partitionsAhead),
      ...late.map((r) => ({ from: r.slot.getTime(), to: r.slot.getTime() + step })),
    ].filter((slot) => cutoff === null || slot.to > cutoff);
    for (const range of missingRanges(wanted, existing)) {
      const name = partitionName(table, range);
      await client.query('SELECT storage_create_partition($1::regclass, $2, $3, $4, $5)', [
        table,
        key,
        name,
        new Date(range.from),
        new Date(range.to),
      ]);
      existing.push(range);
      report.created.push(name);
    }
    if (cutoff === null) return;
    for (const old of expired(existing, cutoff)) {
      if (!old.name) continue;
      await client.query(`DROP TABLE ${client.escapeIdentifier(old.name)}`);
      report.dropped.push(old.name);
    }
    await client.query(`DELETE FROM ${table}_default WHERE ${key} < $1`, [new Date(cutoff)]);
  }
}

async function partitions(client: PoolClient, table: string): Promise<(TimeRange & { name?: string })[]> {
  const { rows } = await client.query<{ name: string; lower: Date; upper: Date }>(
    'SELECT name, lower, upper FROM storage_partitions($1::regclass) WHERE lower IS NOT NULL',
    [table],
  );
  return rows.map((r) => ({ name: r.name, from: r.lower.getTime(), to: r.upper.getTime() }));
}
