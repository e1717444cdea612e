import { Pool } from 'pg';
import type { DeviceSeriesDto } from '@ioc/contracts';
import { readRollupState, RollupRefresher } from '../../libs/storage/src/engine/rollup-refresher';
import { createScratchDatabase, startTestServer, type ScratchDatabase, type TestServer } from '../support/test-server';
import { api } from '../support/clients';
import { insertSamples } from '../support/samples';
import { describePlain } from '../support/engine';

jest.setTimeout(90_000);

const MINUTE = 60_000;
const HOUR = 3_600_000;
const ORIGIN = `TIMESTAMPTZ '2000-01-01 00:00:00+00'`;

// What each rollup must hold: the raw samples before `materialized`, grouped afresh; minutes only
// for the hours with more than 120 samples (migration 0016). Values are multiples of 0.5, so sums
// are exact whatever the order of addition.
const TRUTH = {
  '1m': `SELECT date_bin('1 minute', t.time, ${ORIGIN}) AS bucket, t.device_key, t.metric_id, min(t.value) AS min, max(t.value) AS max,
                sum(t.value) AS sum, count(*) AS count, (array_agg(t.value ORDER BY t.time DESC))[1] AS last, max(t.time) AS last_time
           FROM telemetry_values t
           JOIN (SELECT date_bin('1 hour', time, ${ORIGIN}) AS hour, device_key, metric_id FROM telemetry
                  WHERE time < (SELECT materialized FROM telemetry_rollup_state) GROUP BY 1, 2, 3 HAVING count(*) > 120) dense
             ON dense.device_key = t.device_key AND dense.metric_id = t.metric_id AND dense.hour = date_bin('1 hour', t.time, ${ORIGIN})
          WHERE t.time < (SELECT materialized FROM telemetry_rollup_state) GROUP BY 1, 2, 3`,
  '1h': `SELECT date_bin('1 hour', time, ${ORIGIN}) AS bucket, device_key, metric_id, min(value) AS min, max(value) AS max,
                sum(value) AS sum, count(*) AS count, (array_agg(value ORDER BY time DESC))[1] AS last, max(time) AS last_time
           FROM telemetry_values WHERE time < (SELECT materialized FROM telemetry_rollup_state) GROUP BY 1, 2, 3`,
  area: `SELECT date_bin('1 hour', t.time, ${ORIGIN}) AS bucket, a.area_id, t.metric_id, min(t.value) AS min, max(t.value) AS max,
                sum(t.value) AS sum, count(*) AS count, count(DISTINCT t.device_key)::int AS devices
           FROM telemetry_values t JOIN devices d ON d.key = t.device_key CROSS JOIN LATERAL unnest(d.area_ids) AS a(area_id)
          WHERE t.time < (SELECT materialized FROM telemetry_rollup_state) GROUP BY 1, 2, 3`,
};
const HELD = {
  '1m': 'SELECT bucket, device_key, metric_id, min, max, sum, count, last, last_time FROM telemetry_1m',
  '1h': 'SELECT bucket, device_key, metric_id, min, max, sum, count, last, last_time FROM telemetry_1h',
  area: 'SELECT bucket, area_id, metric_id, min, max, sum, count, devices FROM telemetry_area_1h',
};

/** Rows a rollup holds that the raw samples do not give, and the other way round; and its size. */
async function compare(pool: Pool): Promise<Record<keyof typeof TRUTH, { rows: number; differing: unknown[] }>> {
  const result = {} as Record<keyof typeof TRUTH, { rows: number; differing: unknown[] }>;
  for (const rollup of Object.keys(TRUTH) as (keyof typeof TRUTH)[]) {
    const { rows: differing } = await pool.query(
      `(${TRUTH[rollup]} EXCEPT ${HELD[rollup]}) UNION ALL (${HELD[rollup]} EXCEPT ${TRUTH[rollup]})`,
    );
    const { rows } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM (${HELD[rollup]}) h`);
    result[rollup] = { rows: rows[0].n, differing };
  }
  return result;
}

// TimescaleDB keeps its rollups as continuous aggregates: timescale.e2e-spec.ts.
describePlain('rollups materialized off the write path (plain PostgreSQL)', () => {
  let database: ScratchDatabase;
  let server: TestServer;
  let pool: Pool;
  let refresher: RollupRefresher;
  let token: string;
  let start: number;
  /** A whole hour at least an hour after the threshold at the start: the samples' clock. */
  let h0: number;

  const state = async () => {
    const { threshold, materialized } = await readRollupState(pool);
    return { threshold: threshold!, materialized: materialized! };
  };
  /** Two rounds at `now`: the first raises the threshold, the second materializes up to it. */
  const refreshAt = async (now: number) => {
    await refresher.run(now);
    await refresher.run(now);
  };
  const buckets = async (deviceId: string, resolution: '1m' | '1h', from: number, to: number) => {
    const res = await api<DeviceSeriesDto>(
      server.baseUrl,
      'GET',
      `/api/history/devices/${deviceId}?metrics=pm25,pm10&resolution=${resolution}&from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}`,
      undefined,
      token,
    );
    expect(res.status).toBe(200);
    return res.body.resolution === 'raw' ? [] : res.body.series.map((s) => s.points);
  };
  const hours = async (deviceId: string, from: number, to: number) => (await buckets(deviceId, '1h', from, to))[0];
  const everySeconds = (seconds: number, from: number, to: number, value: (i: number) => number) =>
    Array.from({ length: Math.ceil((to - from) / (seconds * 1000)) }, (_, i): [number, number] => [from + i * seconds * 1000, value(i)]);

  beforeAll(async () => {
    database = await createScratchDatabase();
    // The server's own refresher stays idle: the test runs the rounds, with a clock of its own.
    server = await startTestServer({ STORAGE_ROLLUP_REFRESH_MS: '3600000' }, { database });
    pool = new Pool({ connectionString: database.url, max: 4 });
    refresher = new RollupRefresher(pool, 0);
    token = (await server.session('admin')).accessToken;
    for (const [id, lat] of [['mt-air-a', 10.354], ['mt-air-b', 10.356]] as const) {
      await api(server.baseUrl, 'PUT', `/api/devices/${id}`, { kind: 'air_quality', name: id, lat, lng: 106.365 }, token);
    }
    start = (await state()).threshold.getTime();
    h0 = Math.ceil(start / HOUR) * HOUR + HOUR;
  });
  afterAll(async () => {
    await pool?.end();
    await server?.close();
    await database?.drop();
  });

  it('reads samples not yet materialized from the raw rows, then the same figures from the rollups', async () => {
    // Station A every 20 s for 90 minutes: 90 samples in its first hour (sparse), 180 in its second
    // (dense, with minutes). B every 30 s for 20 minutes (sparse).
    const a = everySeconds(20, h0 - 30 * MINUTE, h0 + HOUR, (i) => (i % 7) * 0.5);
    const b = everySeconds(30, h0 - 30 * MINUTE, h0 - 10 * MINUTE, (i) => 10 + (i % 3));
    await insertSamples(pool, 'mt-air-a', 'pm25', a);
    await insertSamples(pool, 'mt-air-a', 'pm10', a);
    await insertSamples(pool, 'mt-air-b', 'pm25', b);

    const range = [h0 - HOUR, h0 + 2 * HOUR] as const;
    const before = { a: await buckets('mt-air-a', '1m', ...range), b: await buckets('mt-air-b', '1m', ...range), hours: await hours('mt-air-a', ...range) };
    expect(before.hours.reduce((n, p) => n + (p.count ?? 0), 0)).toBe(270);
    expect(before.a[0].filter((p) => p.count === 3)).toHaveLength(90);
    expect(before.b[0].filter((p) => p.count === 2)).toHaveLength(20);
    expect(await compare(pool)).toMatchObject({ '1m': { rows: 0 }, '1h': { rows: 0 }, area: { rows: 0 } });

    // In two steps, so that a minute and hours are taken in part by one round and completed by the
    // next: A's second hour has 46 samples of each metric after the first (no minutes kept yet),
    // and becomes dense in the second, its first minutes then made from the raw rows.
    await refreshAt(h0 + 15 * MINUTE + 20_000);
    const half = await compare(pool);
    expect(half['1m']).toEqual({ rows: 0, differing: [] });
    expect(half['1h'].differing).toEqual([]);
    expect(half.area.differing).toEqual([]);
    expect(await buckets('mt-air-a', '1m', ...range)).toEqual(before.a);
    await refreshAt(h0 + 2 * HOUR);
    expect((await state()).materialized.getTime()).toBe(h0 + 2 * HOUR);
    const after = await compare(pool);
    expect(after['1m']).toEqual({ rows: 60 * 2, differing: [] });
    expect(after['1h'].rows).toBe(5);
    expect(after['1h'].differing).toEqual([]);
    expect(after.area.rows).toBeGreaterThan(0);
    expect(after.area.differing).toEqual([]);
    // Nothing counted twice, nothing missing, whether a minute comes from the rollup or the raw rows.
    expect(await hours('mt-air-a', ...range)).toEqual(before.hours);
    expect(await buckets('mt-air-a', '1m', ...range)).toEqual(before.a);
    expect(await buckets('mt-air-b', '1m', ...range)).toEqual(before.b);
  });

  it('recomputes what late samples change, and ignores a redelivered one', async () => {
    const { materialized } = await state();
    // B: two samples in A's dense hour (one more device there), and 100 more in its own first hour,
    // which makes that hour dense; A: a redelivery of its first sample with another value, which
    // the writer's ON CONFLICT DO NOTHING skips.
    await insertSamples(pool, 'mt-air-b', 'pm25', [[h0 + 10 * MINUTE, 20], [h0 + 10 * MINUTE + 30_000, 21.5]]);
    await insertSamples(pool, 'mt-air-b', 'pm25', everySeconds(15, h0 - 55 * MINUTE, h0 - 30 * MINUTE, (i) => (i % 4) * 0.5));
    await insertSamples(pool, 'mt-air-a', 'pm25', [[h0 - 30 * MINUTE, 99]]);
    const { rows: recorded } = await pool.query<{ device_key: number }>('SELECT device_key FROM telemetry_rollup_invalidations');
    expect(recorded).toHaveLength(2);

    const report = await refresher.run(materialized.getTime());
    expect(report.recomputedDevices).toBe(1);
    const after = await compare(pool);
    for (const rollup of Object.values(after)) expect(rollup.differing).toEqual([]);
    expect(after['1m'].rows).toBe(60 * 2 + 25 + 20);
    const { rows: left } = await pool.query('SELECT * FROM telemetry_rollup_invalidations');
    expect(left).toEqual([]);
    const minutesOfB = (await buckets('mt-air-b', '1m', h0 - HOUR, h0 + HOUR))[0];
    expect(minutesOfB.reduce((n, p) => n + (p.count ?? 0), 0)).toBe(40 + 100 + 2);
  });

  it('waits for a writer that stored samples under the old threshold before materializing them', async () => {
    const { threshold } = await state();
    const writer = await pool.connect();
    try {
      // The writer reads the threshold when its statement stores the row: not late, nothing recorded.
      await writer.query('BEGIN');
      await insertSamples(writer, 'mt-air-a', 'pm25', [[threshold.getTime() + 10_000, 4.5]]);
      // The threshold moves past the row while the writer is still open.
      await refreshAt(threshold.getTime() + 10 * MINUTE);
      expect(await state()).toMatchObject({ materialized: threshold });
      await writer.query('COMMIT');
    } finally {
      writer.release();
    }
    await refresher.run(threshold.getTime() + 10 * MINUTE);
    expect((await state()).materialized.getTime()).toBe(threshold.getTime() + 10 * MINUTE);
    const [pm25] = await buckets('mt-air-a', '1m', threshold.getTime(), threshold.getTime() + MINUTE);
    expect(pm25.map((p) => p.count)).toEqual([1]);
    for (const rollup of Object.values(await compare(pool))) expect(rollup.differing).toEqual([]);
  });
});
