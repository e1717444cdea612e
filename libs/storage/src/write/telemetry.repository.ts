import { Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import { Database, inTransaction } from '@ioc/database';
import { DeadLettersRepository } from '../dead-letters/dead-letters.repository';
import type { Newest, StoredEvent, StoredSample, StoredStatus, WriteBatch } from './write-batch';

@Injectable()
export class TelemetryRepository {
  constructor(
    private readonly db: Database,
    private readonly deadLetters: DeadLettersRepository,
  ) {}

  /** Everything a batch holds, and the newest values when given, in one transaction: all of it is stored, or none. */
  async write(batch: WriteBatch, newest: Newest | null = null): Promise<void> {
    const parts: ((client: PoolClient) => Promise<void>)[] = [];
    if (batch.samples.length > 0) parts.push((c) => this.writeSamples(c, batch.samples));
    if (newest) parts.push((c) => this.writeNewest(c, newest));
    if (batch.events.length > 0) parts.push((c) => this.writeEvents(c, batch.events));
    if (batch.deadLetters.length > 0) parts.push((c) => this.deadLetters.insert(batch.deadLetters, c));
    if (batch.statuses.length > 0) parts.push((c) => this.writeStatuses(c, batch.statuses));
    if (parts.length === 0) return;
    const client = await this.db.pool.connect();
    let failure: Error | undefined;
    try {
      // One statement is a transaction of its own: under load, most batches are samples alone,
      // and each round trip saved is one the event loop does not wait for.
      if (parts.length === 1) await parts[0](client);
      else await inTransaction(client, async () => {
        for (const part of parts) await part(client);
      });
    } catch (err) {
      failure = err as Error;
      throw err;
    } finally {
      // A connection that failed mid-transaction is not given back to the pool.
      client.release(failure);
    }
  }

  /** A redelivered sample is a no-op. */
  private async writeSamples(client: PoolClient, samples: readonly StoredSample[]): Promise<void> {
    const times: number[] = [];
    const keys: number[] = [];
    const metrics: number[] = [];
    const values: number[] = [];
    for (const s of samples) {
      times.push(s.ts);
      keys.push(s.deviceKey);
      metrics.push(s.metricId);
      values.push(s.value);
    }
    await client.query(
      // Times travel as epoch milliseconds: numbers are cheaper to send than dates.
      `INSERT INTO telemetry (time, device_key, metric_id, value)
       SELECT TIMESTAMPTZ 'epoch' + b.ms * INTERVAL '1 millisecond', b.device_key, b.metric_id, b.value
         FROM unnest($1::bigint[], $2::int[], $3::smallint[], $4::float8[]) AS b(ms, device_key, metric_id, value)
       ON CONFLICT DO NOTHING`,
      [times, keys, metrics, values],
    );
  }

  /** One statement: the newest value per (device, metric), never older than the stored one, and each device's last-seen time. */
  private async writeNewest(client: PoolClient, newest: Newest): Promise<void> {
    await client.query(
      `WITH latest AS (
         INSERT INTO telemetry_latest (device_key, metric_id, time, value)
         SELECT n.device_key, n.metric_id, TIMESTAMPTZ 'epoch' + n.ms * INTERVAL '1 millisecond', n.value
           FROM unnest($1::int[], $2::smallint[], $3::bigint[], $4::float8[]) AS n(device_key, metric_id, ms, value)
         ON CONFLICT (device_key, metric_id) DO UPDATE
           SET time = excluded.time, value = excluded.value
           WHERE excluded.time >= telemetry_latest.time
       )
       UPDATE devices d
          SET last_seen = GREATEST(d.last_seen, s.seen)
         FROM (SELECT k, TIMESTAMPTZ 'epoch' + ms * INTERVAL '1 millisecond' FROM unnest($5::int[], $6::bigint[]) AS u(k, ms))
                AS s(device_key, seen)
        WHERE d.key = s.device_key`,
      [
        newest.values.map((v) => v.deviceKey),
        newest.values.map((v) => v.metricId),
        newest.values.map((v) => v.ts),
        newest.values.map((v) => v.value),
        [...newest.seen.keys()],
        [...newest.seen.values()],
      ],
    );
  }

  private async writeEvents(client: PoolClient, events: readonly StoredEvent[]): Promise<void> {
    await client.query(
      `INSERT INTO device_events (time, device_key, type, confidence, snapshot_url, attributes)
       SELECT * FROM unnest($1::timestamptz[], $2::int[], $3::text[], $4::real[], $5::text[], $6::jsonb[])
       ON CONFLICT DO NOTHING`,
      [
        events.map((e) => new Date(e.ts)),
        events.map((e) => e.deviceKey),
        events.map((e) => e.type),
        events.map((e) => e.confidence),
        events.map((e) => e.snapshotUrl),
        events.map((e) => JSON.stringify(e.attributes)),
      ],
    );
  }

  /**
   * Each transition is a `went_<status>` event; a device's status column takes the batch's last
   * transition for it, and going online moves its last-seen time forward.
   */
  private async writeStatuses(client: PoolClient, statuses: readonly StoredStatus[]): Promise<void> {
    await client.query(
      `WITH s AS (
         SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::timestamptz[]) WITH ORDINALITY
                    AS s(device_key, status, reason, time, n)
       ),
       events AS (
         INSERT INTO device_events (time, device_key, type, attributes)
         SELECT time, device_key, 'went_' || status, jsonb_build_object('reason', reason) FROM s
         ON CONFLICT DO NOTHING
       )
       UPDATE devices d
          SET status = newest.status,
              last_seen = CASE WHEN newest.status = 'online' THEN GREATEST(d.last_seen, newest.time) ELSE d.last_seen END
         FROM (SELECT DISTINCT ON (device_key) device_key, status, time FROM s ORDER BY device_key, n DESC) AS newest
        WHERE d.key = newest.device_key`,
      [
        statuses.map((s) => s.deviceKey),
        statuses.map((s) => s.status),
        statuses.map((s) => s.reason),
        statuses.map((s) => new Date(s.ts)),
      ],
    );
  }
}
