import { performance } from 'node:perf_hooks';
import { Pool } from 'pg';
import { z } from 'zod';
import { METRICS as CATALOGUE, type HealthDto } from '@ioc/contracts';
import { TelemetryPacker } from '../libs/storage/src/engine/packer';
import { missingRanges, partitionName, type TimeRange } from '../libs/storage/src/engine/partitions';
import { deviceIds, provision, startServer, type BenchServer } from './ioc-server';
import { dropAllScratches, openPostgresTarget, withClient, type PostgresTarget } from './postgres-target';
import { describeMachine, recordRun, runBench } from './run-kit';

/**
 * History reads over real HTTP on a week of minute samples: loads the samples straight into a
 * scratch database (batches of unnest, as the ingest writer does), waits until the server's
 * rollups hold them, then times the API's typical reads and measures bytes on disk per sample.
 * Then it measures and times again after the old samples are made small: on plain PostgreSQL the
 * whole days older than a day packed (as STORAGE_PACK_AFTER_DAYS would older ones), on TimescaleDB
 * (DATABASE_URL on a server with the extension) every chunk but the newest of telemetry and of the
 * 1-minute aggregate compressed.
 */
const OPTIONS = z.object({
  BENCH_QUERY_DEVICES: z.coerce.number().int().min(1).max(10_000).default(500),
  BENCH_QUERY_DAYS: z.coerce.number().int().min(1).max(60).default(7),
  BENCH_QUERY_ITERATIONS: z.coerce.number().int().min(10).max(10_000).default(200),
  BENCH_QUERY_LOADERS: z.coerce.number().int().min(1).max(8).default(2),
  BENCH_RESULTS: z.string().min(1).default('bench/results/query.jsonl'),
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a URL like postgres://user@host:5432/db').optional(),
});
type Options = z.output<typeof OPTIONS>;

const METRICS = ['pm25', 'pm10', 'temperature', 'humidity'] as const;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WARMUP = 10;

interface Sizes {
  telemetry: number;
  packed: number;
  rollup1m: number;
  rollup1h: number;
  area: number;
}

/** Bytes on disk (tables, indexes, TOAST) of raw and packed telemetry and of each rollup. */
async function measure(url: string, timescaledb: boolean): Promise<Sizes> {
  return withClient(url, async (c) => {
    await c.query('VACUUM ANALYZE');
    const size = async (relation: string) => {
      const sql = timescaledb
        ? `SELECT coalesce(hypertable_size($1::regclass), pg_total_relation_size($1::regclass))::float8 AS bytes`
        : `SELECT coalesce(sum(pg_total_relation_size(relid)), pg_total_relation_size($1::regclass))::float8 AS bytes
             FROM pg_partition_tree($1::regclass)`;
      return (await c.query<{ bytes: number }>(sql, [relation])).rows[0].bytes;
    };
    const area = await size('telemetry_area_1h');
    return {
      telemetry: await size('telemetry'),
      packed: await size('telemetry_packed'),
      rollup1m: await size('telemetry_1m'),
      rollup1h: await size('telemetry_1h'),
      area,
    };
  });
}

const round1 = (x: number) => Math.round(x * 10) / 10;
/** Bytes a sample: raw (and packed) telemetry alone, and with every rollup. */
function perSample(sizes: Sizes, samples: number) {
  const stored = sizes.telemetry + sizes.packed;
  return {
    telemetryBytes: sizes.telemetry,
    packedBytes: sizes.packed,
    rollup1mBytes: sizes.rollup1m,
    rollup1hBytes: sizes.rollup1h,
    areaBytes: sizes.area,
    bytesPerSample: round1(stored / samples),
    withRollupsBytesPerSample: round1((stored + sizes.rollup1m + sizes.rollup1h + sizes.area) / samples),
  };
}

interface Timing {
  name: string;
  path: string;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  bytes: number;
}

const log = (line: string) => process.stderr.write(`${line}\n`);

/**
 * TimescaleDB: every chunk of telemetry and of the 1-minute aggregate but the newest compressed,
 * as the compression policies do once a chunk is past STORAGE_COMPRESS_AFTER_DAYS (the aggregate's
 * once its refresh window has passed it). Returns the chunks and what the compressed telemetry
 * chunks take, with the samples they hold.
 */
async function compressOlderChunks(url: string): Promise<{ chunks: number; compressedBytes: number; compressedSamples: number }> {
  return withClient(url, async (c) => {
    const { rows: tables } = await c.query<{ name: string }>(
      `SELECT 'telemetry' AS name
       UNION ALL
       SELECT materialization_hypertable_name FROM timescaledb_information.continuous_aggregates WHERE view_name = 'telemetry_1h'`,
    );
    let chunks = 0;
    for (const { name } of tables) {
      const { rows } = await c.query<{ chunk: string }>(
        `SELECT format('%I.%I', chunk_schema, chunk_name) AS chunk FROM timescaledb_information.chunks
          WHERE hypertable_name = $1 ORDER BY range_end DESC OFFSET 1`,
        [name],
      );
      // The server's own policy may have compressed the oldest already.
      for (const { chunk } of rows) await c.query('SELECT compress_chunk($1::regclass, if_not_compressed => true)', [chunk]);
      chunks += rows.length;
    }
    const { rows } = await c.query<{ bytes: number; samples: number }>(
      `SELECT (SELECT sum(after_compression_total_bytes) FROM chunk_compression_stats('telemetry')
                WHERE compression_status = 'Compressed')::float8 AS bytes,
              (SELECT count(*) FROM telemetry
                WHERE time < (SELECT max(range_start) FROM timescaledb_information.chunks WHERE hypertable_name = 'telemetry'))::float8 AS samples`,
    );
    return { chunks, compressedBytes: rows[0].bytes, compressedSamples: rows[0].samples };
  });
}

/** Plain PostgreSQL: the partitions of the loaded days, made the way the server makes them. */
async function partitionsFor(url: string, range: TimeRange): Promise<void> {
  await withClient(url, async (c) => {
    for (const [table, key] of [['telemetry', 'time'], ['telemetry_1m', 'bucket']] as const) {
      const { rows } = await c.query<{ lower: Date; upper: Date }>(
        'SELECT lower, upper FROM storage_partitions($1::regclass) WHERE lower IS NOT NULL',
        [table],
      );
      const days: TimeRange[] = [];
      for (let t = Math.floor(range.from / DAY) * DAY; t < range.to; t += DAY) days.push({ from: t, to: t + DAY });
      const existing = rows.map((r) => ({ from: r.lower.getTime(), to: r.upper.getTime() }));
      for (const missing of missingRanges(days, existing)) {
        await c.query('SELECT storage_create_partition($1::regclass, $2, $3, $4, $5)', [
          table,
          key,
          partitionName(table, missing),
          new Date(missing.from),
          new Date(missing.to),
        ]);
      }
    }
  });
}

/**
 * Plain PostgreSQL: the loaded history is older than the rollups' threshold, so each statement
 * recorded it as late; waits until the server's refresher has recomputed all of it.
 */
async function rollupsCaughtUp(url: string): Promise<void> {
  await withClient(url, async (c) => {
    for (const deadline = Date.now() + 3_600_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 500))) {
      const { rows } = await c.query('SELECT 1 FROM telemetry_rollup_invalidations LIMIT 1');
      if (rows.length === 0) return;
    }
    throw new Error('the rollups did not take the history in within an hour');
  });
}

/** Backtests take seconds each: a few are enough for their spread. */
const BACKTEST_ITERATIONS = 5;
const BACKTEST_RULE = {
  name: 'Bụi mịn PM2.5 cao',
  severity: 'warning',
  scope: { type: 'deviceKind', deviceKind: 'air_quality' },
  conditions: [{ kind: 'threshold', metric: 'pm25', operator: '>', value: 35, clear: 30, forS: 600 }],
  messages: { vi: '{device}: PM2.5 {value} {unit}', en: '{device}: PM2.5 {value} {unit}' },
};

/**
 * A slow swing per (device, metric) with a jitter every minute, like the simulator's stations, at
 * the precision the metric catalogue gives each metric (what the stations report).
 */
function valueAt(device: number, metric: number, minute: number): number {
  const base = [25, 45, 29, 78][metric];
  const swing = [15, 25, 4, 15][metric];
  const scale = 10 ** CATALOGUE[METRICS[metric]].precision;
  return Math.round((base + swing * Math.sin(minute / 180 + device * 0.7 + metric) + ((device * 31 + minute * 17) % 10) / 10) * scale) / scale;
}

/** One hour of every device and metric per statement, `loaders` statements at a time. */
async function load(url: string, keys: number[], metricIds: number[], range: TimeRange, loaders: number): Promise<number> {
  const hours: number[] = [];
  for (let h = range.from; h < range.to; h += HOUR) hours.push(h);
  let next = 0;
  let rows = 0;
  const lane = () =>
    withClient(url, async (c) => {
      while (next < hours.length) {
        const hour = hours[next++];
        const times: Date[] = [];
        const devices: number[] = [];
        const metrics: number[] = [];
        const values: number[] = [];
        for (let t = hour; t < Math.min(hour + HOUR, range.to); t += MINUTE) {
          const minute = t / MINUTE;
          for (let d = 0; d < keys.length; d++) {
            for (let m = 0; m < metricIds.length; m++) {
              times.push(new Date(t));
              devices.push(keys[d]);
              metrics.push(metricIds[m]);
              values.push(valueAt(d, m, minute));
            }
          }
        }
        await c.query(
          `INSERT INTO telemetry (time, device_key, metric_id, value)
           SELECT * FROM unnest($1::timestamptz[], $2::int[], $3::smallint[], $4::float8[])
           ON CONFLICT DO NOTHING`,
          [times, devices, metrics, values],
        );
        rows += times.length;
        if (next % 24 === 0) log(`  loaded ${next}/${hours.length} hours (${(rows / 1e6).toFixed(1)} M samples)`);
      }
    });
  await Promise.all(Array.from({ length: loaders }, lane));
  return rows;
}

/** `post`: the request is a POST of this JSON body, and `warmup` requests of it come first. */
async function time(
  server: BenchServer,
  name: string,
  paths: () => string,
  iterations: number,
  post?: { body: unknown; warmup: number },
): Promise<Timing> {
  const samples: number[] = [];
  const warmup = post?.warmup ?? WARMUP;
  let bytes = 0;
  let path = '';
  for (let i = 0; i < warmup + iterations; i++) {
    path = paths();
    const started = performance.now();
    const res = await fetch(`${server.baseUrl}${path}`, {
      method: post ? 'POST' : 'GET',
      headers: { authorization: `Bearer ${server.token}`, ...(post ? { 'content-type': 'application/json' } : {}) },
      body: post ? JSON.stringify(post.body) : undefined,
    });
    const body = await res.arrayBuffer();
    const elapsed = performance.now() - started;
    if (!res.ok) throw new Error(`${name}: ${post ? 'POST' : 'GET'} ${path} answered ${res.status}: ${Buffer.from(body).toString()}`);
    if (i >= warmup) samples.push(elapsed);
    bytes = body.byteLength;
  }
  samples.sort((a, b) => a - b);
  const at = (q: number) => Math.round(samples[Math.min(samples.length - 1, Math.ceil(q * samples.length) - 1)] * 10) / 10;
  return { name, path, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: at(1), bytes };
}

async function main(stopOnExit: (stop: () => Promise<void>) => void): Promise<void> {
  const parsed = OPTIONS.safeParse(Object.fromEntries(Object.entries(process.env).filter(([, v]) => v !== '')));
  if (!parsed.success) {
    console.error(`invalid options:\n${parsed.error.issues.map((i) => `  ${String(i.path[0])}: ${i.message}`).join('\n')}`);
    process.exit(2);
  }
  const options: Options = parsed.data;
  const pg: PostgresTarget = await openPostgresTarget(options.DATABASE_URL, false);
  let server: BenchServer | null = null;
  const stop = async () => {
    await server?.stop();
    await pg.stop();
  };
  stopOnExit(stop);
  try {
    log(`PostgreSQL ${pg.version} (${pg.source})`);
    const scratch = await pg.createScratch('ioc_bench_query');
    server = await startServer(scratch.url, undefined);
    const health: HealthDto = await server.health();
    log(`server up: ${health.database.engine}, partitioning ${health.database.partitioning}`);
    const ids = deviceIds('aq', options.BENCH_QUERY_DEVICES);
    await provision(server, ids);

    const end = Math.floor(Date.now() / MINUTE) * MINUTE;
    const range = { from: end - options.BENCH_QUERY_DAYS * DAY, to: end };
    const { keys, metricIds, settings } = await withClient(scratch.url, async (c) => {
      const devices = await c.query<{ key: number }>('SELECT key FROM devices WHERE id = ANY ($1) ORDER BY id', [ids]);
      const metrics = await c.query<{ id: number; name: string }>('SELECT id, name FROM metrics WHERE name = ANY ($1)', [METRICS]);
      const byName = new Map(metrics.rows.map((r) => [r.name, r.id]));
      const shown = await c.query<{ name: string; setting: string; unit: string | null }>(
        `SELECT name, setting, unit FROM pg_settings
          WHERE name IN ('shared_buffers', 'work_mem', 'effective_cache_size', 'max_parallel_workers_per_gather', 'jit', 'synchronous_commit')`,
      );
      return {
        keys: devices.rows.map((r) => r.key),
        metricIds: METRICS.map((m) => byName.get(m)!),
        settings: Object.fromEntries(shown.rows.map((r) => [r.name, r.unit ? `${r.setting} ${r.unit}` : r.setting])),
      };
    });
    if (health.database.partitioning === 'declarative') await partitionsFor(scratch.url, range);

    log(`[load] ${keys.length} devices x ${METRICS.length} metrics x ${options.BENCH_QUERY_DAYS} days of minutes`);
    const loadStarted = performance.now();
    const samples = await load(scratch.url, keys, metricIds, range, options.BENCH_QUERY_LOADERS);
    const loadS = (performance.now() - loadStarted) / 1000;
    const rollupsStarted = performance.now();
    if (health.database.partitioning === 'declarative') await rollupsCaughtUp(scratch.url);
    const rollupsS = (performance.now() - rollupsStarted) / 1000;
    log(`[load] ${samples} samples in ${loadS.toFixed(1)} s; the server's rollups took them in ${rollupsS.toFixed(1)} s after that`);
    const maintainStarted = performance.now();
    await withClient(scratch.url, async (c) => {
      // The newest value per (device, metric), as the ingest writer keeps it.
      await c.query(
        `INSERT INTO telemetry_latest (device_key, metric_id, time, value)
         SELECT DISTINCT ON (device_key, metric_id) device_key, metric_id, time, value
           FROM telemetry_values WHERE time >= $1 ORDER BY device_key, metric_id, time DESC
         ON CONFLICT (device_key, metric_id) DO UPDATE SET time = excluded.time, value = excluded.value`,
        [new Date(end - 2 * MINUTE)],
      );
      if (health.database.timescaledb) {
        await c.query(`CALL refresh_continuous_aggregate('telemetry_1h', NULL, NULL)`);
        await c.query(`CALL refresh_continuous_aggregate('telemetry_area_1h', NULL, NULL)`);
      }
    });
    const sizes = await measure(scratch.url, health.database.timescaledb);
    const maintainS = (performance.now() - maintainStarted) / 1000;
    log(`[load] then ${maintainS.toFixed(1)} s of latest values and VACUUM ANALYZE`);

    const n = options.BENCH_QUERY_ITERATIONS;
    const device = () => ids[Math.floor(Math.random() * ids.length)];
    const iso = (t: number) => new Date(t).toISOString();
    const all = METRICS.join(',');
    const drawer = (format: string) => `/api/history/devices/${device()}?metrics=${all}&resolution=1m&from=${iso(end - DAY)}&to=${iso(end)}${format}`;
    log(`[queries] ${n} of each after ${WARMUP} warm-up requests, one at a time`);
    const reads = (bench: BenchServer) => [
      () => time(bench, 'one device, 24 h at 1 min, pm25', () => `/api/history/devices/${device()}?metrics=pm25&resolution=1m&from=${iso(end - DAY)}&to=${iso(end)}`, n),
      () => time(bench, 'one device, 24 h at 1 min 3 days ago, 4 metrics', () => `/api/history/devices/${device()}?metrics=${all}&resolution=1m&from=${iso(end - 4 * DAY)}&to=${iso(end - 3 * DAY)}`, n),
      () => time(bench, 'one device, 2 h raw 3 days ago, 4 metrics', () => `/api/history/devices/${device()}?metrics=${all}&resolution=raw&limit=1000&from=${iso(end - 3 * DAY)}&to=${iso(end - 3 * DAY + 2 * HOUR)}`, n),
      // What a device drawer's chart asks for: as JSON, and as columns (the chart's own shape).
      () => time(bench, 'device drawer: one device, 24 h at 1 min, 4 metrics, JSON', () => drawer(''), n),
      () => time(bench, 'device drawer: one device, 24 h at 1 min, 4 metrics, columns', () => drawer('&format=columns'), n),
      () => time(bench, 'one device, 30 days at 1 h, 4 metrics', () => `/api/history/devices/${device()}?metrics=${all}&resolution=1h&from=${iso(end - 30 * DAY)}&to=${iso(end)}`, n),
      () => time(bench, 'latest values of all devices', () => '/api/history/latest', n),
      () => time(bench, 'area (all devices), 30 days at 1 h, pm25', () => `/api/history/areas/tien-giang?metrics=pm25&resolution=1h&from=${iso(end - 30 * DAY)}&to=${iso(end)}`, n),
      () => time(bench, 'area (all devices), 30 days at 1 h, 4 metrics', () => `/api/history/areas/tien-giang?metrics=${all}&resolution=1h&from=${iso(end - 30 * DAY)}&to=${iso(end)}`, n),
      // A supervisor tuning a rule: every station's whole history replayed through it.
      () => time(bench, `backtest: pm25 above 35 for 10 min, every station, ${options.BENCH_QUERY_DAYS} days`, () => '/api/rules/backtest', BACKTEST_ITERATIONS, {
        warmup: 1,
        body: { rule: BACKTEST_RULE, from: iso(range.from), to: iso(range.to) },
      }),
    ];
    const timeAll = async (bench: BenchServer) => {
      const done: Timing[] = [];
      for (const read of reads(bench)) done.push(await read());
      return done;
    };
    const timings = await timeAll(server);

    // Plain PostgreSQL: whole days older than a day packed, as the server does past STORAGE_PACK_AFTER_DAYS.
    let packed: { partitions: number; samples: number; seconds: number; disk: ReturnType<typeof perSample>; timings: Timing[] } | null = null;
    // TimescaleDB: the chunks older than the newest compressed.
    let compressed: {
      chunks: number;
      seconds: number;
      disk: ReturnType<typeof perSample>;
      /** Samples in the compressed telemetry chunks, and what each takes there. */
      compressedSamples: number;
      compressedBytesPerSample: number;
      timings: Timing[];
    } | null = null;
    if (health.database.partitioning === 'declarative') {
      log('[pack] packing the days older than a day');
      const pool = new Pool({ connectionString: scratch.url, max: 1 });
      const packStarted = performance.now();
      const report = await new TelemetryPacker(pool, { packAfterMs: DAY, retentionDays: 0 }).run().finally(() => pool.end());
      const seconds = round1((performance.now() - packStarted) / 1000);
      log(`[pack] ${report.packed.length} partitions, ${report.samples} samples in ${seconds} s`);
      const disk = perSample(await measure(scratch.url, false), samples);
      packed = { partitions: report.packed.length, samples: report.samples, seconds, disk, timings: await timeAll(server) };
    }
    if (health.database.timescaledb) {
      log('[compress] compressing the telemetry chunks older than the newest');
      const compressStarted = performance.now();
      const { chunks, compressedBytes, compressedSamples } = await compressOlderChunks(scratch.url);
      const seconds = round1((performance.now() - compressStarted) / 1000);
      log(`[compress] ${chunks} chunks in ${seconds} s`);
      const disk = perSample(await measure(scratch.url, true), samples);
      const compressedBytesPerSample = round1(compressedBytes / compressedSamples);
      compressed = { chunks, seconds, disk, compressedSamples, compressedBytesPerSample, timings: await timeAll(server) };
    }

    // ThingsBoard's published figure: about 4.8 GB a day at 3,333 data points a second.
    const thingsboardBytesPerPoint = 4.8e9 / (3333 * 86_400);
    const results = {
      at: new Date().toISOString(),
      machine: {
        ...describeMachine(pg),
        engine: health.database.engine,
        timescaledb: health.database.timescaledbVersion,
        partitioning: health.database.partitioning,
        settings,
      },
      options: { devices: keys.length, metrics: METRICS.length, days: options.BENCH_QUERY_DAYS, iterations: n, loaders: options.BENCH_QUERY_LOADERS },
      load: {
        samples,
        seconds: Math.round(loadS * 10) / 10,
        samplesPerSecond: Math.round(samples / loadS),
        rollupSeconds: Math.round(rollupsS * 10) / 10,
        maintainSeconds: Math.round(maintainS * 10) / 10,
      },
      disk: { ...perSample(sizes, samples), thingsboardBytesPerPoint: round1(thingsboardBytesPerPoint) },
      timings,
      packed,
      compressed,
    };
    const mb = (b: number) => `${(b / 1024 ** 2).toFixed(0)} MB`;
    await recordRun(
      options.BENCH_RESULTS,
      results,
      [
        `load: ${samples.toLocaleString('en')} samples in ${results.load.seconds} s (${results.load.samplesPerSecond.toLocaleString('en')}/s), ` +
          `then ${results.load.rollupSeconds} s until the server's rollups held them`,
        `disk: telemetry ${mb(sizes.telemetry)} = ${results.disk.bytesPerSample} B/sample (table + indexes); rollups 1m ${mb(sizes.rollup1m)}, ` +
          `1h ${mb(sizes.rollup1h)}, area ${mb(sizes.area)}: ${results.disk.withRollupsBytesPerSample} B/sample in all; ` +
          `ThingsBoard's published ~${results.disk.thingsboardBytesPerPoint} B/point`,
        ...(packed
          ? [
              `packed: ${packed.partitions} partitions, ${packed.samples.toLocaleString('en')} samples in ${packed.seconds} s; then telemetry ${mb(packed.disk.telemetryBytes)} ` +
                `+ packed ${mb(packed.disk.packedBytes)} = ${packed.disk.bytesPerSample} B/sample; rollups 1m ${mb(packed.disk.rollup1mBytes)}, 1h ${mb(packed.disk.rollup1hBytes)}, ` +
                `area ${mb(packed.disk.areaBytes)}: ${packed.disk.withRollupsBytesPerSample} B/sample in all`,
            ]
          : []),
        ...(compressed
          ? [
              `compressed: ${compressed.chunks} chunks in ${compressed.seconds} s, ${compressed.compressedSamples} samples at ${compressed.compressedBytesPerSample} B each; ` +
                `then telemetry ${mb(compressed.disk.telemetryBytes)} = ${compressed.disk.bytesPerSample} B/sample; ` +
                `rollups 1m ${mb(compressed.disk.rollup1mBytes)}, 1h ${mb(compressed.disk.rollup1hBytes)}: ${compressed.disk.withRollupsBytesPerSample} B/sample in all`,
            ]
          : []),
        '',
        '| query | p50 ms | p99 ms | max ms | bytes |',
        '| --- | ---: | ---: | ---: | ---: |',
        ...timings.map((t) => `| ${t.name} | ${t.p50Ms} | ${t.p99Ms} | ${t.maxMs} | ${t.bytes} |`),
        ...(packed ? packed.timings.map((t) => `| ${t.name}, after packing | ${t.p50Ms} | ${t.p99Ms} | ${t.maxMs} | ${t.bytes} |`) : []),
        ...(compressed ? compressed.timings.map((t) => `| ${t.name}, after compression | ${t.p50Ms} | ${t.p99Ms} | ${t.maxMs} | ${t.bytes} |`) : []),
      ].join('\n'),
    );
  } finally {
    await dropAllScratches();
    await stop();
  }
}

runBench(main);
