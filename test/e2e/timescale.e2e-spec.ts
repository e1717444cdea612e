import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, type Pool } from 'pg';
import type { AreaSeriesDto, DeviceSeriesDto, HealthDto } from '@ioc/contracts';
import type { Database } from '@ioc/database';
import { readRollupState, RollupRefresher } from '../../libs/storage/src/engine/rollup-refresher';
import { HistoryRepository } from '../../libs/storage/src/history/history.repository';
import { createScratchDatabase, startTestServer, type ScratchDatabase, type TestServer } from '../support/test-server';
import { api, eventually } from '../support/clients';
import { describeTimescale, itTimescale, onTimescale } from '../support/engine';
import { relationsRead } from '../support/query-plans';
import { insertSamples } from '../support/samples';

jest.setTimeout(120_000);

const HOUR = 3_600_000;
const DAY = 86_400_000;

/** Brings both continuous aggregates up to date over [from, to), as their policies would. */
async function refreshAggregates(pool: Pool, from: Date, to: Date): Promise<void> {
  // CALL takes no parameters through the extended protocol: the times are ISO text made here.
  for (const view of ['telemetry_1m', 'telemetry_1h']) {
    await pool.query(`CALL refresh_continuous_aggregate('${view}', '${from.toISOString()}', '${to.toISOString()}')`);
  }
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

// One area around both stations, so the area rollup (a table on plain PostgreSQL, a view over the
// hourly aggregate on TimescaleDB) is read too.
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
    };
    // TimescaleDB: nothing of 2025 is in the aggregates' refresh window, so this reads the raw
    // rows through their real-time part; plain: the refresher has materialized everything.
    await server.rollupsCaughtUp();
    expect(await answers()).toEqual(expected);
    if (onTimescale) {
      await refreshAggregates(server.pool, new Date(T0), new Date(T0 + DAY));
      for (const view of ['telemetry_1m', 'telemetry_1h']) expect(await materializedRows(server.pool, view)).toBeGreaterThan(0);
      expect(await answers()).toEqual(expected);
    }
  });

  itTimescale('reads the hours of an area from the materialized hourly aggregate once it is refreshed', async () => {
    await refreshAggregates(server.pool, new Date(T0), new Date(T0 + DAY));
    const queries: { sql: string; params: unknown[] }[] = [];
    const capture = { pool: { query: async (sql: string, params: unknown[]) => (queries.push({ sql, params }), { rows: [] }) } };
    await new HistoryRepository(capture as unknown as Database).buckets({ areaId: 'cho-gao' }, ['pm25'], '1h', new Date(T0), new Date(T0 + 3 * HOUR), 'UTC');
    const plan = await relationsRead(server.pool, queries[0].sql, queries[0].params);
    const { rows } = await server.pool.query<{ name: string }>(
      `SELECT c.chunk_name AS name FROM timescaledb_information.chunks c
         JOIN timescaledb_information.continuous_aggregates a
           ON a.materialization_hypertable_schema = c.hypertable_schema AND a.materialization_hypertable_name = c.hypertable_name
        WHERE a.view_name = 'telemetry_1h'`,
    );
    expect(rows.length).toBeGreaterThan(0);
    expect(plan).toEqual(expect.arrayContaining([rows[0].name, 'devices']));
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

  it('says so in its health, with hypertables of the configured chunk interval and both aggregates', async () => {
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
    expect(views.map((v) => v.name)).toEqual(['telemetry_1h', 'telemetry_1m']);
  });

  it('leaves the rollups to the aggregates: no refresher state to read or to run', async () => {
    expect(await readRollupState(server.pool)).toEqual({ threshold: null, materialized: null, lateWaiting: 0 });
    expect(await new RollupRefresher(server.pool, 0).run()).toEqual({ ran: false, materialized: null, recomputedDevices: 0 });
  });

  it('compresses old chunks, ignores a duplicate written into one, and answers the same', async () => {
    const twoDaysAgo = Math.floor((Date.now() - 2 * DAY) / HOUR) * HOUR;
    const samples = Array.from({ length: 120 }, (_, i): [number, number] => [twoDaysAgo + i * 30_000, 1 + (i % 4) * 0.5]);
    await insertSamples(server.pool, 'ts-wl', 'water_level', [...samples, [Date.now() - 60_000, 2]]);
    await refreshAggregates(server.pool, new Date(twoDaysAgo - HOUR), new Date(twoDaysAgo + 2 * HOUR));
    const before = await hours(twoDaysAgo - HOUR, twoDaysAgo + 2 * HOUR);
    expect(before.reduce((n, p) => n + (p.count ?? 0), 0)).toBe(120);

    await server.pool.query(`CALL run_job(${await jobId(server.pool, 'policy_compression', 'telemetry')})`);
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
    const { rows } = await server.pool.query<{ value: number }>('SELECT value FROM telemetry WHERE time = $1', [new Date(samples[10][0])]);
    expect(rows).toEqual([{ value: samples[10][1] }]);
    await refreshAggregates(server.pool, new Date(twoDaysAgo - HOUR), new Date(twoDaysAgo + 2 * HOUR));
    expect(await hours(twoDaysAgo - HOUR, twoDaysAgo + 2 * HOUR)).toEqual(before);
  });

  it('drops chunks older than the retention and keeps their hours in the hourly aggregate', async () => {
    const fiveDaysAgo = Math.floor((Date.now() - 5 * DAY) / HOUR) * HOUR;
    await insertSamples(server.pool, 'ts-wl', 'water_level', [[fiveDaysAgo + 60_000, 7], [fiveDaysAgo + 120_000, 9]]);
    // As the refresh policy did while these samples were new.
    await refreshAggregates(server.pool, new Date(fiveDaysAgo), new Date(fiveDaysAgo + HOUR));
    const oldChunks = (await chunks()).filter((c) => c.start.getTime() < Date.now() - 3 * DAY - 12 * HOUR);
    expect(oldChunks.length).toBeGreaterThan(0);

    for (const relation of ['telemetry', 'telemetry_1m']) {
      await server.pool.query(`CALL run_job(${await jobId(server.pool, 'policy_retention', relation)})`);
    }
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
      'policy_compression telemetry',
      'policy_refresh_continuous_aggregate telemetry_1h',
      'policy_refresh_continuous_aggregate telemetry_1m',
      'policy_retention device_events',
      'policy_retention telemetry',
      'policy_retention telemetry_1m',
    ]);
    await server.close();
    server = await startTestServer(settings, { database });
    expect(await jobs()).toEqual(before);

    await server.close();
    server = await startTestServer({ ...settings, STORAGE_COMPRESS_AFTER_DAYS: '2', STORAGE_RETENTION_DAYS: '5' }, { database });
    const changed = await jobs();
    expect(changed.map((j) => j.id)).toEqual(before.map((j) => j.id));
    const config = (proc: string, relation: string) => changed.find((j) => j.proc === proc && j.relation === relation)!.config;
    expect(config('policy_compression', 'telemetry')).toMatchObject({ compress_after: '48:00:00' });
    expect(config('policy_retention', 'telemetry')).toMatchObject({ drop_after: '120:00:00' });
  });

  it('reports a failing job as degraded, with its error', async () => {
    const { rows } = await server.pool.query<{ schema: string; name: string }>(
      `SELECT materialization_hypertable_schema AS schema, materialization_hypertable_name AS name
         FROM timescaledb_information.continuous_aggregates WHERE view_name = 'telemetry_1m'`,
    );
    const materialized = `${rows[0].schema}.${rows[0].name}`;
    // A refresh that fails whatever the PostgreSQL release (on 15.20 every scheduled run fails anyway).
    await server.pool.query(`CREATE FUNCTION refuse_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'refresh refused by the test'; END $$`);
    await server.pool.query(`CREATE TRIGGER refuse BEFORE INSERT ON ${materialized} FOR EACH ROW EXECUTE FUNCTION refuse_refresh()`);
    await insertSamples(server.pool, 'ts-wl', 'water_level', [[Date.now() - 5 * 60_000, 3]]);
    const id = await jobId(server.pool, 'policy_refresh_continuous_aggregate', 'telemetry_1m');
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
        { id, job: 'policy_refresh_continuous_aggregate', relation: 'telemetry_1m', failedAt: expect.any(String), error: errors[0].message },
      ]),
    );
  });
});

describeTimescale('a plain PostgreSQL database moved to TimescaleDB', () => {
  let database: ScratchDatabase;
  let server: TestServer | undefined;
  const role = `ioc_plain_${randomBytes(4).toString('hex')}`;
  const admin = async (url: string, sql: string) => {
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };

  beforeAll(async () => {
    database = await createScratchDatabase();
    // A role that may not create extensions here: the server falls back to plain PostgreSQL.
    await admin(database.url, `CREATE ROLE ${role} LOGIN; GRANT CREATE ON SCHEMA public TO ${role}`);
  });
  afterAll(async () => {
    await server?.close();
    await database?.drop();
    await admin(process.env.DATABASE_URL!, `DROP ROLE IF EXISTS ${role}`);
  });

  it('keeps its rows and answers the same', async () => {
    const asRole = new URL(database.url);
    asRole.username = role;
    const plain = await startTestServer({}, { database: { url: asRole.toString(), drop: async () => undefined } });
    server = plain;
    const token = (await plain.session('admin')).accessToken;
    expect((await health(plain)).database).toMatchObject({ timescaledb: false, partitioning: 'declarative' });
    await api(plain.baseUrl, 'PUT', '/api/devices/mv-wl', { kind: 'water_level', name: 'Trạm cũ', lat: 10.35, lng: 106.36 }, token);
    const t = Math.floor((Date.now() - DAY) / HOUR) * HOUR;
    await insertSamples(plain.pool, 'mv-wl', 'water_level', Array.from({ length: 30 }, (_, i): [number, number] => [t + i * 60_000, i * 0.5]));
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
    await plain.close();
    server = undefined;

    server = await startTestServer({}, { database: { url: database.url, drop: async () => undefined } });
    expect((await health(server)).database).toMatchObject({ timescaledb: true, partitioning: 'hypertable' });
    const { rows } = await server.pool.query<{ n: number; hyper: boolean }>(
      `SELECT count(*)::int AS n, EXISTS (SELECT 1 FROM timescaledb_information.hypertables WHERE hypertable_name = 'telemetry') AS hyper
         FROM telemetry`,
    );
    expect(rows[0]).toEqual({ n: 30, hyper: true });
    expect(await series(server, (await server.session('admin')).accessToken)).toEqual(before);
  });
});
