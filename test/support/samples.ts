import type { Pool, PoolClient } from 'pg';

/** Stores one device's samples of one metric in the ingest writer's way: a redelivered one is skipped. */
export async function insertSamples(
  db: Pool | PoolClient,
  deviceId: string,
  metric: string,
  samples: readonly [string | number, number][],
): Promise<void> {
  await db.query(
    `INSERT INTO telemetry (time, device_key, metric_id, value)
     SELECT s.t, d.key, m.id, s.v
       FROM unnest($3::timestamptz[], $4::float8[]) AS s(t, v), devices d, metrics m
      WHERE d.id = $1 AND m.name = $2
     ON CONFLICT DO NOTHING`,
    [deviceId, metric, samples.map(([t]) => new Date(t)), samples.map(([, v]) => v)],
  );
}
