import { join } from 'node:path';
import { connectAsync } from 'mqtt';
import { Client, Pool } from 'pg';
import type { Database } from '@ioc/database';
import { TelemetryRepository } from '../libs/storage/src/write/telemetry.repository';
import type { StoredSample } from '../libs/storage/src/write/write-batch';
import { DeadLettersRepository } from '../libs/storage/src/dead-letters/dead-letters.repository';
import { TOPIC_ROOT } from '@ioc/contracts';
import { sleep, startChild } from './child-processes';
import { METRICS_PER_MESSAGE } from './ingest-run';
import { deviceIds } from './ioc-server';
import type { PostgresTarget } from './postgres-target';
import { UsageMeter, type UsageReport } from './process-stats';
import { PublisherPool } from './publisher-pool';

export interface BrokerCeiling {
  broker: 'mosquitto' | 'aedes';
  /** With one subscriber on ioc/v1/+/telemetry (as the server in external mode), or none. */
  subscriber: boolean;
  /** Messages per second delivered to the subscriber. */
  deliveredPerS: number | null;
  /** Messages per second the broker took in and acknowledged to the publishers. */
  ackedPerS: number;
  windowS: number;
  brokerUsage: UsageReport;
  loadGeneratorUsage: UsageReport;
}

/**
 * The broker alone: the same publishers as the run, each keeping a few QoS 1 messages in flight
 * (as fast as the broker acknowledges), and either one QoS 1 subscriber on ioc/v1/+/telemetry that
 * only counts, in the bench's main thread, or none (what the embedded broker does: the server
 * takes messages from aedes' publish event, not from a subscription).
 */
export async function measureBrokerCeiling(
  broker: BrokerCeiling['broker'],
  url: string,
  brokerPid: number,
  withSubscriber: boolean,
  devices: number,
  threads: number,
  seconds: number,
): Promise<BrokerCeiling> {
  let delivered = 0;
  const subscriber = withSubscriber
    ? await connectAsync(url, { clientId: `bench-subscriber-${process.pid}`, clean: true, reconnectPeriod: 0 })
    : null;
  subscriber?.on('message', () => {
    delivered += 1;
  });
  await subscriber?.subscribeAsync(`${TOPIC_ROOT}/+/telemetry`, { qos: 1 });
  const pool = new PublisherPool(url, deviceIds(`ceiling-${broker}`, devices).map((id) => ({ id })), threads);
  try {
    const connected = await pool.connect();
    if (connected.connected < devices) throw new Error(`${broker}: ${connected.connected} of ${devices} publishers connected (${connected.firstError})`);
    await pool.flood(Math.max(1, Math.min(100, Math.ceil(1000 / devices))));
    await sleep(3000);
    const brokerMeter = new UsageMeter(() => [brokerPid]);
    const benchMeter = new UsageMeter(() => [process.pid]);
    await Promise.all([brokerMeter.start(), benchMeter.start()]);
    const start = { at: performance.now(), delivered, acked: (await pool.snapshot()).acked };
    await sleep(seconds * 1000);
    const end = { at: performance.now(), delivered, acked: (await pool.snapshot()).acked };
    const windowS = (end.at - start.at) / 1000;
    const result: BrokerCeiling = {
      broker,
      subscriber: withSubscriber,
      deliveredPerS: subscriber ? Math.round((end.delivered - start.delivered) / windowS) : null,
      ackedPerS: Math.round((end.acked - start.acked) / windowS),
      windowS: Math.round(windowS * 10) / 10,
      brokerUsage: await brokerMeter.report(),
      loadGeneratorUsage: await benchMeter.report(),
    };
    await pool.halt();
    return result;
  } finally {
    await pool.close();
    await subscriber?.endAsync(true);
  }
}

/** A bare aedes (no authentication, no hooks) in a process of its own. */
export async function startBareAedes(): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  let resolvePort: (port: number) => void;
  const listening = new Promise<number>((resolve) => (resolvePort = resolve));
  const child = startChild('aedes', process.execPath, [join(__dirname, 'aedes-broker.js')], {}, {
    echoLines: 0,
    onLine: (line) => {
      const match = /^listening (\d+)$/.exec(line);
      if (match) resolvePort(Number(match[1]));
    },
  });
  const timeout = sleep(10_000).then(() => null);
  const port = await Promise.race([listening, timeout]);
  if (port === null) {
    await child.stop();
    throw new Error(`the bare aedes broker did not start:\n${child.tail()}`);
  }
  return { url: `mqtt://127.0.0.1:${port}`, pid: child.pid, stop: () => child.stop(5000) };
}

export interface PostgresCeiling {
  rowsPerS: number;
  batchRows: number;
  batches: number;
  windowS: number;
  postgresUsage: UsageReport | null;
}

const CEILING_BATCH = 5000;

/**
 * PostgreSQL alone: batches of 5,000 rows into a table shaped like `telemetry`, one connection,
 * the statement form the writer uses (unnest arrays, ON CONFLICT DO NOTHING), in a scratch database.
 */
export async function measurePostgresCeiling(pg: PostgresTarget, devices: number, seconds: number): Promise<PostgresCeiling> {
  const db = await pg.createScratch('ioc_bench_ceiling');
  // Not named like the bench's watching connections: this one's work is what is measured.
  const client = new Client({ connectionString: db.url, application_name: 'ioc-bench-ceiling' });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query(`CREATE TABLE telemetry_ceiling (
      time timestamptz NOT NULL, device_key integer NOT NULL, metric_id smallint NOT NULL, value double precision NOT NULL,
      PRIMARY KEY (device_key, metric_id, time))`);
    const meter = pg.local ? new UsageMeter(async () => (await pg.pids(db.name)).server, 'anon') : null;
    await meter?.start();
    const base = Date.now();
    let row = 0;
    let batches = 0;
    const started = performance.now();
    while (performance.now() - started < seconds * 1000) {
      const times: Date[] = [];
      const keys: number[] = [];
      const metrics: number[] = [];
      const values: number[] = [];
      // Row order of a live batch: every device's four metrics, then the next instant.
      for (let i = 0; i < CEILING_BATCH; i++, row++) {
        const message = Math.floor(row / METRICS_PER_MESSAGE);
        times.push(new Date(base + Math.floor(message / devices)));
        keys.push((message % devices) + 1);
        metrics.push((row % METRICS_PER_MESSAGE) + 1);
        values.push(20 + (row % 97) * 0.1);
      }
      await client.query(
        `INSERT INTO telemetry_ceiling (time, device_key, metric_id, value)
         SELECT * FROM unnest($1::timestamptz[], $2::int[], $3::smallint[], $4::float8[])
         ON CONFLICT DO NOTHING`,
        [times, keys, metrics, values],
      );
      batches += 1;
    }
    const windowS = (performance.now() - started) / 1000;
    return {
      rowsPerS: Math.round((batches * CEILING_BATCH) / windowS),
      batchRows: CEILING_BATCH,
      batches,
      windowS: Math.round(windowS * 10) / 10,
      postgresUsage: meter ? await meter.report() : null,
    };
  } finally {
    await client.end().catch(() => undefined);
    await db.drop();
  }
}

export interface WriterCeiling {
  /** Samples per second through the server's own write statement, back to back, one connection. */
  rowsPerS: number;
  batchRows: number;
  batches: number;
  windowS: number;
  postgresUsage: UsageReport | null;
}

/**
 * The server's writer alone: its repository's write (telemetry rows, newest value per device and
 * metric, devices' last-seen time) in batches of INGEST_BATCH_SIZE, against a database the server
 * migrated and provisioned, with no MQTT and no decoding in front of it.
 */
export async function measureWriterCeiling(
  pg: PostgresTarget,
  database: { url: string; name: string },
  batchRows: number,
  seconds: number,
): Promise<WriterCeiling> {
  // Not named like the bench's watching connections: this one's work is what is measured.
  const pool = new Pool({ connectionString: database.url, max: 1, application_name: 'ioc-bench-ceiling' });
  pool.on('error', () => undefined);
  try {
    const keys = (await pool.query<{ key: number }>('SELECT key FROM devices ORDER BY key')).rows.map((r) => r.key);
    const metricIds = (
      await pool.query<{ id: number }>("SELECT id FROM metrics WHERE name IN ('pm25', 'pm10', 'temperature', 'humidity')")
    ).rows.map((r) => r.id);
    if (keys.length === 0 || metricIds.length !== METRICS_PER_MESSAGE) throw new Error('the database has no devices or metrics');
    const repository = new TelemetryRepository({ pool } as unknown as Database, new DeadLettersRepository({ pool } as unknown as Database));
    const meter = pg.local ? new UsageMeter(async () => (await pg.pids(database.name)).server, 'anon') : null;
    await meter?.start();
    // Later than anything the run stored, so every row is new, as in the live stream.
    const base = Date.now() + 3_600_000;
    let row = 0;
    let batches = 0;
    const started = performance.now();
    while (performance.now() - started < seconds * 1000) {
      const batch: StoredSample[] = [];
      for (let i = 0; i < batchRows; i++, row++) {
        const message = Math.floor(row / METRICS_PER_MESSAGE);
        const ts = base + Math.floor(message / keys.length);
        batch.push({
          deviceKey: keys[message % keys.length],
          metricId: metricIds[row % METRICS_PER_MESSAGE],
          ts,
          value: 20 + (row % 97) * 0.1,
          receivedAt: ts,
        });
      }
      await repository.write({ samples: batch, events: [], deadLetters: [], statuses: [] });
      batches += 1;
    }
    const windowS = (performance.now() - started) / 1000;
    return {
      rowsPerS: Math.round((batches * batchRows) / windowS),
      batchRows,
      batches,
      windowS: Math.round(windowS * 10) / 10,
      postgresUsage: meter ? await meter.report() : null,
    };
  } finally {
    await pool.end();
  }
}
