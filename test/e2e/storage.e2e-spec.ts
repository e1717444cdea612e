import type { MqttClient } from 'mqtt';
import type { Pool } from 'pg';
import { topics, type DeviceSeriesDto, type HealthDto, type ProvisionedDeviceDto } from '@ioc/contracts';
import { createScratchDatabase, startTestServer, type ScratchDatabase, type TestServer } from '../support/test-server';
import { api, connectDevice, eventually } from '../support/clients';
import { relationsRead } from '../support/query-plans';
import { insertSamples } from '../support/samples';
import { describePlain, itPlain } from '../support/engine';

jest.setTimeout(90_000);

const DAY = 86_400_000;
const dayStart = (t: number) => Math.floor(t / DAY) * DAY;
const partitionOf = (table: string, t: number) =>
  `${table}_p${new Date(dayStart(t)).toISOString().slice(0, 10).replaceAll('-', '')}_0000`;

async function partitions(pool: Pool, table: string): Promise<string[]> {
  const { rows } = await pool.query<{ name: string }>(
    'SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = $1::regclass ORDER BY 1',
    [table],
  );
  return rows.map((r) => r.name);
}

// What TimescaleDB does instead of partitions, a refresher and retention rounds: timescale.e2e-spec.ts.
describe('time-series storage', () => {
  let server: TestServer;
  let token: string;
  let device: MqttClient;
  const station = { kind: 'water_level', name: 'Trạm mực nước Cầu Quay', lat: 10.3546, lng: 106.3655 };

  beforeAll(async () => {
    server = await startTestServer({ STORAGE_MAINTENANCE_S: '1' });
    token = (await server.session('admin')).accessToken;
    const created = await api<ProvisionedDeviceDto>(server.baseUrl, 'POST', '/api/devices', { id: 'mt-wl-st', ...station }, token);
    device = await connectDevice(server.mqttUrl, 'mt-wl-st', { username: 'mt-wl-st', password: created.body.credentials.password });
  });
  afterAll(async () => {
    await device?.endAsync();
    await server?.close();
  });

  itPlain('says which engine and layout it uses', async () => {
    const health = (await api<HealthDto>(server.baseUrl, 'GET', '/api/health')).body;
    expect(health.database).toMatchObject({ timescaledb: false, timescaledbVersion: null, partitioning: 'declarative' });
    expect(health.database.engine).toMatch(/^PostgreSQL \d+/);
    // The test server refreshes the rollups every 100 ms, with no settling time.
    expect(health.database.rollups).toMatchObject({ lateWaiting: 0, failing: false });
    expect(Date.now() - Date.parse(health.database.rollups!.upTo)).toBeLessThan(60_000);
  });

  itPlain('is degraded while the rollup refresh fails, and ok again once it works', async () => {
    const health = async () => (await api<HealthDto>(server.baseUrl, 'GET', '/api/health')).body;
    // Every round raises the threshold: a trigger that refuses the update fails the rounds.
    await server.pool.query(`CREATE FUNCTION refuse_threshold() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'threshold refused by the test'; END $$`);
    await server.pool.query('CREATE TRIGGER refuse BEFORE UPDATE ON telemetry_rollup_state FOR EACH ROW EXECUTE FUNCTION refuse_threshold()');
    try {
      const failing = await eventually(async () => ((await health()).database.rollups?.failing ? health() : undefined));
      expect(failing.status).toBe('degraded');
    } finally {
      await server.pool.query('DROP TRIGGER refuse ON telemetry_rollup_state');
    }
    const working = await eventually(async () => ((await health()).database.rollups?.failing === false ? health() : undefined));
    expect(working.status).toBe('ok');
  });

  itPlain('makes partitions ahead and writes and reads through the one that holds the time', async () => {
    const now = Date.now();
    const ahead = [0, 1, 2, 3].map((d) => partitionOf('telemetry', now + d * DAY));
    for (const table of ['telemetry', 'telemetry_1m', 'device_events']) {
      const names = await partitions(server.pool, table);
      expect(names).toEqual(expect.arrayContaining([`${table}_default`, ...ahead.map((n) => n.replace('telemetry', table))]));
    }
    const ts = now - 60_000;
    device.publish(topics.telemetry('mt-wl-st'), JSON.stringify({ ts, metrics: { water_level: 1.25 } }), { qos: 1 });
    const where = await eventually(async () => {
      const { rows } = await server.pool.query<{ part: string }>(
        `SELECT t.tableoid::regclass::text AS part FROM telemetry t JOIN devices d ON d.key = t.device_key WHERE d.id = 'mt-wl-st'`,
      );
      return rows[0]?.part;
    });
    expect(where).toBe(partitionOf('telemetry', ts));

    // A day's raw read and a day's minute buckets each touch one partition, not the default one.
    const day = [new Date(dayStart(ts) + 3_600_000), new Date(dayStart(ts) + 7_200_000)];
    expect(await relationsRead(server.pool, 'SELECT * FROM telemetry WHERE time >= $1 AND time < $2', day)).toEqual([
      partitionOf('telemetry', ts),
    ]);
    expect(await relationsRead(server.pool, 'SELECT * FROM telemetry_1m WHERE bucket >= $1 AND bucket < $2', day)).toEqual([
      partitionOf('telemetry_1m', ts),
    ]);
  });

  it('keeps the rollups current, late samples included, and counts a redelivered one once', async () => {
    const minute = Math.floor(Date.now() / 60_000) * 60_000 - 10 * 60_000;
    const publish = (ts: number, value: number) =>
      device.publishAsync(topics.telemetry('mt-wl-st'), JSON.stringify({ ts, metrics: { water_level: value } }), { qos: 1 });
    const bucket = async () => {
      const res = await api<DeviceSeriesDto>(
        server.baseUrl,
        'GET',
        `/api/history/devices/mt-wl-st?metrics=water_level&resolution=1m&from=${new Date(minute).toISOString()}&to=${new Date(minute + 60_000).toISOString()}`,
        undefined,
        token,
      );
      return res.body.resolution === 'raw' ? undefined : res.body.series[0].points[0];
    };
    await publish(minute + 10_000, 1.0);
    await publish(minute + 50_000, 3.0);
    await eventually(async () => ((await bucket())?.count === 2 ? true : undefined));
    expect(await bucket()).toMatchObject({ min: 1, max: 3, avg: 2, last: 3, count: 2 });

    // Late: older than the newest of the bucket, so `last` stays, the rest changes.
    await publish(minute + 30_000, 8.0);
    await eventually(async () => ((await bucket())?.count === 3 ? true : undefined));
    expect(await bucket()).toMatchObject({ min: 1, max: 8, avg: 4, last: 3, count: 3 });

    // QoS 1 redelivery: the same reading again is stored once and counted once.
    await publish(minute + 30_000, 8.0);
    await publish(minute + 55_000, 2.0);
    await eventually(async () => ((await bucket())?.count === 4 ? true : undefined));
    expect(await bucket()).toMatchObject({ min: 1, max: 8, avg: 3.5, last: 2, count: 4 });

    await server.rollupsCaughtUp();
    const { rows } = await server.pool.query<{ count: string; sum: number }>(
      `SELECT count, sum FROM telemetry_1h WHERE bucket = date_bin('1 hour', $1::timestamptz, TIMESTAMPTZ '2000-01-01 00:00:00+00')
          AND device_key = (SELECT key FROM devices WHERE id = 'mt-wl-st') AND metric_id = (SELECT id FROM metrics WHERE name = 'water_level')`,
      [new Date(minute)],
    );
    expect(Number(rows[0].count)).toBeGreaterThanOrEqual(4);
  });

  itPlain('moves samples that landed in the default partition into a partition of their own', async () => {
    const old = dayStart(Date.now()) - 5 * DAY + 3_600_000;
    await insertSamples(server.pool, 'mt-wl-st', 'water_level', [[old, 0.5]]);
    const name = partitionOf('telemetry', old);
    await eventually(async () => ((await partitions(server.pool, 'telemetry')).includes(name) ? true : undefined));
    const { rows } = await server.pool.query<{ part: string; value: number }>(
      'SELECT tableoid::regclass::text AS part, value FROM telemetry WHERE time = $1',
      [new Date(old)],
    );
    expect(rows).toEqual([{ part: name, value: 0.5 }]);
  });
});

describePlain('retention on plain PostgreSQL', () => {
  const settings = { STORAGE_RETENTION_DAYS: '3', INGEST_MAX_AGE_S: '3600' };
  let database: ScratchDatabase;
  let server: TestServer;

  beforeAll(async () => {
    database = await createScratchDatabase();
    // Retention waits for the next start: the samples below must reach the rollups first.
    server = await startTestServer({ ...settings, STORAGE_MAINTENANCE_S: '3600' }, { database });
    const token = (await server.session('admin')).accessToken;
    await api(server.baseUrl, 'PUT', '/api/devices/mt-wl-ret', { kind: 'water_level', name: 'Trạm cũ', lat: 10.35, lng: 106.36 }, token);
  });
  afterAll(async () => {
    await server?.close();
    await database?.drop();
  });

  it('drops whole partitions older than the retention and keeps the rest and the hourly rollup', async () => {
    const today = dayStart(Date.now());
    const oldDay = today - 10 * DAY;
    // A partition as the server would have made it ten days ago, with its samples.
    await server.pool.query(`SELECT storage_create_partition('telemetry', 'time', $1, $2, $3)`, [
      partitionOf('telemetry', oldDay),
      new Date(oldDay),
      new Date(oldDay + DAY),
    ]);
    const times = {
      tenDaysAgo: oldDay + 3_600_000,
      fourDaysAgo: today - 4 * DAY + 3_600_000,
      twoDaysAgo: today - 2 * DAY + 3_600_000,
      now: Date.now() - 1000,
    };
    await insertSamples(server.pool, 'mt-wl-ret', 'water_level', Object.values(times).map((t) => [t, 1]));
    await server.rollupsCaughtUp();
    await server.close();
    server = await startTestServer({ ...settings, STORAGE_MAINTENANCE_S: '1' }, { database });

    await eventually(async () => ((await partitions(server.pool, 'telemetry')).includes(partitionOf('telemetry', oldDay)) ? undefined : true));
    await eventually(async () => {
      const { rows } = await server.pool.query<{ time: Date }>('SELECT time FROM telemetry ORDER BY time');
      return rows.length === 2 ? rows.map((r) => r.time.getTime()) : undefined;
    }).then((kept) => expect(kept).toEqual([times.twoDaysAgo, times.now]));

    const { rows: hours } = await server.pool.query<{ bucket: Date }>('SELECT bucket FROM telemetry_1h ORDER BY bucket');
    expect(hours.map((h) => h.bucket.getTime())).toEqual(
      expect.arrayContaining([times.tenDaysAgo, times.fourDaysAgo].map((t) => Math.floor(t / 3_600_000) * 3_600_000)),
    );
    // The area rollup is kept as long as the hourly one.
    const { rows: areaHours } = await server.pool.query<{ bucket: Date }>(
      `SELECT DISTINCT bucket FROM telemetry_area_1h WHERE area_id = ANY ((SELECT area_ids FROM devices WHERE id = 'mt-wl-ret')::text[]) ORDER BY bucket`,
    );
    expect(areaHours.map((h) => h.bucket.getTime())).toEqual(
      expect.arrayContaining([times.tenDaysAgo, times.fourDaysAgo].map((t) => Math.floor(t / 3_600_000) * 3_600_000)),
    );
    const { rows: minutes } = await server.pool.query<{ bucket: Date }>('SELECT bucket FROM telemetry_1m WHERE bucket < $1', [
      new Date(today - 3 * DAY),
    ]);
    expect(minutes).toEqual([]);
  });
});
