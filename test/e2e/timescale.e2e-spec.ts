import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pool } from 'pg';
import { topics, type AreaSeriesDto, type DeviceSeriesDto, type HealthDto } from '@ioc/contracts';
import type { Database } from '@ioc/database';
import { readRollupState, RollupRefresher } from '../../libs/storage/src/engine/rollup-refresher';
import { READING } from '../../libs/storage/src/engine/timescale-layout';
import { HistoryRepository } from '../../libs/storage/src/history/history.repository';
import { createScratchDatabase, runOnce, startTestServer, type ScratchDatabase, type TestServer } from '../support/test-server';
import { api, eventually, provisionDevice } from '../support/clients';
import { describeTimescale, itTimescale, onTimescale } from '../support/engine';
import { relationsRead } from '../support/query-plans';
import { insertSamples } from '../support/samples';

jest.setTimeout(120_000);

const HOUR = 3_600_000;
const DAY = 86_400_000;

/** Brings the hourly aggregate up to date over [from, to), as its policy would. */
async function refreshHours(pool: Pool, from: Date, to: Date): Promise<void> {
  // CALL takes no parameters through the extended protocol: the times are ISO text made here.
  await pool.query(`CALL refresh_continuous_aggregate('telemetry_1h', '${from.toISOString()}', '${to.toISOString()}')`);
}

/** Brings the area aggregate up to date over [from, to) from the hourly one, as its policy would. */
async function refreshAreas(pool: Pool, from: Date, to: Date): Promise<void> {
  await pool.query(`CALL refresh_continuous_aggregate('telemetry_area_1h', '${from.toISOString()}', '${to.toISOString()}')`);
}

async function jobId(pool: Pool, proc: string, relation: string): Promise<number> {
  const { rows } = await pool.query<{ id: number }>(
    `SELECT job_id AS id FROM timescaledb_information.jobs WHERE proc_name = $1 AND hypertable_name = $2`,
    [proc, relation],
  );
  expect(rows).toHaveLength(1);
  return rows[0].id;
}

/** Rows a continuous aggregate has materialized (its real-time part aside). */
async function materializedRows(pool: Pool, view: string): Promise<number> {
  const { rows } = await pool.query<{ schema: string; name: string }>(
    `SELECT materialization_hypertable_schema AS schema, materialization_hypertable_name AS name
       FROM timescaledb_information.continuous_aggregates WHERE view_name = $1`,
    [view],
  );
  const { rows: counted } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${rows[0].schema}.${rows[0].name}`);
  return counted[0].n;
}

/** TimescaleDB keeps no 1-minute rollup: telemetry_1m is an empty table, no aggregate and no job's relation. */
async function expectNoMinuteRollup(pool: Pool): Promise<void> {
  const { rows } = await pool.query<{ kind: string; n: number; jobs: number }>(
    `SELECT c.relkind::text AS kind, (SELECT count(*)::int FROM telemetry_1m) AS n,
            (SELECT count(*)::int FROM timescaledb_information.jobs WHERE hypertable_name = 'telemetry_1m') AS jobs
       FROM pg_class c WHERE c.oid = 'telemetry_1m'::regclass`,
  );
  expect(rows[0]).toEqual({ kind: expect.stringMatching(/^[rp]$/), n: 0, jobs: 0 });
}

/** The relation the hourly aggregate is made from. */
async function sourceOfHours(pool: Pool): Promise<string> {
  const { rows } = await pool.query<{ source: string }>(
    `SELECT coalesce(m.view_name, h.hypertable_name) AS source
       FROM timescaledb_information.continuous_aggregates h
       LEFT JOIN timescaledb_information.continuous_aggregates m ON m.materialization_hypertable_name = h.hypertable_name
      WHERE h.view_name = 'telemetry_1h'`,
  );
  return rows[0].source;
}

/** The aggregate the area aggregate is made from. */
async function sourceOfAreas(pool: Pool): Promise<string | null> {
  const { rows } = await pool.query<{ source: string | null }>(
    `SELECT m.view_name AS source
       FROM timescaledb_information.continuous_aggregates a
       LEFT JOIN timescaledb_information.continuous_aggregates m ON m.materialization_hypertable_name = a.hypertable_name
      WHERE a.view_name = 'telemetry_area_1h'`,
  );
  return rows[0]?.source ?? null;
}

/** The chunks of a hypertable or of an aggregate's materialization hypertable. */
async function chunksOf(pool: Pool, relation: string) {
  const { rows } = await pool.query<{ name: string; compressed: boolean; start: Date; end: Date; loose: number }>(
    `SELECT c.chunk_name AS name, c.is_compressed AS compressed, c.range_start AS start, c.range_end AS end,
            -- rows written beside the compressed ones (a partially compressed chunk)
            (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM ONLY %I.%I', c.chunk_schema, c.chunk_name), false, true, '')))[1]::text::int AS loose
       FROM timescaledb_information.chunks c
      WHERE c.hypertable_name = coalesce(
              (SELECT materialization_hypertable_name FROM timescaledb_information.continuous_aggregates WHERE view_name = $1), $1)
      ORDER BY c.range_start`,
    [relation],
  );
  return rows;
}

/** The buckets of `step` the samples fill, as the history API gives them. */
function buckets(samples: [number, number][], step: number) {
  const groups = new Map<number, [number, number][]>();
  for (const s of samples) {
    const b = Math.floor(s[0] / step) * step;
    groups.set(b, [...(groups.get(b) ?? []), s]);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => a - b)
    .map(([b, group]) => {
      const values = group.map(([, v]) => v);
      return {
        t: new Date(b).toISOString(),
        min: Math.min(...values),
        max: Math.max(...values),
        avg: values.reduce((x, y) => x + y, 0) / values.length,
        last: [...group].sort(([x], [y]) => y - x)[0][1],
        count: values.length,
      };
    });
}

const health = async (server: TestServer) => (await api<HealthDto>(server.baseUrl, 'GET', '/api/health')).body;

// One area around both stations, so the area rollup (a table on plain PostgreSQL, an aggregate of
// the hourly one on TimescaleDB) is read too.
const AREAS = {
  type: 'FeatureCollection',
  features: [
    {
      type: 'Feature',
      properties: { id: 'cho-gao', name: 'Chợ Gạo', level: 'district', parentId: null },
      geometry: { type: 'Polygon', coordinates: [[[106.3, 10.3], [106.5, 10.3], [106.5, 10.4], [106.3, 10.4], [106.3, 10.3]]] },
    },
  ],
};
const T0 = Date.parse('2025-08-01T00:00:00Z');
// Two stations over three hours, one sample of B late (stored after the others); values are
// multiples of 0.5, so sums are exact in any order.
const SAMPLES: Record<string, [number, number][]> = {
  'cg-air-a': Array.from({ length: 36 }, (_, i): [number, number] => [T0 + i * 5 * 60_000 + 7_000, (i % 5) * 0.5]),
  'cg-air-b': Array.from({ length: 12 }, (_, i): [number, number] => [T0 + i * 15 * 60_000 + 30_000, 10 + (i % 3)]),
};
const LATE: [string, [number, number][]] = ['cg-air-b', [[T0 + 61 * 60_000, 40]]];

describe(`the same history answers on both engines (${onTimescale ? 'TimescaleDB' : 'plain PostgreSQL'} here)`, () => {
  let server: TestServer;
  let dir: string;
  let token: string;
  const read = async <T>(path: string) => {
    const res = await api<T>(server.baseUrl, 'GET', path, undefined, token);
    expect(res.status).toBe(200);
    return res.body;
  };
  const answers = async () => {
    const range = `from=${new Date(T0).toISOString()}&to=${new Date(T0 + 3 * HOUR).toISOString()}`;
    const device = (id: string, resolution: string) =>
      read<DeviceSeriesDto>(`/api/history/devices/${id}?metrics=pm25&resolution=${resolution}&${range}`).then((b) =>
        b.resolution === 'raw' ? [] : b.series[0].points,
      );
    return {
      aMinutes: (await device('cg-air-a', '1m')).filter((p) => p.count !== 0),
      aHours: await device('cg-air-a', '1h'),
      bHours: await device('cg-air-b', '1h'),
      bDay: await read<DeviceSeriesDto>(
        `/api/history/devices/cg-air-b?metrics=pm25&resolution=1d&tz=UTC&from=${new Date(T0).toISOString()}&to=${new Date(T0 + DAY).toISOString()}`,
      ).then((b) => (b.resolution === 'raw' ? [] : b.series[0].points)),
      area: (await read<AreaSeriesDto>(`/api/history/areas/cho-gao?metrics=pm25&resolution=1h&${range}`)).series[0].points,
      areaDay: (
        await read<AreaSeriesDto>(
          `/api/history/areas/cho-gao?metrics=pm25&resolution=1d&tz=UTC&from=${new Date(T0).toISOString()}&to=${new Date(T0 + DAY).toISOString()}`,
        )
      ).series[0].points,
    };
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ioc-engines-'));
    await writeFile(join(dir, 'areas.geojson'), JSON.stringify(AREAS));
    server = await startTestServer({ AREAS_FILE: join(dir, 'areas.geojson') });
    token = (await server.session('admin')).accessToken;
    for (const [id, lat] of [['cg-air-a', 10.35], ['cg-air-b', 10.36]] as const) {
      expect((await api(server.baseUrl, 'PUT', `/api/devices/${id}`, { kind: 'air_quality', name: id, lat, lng: 106.4 }, token)).status).toBe(200);
    }
    for (const [id, samples] of Object.entries(SAMPLES)) await insertSamples(server.pool, id, 'pm25', samples);
    await insertSamples(server.pool, LATE[0], 'pm25', LATE[1]);
  });
  afterAll(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers from the rollups what the samples give, materialized or not', async () => {
    const all = { ...SAMPLES, [LATE[0]]: [...SAMPLES[LATE[0]], ...LATE[1]] };
    const expected = {
      aMinutes: buckets(all['cg-air-a'], 60_000),
      aHours: buckets(all['cg-air-a'], HOUR),
      bHours: buckets(all['cg-air-b'], HOUR),
      bDay: buckets(all['cg-air-b'], DAY),
      area: buckets([...all['cg-air-a'], ...all['cg-air-b']], HOUR).map(({ last: _, ...b }) => ({ ...b, devices: 2 })),
      areaDay: buckets([...all['cg-air-a'], ...all['cg-air-b']], DAY).map(({ last: _, ...b }) => ({ ...b, devices: 2 })),
    };
    // TimescaleDB: nothing of 2025 is in the aggregates' refresh window, so this reads the raw
    // rows through their real-time part; plain: the refresher has materialized everything.
    await server.rollupsCaughtUp();
    expect(await answers()).toEqual(expected);
    if (onTimescale) {
      await refreshHours(server.pool, new Date(T0), new Date(T0 + DAY));
      expect(await materializedRows(server.pool, 'telemetry_1h')).toBeGreaterThan(0);
      expect(await answers()).toEqual(expected);
      await refreshAreas(server.pool, new Date(T0), new Date(T0 + DAY));
      expect(await materializedRows(server.pool, 'telemetry_area_1h')).toBe(3);
      expect(await answers()).toEqual(expected);
    }
  });

  itTimescale('reads the hours of an area from its own aggregate once it is refreshed, not from the devices\' hours', async () => {
    await refreshHours(server.pool, new Date(T0), new Date(T0 + DAY));
    await refreshAreas(server.pool, new Date(T0), new Date(T0 + DAY));
    const queries: { sql: string; params: unknown[] }[] = [];
    const capture = { pool: { query: async (sql: string, params: unknown[]) => (queries.push({ sql, params }), { rows: [] }) } };
    await new HistoryRepository(capture as unknown as Database).buckets({ areaId: 'cho-gao' }, ['pm25'], '1h', new Date(T0), new Date(T0 + 3 * HOUR), 'UTC');
    const plan = await relationsRead(server.pool, queries[0].sql, queries[0].params);
    const chunksOfView = async (view: string) =>
      (
        await server.pool.query<{ name: string }>(
          `SELECT c.chunk_name AS name FROM timescaledb_information.chunks c
             JOIN timescaledb_information.continuous_aggregates a
               ON a.materialization_hypertable_schema = c.hypertable_schema AND a.materialization_hypertable_name = c.hypertable_name
            WHERE a.view_name = $1`,
          [view],
        )
      ).rows.map((r) => r.name);
    const [areaChunks, hourChunks] = [await chunksOfView('telemetry_area_1h'), await chunksOfView('telemetry_1h')];
    expect(areaChunks.length).toBeGreaterThan(0);
    expect(hourChunks.length).toBeGreaterThan(0);
    expect(plan).toEqual(expect.arrayContaining(areaChunks));
    for (const chunk of hourChunks) expect(plan).not.toContain(chunk);
  });
});

describeTimescale('storage on TimescaleDB', () => {
  const settings = {
    STORAGE_PARTITION_INTERVAL: '12h',
    STORAGE_RETENTION_DAYS: '3',
    STORAGE_COMPRESS_AFTER_DAYS: '1',
    INGEST_MAX_AGE_S: '3600',
  };
  let database: ScratchDatabase;
  let server: TestServer;
  let token: string;
  const hours = async (from: number, to: number) => {
    const res = await api<DeviceSeriesDto>(
      server.baseUrl,
      'GET',
      `/api/history/devices/ts-wl?metrics=water_level&resolution=1h&from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}`,
      undefined,
      token,
    );
    expect(res.status).toBe(200);
    return res.body.resolution === 'raw' ? [] : res.body.series[0].points;
  };
  const chunks = async () => {
    const { rows } = await server.pool.query<{ name: string; compressed: boolean; start: Date }>(
      `SELECT chunk_name AS name, is_compressed AS compressed, range_start AS start
         FROM timescaledb_information.chunks WHERE hypertable_name = 'telemetry' ORDER BY range_start`,
    );
    return rows;
  };

  beforeAll(async () => {
    database = await createScratchDatabase();
    server = await startTestServer(settings, { database });
    token = (await server.session('admin')).accessToken;
    await api(server.baseUrl, 'PUT', '/api/devices/ts-wl', { kind: 'water_level', name: 'Trạm Vàm Láng', lat: 10.35, lng: 106.36 }, token);
  });
  afterAll(async () => {
    await server?.close();
    await database?.drop();
  });

  it('says so in its health, with hypertables of the configured chunk interval and an hourly aggregate of the raw rows', async () => {
    const h = await health(server);
    expect(h.database).toMatchObject({ timescaledb: true, partitioning: 'hypertable', rollups: null });
    expect(h.database.timescaledbVersion).toMatch(/^2\.\d+\.\d+/);
    const { rows } = await server.pool.query<{ name: string; ms: number }>(
      `SELECT hypertable_name AS name, extract(epoch FROM time_interval)::float8 * 1000 AS ms
         FROM timescaledb_information.dimensions WHERE hypertable_schema = 'public' ORDER BY 1`,
    );
    expect(rows).toEqual(expect.arrayContaining([{ name: 'device_events', ms: 12 * HOUR }, { name: 'telemetry', ms: 12 * HOUR }]));
    const { rows: views } = await server.pool.query<{ name: string }>(
      `SELECT view_name AS name FROM timescaledb_information.continuous_aggregates ORDER BY 1`,
    );
    expect(views.map((v) => v.name)).toEqual(['telemetry_1h', 'telemetry_area_1h']);
    expect(await sourceOfHours(server.pool)).toBe('telemetry');
    expect(await sourceOfAreas(server.pool)).toBe('telemetry_1h');
    await expectNoMinuteRollup(server.pool);
  });

  it('leaves the rollups to the aggregates: no refresher state to read or to run', async () => {
    expect(await readRollupState(server.pool)).toEqual({ threshold: null, materialized: null, lateWaiting: 0 });
    expect(await new RollupRefresher(server.pool, 0).run()).toEqual({ ran: false, materialized: null, recomputedDevices: 0 });
  });

  it('compresses old chunks, ignores a duplicate written into one, and answers the same', async () => {
    const twoDaysAgo = Math.floor((Date.now() - 2 * DAY) / HOUR) * HOUR;
    const samples = Array.from({ length: 120 }, (_, i): [number, number] => [twoDaysAgo + i * 30_000, 1 + (i % 4) * 0.5]);
    await insertSamples(server.pool, 'ts-wl', 'water_level', [...samples, [Date.now() - 60_000, 2]]);
    await refreshHours(server.pool, new Date(twoDaysAgo - HOUR), new Date(twoDaysAgo + 2 * HOUR));
    const before = await hours(twoDaysAgo - HOUR, twoDaysAgo + 2 * HOUR);
    expect(before.reduce((n, p) => n + (p.count ?? 0), 0)).toBe(120);

    // The test runs the job itself: a scheduled run at the same moment would compress a chunk under it.
    const compression = await jobId(server.pool, 'policy_compression', 'telemetry');
    await server.pool.query('SELECT alter_job($1, scheduled => false)', [compression]);
    await server.pool.query(`CALL run_job(${compression})`);
    await server.pool.query('SELECT alter_job($1, scheduled => true)', [compression]);
    const old = (await chunks()).find((c) => c.start.getTime() <= twoDaysAgo && c.start.getTime() + 12 * HOUR > twoDaysAgo)!;
    expect(old).toMatchObject({ compressed: true });
    const { rows: stats } = await server.pool.query<{ status: string; before: string; after: string }>(
      `SELECT compression_status AS status, before_compression_total_bytes AS before, after_compression_total_bytes AS after
         FROM chunk_compression_stats('telemetry') WHERE chunk_name = $1`,
      [old.name],
    );
    expect(stats[0].status).toBe('Compressed');
    expect(Number(stats[0].after)).toBeGreaterThan(0);
    // The newest chunk is too young to compress.
    expect((await chunks()).at(-1)!.compressed).toBe(false);
    expect(await hours(twoDaysAgo - HOUR, twoDaysAgo + 2 * HOUR)).toEqual(before);

    // A redelivered sample with another value: the writer's ON CONFLICT DO NOTHING skips it.
    await insertSamples(server.pool, 'ts-wl', 'water_level', [[samples[10][0], 99]]);
    const { rows } = await server.pool.query<{ value: number }>('SELECT value FROM telemetry_values WHERE time = $1', [new Date(samples[10][0])]);
    expect(rows).toEqual([{ value: samples[10][1] }]);
    await refreshHours(server.pool, new Date(twoDaysAgo - HOUR), new Date(twoDaysAgo + 2 * HOUR));
    expect(await hours(twoDaysAgo - HOUR, twoDaysAgo + 2 * HOUR)).toEqual(before);
  });

  it('stores readings of at most three decimals as integers and reads every reading back exactly', async () => {
    const t = Math.floor((Date.now() - 3 * HOUR) / HOUR) * HOUR;
    const readings = [4.46, -2.5, 0.1 + 0.2, 1e13, 1234.567, Math.PI];
    await insertSamples(server.pool, 'ts-wl', 'water_level', readings.map((v, i): [number, number] => [t + i * 1000, v]));
    const { rows } = await server.pool.query<{ value: number | null; milli: string | null; read: number }>(
      `SELECT t.value, t.value_milli AS milli, v.value AS read
         FROM telemetry t JOIN telemetry_values v USING (device_key, metric_id, time)
        WHERE t.time >= $1 AND t.time < $2 ORDER BY t.time`,
      [new Date(t), new Date(t + readings.length * 1000)],
    );
    expect(rows.map((r) => r.read)).toEqual(readings);
    expect(rows.map((r) => r.milli)).toEqual(['4460', '-2500', null, null, '1234567', null]);
    expect(rows.map((r) => r.value)).toEqual([null, null, 0.1 + 0.2, 1e13, null, Math.PI]);
  });

  it('drops chunks older than the retention and keeps their hours in the hourly aggregate', async () => {
    const fiveDaysAgo = Math.floor((Date.now() - 5 * DAY) / HOUR) * HOUR;
    await insertSamples(server.pool, 'ts-wl', 'water_level', [[fiveDaysAgo + 60_000, 7], [fiveDaysAgo + 120_000, 9]]);
    // As the refresh policy did while these samples were new.
    await refreshHours(server.pool, new Date(fiveDaysAgo), new Date(fiveDaysAgo + HOUR));
    const oldChunks = (await chunks()).filter((c) => c.start.getTime() < Date.now() - 3 * DAY - 12 * HOUR);
    expect(oldChunks.length).toBeGreaterThan(0);

    const retention = await jobId(server.pool, 'policy_retention', 'telemetry');
    await server.pool.query('SELECT alter_job($1, scheduled => false)', [retention]);
    await server.pool.query(`CALL run_job(${retention})`);
    await server.pool.query('SELECT alter_job($1, scheduled => true)', [retention]);
    const left = (await chunks()).map((c) => c.name);
    for (const c of oldChunks) expect(left).not.toContain(c.name);
    const { rows } = await server.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM telemetry WHERE time < $1', [
      new Date(Date.now() - 3 * DAY - 12 * HOUR),
    ]);
    expect(rows[0].n).toBe(0);
    // Two days ago is kept whole.
    expect((await hours(Date.now() - 2 * DAY - 2 * HOUR, Date.now() - DAY)).reduce((n, p) => n + (p.count ?? 0), 0)).toBe(120);
    expect(await hours(fiveDaysAgo, fiveDaysAgo + HOUR)).toEqual([
      { t: new Date(fiveDaysAgo).toISOString(), min: 7, max: 9, avg: 8, last: 9, count: 2 },
    ]);
  });

  it('keeps its policies and their job ids across a restart, and changes them in place', async () => {
    const jobs = async () =>
      (
        await server.pool.query<{ id: number; proc: string; relation: string; config: Record<string, unknown> }>(
          `SELECT job_id AS id, proc_name AS proc, hypertable_name AS relation, config FROM timescaledb_information.jobs
            WHERE hypertable_schema = 'public' ORDER BY job_id`,
        )
      ).rows;
    const before = await jobs();
    expect(before.map((j) => `${j.proc} ${j.relation}`).sort()).toEqual([
      'policy_compression device_events',
      'policy_compression telemetry',
      'policy_compression telemetry_1h',
      'policy_compression telemetry_area_1h',
      'policy_refresh_continuous_aggregate telemetry_1h',
      'policy_refresh_continuous_aggregate telemetry_area_1h',
      'policy_retention device_events',
      'policy_retention telemetry',
    ]);
    await server.close();
    server = await startTestServer(settings, { database });
    expect(await jobs()).toEqual(before);

    await server.close();
    const config = (list: typeof before, proc: string, relation: string) => list.find((j) => j.proc === proc && j.relation === relation)!.config;
    // The aggregate is compressed a day after its refresh window (INGEST_MAX_AGE_S plus three buckets) has passed.
    expect(config(before, 'policy_compression', 'telemetry_1h')).toMatchObject({ compress_after: '28:00:00' });
    // The area aggregate refreshes an hour behind the hourly one, and is compressed an hour later.
    expect(config(before, 'policy_refresh_continuous_aggregate', 'telemetry_1h')).toMatchObject({ start_offset: '04:00:00', end_offset: '01:00:00' });
    expect(config(before, 'policy_refresh_continuous_aggregate', 'telemetry_area_1h')).toMatchObject({ start_offset: '05:00:00', end_offset: '02:00:00' });
    expect(config(before, 'policy_compression', 'telemetry_area_1h')).toMatchObject({ compress_after: '29:00:00' });
    server = await startTestServer(
      { ...settings, STORAGE_COMPRESS_AFTER_DAYS: '2', STORAGE_RETENTION_DAYS: '5', INGEST_MAX_AGE_S: '7200' },
      { database },
    );
    const changed = await jobs();
    expect(changed.map((j) => j.id)).toEqual(before.map((j) => j.id));
    expect(config(changed, 'policy_compression', 'telemetry')).toMatchObject({ compress_after: '48:00:00' });
    expect(config(changed, 'policy_compression', 'device_events')).toMatchObject({ compress_after: '48:00:00' });
    expect(config(changed, 'policy_compression', 'telemetry_1h')).toMatchObject({ compress_after: '29:00:00' });
    expect(config(changed, 'policy_refresh_continuous_aggregate', 'telemetry_area_1h')).toMatchObject({ start_offset: '06:00:00', end_offset: '02:00:00' });
    expect(config(changed, 'policy_compression', 'telemetry_area_1h')).toMatchObject({ compress_after: '30:00:00' });
    expect(config(changed, 'policy_retention', 'telemetry')).toMatchObject({ drop_after: '120:00:00' });
  });

  it('reports a failing job as degraded, with its error', async () => {
    const { rows } = await server.pool.query<{ schema: string; name: string }>(
      `SELECT materialization_hypertable_schema AS schema, materialization_hypertable_name AS name
         FROM timescaledb_information.continuous_aggregates WHERE view_name = 'telemetry_1h'`,
    );
    const materialized = `${rows[0].schema}.${rows[0].name}`;
    // A refresh that fails whatever the PostgreSQL release (on 15.20 every scheduled run fails anyway).
    await server.pool.query(`CREATE FUNCTION refuse_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'refresh refused by the test'; END $$`);
    await server.pool.query(`CREATE TRIGGER refuse BEFORE INSERT ON ${materialized} FOR EACH ROW EXECUTE FUNCTION refuse_refresh()`);
    // Inside the refresh window (INGEST_MAX_AGE_S is 2 h since the restart above): the refresh materializes its hour.
    await insertSamples(server.pool, 'ts-wl', 'water_level', [[Date.now() - 2 * HOUR, 3]]);
    const id = await jobId(server.pool, 'policy_refresh_continuous_aggregate', 'telemetry_1h');
    const { rows: clock } = await server.pool.query<{ now: Date }>('SELECT now()');
    await server.pool.query('SELECT alter_job($1, next_start => now())', [id]);

    const degraded = await eventually(async () => {
      const h = await health(server);
      const job = h.database.failingJobs?.find((j) => j.id === id);
      return job && Date.parse(job.failedAt!) >= clock[0].now.getTime() ? h : undefined;
    }, 60_000);
    expect(degraded.status).toBe('degraded');
    // The error as TimescaleDB recorded it (on PostgreSQL 15.20 its error handling records "invalid
    // transaction termination" rather than the trigger's message).
    const { rows: errors } = await server.pool.query<{ message: string }>(
      'SELECT err_message AS message FROM timescaledb_information.job_errors WHERE job_id = $1 ORDER BY start_time DESC LIMIT 1',
      [id],
    );
    expect(errors[0].message).toEqual(expect.any(String));
    expect(degraded.database.failingJobs).toEqual(
      expect.arrayContaining([
        { id, job: 'policy_refresh_continuous_aggregate', relation: 'telemetry_1h', failedAt: expect.any(String), error: errors[0].message },
      ]),
    );
  });
});

describeTimescale('the area aggregate', () => {
  const square = (id: string, west: number) => ({
    type: 'Feature',
    properties: { id, name: id, level: 'district', parentId: null },
    geometry: { type: 'Polygon', coordinates: [[[west, 10.3], [west + 0.1, 10.3], [west + 0.1, 10.4], [west, 10.4], [west, 10.3]]] },
  });
  let dir: string;
  let server: TestServer;
  let token: string;
  const put = (lng: number) =>
    api(server.baseUrl, 'PUT', '/api/devices/mv-air', { kind: 'air_quality', name: 'Trạm di dời', lat: 10.35, lng }, token);
  /** The device's rows of device_areas, beside its area_ids. */
  const areasOf = async () =>
    (
      await server.pool.query<{ ids: string[] | null; rows: string[] | null }>(
        `SELECT (SELECT area_ids FROM devices WHERE id = 'mv-air') AS ids,
                (SELECT array_agg(a.area_id ORDER BY a.area_id) FROM device_areas a JOIN devices d ON d.key = a.device_key
                  WHERE d.id = 'mv-air') AS rows`,
      )
    ).rows[0];
  const hoursOf = async (areaId: string, from: number, to: number) => {
    const res = await api<AreaSeriesDto>(
      server.baseUrl,
      'GET',
      `/api/history/areas/${areaId}?metrics=pm25&resolution=1h&from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}`,
      undefined,
      token,
    );
    expect(res.status).toBe(200);
    return res.body.series[0].points.filter((p) => p.count !== 0).map((p) => ({ t: Date.parse(p.t), count: p.count, devices: p.devices }));
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ioc-area-moves-'));
    await writeFile(join(dir, 'areas.geojson'), JSON.stringify({ type: 'FeatureCollection', features: [square('tay', 106.3), square('dong', 106.5)] }));
    server = await startTestServer({ AREAS_FILE: join(dir, 'areas.geojson') });
    token = (await server.session('admin')).accessToken;
    // The test refreshes itself: a scheduled refresh would materialize hours under it.
    await server.pool.query(`SELECT alter_job(job_id, scheduled => false) FROM timescaledb_information.jobs WHERE hypertable_schema = 'public'`);
  });
  afterAll(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('counts a device moved to another area in its new area for the hours materialized after the move', async () => {
    expect((await put(106.35)).status).toBe(200);
    expect(await areasOf()).toEqual({ ids: ['tay'], rows: ['tay'] });
    const h1 = Math.floor((Date.now() - 3 * DAY) / HOUR) * HOUR;
    const [h2, h3] = [h1 + 2 * HOUR, h1 + 4 * HOUR];
    const samples = (hour: number, n: number) => Array.from({ length: n }, (_, i): [number, number] => [hour + i * 60_000 + 1_000, 1]);
    await insertSamples(server.pool, 'mv-air', 'pm25', samples(h1, 10));
    await refreshHours(server.pool, new Date(h1), new Date(h1 + HOUR));
    await refreshAreas(server.pool, new Date(h1), new Date(h1 + HOUR));

    expect((await put(106.55)).status).toBe(200);
    expect(await areasOf()).toEqual({ ids: ['dong'], rows: ['dong'] });
    await insertSamples(server.pool, 'mv-air', 'pm25', samples(h2, 20));
    await refreshHours(server.pool, new Date(h2), new Date(h2 + HOUR));
    await refreshAreas(server.pool, new Date(h2), new Date(h2 + HOUR));
    // Not materialized yet: real-time hours use the areas of now.
    await insertSamples(server.pool, 'mv-air', 'pm25', samples(h3, 5));

    expect(await hoursOf('tay', h1, h3 + HOUR)).toEqual([{ t: h1, count: 10, devices: 1 }]);
    expect(await hoursOf('dong', h1, h3 + HOUR)).toEqual([
      { t: h2, count: 20, devices: 1 },
      { t: h3, count: 5, devices: 1 },
    ]);

    // A late sample has the hour before the move materialized again, in the area of now.
    await insertSamples(server.pool, 'mv-air', 'pm25', [[h1 + 30 * 60_000 + 30_000, 1]]);
    await refreshHours(server.pool, new Date(h1), new Date(h1 + HOUR));
    await refreshAreas(server.pool, new Date(h1), new Date(h1 + HOUR));
    expect(await hoursOf('tay', h1, h3 + HOUR)).toEqual([]);
    expect((await hoursOf('dong', h1, h3 + HOUR))[0]).toEqual({ t: h1, count: 11, devices: 1 });

    expect((await api(server.baseUrl, 'DELETE', '/api/devices/mv-air', undefined, token)).status).toBe(204);
    const { rows } = await server.pool.query(`SELECT 1 FROM device_areas a WHERE NOT EXISTS (SELECT 1 FROM devices d WHERE d.key = a.device_key)`);
    expect(rows).toEqual([]);
  });
});

describeTimescale('a plain PostgreSQL database moved to TimescaleDB', () => {
  let database: ScratchDatabase;
  let server: TestServer | undefined;
  const role = `ioc_plain_${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    database = await createScratchDatabase();
    // A role that may not create extensions here: the server falls back to plain PostgreSQL.
    await runOnce(database.url, `CREATE ROLE ${role} LOGIN; GRANT CREATE ON SCHEMA public TO ${role}`);
  });
  afterAll(async () => {
    await server?.close();
    await database?.drop();
    await runOnce(process.env.DATABASE_URL!, `DROP ROLE IF EXISTS ${role}`);
  });

  it('keeps its rows, the packed ones written back as rows, and answers the same', async () => {
    const asRole = new URL(database.url);
    asRole.username = role;
    const plain = await startTestServer({}, { database: { url: asRole.toString(), drop: async () => undefined } });
    server = plain;
    const token = (await plain.session('admin')).accessToken;
    expect((await health(plain)).database).toMatchObject({ timescaledb: false, partitioning: 'declarative' });
    await api(plain.baseUrl, 'PUT', '/api/devices/mv-wl', { kind: 'water_level', name: 'Trạm cũ', lat: 10.35, lng: 106.36 }, token);
    const t = Math.floor((Date.now() - DAY) / HOUR) * HOUR;
    await insertSamples(plain.pool, 'mv-wl', 'water_level', Array.from({ length: 30 }, (_, i): [number, number] => [t + i * 60_000, i * 0.5]));
    // An older hour that the plain layout had packed (packer.ts): 20 samples in one packed row.
    const packedHour = t - DAY;
    await plain.pool.query(
      `INSERT INTO telemetry_packed (device_key, metric_id, hour, decimals, ms, scaled)
       SELECT d.key, m.id, $1, 1, $2::int[], $3::int[] FROM devices d, metrics m WHERE d.id = 'mv-wl' AND m.name = 'water_level'`,
      [new Date(packedHour), Array.from({ length: 20 }, (_, i) => i * 60_000), Array.from({ length: 20 }, (_, i) => 10 + i)],
    );
    await plain.rollupsCaughtUp();
    const series = async (s: TestServer, tk: string) =>
      (
        await api<DeviceSeriesDto>(
          s.baseUrl,
          'GET',
          `/api/history/devices/mv-wl?metrics=water_level&resolution=1m&from=${new Date(t).toISOString()}&to=${new Date(t + HOUR).toISOString()}`,
          undefined,
          tk,
        )
      ).body;
    const before = await series(plain, token);
    // A minute of the plain rollup (dense hours keep theirs, migration 0016): TimescaleDB keeps none.
    await plain.pool.query(
      `INSERT INTO telemetry_1m (bucket, device_key, metric_id, min, max, sum, count, last, last_time)
       SELECT $1, d.key, m.id, 1, 1, 1, 1, 1, $1 FROM devices d, metrics m WHERE d.id = 'mv-wl' AND m.name = 'water_level'`,
      [new Date(t - 2 * DAY)],
    );
    await plain.close();
    server = undefined;

    server = await startTestServer({}, { database: { url: database.url, drop: async () => undefined } });
    expect((await health(server)).database).toMatchObject({ timescaledb: true, partitioning: 'hypertable' });
    const { rows } = await server.pool.query<{ n: number; hyper: boolean }>(
      `SELECT count(*)::int AS n, EXISTS (SELECT 1 FROM timescaledb_information.hypertables WHERE hypertable_name = 'telemetry') AS hyper
         FROM telemetry`,
    );
    expect(rows[0]).toEqual({ n: 50, hyper: true });
    const { rows: unpacked } = await server.pool.query<{ values: number[] }>(
      `SELECT array_agg(value ORDER BY time) AS values FROM telemetry_values WHERE time >= $1 AND time < $2`,
      [new Date(packedHour), new Date(packedHour + HOUR)],
    );
    expect(unpacked[0].values).toEqual(Array.from({ length: 20 }, (_, i) => (10 + i) / 10));
    expect((await server.pool.query('SELECT 1 FROM telemetry_packed')).rowCount).toBe(0);
    await expectNoMinuteRollup(server.pool);
    expect(await series(server, (await server.session('admin')).accessToken)).toEqual(before);
  });
});

describeTimescale('compression inside the late-sample window', () => {
  // Raw chunks compressed after a day, while samples are accepted 30 days late (the default).
  const settings = { STORAGE_COMPRESS_AFTER_DAYS: '1' };
  let server: TestServer;
  let token: string;
  const compress = async (relation: string) =>
    server.pool.query(`CALL run_job(${await jobId(server.pool, 'policy_compression', relation)})`);
  const stored = async (time: number) =>
    (
      await server.pool.query<{ value: number }>(
        `SELECT t.value FROM telemetry_values t JOIN devices d ON d.key = t.device_key WHERE d.id = 'late-wl' AND t.time = $1`,
        [new Date(time)],
      )
    ).rows;

  beforeAll(async () => {
    server = await startTestServer(settings);
    token = (await server.session('admin')).accessToken;
    // The test runs the jobs itself: a scheduled run at the same moment would compress a chunk under it.
    await server.pool.query(`SELECT alter_job(job_id, scheduled => false) FROM timescaledb_information.jobs WHERE hypertable_schema = 'public'`);
  });
  afterAll(async () => {
    await server?.close();
  });

  it('stores a late sample published into a compressed chunk once, reads it back, and ignores its redelivery', async () => {
    const device = await provisionDevice(server, token, { id: 'late-wl', kind: 'water_level', name: 'Trạm trễ', lat: 10.35, lng: 106.36 });
    try {
      const hour = Math.floor((Date.now() - 3 * DAY) / HOUR) * HOUR;
      await insertSamples(server.pool, 'late-wl', 'water_level', Array.from({ length: 60 }, (_, i): [number, number] => [hour + i * 60_000, 1]));
      await compress('telemetry');
      const chunk = (await chunksOf(server.pool, 'telemetry')).find((c) => c.start.getTime() <= hour && c.end.getTime() > hour)!;
      expect(chunk).toMatchObject({ compressed: true, loose: 0 });

      // Between two stored minutes, then again with another value (a gateway's redelivery), then a
      // sample of now: once that is stored, the two before it have been written.
      const late = hour + 30 * 60_000 + 30_000;
      const publish = (ts: number, value: number) =>
        device.publishAsync(topics.telemetry('late-wl'), JSON.stringify({ ts, metrics: { water_level: value } }), { qos: 1 });
      await publish(late, 2.5);
      await eventually(async () => ((await stored(late)).length === 1 ? true : undefined));
      await publish(late, 9);
      const now = Date.now();
      await publish(now, 3);
      await eventually(async () => ((await stored(now)).length === 1 ? true : undefined));
      expect(await stored(late)).toEqual([{ value: 2.5 }]);

      const raw = await api<DeviceSeriesDto>(
        server.baseUrl,
        'GET',
        `/api/history/devices/late-wl?metrics=water_level&resolution=raw&from=${new Date(hour).toISOString()}&to=${new Date(hour + HOUR).toISOString()}`,
        undefined,
        token,
      );
      expect(raw.status).toBe(200);
      const samples = raw.body.resolution === 'raw' ? raw.body.samples : [];
      expect(samples).toHaveLength(61);
      expect(samples.filter((x) => x.t === new Date(late).toISOString())).toEqual([
        { t: new Date(late).toISOString(), metric: 'water_level', value: 2.5 },
      ]);

      // The late row waits beside the compressed ones until the policy compresses the chunk again.
      expect((await chunksOf(server.pool, 'telemetry')).find((c) => c.name === chunk.name)!.loose).toBe(1);
      await compress('telemetry');
      expect((await chunksOf(server.pool, 'telemetry')).find((c) => c.name === chunk.name)).toMatchObject({ compressed: true, loose: 0 });
      expect(await stored(late)).toEqual([{ value: 2.5 }]);
      await refreshHours(server.pool, new Date(hour), new Date(hour + HOUR));
      const hours = await api<DeviceSeriesDto>(
        server.baseUrl,
        'GET',
        `/api/history/devices/late-wl?metrics=water_level&resolution=1h&from=${new Date(hour).toISOString()}&to=${new Date(hour + HOUR).toISOString()}`,
        undefined,
        token,
      );
      expect(hours.body.resolution === 'raw' ? [] : hours.body.series[0].points).toEqual([
        { t: new Date(hour).toISOString(), min: 1, max: 2.5, avg: 62.5 / 61, last: 1, count: 61 },
      ]);
    } finally {
      await device.endAsync();
    }
  });

  it('compresses device events and the hourly aggregate, the aggregate once its refresh window has passed it', async () => {
    for (const [id, kind] of [['old-cam', 'traffic_camera'], ['old-wl', 'water_level']]) {
      expect((await api(server.baseUrl, 'PUT', `/api/devices/${id}`, { kind, name: id, lat: 10.35, lng: 106.36 }, token)).status).toBe(200);
    }
    const old = Math.floor((Date.now() - 60 * DAY) / HOUR) * HOUR;
    await insertSamples(server.pool, 'old-wl', 'water_level', Array.from({ length: 180 }, (_, i): [number, number] => [old + i * 60_000, i % 7]));
    const storeEvents = (times: number[], confidence: number) =>
      // As the ingest writer stores them: a redelivered event is skipped.
      server.pool.query(
        `INSERT INTO device_events (time, device_key, type, confidence)
         SELECT t, d.key, 'congestion', $2 FROM unnest($1::timestamptz[]) AS t, devices d WHERE d.id = 'old-cam'
         ON CONFLICT DO NOTHING`,
        [times.map((t) => new Date(t)), confidence],
      );
    await storeEvents(Array.from({ length: 20 }, (_, i) => old + i * 5 * 60_000), 0.5);
    await refreshHours(server.pool, new Date(old), new Date(old + 4 * HOUR));
    const hours = async () =>
      (
        await api<DeviceSeriesDto>(
          server.baseUrl,
          'GET',
          `/api/history/devices/old-wl?metrics=water_level&resolution=1h&from=${new Date(old).toISOString()}&to=${new Date(old + 3 * HOUR).toISOString()}`,
          undefined,
          token,
        )
      ).body;
    const before = await hours();

    for (const relation of ['telemetry', 'device_events', 'telemetry_1h']) {
      await compress(relation);
      const chunk = (await chunksOf(server.pool, relation)).find((c) => c.start.getTime() <= old && c.end.getTime() > old);
      expect({ relation, compressed: chunk?.compressed }).toEqual({ relation, compressed: true });
    }
    expect(await hours()).toEqual(before);

    // A late event into the compressed chunk, and its redelivery.
    await storeEvents([old + 7 * 60_000], 0.9);
    await storeEvents([old + 7 * 60_000, old + 5 * 60_000], 0.1);
    const { rows } = await server.pool.query<{ n: number; late: number[] }>(
      `SELECT count(*)::int AS n, array_agg(confidence) FILTER (WHERE time = $1) AS late FROM device_events WHERE time < $2`,
      [new Date(old + 7 * 60_000), new Date(old + DAY)],
    );
    expect(rows[0]).toEqual({ n: 21, late: [0.9] });
  });
});

describeTimescale('a database laid out by the release with a 1-minute aggregate under the hourly one', () => {
  let database: ScratchDatabase;
  let server: TestServer;
  let token: string;
  /** The jobs of the storage's relations, and the materialization of the hourly aggregate: what a start may not change. */
  const layout = async () => ({
    jobs: (
      await server.pool.query<{ id: number; proc: string; relation: string; config: Record<string, unknown> }>(
        `SELECT job_id AS id, proc_name AS proc, hypertable_name AS relation, config FROM timescaledb_information.jobs
          WHERE hypertable_schema = 'public' ORDER BY job_id`,
      )
    ).rows,
    hours: (
      await server.pool.query<{ name: string }>(
        `SELECT view_name, materialization_hypertable_name AS name FROM timescaledb_information.continuous_aggregates ORDER BY 1`,
      )
    ).rows,
  });
  const pauseJobs = () =>
    server.pool.query(`SELECT alter_job(job_id, scheduled => false) FROM timescaledb_information.jobs WHERE hypertable_schema = 'public'`);

  beforeAll(async () => {
    database = await createScratchDatabase();
    server = await startTestServer({}, { database });
    token = (await server.session('admin')).accessToken;
    // The test drops chunks and refreshes itself: a scheduled job at the same moment can deadlock with it.
    await pauseJobs();
  });
  afterAll(async () => {
    await server?.close();
    await database?.drop();
  });

  it('is rebuilt on the raw rows at start with every hour kept, those whose raw rows retention dropped included, and the minutes dropped with their jobs', async () => {
    await api(server.baseUrl, 'PUT', '/api/devices/hr-wl', { kind: 'water_level', name: 'Trạm giờ', lat: 10.35, lng: 106.36 }, token);
    const { areas } = (await api<{ areas: { id: string }[] }>(server.baseUrl, 'GET', '/api/devices/hr-wl', undefined, token)).body;
    const areaId = areas[0].id;
    const old = Math.floor((Date.now() - 40 * DAY) / HOUR) * HOUR;
    const recent = Math.floor((Date.now() - 2 * DAY) / HOUR) * HOUR;
    const minutes = (from: number, n: number) => Array.from({ length: n }, (_, i): [number, number] => [from + i * 60_000 + 5_000, (i % 9) * 0.5]);
    await insertSamples(server.pool, 'hr-wl', 'water_level', [...minutes(old, 150), ...minutes(recent, 150)]);

    // As the earlier release laid it out, with its policies, then its retention: the old minutes and
    // raw rows are gone, their hours stay.
    await server.pool.query(
      `DROP MATERIALIZED VIEW telemetry_area_1h; DROP MATERIALIZED VIEW telemetry_1h; DROP TABLE telemetry_1m;
       DROP TABLE device_areas; DROP FUNCTION device_areas_follow() CASCADE`,
    );
    await server.pool.query(
      // That release stored every reading as a float; here they are split already, so it reads both columns.
      `CREATE MATERIALIZED VIEW telemetry_1m WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
       SELECT time_bucket(INTERVAL '1 minute', time) AS bucket, device_key, metric_id,
              min(${READING}) AS min, max(${READING}) AS max, sum(${READING}) AS sum, count(*) AS count,
              last(${READING}, time) AS last, max(time) AS last_time
         FROM telemetry GROUP BY 1, 2, 3 WITH NO DATA`,
    );
    await server.pool.query(
      `CREATE MATERIALIZED VIEW telemetry_1h WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
       SELECT time_bucket(INTERVAL '1 hour', bucket) AS bucket, device_key, metric_id,
              min(min) AS min, max(max) AS max, sum(sum) AS sum, sum(count)::bigint AS count,
              last(last, last_time) AS last, max(last_time) AS last_time
         FROM telemetry_1m GROUP BY 1, 2, 3 WITH NO DATA`,
    );
    await server.pool.query(`CREATE VIEW telemetry_area_1h AS
      SELECT h.bucket, a.area_id, h.metric_id, min(h.min) AS min, max(h.max) AS max, sum(h.sum) AS sum,
             sum(h.count)::bigint AS count, count(*)::int AS devices
        FROM telemetry_1h h JOIN devices d ON d.key = h.device_key CROSS JOIN LATERAL unnest(d.area_ids) AS a(area_id)
       GROUP BY h.bucket, a.area_id, h.metric_id`);
    for (const [view, window] of [['telemetry_1m', ['30 days 3 minutes', '1 minute', '1 minute']], ['telemetry_1h', ['30 days 3 hours', '1 hour', '15 minutes']]] as const) {
      await server.pool.query(
        `SELECT add_continuous_aggregate_policy($1::regclass, start_offset => $2::interval, end_offset => $3::interval, schedule_interval => $4::interval)`,
        [view, ...window],
      );
      await server.pool.query(`ALTER MATERIALIZED VIEW ${view} SET (timescaledb.compress = true, timescaledb.compress_segmentby = 'device_key, metric_id')`);
      await server.pool.query(`SELECT add_compression_policy($1::regclass, compress_after => INTERVAL '31 days')`, [view]);
    }
    await server.pool.query(`SELECT add_retention_policy('telemetry_1m', drop_after => INTERVAL '400 days')`);
    await pauseJobs();
    for (const view of ['telemetry_1m', 'telemetry_1h']) await server.pool.query(`CALL refresh_continuous_aggregate('${view}', NULL, NULL)`);
    expect(await sourceOfHours(server.pool)).toBe('telemetry_1m');
    for (const relation of ['telemetry', 'telemetry_1m']) {
      await server.pool.query(`SELECT drop_chunks($1::regclass, older_than => now() - INTERVAL '20 days')`, [relation]);
    }
    const { rows: gone } = await server.pool.query<{ n: number }>(
      `SELECT (SELECT count(*) FROM telemetry WHERE time < $1) + (SELECT count(*) FROM telemetry_1m WHERE bucket < $1) AS n`,
      [new Date(old + DAY)],
    );
    expect(Number(gone[0].n)).toBe(0);
    expect(await materializedRows(server.pool, 'telemetry_1h')).toBe(6);

    const read = async <T>(path: string) => {
      const res = await api<T>(server.baseUrl, 'GET', path, undefined, token);
      expect(res.status).toBe(200);
      return res.body;
    };
    const answers = async () => {
      const range = (from: number) => `from=${new Date(from).toISOString()}&to=${new Date(from + 4 * HOUR).toISOString()}`;
      const device = (from: number) =>
        read<DeviceSeriesDto>(`/api/history/devices/hr-wl?metrics=water_level&resolution=1h&${range(from)}`).then((b) =>
          b.resolution === 'raw' ? [] : b.series[0].points,
        );
      const area = (from: number) =>
        read<AreaSeriesDto>(`/api/history/areas/${areaId}?metrics=water_level&resolution=1h&${range(from)}`).then((b) => b.series[0].points);
      return { old: await device(old), recent: await device(recent), oldArea: await area(old), recentArea: await area(recent) };
    };
    const before = await answers();
    expect(before.old.reduce((n, p) => n + (p.count ?? 0), 0)).toBe(150);
    expect(before.recent.reduce((n, p) => n + (p.count ?? 0), 0)).toBe(150);

    await server.close();
    server = await startTestServer({}, { database });
    token = (await server.session('admin')).accessToken;
    await pauseJobs();
    expect(await sourceOfHours(server.pool)).toBe('telemetry');
    expect(await materializedRows(server.pool, 'telemetry_1h')).toBe(6);
    const { rows: left } = await server.pool.query(`SELECT 1 FROM pg_class WHERE relname = 'telemetry_1h_previous'`);
    expect(left).toEqual([]);
    // The area view gave way to an aggregate of the new hourly one, filled with every hour of it.
    expect(await sourceOfAreas(server.pool)).toBe('telemetry_1h');
    expect(await materializedRows(server.pool, 'telemetry_area_1h')).toBe(6 * areas.length);
    await expectNoMinuteRollup(server.pool);
    expect(await answers()).toEqual(before);
    // The minutes, from the raw rows.
    const recentMinutes = await read<DeviceSeriesDto>(
      `/api/history/devices/hr-wl?metrics=water_level&resolution=1m&from=${new Date(recent).toISOString()}&to=${new Date(recent + 3 * HOUR).toISOString()}`,
    );
    expect(recentMinutes.resolution === 'raw' ? [] : recentMinutes.series[0].points.filter((p) => p.count !== 0)).toEqual(
      minutes(recent, 150).map(([t, v]) => ({ t: new Date(t - 5_000).toISOString(), min: v, max: v, avg: v, last: v, count: 1 })),
    );

    // The next start finds nothing to do: same jobs, same aggregate, the kept hours not put back twice.
    const converted = await layout();
    await server.close();
    server = await startTestServer({}, { database });
    token = (await server.session('admin')).accessToken;
    await pauseJobs();
    expect(await layout()).toEqual(converted);
    expect(await materializedRows(server.pool, 'telemetry_1h')).toBe(6);
    expect(await answers()).toEqual(before);

    // A sample stored since reaches the hours from the raw rows.
    await insertSamples(server.pool, 'hr-wl', 'water_level', [[recent + 30_000, 20]]);
    await refreshHours(server.pool, new Date(recent), new Date(recent + HOUR));
    const after = await answers();
    expect(after.recent[0]).toMatchObject({ max: 20, count: 61 });
    // The area's hour, materialized before, follows at its next refresh.
    expect(after.recentArea[0]).toMatchObject({ max: 4, count: 60 });
    await refreshAreas(server.pool, new Date(recent), new Date(recent + HOUR));
    expect((await answers()).recentArea[0]).toMatchObject({ max: 20, count: 61, devices: 1 });
  });
});

describe(`partitions sized from the expected ingest rate (${onTimescale ? 'TimescaleDB chunks' : 'plain PostgreSQL partitions'} here)`, () => {
  let database: ScratchDatabase;
  let server: TestServer | undefined;

  beforeAll(async () => {
    database = await createScratchDatabase();
  });
  afterAll(async () => {
    await server?.close();
    await database?.drop();
  });

  /** Hours spanned by the telemetry partition (TimescaleDB: chunk) holding `time`, once a sample is stored there. */
  const spanAt = async (s: TestServer, time: number) => {
    await insertSamples(s.pool, 'rate-wl', 'water_level', [[time, 1]]);
    if (onTimescale) {
      const { rows } = await s.pool.query<{ h: number }>(
        `SELECT extract(epoch FROM range_end - range_start)::float8 / 3600 AS h FROM timescaledb_information.chunks
          WHERE hypertable_name = 'telemetry' AND range_start <= $1 AND range_end > $1`,
        [new Date(time)],
      );
      return rows[0].h;
    }
    const { rows } = await s.pool.query<{ h: number }>(
      `SELECT extract(epoch FROM upper - lower)::float8 / 3600 AS h
         FROM (SELECT (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'FROM \\(''([^'']+)''\\) TO \\(''([^'']+)''\\)')) AS b
                 FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'telemetry'::regclass) p,
              LATERAL (SELECT b[1]::timestamptz AS lower, b[2]::timestamptz AS upper) r
        WHERE p.b IS NOT NULL AND lower <= $1 AND upper > $1`,
      [new Date(time)],
    );
    return rows[0].h;
  };

  it('follows STORAGE_SAMPLES_PER_S by default, and an explicit interval after a restart', async () => {
    server = await startTestServer({ STORAGE_SAMPLES_PER_S: '1000' }, { database });
    const token = (await server.session('admin')).accessToken;
    await api(server.baseUrl, 'PUT', '/api/devices/rate-wl', { kind: 'water_level', name: 'Trạm', lat: 10.35, lng: 106.36 }, token);
    // 1000 samples a second: two partitions of 100 bytes a sample fill a quarter of 4 GB in 1.5 h.
    expect(await spanAt(server, Date.now())).toBe(1);
    await server.close();
    server = undefined;

    server = await startTestServer({ STORAGE_SAMPLES_PER_S: '1000', STORAGE_PARTITION_INTERVAL: '12h' }, { database });
    expect(await spanAt(server, Date.now() + DAY)).toBe(12);
    // The partitions made before keep their span.
    expect(await spanAt(server, Date.now())).toBe(1);
  });
});
