import { Pool } from 'pg';
import type { DeviceSeriesDto } from '@ioc/contracts';
import { loadConfig } from '@ioc/config';
import { PartitionMaintainer } from '../../libs/storage/src/engine/partition-maintainer';
import { packSettings, TelemetryPacker } from '../../libs/storage/src/engine/packer';
import { storageSettings } from '../../libs/storage/src/engine/storage-settings';
import { createScratchDatabase, startTestServer, type ScratchDatabase, type TestServer } from '../support/test-server';
import { api } from '../support/clients';
import { insertSamples } from '../support/samples';
import { describePlain } from '../support/engine';

jest.setTimeout(120_000);

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
// Samples are accepted an hour late: partitions that ended two days ago can take no more.
const ENV = { INGEST_MAX_AGE_S: '3600', STORAGE_PACK_AFTER_DAYS: '2' };
const DEVICES = ['pk-air-a', 'pk-air-b', 'pk-air-c', 'pk-air-d', 'pk-air-e'];

const iso = (t: number) => new Date(t).toISOString();
const dayName = (table: string, t: number) => `${table}_p${iso(t).slice(0, 10).replaceAll('-', '')}_0000`;

async function partitions(pool: Pool, table: string): Promise<string[]> {
  const { rows } = await pool.query<{ name: string }>('SELECT name FROM storage_partitions($1::regclass) ORDER BY 1', [table]);
  return rows.map((r) => r.name);
}

describePlain('telemetry packed past the late-sample window (plain PostgreSQL)', () => {
  let database: ScratchDatabase;
  let server: TestServer;
  let pool: Pool;
  let token: string;
  let area: string;
  let maintainer: PartitionMaintainer;
  let packer: TelemetryPacker;
  let samples = 0;
  const start = Math.floor(Date.now() / DAY) * DAY - 5 * DAY;
  const days = [start, start + DAY, start + 2 * DAY];
  const later = Date.now() + HOUR;

  /** The answer as the client receives it: status and body text. */
  const get = async (path: string) => {
    const res = await fetch(`${server.baseUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
    return `${res.status} ${await res.text()}`;
  };
  /** Every page of a raw read, following the cursors. */
  const rawPages = async (query: string) => {
    const pages: string[] = [];
    for (let cursor: string | null = ''; cursor !== null; ) {
      const page = await get(`${query}&limit=50${cursor ? `&cursor=${cursor}` : ''}`);
      pages.push(page);
      cursor = (JSON.parse(page.slice(4)) as DeviceSeriesDto & { nextCursor?: string | null }).nextCursor ?? null;
    }
    return pages;
  };
  const answers = async () => {
    const dev = (id: string, q: string) => `/api/history/devices/${id}?${q}`;
    const span = (from: number, to: number) => `from=${iso(from)}&to=${iso(to)}`;
    return {
      // Across two packed partitions, then from a packed range into the current one.
      rawAcrossDays: await rawPages(dev('pk-air-a', `metrics=pm25,temperature&resolution=raw&${span(start + DAY - HOUR, start + DAY + HOUR)}`)),
      rawMicroseconds: await rawPages(dev('pk-air-b', `metrics=pm25&resolution=raw&${span(start + 10 * HOUR, start + 11 * HOUR)}`)),
      rawIntoNow: await rawPages(dev('pk-air-a', `metrics=pm25&resolution=raw&${span(start + 3 * DAY - 20 * MINUTE, later)}`)),
      minutes: await get(dev('pk-air-a', `metrics=pm25,pm10,temperature&resolution=1m&${span(start + DAY - 2 * HOUR, start + DAY + 2 * HOUR)}`)),
      minutesOfTwo: await get(dev('pk-air-b', `metrics=pm25&resolution=1m&${span(start + 10 * HOUR, start + 11 * HOUR)}`)),
      hours: await get(dev('pk-air-a', `metrics=pm25,pm10,temperature&resolution=1h&${span(start, start + 3 * DAY)}`)),
      days: await get(dev('pk-air-a', `metrics=pm25,temperature&resolution=1d&tz=Asia/Ho_Chi_Minh&${span(start - DAY, start + 4 * DAY)}`)),
      csv: await get(dev('pk-air-c', `metrics=pm10&resolution=1h&format=csv&${span(start, start + 3 * DAY)}`)),
      areaMinutes: await get(`/api/history/areas/${area}?metrics=pm25,pm10&resolution=1m&${span(start + 2 * DAY - HOUR, start + 2 * DAY + HOUR)}`),
      areaHours: await get(`/api/history/areas/${area}?metrics=pm25&resolution=1h&${span(start, start + 3 * DAY)}`),
      areaDays: await get(`/api/history/areas/${area}?metrics=pm25,pm10&resolution=1d&${span(start, start + 3 * DAY)}`),
      openData: await get(`/api/open-data/environment?areaId=${area}&metrics=pm25,pm10&${span(start, start + 3 * DAY)}`),
      openDataCsv: await get(`/api/open-data/environment?areaId=${area}&metrics=pm25&format=csv&${span(start, start + 3 * DAY)}`),
      latest: await get('/api/history/latest?deviceId=pk-air-a'),
    };
  };

  beforeAll(async () => {
    database = await createScratchDatabase();
    // Maintenance and packing are driven by the test; the rollups by the server (every 100 ms).
    server = await startTestServer(ENV, { database });
    pool = new Pool({ connectionString: database.url, max: 4 });
    token = (await server.session('admin')).accessToken;
    for (const id of DEVICES) {
      await api(server.baseUrl, 'PUT', `/api/devices/${id}`, { kind: 'air_quality', name: id, lat: 10.354, lng: 106.365 }, token);
    }
    area = (await pool.query<{ area: string }>(`SELECT area_ids[1] AS area FROM devices WHERE id = 'pk-air-a'`)).rows[0].area;
    const config = loadConfig({ DATABASE_URL: database.url, JWT_SECRET: 'test-secret-that-is-long-enough-for-hs256-0123456789', ...ENV });
    maintainer = new PartitionMaintainer(pool, storageSettings(config));
    packer = new TelemetryPacker(pool, packSettings(config));

    // Three days of minutes: decimals (stored as scaled integers) for pm25 and pm10, doubles
    // without a short decimal form for a's temperature. Multiples of 0.25 add up exactly in any order.
    const minutes = Array.from({ length: 3 * 24 * 60 }, (_, i) => start + i * MINUTE);
    for (const [d, id] of DEVICES.entries()) {
      await insertSamples(pool, id, 'pm25', minutes.map((t, i): [number, number] => [t, ((i * 7 + d) % 160) * 0.25]));
      await insertSamples(pool, id, 'pm10', minutes.map((t, i): [number, number] => [t, 20 + ((i * 3 + d) % 90) * 0.5]));
      samples += 2 * minutes.length;
    }
    await insertSamples(pool, 'pk-air-a', 'temperature', minutes.map((t, i): [number, number] => [t, 25 + Math.sqrt(i + 2)]));
    samples += minutes.length;
    // An hour of b's pm25 with two more samples a minute, at microseconds the API's cursors carry:
    // a dense hour, whose minutes the 1-minute rollup keeps until the day is packed.
    await pool.query(
      `INSERT INTO telemetry (time, device_key, metric_id, value)
       SELECT $1::timestamptz + i * INTERVAL '30 seconds' + INTERVAL '10.000123 seconds' + (i % 3) * INTERVAL '0.2005 seconds',
              d.key, m.id, -i * 0.25
         FROM generate_series(0, 119) AS i, devices d, metrics m WHERE d.id = 'pk-air-b' AND m.name = 'pm25'`,
      [new Date(start + 10 * HOUR)],
    );
    samples += 120;
    // Samples of now, in the current partition: a raw read crosses from packed rows into them.
    const now = Math.floor(Date.now() / MINUTE) * MINUTE;
    await insertSamples(pool, 'pk-air-a', 'pm25', [[now - 2 * MINUTE, 1.5], [now - MINUTE, 2.5]]);
    await server.rollupsCaughtUp();
    // The old days' rows landed in the default partitions; maintenance gives them their own.
    await maintainer.run();
    expect(await partitions(pool, 'telemetry')).toEqual(expect.arrayContaining(days.map((t) => dayName('telemetry', t))));
  });
  afterAll(async () => {
    await pool?.end();
    await server?.close();
    await database?.drop();
  });

  it('packs whole partitions past the window into a fraction of the space, and every read answers the same', async () => {
    const before = await answers();
    expect(JSON.parse(before.rawAcrossDays[0].slice(4)).samples.length).toBe(50);
    expect(before.rawAcrossDays.length).toBeGreaterThan(4);
    expect(before.rawIntoNow.at(-1)).toContain('"value":2.5');

    const minuteDays = (await partitions(pool, 'telemetry_1m')).filter((name) => days.some((t) => dayName('telemetry_1m', t) === name));
    expect(minuteDays).toEqual([dayName('telemetry_1m', days[0])]);

    // A partition that cannot be dropped (a view depends on it) is left as it was: neither packed rows nor a lost day.
    await pool.query(`CREATE VIEW pinned AS SELECT * FROM ${dayName('telemetry', days[1])}`);
    await expect(packer.run()).rejects.toThrow(/depend/);
    await pool.query('DROP VIEW pinned');
    // The rolled-back rows are dead space until a vacuum, as autovacuum would run it.
    await pool.query('VACUUM telemetry_packed');
    const { rows: halfway } = await pool.query<{ hours: number; raw: number }>(
      `SELECT (SELECT count(*)::int FROM telemetry_packed WHERE hour >= $1) AS hours,
              (SELECT count(*)::int FROM telemetry WHERE time >= $1 AND time < $2) AS raw`,
      [new Date(days[1]), new Date(days[1] + DAY)],
    );
    expect(halfway[0]).toEqual({ hours: 0, raw: (2 * DEVICES.length + 1) * 24 * 60 });
    expect(await answers()).toEqual(before);

    const report = await packer.run();
    expect(report.packed).toEqual(expect.arrayContaining(days.slice(1).map((t) => dayName('telemetry', t))));
    const names = await partitions(pool, 'telemetry');
    const minuteNames = await partitions(pool, 'telemetry_1m');
    for (const t of days) {
      expect(names).not.toContain(dayName('telemetry', t));
      expect(minuteNames).not.toContain(dayName('telemetry_1m', t));
    }
    const { rows } = await pool.query<{ raw: number; packed: number; rows: number; bytes: number; exact: number; micro: number }>(
      `SELECT (SELECT count(*)::int FROM telemetry WHERE time < $1) AS raw,
              (SELECT sum(cardinality(ms))::int FROM telemetry_packed) AS packed,
              (SELECT count(*)::int FROM telemetry_packed) AS rows,
              (SELECT count(*)::int FROM telemetry_packed WHERE exact IS NOT NULL) AS exact,
              (SELECT count(*)::int FROM telemetry_packed WHERE us IS NOT NULL) AS micro,
              pg_total_relation_size('telemetry_packed')::float8 AS bytes`,
      [new Date(start + 3 * DAY)],
    );
    expect(rows[0]).toMatchObject({ raw: 0, packed: samples, rows: 3 * 24 * (2 * DEVICES.length + 1), exact: 3 * 24, micro: 1 });
    const bytesPerSample = rows[0].bytes / samples;
    process.stdout.write(`packed: ${samples} samples in ${rows[0].bytes} bytes, ${bytesPerSample.toFixed(1)} bytes a sample\n`);
    expect(bytesPerSample).toBeLessThan(16);

    expect(await answers()).toEqual(before);

    // Idempotent: nothing left to pack, the same answers.
    expect(await packer.run()).toEqual({ packed: [], samples: 0, droppedMinutes: [] });
    expect(await answers()).toEqual(before);
  });
});
