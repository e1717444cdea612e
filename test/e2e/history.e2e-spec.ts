import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  OPEN_DATA_RATE_LIMIT,
  type ApiErrorBody,
  type Aggregate,
  type AreaSeriesDto,
  type DeviceColumnsDto,
  type DeviceEventPageDto,
  type DeviceSeriesDto,
  type HealthDto,
  type LatestDeviceValuesDto,
  type MetricDto,
  type OpenDataDto,
  type OpenDataFeatureCollectionDto,
  type RawSampleDto,
  type Role,
} from '@ioc/contracts';
import { Pool } from 'pg';
import type { Database } from '@ioc/database';
import { HistoryRepository } from '../../libs/storage/src/history/history.repository';
import { readRollupState, RollupRefresher } from '../../libs/storage/src/engine/rollup-refresher';
import { createScratchDatabase, startTestServer, type ScratchDatabase, type TestServer } from '../support/test-server';
import { parseCsv } from '../support/csv-reader';
import { api, eventually, provisionDevice } from '../support/clients';
import { relationsRead } from '../support/query-plans';
import { insertSamples as storeSamples } from '../support/samples';
import { describePlain, itPlain } from '../support/engine';

jest.setTimeout(90_000);

const square = (w: number, s: number, e: number, n: number) => ({
  type: 'Polygon',
  coordinates: [[[w, s], [e, s], [e, n], [w, n], [w, s]]],
});
// Names with a comma, quotes and a line break, as a CSV must carry them.
const AREAS = {
  type: 'FeatureCollection',
  features: [
    { type: 'Feature', properties: { id: 'tinh', name: 'Tỉnh "Thử"', level: 'province', parentId: null }, geometry: square(106, 10, 107, 11) },
    { type: 'Feature', properties: { id: 'p1', name: 'Phường 1, Mỹ Tho', level: 'ward', parentId: 'tinh' }, geometry: square(106.3, 10.3, 106.4, 10.4) },
    { type: 'Feature', properties: { id: 'p2', name: 'Xã ven biển\nGò Công', level: 'commune', parentId: 'tinh' }, geometry: square(106.7, 10.2, 106.8, 10.4) },
  ],
};

const DEVICES = [
  { id: 'p1-air', kind: 'air_quality', name: 'Trạm không khí P1', lat: 10.35, lng: 106.35 },
  { id: 'p1-wl', kind: 'water_level', name: 'Trạm mực nước P1', lat: 10.36, lng: 106.36 },
  { id: 'p2-sal', kind: 'salinity', name: 'Trạm mặn P2', lat: 10.3, lng: 106.75 },
];

/**
 * What the columnar answer must hold for the JSON answer of the same query: the same buckets (or
 * samples) and values, on one time axis in epoch ms, a metric without a sample at a time null.
 */
function asColumns(json: DeviceSeriesDto, aggregates: readonly Aggregate[], metrics: readonly string[] = []): DeviceColumnsDto {
  const precision = expect.any(Number) as number;
  if (json.resolution === 'raw') {
    const times = [...new Set(json.samples.map((s) => s.t))];
    const series = metrics.map((metric) => ({
      metric,
      unit: expect.any(String) as string,
      precision,
      value: times.map((t) => json.samples.find((s) => s.t === t && s.metric === metric)?.value ?? null),
    }));
    return { deviceId: json.deviceId, resolution: 'raw', from: json.from, to: json.to, times: times.map((t) => Date.parse(t)), series, nextCursor: json.nextCursor };
  }
  for (const s of json.series) expect(s.points.map((p) => p.t)).toEqual(json.series[0].points.map((p) => p.t));
  return {
    deviceId: json.deviceId,
    resolution: json.resolution,
    from: json.from,
    to: json.to,
    tz: json.tz,
    times: json.series[0].points.map((p) => Date.parse(p.t)),
    series: json.series.map((s) => ({
      metric: s.metric,
      unit: s.unit,
      precision,
      ...Object.fromEntries(aggregates.map((a) => [a, s.points.map((p) => p[a])])),
    })),
  };
}

/** Samples as the writer stores them, once the server's rollups have taken them in. */
async function insertSamples(server: TestServer, deviceId: string, metric: string, samples: [string | number, number][]): Promise<void> {
  await storeSamples(server.pool, deviceId, metric, samples);
  await server.rollupsCaughtUp();
}

describe('history, events and open data over HTTP', () => {
  let server: TestServer;
  let dir: string;
  const tokens = {} as Record<Role, string>;
  const get = <T = unknown>(path: string, role: Role = 'viewer') => api<T>(server.baseUrl, 'GET', path, undefined, tokens[role]);
  const getText = async (path: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${server.baseUrl}${path}`, { headers: { authorization: `Bearer ${tokens.viewer}`, ...headers } });
    return { status: res.status, type: res.headers.get('content-type'), cursor: res.headers.get('x-next-cursor'), text: await res.text() };
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ioc-history-'));
    await writeFile(join(dir, 'areas.geojson'), JSON.stringify(AREAS));
    server = await startTestServer({ AREAS_FILE: join(dir, 'areas.geojson') });
    for (const role of ['admin', 'supervisor', 'operator', 'field', 'viewer'] as Role[]) tokens[role] = (await server.session(role)).accessToken;
    for (const { id, ...fields } of DEVICES) {
      expect((await api(server.baseUrl, 'PUT', `/api/devices/${id}`, fields, tokens.admin)).status).toBe(200);
    }
  });
  afterAll(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  describe('latest values', () => {
    beforeAll(async () => {
      await server.pool.query(
        `INSERT INTO telemetry_latest (device_key, metric_id, time, value)
         SELECT d.key, m.id, '2025-07-01T00:00:00Z', v.value
           FROM (VALUES ('p1-air', 'pm25', 31.5), ('p1-air', 'pm10', 52.0), ('p1-wl', 'water_level', 1.4), ('p2-sal', 'salinity', 3.2)) AS v(device, metric, value)
           JOIN devices d ON d.id = v.device JOIN metrics m ON m.name = v.metric`,
      );
    });

    it('for one device, an area, a map box, and all devices', async () => {
      const one = await get<LatestDeviceValuesDto[]>('/api/history/latest?deviceId=p1-air');
      expect(one.body).toEqual([
        {
          deviceId: 'p1-air',
          kind: 'air_quality',
          name: 'Trạm không khí P1',
          lat: 10.35,
          lng: 106.35,
          values: { pm25: { value: 31.5, ts: '2025-07-01T00:00:00.000Z' }, pm10: { value: 52, ts: '2025-07-01T00:00:00.000Z' } },
        },
      ]);
      expect((await get<LatestDeviceValuesDto[]>('/api/history/latest?areaId=p1')).body.map((d) => d.deviceId)).toEqual(['p1-air', 'p1-wl']);
      expect((await get<LatestDeviceValuesDto[]>('/api/history/latest?bbox=106.7,10.2,106.8,10.4')).body.map((d) => d.deviceId)).toEqual(['p2-sal']);
      const all = await get<LatestDeviceValuesDto[]>('/api/history/latest?metrics=pm25,salinity', 'field');
      expect(all.body.map((d) => [d.deviceId, Object.keys(d.values)])).toEqual([['p1-air', ['pm25']], ['p1-wl', []], ['p2-sal', ['salinity']]]);
    });
  });

  describe('series', () => {
    beforeAll(async () => {
      // Hour 00 and 02 of 1 July (UTC) have samples; hour 01 is a gap.
      await insertSamples(server, 'p1-air', 'pm25', [
        ['2025-07-01T00:00:10Z', 10],
        ['2025-07-01T00:00:50Z', 30],
        ['2025-07-01T00:30:00Z', 20],
        ['2025-07-01T02:15:00Z', 40],
      ]);
      // Either side of midnight in Hồ Chí Minh City (UTC+7): 23:59:59 on 1 July and 00:00 on 2 July.
      await insertSamples(server, 'p1-air', 'pm10', [
        ['2025-07-01T16:59:59Z', 5],
        ['2025-07-01T17:00:00Z', 7],
      ]);
      await insertSamples(server, 'p1-wl', 'water_level', [['2025-07-01T00:20:00Z', 1.0], ['2025-07-01T00:40:00Z', 2.0]]);
    });

    it('answers hourly buckets with every aggregate and the gap as a bucket of count 0', async () => {
      const res = await get<DeviceSeriesDto>('/api/history/devices/p1-air?metrics=pm25&from=2025-07-01T00:00:00Z&to=2025-07-01T03:00:00Z&resolution=1h');
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ deviceId: 'p1-air', resolution: '1h', from: '2025-07-01T00:00:00.000Z', tz: 'UTC' });
      expect(res.body.resolution !== 'raw' && res.body.series).toEqual([
        {
          metric: 'pm25',
          unit: 'µg/m³',
          points: [
            { t: '2025-07-01T00:00:00.000Z', min: 10, max: 30, avg: 20, last: 20, count: 3 },
            { t: '2025-07-01T01:00:00.000Z', min: null, max: null, avg: null, last: null, count: 0 },
            { t: '2025-07-01T02:00:00.000Z', min: 40, max: 40, avg: 40, last: 40, count: 1 },
          ],
        },
      ]);
    });

    it('chooses the resolution from the span, and only the aggregates asked for', async () => {
      const minutes = await get<DeviceSeriesDto>('/api/history/devices/p1-air?metrics=pm25&from=2025-07-01T00:00:00Z&to=2025-07-01T06:00:00Z&aggregates=avg,count');
      expect(minutes.body.resolution).toBe('1m');
      if (minutes.body.resolution === 'raw') throw new Error('expected buckets');
      expect(minutes.body.series[0].points).toHaveLength(360);
      expect(minutes.body.series[0].points[0]).toEqual({ t: '2025-07-01T00:00:00.000Z', avg: 20, count: 2 });
      const raw = await get<DeviceSeriesDto>('/api/history/devices/p1-air?metrics=pm25&from=2025-07-01T00:00:00Z&to=2025-07-01T01:00:00Z');
      expect(raw.body).toMatchObject({ resolution: 'raw', nextCursor: null, samples: [{ t: '2025-07-01T00:00:10.000Z', metric: 'pm25', value: 10 }, {}, {}] });
    });

    it('buckets days on local midnight in Asia/Ho_Chi_Minh, from the hourly rollup', async () => {
      const path = '/api/history/devices/p1-air?metrics=pm10&resolution=1d&from=2025-07-01T00:00:00%2B07:00&to=2025-07-04T00:00:00%2B07:00';
      const local = await get<DeviceSeriesDto>(`${path}&tz=Asia/Ho_Chi_Minh`);
      expect(local.status).toBe(200);
      if (local.body.resolution === 'raw') throw new Error('expected buckets');
      expect(local.body.series[0].points.map((p) => [p.t, p.count, p.max])).toEqual([
        ['2025-06-30T17:00:00.000Z', 1, 5],
        ['2025-07-01T17:00:00.000Z', 1, 7],
        ['2025-07-02T17:00:00.000Z', 0, null],
      ]);
      const utc = await get<DeviceSeriesDto>(`${path}&tz=UTC`);
      if (utc.body.resolution === 'raw') throw new Error('expected buckets');
      expect(utc.body.series[0].points.map((p) => [p.t, p.count])).toEqual([
        ['2025-06-30T00:00:00.000Z', 0],
        ['2025-07-01T00:00:00.000Z', 2],
        ['2025-07-02T00:00:00.000Z', 0],
        ['2025-07-03T00:00:00.000Z', 0],
      ]);
    });

    it('pages raw samples with a cursor: no sample skipped or repeated', async () => {
      // Two metrics sharing timestamps, so the keyset needs (time, metric) to be exact.
      const start = Date.parse('2025-07-05T00:00:00Z');
      const times = Array.from({ length: 1250 }, (_, i) => start + i * 2000);
      await insertSamples(server, 'p1-air', 'pm25', times.map((t, i) => [t, i]));
      await insertSamples(server, 'p1-air', 'pm10', times.filter((_, i) => i % 2 === 0).map((t, i) => [t, -i]));
      const seen: RawSampleDto[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res: { status: number; body: DeviceSeriesDto } = await get<DeviceSeriesDto>(
          `/api/history/devices/p1-air?metrics=pm25,pm10&resolution=raw&limit=97&from=2025-07-05T00:00:00Z&to=2025-07-06T00:00:00Z${cursor ? `&cursor=${cursor}` : ''}`,
        );
        expect(res.status).toBe(200);
        if (res.body.resolution !== 'raw') throw new Error('expected raw samples');
        seen.push(...res.body.samples);
        cursor = res.body.nextCursor;
        pages++;
      } while (cursor);
      expect(seen).toHaveLength(1250 + 625);
      expect(new Set(seen.map((s) => `${s.t}/${s.metric}`)).size).toBe(seen.length);
      expect(pages).toBe(Math.ceil(1875 / 97));
      const order = seen.map((s) => `${s.t}/${s.metric === 'pm25' ? 0 : 1}`);
      expect(order).toEqual([...order].sort());

      // The same pages as CSV, with the cursor in a header.
      const csv = await getText('/api/history/devices/p1-air?metrics=pm25&resolution=raw&limit=2&from=2025-07-05T00:00:00Z&to=2025-07-06T00:00:00Z', {
        accept: 'text/csv',
      });
      expect(csv.type).toMatch(/^text\/csv/);
      expect(parseCsv(csv.text)).toEqual([['time', 'metric', 'value'], ['2025-07-05T00:00:00.000Z', 'pm25', '0'], ['2025-07-05T00:00:02.000Z', 'pm25', '1']]);
      const next = await getText(`/api/history/devices/p1-air?metrics=pm25&resolution=raw&limit=2&format=csv&from=2025-07-05T00:00:00Z&to=2025-07-06T00:00:00Z&cursor=${csv.cursor}`);
      expect(parseCsv(next.text)[1]).toEqual(['2025-07-05T00:00:04.000Z', 'pm25', '2']);
    });

    it('answers the same buckets and values as columns: one time axis in epoch ms, gaps null', async () => {
      const hours = await get<DeviceColumnsDto>('/api/history/devices/p1-air?metrics=pm25&from=2025-07-01T00:00:00Z&to=2025-07-01T03:00:00Z&resolution=1h&format=columns');
      expect(hours.status).toBe(200);
      expect(hours.body).toEqual({
        deviceId: 'p1-air',
        resolution: '1h',
        from: '2025-07-01T00:00:00.000Z',
        to: '2025-07-01T03:00:00.000Z',
        tz: 'UTC',
        times: [Date.parse('2025-07-01T00:00:00Z'), Date.parse('2025-07-01T01:00:00Z'), Date.parse('2025-07-01T02:00:00Z')],
        series: [
          { metric: 'pm25', unit: 'µg/m³', precision: 1, min: [10, null, 40], max: [30, null, 40], avg: [20, null, 40], last: [20, null, 40], count: [3, 0, 1] },
        ],
      });

      const queries: [string, Aggregate[]][] = [
        ['metrics=pm25,pm10,water_level&from=2025-07-01T00:00:00Z&to=2025-07-02T00:00:00Z&resolution=1h', ['min', 'max', 'avg', 'last', 'count']],
        ['metrics=pm10,pm25&from=2025-07-01T00:00:00Z&to=2025-07-01T18:00:00Z&aggregates=avg,count', ['avg', 'count']],
        ['metrics=pm10&from=2025-07-01T00:00:00%2B07:00&to=2025-07-04T00:00:00%2B07:00&resolution=1d&tz=Asia/Ho_Chi_Minh&aggregates=max,last,count', ['max', 'last', 'count']],
      ];
      for (const [query, aggregates] of queries) {
        const json = await get<DeviceSeriesDto>(`/api/history/devices/p1-air?${query}`);
        const columns = await get<DeviceColumnsDto>(`/api/history/devices/p1-air?${query}&format=columns`);
        expect(columns.status).toBe(200);
        expect(columns.body).toEqual(asColumns(json.body, aggregates));
      }
      const minutes = await get<DeviceColumnsDto>(`/api/history/devices/p1-air?${queries[1][0]}&format=columns`);
      expect(minutes.body).toMatchObject({ resolution: '1m', from: '2025-07-01T00:00:00.000Z' });
      expect(minutes.body.times).toHaveLength(18 * 60);
      expect(minutes.body.times[135]).toBe(Date.parse('2025-07-01T02:15:00Z'));
      const pm25 = minutes.body.series[1];
      expect(pm25.metric).toBe('pm25');
      expect(pm25.avg!.flatMap((v, i) => (v === null ? [] : [[i, v]]))).toEqual([[0, 20], [30, 20], [135, 40]]);
    });

    it("places a device's minutes and hours on the same grid as an area's, for a range of part buckets", async () => {
      for (const [resolution, from, to, count] of [
        ['1m', '2025-07-01T00:00:30Z', '2025-07-01T00:05:00.001Z', 6],
        ['1m', '2025-07-01T00:00:00Z', '2025-07-01T00:05:00Z', 5],
        ['1h', '2025-07-01T00:30:00Z', '2025-07-01T02:00:00Z', 2],
        ['1h', '2025-06-30T23:59:59.999Z', '2025-07-01T02:00:00.001Z', 4],
      ] as const) {
        const range = `metrics=pm25&resolution=${resolution}&from=${from}&to=${to}`;
        const device = await get<DeviceSeriesDto>(`/api/history/devices/p1-air?${range}`);
        const area = await get<AreaSeriesDto>(`/api/history/areas/p1?${range}`);
        if (device.body.resolution === 'raw') throw new Error('expected buckets');
        const times = device.body.series[0].points.map((p) => p.t);
        expect(times).toHaveLength(count);
        expect(times).toEqual(area.body.series[0].points.map((p) => p.t));
        expect(device.body.from).toBe(times[0]);
      }
    });

    it('pages raw samples as columns with the same samples and cursors as JSON', async () => {
      // pm25 every 2 s, pm10 at every other of those times: pages end between the two metrics of a time.
      const start = Date.parse('2025-07-06T00:00:00Z');
      const times = Array.from({ length: 300 }, (_, i) => start + i * 2000);
      await insertSamples(server, 'p1-air', 'pm25', times.map((t, i) => [t, i]));
      await insertSamples(server, 'p1-air', 'pm10', times.filter((_, i) => i % 2 === 0).map((t, i) => [t, -i]));
      const query = 'metrics=pm25,pm10&resolution=raw&limit=97&from=2025-07-06T00:00:00Z&to=2025-07-06T01:00:00Z';
      let cursor = '';
      let pages = 0;
      do {
        const json = await get<DeviceSeriesDto>(`/api/history/devices/p1-air?${query}${cursor}`);
        const columns = await get<DeviceColumnsDto>(`/api/history/devices/p1-air?${query}${cursor}&format=columns`);
        expect(columns.status).toBe(200);
        expect(columns.body).toEqual(asColumns(json.body, [], ['pm25', 'pm10']));
        if (columns.body.resolution !== 'raw') throw new Error('expected raw samples');
        if (pages === 0) {
          expect(columns.body.times.slice(0, 2)).toEqual([Date.parse('2025-07-06T00:00:00Z'), Date.parse('2025-07-06T00:00:02Z')]);
          expect(columns.body.series.map((s) => [s.metric, s.value?.slice(0, 2)])).toEqual([['pm25', [0, 1]], ['pm10', [0, null]]]);
        }
        cursor = columns.body.nextCursor ? `&cursor=${columns.body.nextCursor}` : '';
        pages++;
      } while (cursor);
      expect(pages).toBe(Math.ceil(450 / 97));

      // A time with microseconds keeps them as a fraction of a millisecond.
      await server.pool.query(
        `INSERT INTO telemetry (time, device_key, metric_id, value)
         SELECT '2025-07-06T02:00:00.123456Z', d.key, m.id, 7 FROM devices d, metrics m WHERE d.id = 'p1-air' AND m.name = 'pm25'`,
      );
      const fine = await get<DeviceColumnsDto>('/api/history/devices/p1-air?metrics=pm25&resolution=raw&from=2025-07-06T02:00:00Z&to=2025-07-06T02:01:00Z&format=columns');
      expect(fine.body.times).toEqual([Date.parse('2025-07-06T02:00:00.123Z') + 0.456]);
    });

    it('aggregates an area over its devices', async () => {
      const res = await get<AreaSeriesDto>('/api/history/areas/p1?metrics=pm25,water_level&from=2025-07-01T00:00:00Z&to=2025-07-01T02:00:00Z&resolution=1h');
      expect(res.status).toBe(200);
      expect(res.body.series.map((s) => [s.metric, s.points])).toEqual([
        ['pm25', [{ t: '2025-07-01T00:00:00.000Z', min: 10, max: 30, avg: 20, count: 3, devices: 1 }, { t: '2025-07-01T01:00:00.000Z', min: null, max: null, avg: null, count: 0, devices: 0 }]],
        ['water_level', [{ t: '2025-07-01T00:00:00.000Z', min: 1, max: 2, avg: 1.5, count: 2, devices: 1 }, { t: '2025-07-01T01:00:00.000Z', min: null, max: null, avg: null, count: 0, devices: 0 }]],
      ]);
      const csv = await getText('/api/history/areas/p1?metrics=water_level&from=2025-07-01T00:00:00Z&to=2025-07-01T02:00:00Z&resolution=1h&format=csv');
      expect(parseCsv(csv.text)).toEqual([
        ['metric', 'unit', 'time', 'min', 'max', 'avg', 'count', 'devices'],
        ['water_level', 'm', '2025-07-01T00:00:00.000Z', '1', '2', '1.5', '2', '1'],
        ['water_level', 'm', '2025-07-01T01:00:00.000Z', '', '', '', '0', '0'],
      ]);
    });
  });

  describe('area rollup', () => {
    // Two air-quality stations in p1 (and tinh), one in p2 (and tinh) with values that would
    // show if its rows leaked into p1.
    const PM25 = {
      'p1-air': [['2025-08-01T00:05:00Z', 10], ['2025-08-01T00:35:00Z', 20], ['2025-08-01T01:10:00Z', 30]],
      'p1-air-b': [['2025-08-01T00:20:00Z', 40], ['2025-08-01T00:50:00Z', 5]],
      'p2-air': [['2025-08-01T00:10:00Z', 500], ['2025-08-01T01:20:00Z', -50]],
    } as Record<string, [string, number][]>;
    const hours = (areaId: string) =>
      get<AreaSeriesDto>(`/api/history/areas/${areaId}?metrics=pm25&from=2025-08-01T00:00:00Z&to=2025-08-01T03:00:00Z&resolution=1h`).then(
        (res) => res.body.series[0].points,
      );
    /** The same buckets computed from the raw samples of the area's devices. */
    const fromRaw = async (areaId: string, unit: 'hour' | 'day') => {
      const { rows } = await server.pool.query(
        `WITH samples AS (
           SELECT date_trunc($2, t.time AT TIME ZONE 'UTC') AS b, date_trunc('hour', t.time AT TIME ZONE 'UTC') AS hour, t.value, t.device_key
             FROM telemetry_values t JOIN devices d ON d.key = t.device_key JOIN metrics m ON m.id = t.metric_id
            WHERE d.area_ids @> ARRAY[$1::text] AND m.name = 'pm25' AND t.time >= '2025-08-01T00:00:00Z' AND t.time < '2025-08-02T00:00:00Z'
         ), hours AS (SELECT b, count(DISTINCT device_key) AS devices FROM samples GROUP BY b, hour),
         most AS (SELECT b, max(devices) AS devices FROM hours GROUP BY b)
         SELECT to_char(s.b, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS t, min(s.value) AS min, max(s.value) AS max, avg(s.value) AS avg,
                count(*)::int AS count, most.devices::int AS devices
           FROM samples s JOIN most USING (b) GROUP BY s.b, most.devices ORDER BY s.b`,
        [areaId, unit],
      );
      return rows as { t: string; min: number; max: number; avg: number; count: number; devices: number }[];
    };
    const filled = (points: { count?: number }[]) => points.filter((p) => p.count !== 0);

    beforeAll(async () => {
      for (const [id, lat, lng] of [['p1-air-b', 10.32, 106.33], ['p2-air', 10.3, 106.72]] as const) {
        const res = await api(server.baseUrl, 'PUT', `/api/devices/${id}`, { kind: 'air_quality', name: id, lat, lng }, tokens.admin);
        expect(res.status).toBe(200);
      }
      for (const [id, samples] of Object.entries(PM25)) await insertSamples(server, id, 'pm25', samples);
    });

    it('holds per hour what the raw samples of the area give', async () => {
      expect(await hours('p1')).toEqual([
        { t: '2025-08-01T00:00:00.000Z', min: 5, max: 40, avg: 18.75, count: 4, devices: 2 },
        { t: '2025-08-01T01:00:00.000Z', min: 30, max: 30, avg: 30, count: 1, devices: 1 },
        { t: '2025-08-01T02:00:00.000Z', min: null, max: null, avg: null, count: 0, devices: 0 },
      ]);
      for (const area of ['p1', 'p2', 'tinh']) expect(filled(await hours(area))).toEqual(await fromRaw(area, 'hour'));
      expect((await hours('tinh'))[0]).toMatchObject({ min: 5, max: 500, count: 5, devices: 3 });
    });

    it('takes late samples into old hours, and a redelivered sample once', async () => {
      // Late: a device new to hour 01, and one more sample of a device already in hour 00.
      await insertSamples(server, 'p1-air-b', 'pm25', [['2025-08-01T01:40:00Z', 1]]);
      await insertSamples(server, 'p1-air', 'pm25', [['2025-08-01T00:59:00Z', 100]]);
      const corrected = [
        { t: '2025-08-01T00:00:00.000Z', min: 5, max: 100, avg: 35, count: 5, devices: 2 },
        { t: '2025-08-01T01:00:00.000Z', min: 1, max: 30, avg: 15.5, count: 2, devices: 2 },
      ];
      expect(filled(await hours('p1'))).toEqual(corrected);
      expect(filled(await hours('p1'))).toEqual(await fromRaw('p1', 'hour'));

      // Redelivered (same device, metric and time): the writer's ON CONFLICT DO NOTHING skips
      // it, and nothing changes, whatever value it carries; in one statement with a new sample.
      await insertSamples(server, 'p1-air-b', 'pm25', [['2025-08-01T01:40:00Z', 1]]);
      await insertSamples(server, 'p1-air', 'pm25', [['2025-08-01T00:05:00Z', 999], ['2025-08-01T02:30:00Z', 7]]);
      expect(await hours('p1')).toEqual([...corrected, { t: '2025-08-01T02:00:00.000Z', min: 7, max: 7, avg: 7, count: 1, devices: 1 }]);

      // A day: the largest number of devices in any hour of it.
      const day = await get<AreaSeriesDto>('/api/history/areas/p1?metrics=pm25&from=2025-08-01T00:00:00Z&to=2025-08-02T00:00:00Z&resolution=1d');
      expect(day.body.series[0].points).toEqual([{ t: '2025-08-01T00:00:00.000Z', min: 1, max: 100, avg: 213 / 8, count: 8, devices: 2 }]);
      expect(day.body.series[0].points).toEqual(await fromRaw('p1', 'day'));
    });

    // TimescaleDB: telemetry_area_1h is a view over the hourly aggregate (timescale.e2e-spec.ts).
    itPlain('reads hours and days of an area from telemetry_area_1h, minutes from its devices', async () => {
      const queries: { sql: string; params: unknown[] }[] = [];
      const capture = { pool: { query: async (sql: string, params: unknown[]) => (queries.push({ sql, params }), { rows: [] }) } };
      const repository = new HistoryRepository(capture as unknown as Database);
      const [from, to] = [new Date('2025-07-01T00:00:00Z'), new Date('2025-07-31T00:00:00Z')];
      await repository.buckets({ areaId: 'p1' }, ['pm25', 'pm10'], '1h', from, to, 'UTC');
      await repository.buckets({ areaId: 'p1' }, ['pm25', 'pm10'], '1d', from, to, 'Asia/Ho_Chi_Minh');
      await repository.buckets({ areaId: 'p1' }, ['pm25'], '1m', from, new Date('2025-07-01T06:00:00Z'), 'UTC');
      const [hourly, daily, minutes] = await Promise.all(queries.map((q) => relationsRead(server.pool, q.sql, q.params)));
      // Hours and days: the area's own rows, and raw samples not yet materialized; no device's rollup.
      for (const plan of [hourly, daily]) {
        expect(plan).toEqual(expect.arrayContaining(['telemetry_area_1h', 'telemetry_rollup_state']));
        expect(plan.filter((r) => r.startsWith('telemetry_1'))).toEqual([]);
      }
      expect(minutes).toEqual(expect.arrayContaining(['devices', 'metrics']));
      expect(minutes.some((r) => r.startsWith('telemetry_1m'))).toBe(true);
      expect(minutes).not.toContain('telemetry_area_1h');
    });
  });

  describe('device events', () => {
    beforeAll(async () => {
      await server.pool.query(
        `INSERT INTO device_events (time, device_key, type, confidence, attributes)
         SELECT '2025-07-01T00:00:00Z'::timestamptz + g * INTERVAL '1 minute', d.key,
                CASE WHEN g % 3 = 0 THEN 'congestion' ELSE 'went_online' END, 0.9, jsonb_build_object('n', g)
           FROM generate_series(1, 25) g, devices d WHERE d.id IN ('p1-air', 'p2-sal')`,
      );
    });

    it('filters by type, device, area and time, newest first, paged without repeats', async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const res: { status: number; body: DeviceEventPageDto } = await get<DeviceEventPageDto>(`/api/events?limit=7${cursor ? `&cursor=${cursor}` : ''}`);
        expect(res.status).toBe(200);
        seen.push(...res.body.events.map((e) => `${e.time}/${e.deviceId}/${e.type}`));
        cursor = res.body.nextCursor;
      } while (cursor);
      expect(seen).toHaveLength(50);
      expect(new Set(seen).size).toBe(50);
      expect(seen[0]).toBe('2025-07-01T00:25:00.000Z/p2-sal/went_online');

      const filtered = await get<DeviceEventPageDto>('/api/events?type=congestion&areaId=p1&from=2025-07-01T00:06:00Z&to=2025-07-01T00:13:00Z');
      expect(filtered.body.events.map((e) => [e.deviceId, e.type, e.time, e.attributes])).toEqual([
        ['p1-air', 'congestion', '2025-07-01T00:12:00.000Z', { n: 12 }],
        ['p1-air', 'congestion', '2025-07-01T00:09:00.000Z', { n: 9 }],
        ['p1-air', 'congestion', '2025-07-01T00:06:00.000Z', { n: 6 }],
      ]);
      expect((await get<DeviceEventPageDto>('/api/events?deviceId=p2-sal&limit=1000')).body.events).toHaveLength(25);
    });
  });

  describe('open data', () => {
    beforeAll(async () => {
      await insertSamples(server, 'p2-sal', 'salinity', [['2025-07-02T03:10:00Z', 4], ['2025-07-02T03:50:00Z', 6]]);
    });
    const openData = (query: string, headers: Record<string, string> = {}) =>
      fetch(`${server.baseUrl}/api/open-data/environment?${query}`, { headers }).then(async (res) => ({
        status: res.status,
        type: res.headers.get('content-type'),
        link: res.headers.get('link'),
        text: await res.text(),
      }));

    it('publishes hourly aggregates per area without a token, with the licence, as JSON, CSV and GeoJSON', async () => {
      const json = await openData('areaId=p2&metrics=salinity&from=2025-07-02T03:00:00Z&to=2025-07-02T05:00:00Z');
      expect(json.status).toBe(200);
      expect(json.link).toBe('<https://creativecommons.org/licenses/by/4.0/>; rel="license"');
      const body = JSON.parse(json.text) as OpenDataDto;
      expect(body.licence.name).toBe('CC BY 4.0');
      expect(body.areas).toEqual([
        {
          areaId: 'p2',
          name: 'Xã ven biển\nGò Công',
          level: 'commune',
          series: [
            {
              metric: 'salinity',
              unit: '‰',
              points: [
                { t: '2025-07-02T03:00:00.000Z', min: 4, max: 6, avg: 5, count: 2, devices: 1 },
                { t: '2025-07-02T04:00:00.000Z', min: null, max: null, avg: null, count: 0, devices: 0 },
              ],
            },
          ],
        },
      ]);
      // Nothing that names or places a device.
      expect(json.text).not.toMatch(/p2-sal|Trạm|10\.3\b|106\.75/);

      const csv = await openData('metrics=salinity&from=2025-07-02T03:00:00Z&to=2025-07-02T04:00:00Z', { accept: 'text/csv' });
      expect(csv.type).toMatch(/^text\/csv; charset=utf-8/);
      expect(csv.text.endsWith('\r\n')).toBe(true);
      expect(parseCsv(csv.text)).toEqual([
        ['area_id', 'area_name', 'metric', 'unit', 'hour_start', 'min', 'max', 'avg', 'count', 'devices'],
        ['p1', 'Phường 1, Mỹ Tho', 'salinity', '‰', '2025-07-02T03:00:00.000Z', '', '', '', '0', '0'],
        ['p2', 'Xã ven biển\nGò Công', 'salinity', '‰', '2025-07-02T03:00:00.000Z', '4', '6', '5', '2', '1'],
        ['tinh', 'Tỉnh "Thử"', 'salinity', '‰', '2025-07-02T03:00:00.000Z', '4', '6', '5', '2', '1'],
      ]);
      expect(csv.text).toContain('"Tỉnh ""Thử"""');

      const geo = await openData('areaId=p1&format=geojson&from=2025-07-02T03:00:00Z&to=2025-07-02T04:00:00Z');
      expect(geo.type).toMatch(/^application\/geo\+json/);
      const collection = JSON.parse(geo.text) as OpenDataFeatureCollectionDto;
      expect(collection).toMatchObject({ type: 'FeatureCollection', licence: { name: 'CC BY 4.0' } });
      expect(collection.features[0]).toMatchObject({
        type: 'Feature',
        id: 'p1',
        geometry: AREAS.features[1].geometry,
        properties: { areaId: 'p1', name: 'Phường 1, Mỹ Tho', resolution: '1h' },
      });
      expect(collection.features[0].properties.series.map((s) => s.metric)).toEqual(['pm25', 'pm10', 'water_level', 'salinity']);
    });
  });

  describe('metrics an administrator added', () => {
    it('reads the history of a metric added at runtime, that a device published, with its unit and precision', async () => {
      const added = await api<MetricDto>(server.baseUrl, 'POST', '/api/metrics', { name: 'conductivity', unit: 'uS/cm', precision: 0, kinds: ['salinity'] }, tokens.admin);
      expect(added.status).toBe(201);
      const client = await provisionDevice(server, tokens.admin, { id: 'p2-ec', kind: 'salinity', name: 'Trạm EC P2', lat: 10.31, lng: 106.75 });
      const minute = Math.floor(Date.now() / 60_000) * 60_000 - 5 * 60_000;
      try {
        const handled = async () => (await api<HealthDto>(server.baseUrl, 'GET', '/api/health')).body.ingest!.messages;
        const before = await handled();
        await client.publishAsync('ioc/v1/p2-ec/telemetry', JSON.stringify({ ts: minute + 10_000, metrics: { conductivity: 1520, salinity: 3.1 } }), { qos: 1 });
        await client.publishAsync('ioc/v1/p2-ec/telemetry', JSON.stringify({ ts: minute + 70_000, metrics: { conductivity: 1480 } }), { qos: 1 });
        await eventually(async () => ((await handled()) >= before + 2 ? true : undefined));
      } finally {
        await client.endAsync();
      }
      const range = `from=${new Date(minute).toISOString()}&to=${new Date(minute + 3 * 60_000).toISOString()}`;
      const raw = await eventually(async () => {
        const res = await get<DeviceSeriesDto>(`/api/history/devices/p2-ec?metrics=conductivity&resolution=raw&${range}`);
        return res.body.resolution === 'raw' && res.body.samples.length === 2 ? res.body.samples : undefined;
      });
      expect(raw.map((r) => r.value)).toEqual([1520, 1480]);
      await server.rollupsCaughtUp();

      const json = await get<DeviceSeriesDto>(`/api/history/devices/p2-ec?metrics=conductivity,salinity&resolution=1m&aggregates=avg,count&${range}`);
      expect(json.status).toBe(200);
      expect(json.body.resolution !== 'raw' && json.body.series.map((s) => [s.metric, s.unit, s.points.map((p) => [p.avg, p.count])])).toEqual([
        ['conductivity', 'uS/cm', [[1520, 1], [1480, 1], [null, 0]]],
        ['salinity', '‰', [[3.1, 1], [null, 0], [null, 0]]],
      ]);
      const columns = await get<DeviceColumnsDto>(`/api/history/devices/p2-ec?metrics=conductivity&resolution=1m&${range}&format=columns`);
      expect(columns.body.series).toEqual([
        { metric: 'conductivity', unit: 'uS/cm', precision: 0, min: [1520, 1480, null], max: [1520, 1480, null], avg: [1520, 1480, null], last: [1520, 1480, null], count: [1, 1, 0] },
      ]);
      const csv = await getText(`/api/history/devices/p2-ec?metrics=conductivity&resolution=1m&aggregates=avg&${range}&format=csv`);
      expect(parseCsv(csv.text)[1]).toEqual(['conductivity', 'uS/cm', new Date(minute).toISOString(), '1520']);
      // The newest values are stored once a second (INGEST_NEWEST_EVERY_MS).
      const latest = () => get<LatestDeviceValuesDto[]>('/api/history/latest?deviceId=p2-ec&metrics=conductivity');
      const newest = await eventually(async () => {
        const value = (await latest()).body[0].values.conductivity;
        return value?.value === 1480 ? value : undefined;
      });
      expect(newest).toEqual({ value: 1480, ts: new Date(minute + 70_000).toISOString() });
      const area = await get<AreaSeriesDto>(`/api/history/areas/p2?metrics=conductivity&resolution=1m&aggregates=max&${range}`);
      expect(area.body.series.map((s) => [s.unit, s.points.map((p) => p.max)])).toEqual([['uS/cm', [1520, 1480, null]]]);
    });
  });

  describe('access', () => {
    const OPERATIONS_ROOM: Role[] = ['admin', 'supervisor', 'operator', 'viewer'];
    const routes = [
      { path: '/api/history/latest', allowed: ['admin', 'supervisor', 'operator', 'field', 'viewer'] as Role[] },
      { path: '/api/history/devices/p1-air?metrics=pm25&from=2025-07-01T00:00:00Z', allowed: OPERATIONS_ROOM },
      { path: '/api/history/areas/p1?metrics=pm25&from=2025-07-01T00:00:00Z&to=2025-07-02T00:00:00Z', allowed: OPERATIONS_ROOM },
      { path: '/api/events', allowed: OPERATIONS_ROOM },
    ];
    const cases = routes.flatMap((r) => (['admin', 'supervisor', 'operator', 'field', 'viewer'] as Role[]).map((role) => ({ ...r, role, ok: r.allowed.includes(role) })));

    it.each(cases)('$role: GET $path is allowed: $ok', async ({ path, role, ok }) => {
      const res = await get<ApiErrorBody>(path, role);
      expect(res.status).toBe(ok ? 200 : 403);
    });

    it.each(routes)('GET $path without a token: 401', async ({ path }) => {
      expect((await api(server.baseUrl, 'GET', path)).status).toBe(401);
    });
  });

  it.each([
    ['/api/history/devices/p1-air?from=2025-07-01T00:00:00Z', /metrics: /],
    ['/api/history/devices/p1-air?metrics=pm25,toaster&from=2025-07-01T00:00:00Z', /metrics: toaster is not in the metric catalogue/],
    ['/api/history/devices/p1-air?metrics=pm25,toaster&from=2025-07-01T00:00:00Z&format=columns', /metrics: toaster is not in the metric catalogue/],
    ['/api/history/devices/p1-air?metrics=PM25&from=2025-07-01T00:00:00Z', /metrics\.0: must be a comma-separated list of metric names/],
    ['/api/history/areas/p1?metrics=toaster&from=2025-07-01T00:00:00Z', /metrics: toaster is not in the metric catalogue/],
    ['/api/history/latest?metrics=pm25,toaster', /metrics: toaster is not in the metric catalogue/],
    ['/api/history/devices/p1-air?metrics=pm25,pm25&from=2025-07-01T00:00:00Z', /metrics: names an item twice/],
    ['/api/history/devices/p1-air?metrics=pm25&from=yesterday', /from: must be an ISO-8601 time/],
    ['/api/history/devices/p1-air?metrics=pm25&from=2025-07-02T00:00:00Z&to=2025-07-01T00:00:00Z', /to: from must be before to/],
    ['/api/history/devices/p1-air?metrics=pm25&from=2025-07-01T00:00:00Z&resolution=5m', /resolution: Invalid option/],
    ['/api/history/devices/p1-air?metrics=pm25&from=2025-07-01T00:00:00Z&tz=Mars/Olympus', /tz: must be an IANA time zone/],
    ['/api/history/devices/p1-air?metrics=pm25&from=2025-07-01T00:00:00Z&resolution=1d&tz=Asia/Kolkata', /tz: Asia\/Kolkata is not a whole number of hours/],
    ['/api/history/devices/p1-air?metrics=pm25&from=2024-07-01T00:00:00Z&to=2025-07-01T00:00:00Z&resolution=1m', /points \(buckets x metrics\)/],
    ['/api/history/devices/p1-air?metrics=pm25&from=2025-07-01T00:00:00Z&resolution=raw&cursor=bm90LWEtY3Vyc29y', /cursor: not a cursor this API gave out/],
    ['/api/history/devices/p1-air?metrics=pm25&from=2025-07-01T00:00:00Z&resolution=1h&cursor=abc', /cursor: only raw samples are paged/],
    ['/api/history/devices/p1-air?metrics=pm25&from=2025-07-01T00:00:00Z&limit=0', /limit: /],
    ['/api/history/devices/p1-air?metrics=pm25&from=2025-07-01T00:00:00Z&format=xml', /format: /],
    ['/api/history/devices/p1-air?metrics=pm25&from=2025-07-01T00:00:00Z&colour=red', /Unrecognized key/],
    ['/api/history/devices/BAD%20ID?metrics=pm25&from=2025-07-01T00:00:00Z', /id: lower-case/],
    ['/api/history/areas/p1?metrics=pm25&from=2025-07-01T00:00:00Z&resolution=raw', /resolution: Invalid option/],
    ['/api/history/areas/p1?metrics=pm25&from=2025-07-01T00:00:00Z&aggregates=last', /aggregates\.0: must be a comma-separated list of min, max, avg, count/],
    ['/api/history/latest?deviceId=p1-air&areaId=p1', /at most one of deviceId, areaId, bbox/],
    ['/api/history/latest?bbox=106,10,107', /bbox: must be west,south,east,north/],
    ['/api/history/latest?bbox=107,10,106,11', /bbox: must be west,south,east,north with west <= east/],
    ['/api/events?type=party', /type: Invalid option/],
    ['/api/events?cursor=zzz', /cursor: not a cursor this API gave out/],
    ['/api/events?limit=5000', /limit: /],
  ])('GET %s answers 400 with a message', async (path, message) => {
    const res = await get<ApiErrorBody>(path);
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(message);
  });

  it.each([
    ['/api/open-data/environment?from=2025-07-01T00:00:00Z', /to: /],
    ['/api/open-data/environment?from=2025-01-01T00:00:00Z&to=2025-07-01T00:00:00Z', /at most 31 days/],
    ['/api/open-data/environment?metrics=battery&from=2025-07-01T00:00:00Z&to=2025-07-02T00:00:00Z', /metrics\.0: must be a comma-separated list of pm25, pm10, water_level, salinity/],
  ])('GET %s (public) answers 400 with a message', async (path, message) => {
    const res = await api<ApiErrorBody>(server.baseUrl, 'GET', path);
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(message);
  });

  it.each([
    ['/api/history/devices/nobody?metrics=pm25&from=2025-07-01T00:00:00Z', 'device nobody does not exist'],
    ['/api/history/areas/nowhere?metrics=pm25&from=2025-07-01T00:00:00Z', 'area nowhere does not exist'],
    ['/api/history/latest?deviceId=nobody', 'device nobody does not exist'],
  ])('GET %s answers 404', async (path, message) => {
    const res = await get<ApiErrorBody>(path);
    expect(res).toMatchObject({ status: 404, body: { message } });
  });

  // Last: it uses up the open-data rate limit of this address.
  describe('open data rate limit', () => {
    it('is rate-limited per address', async () => {
      const query = 'areaId=p1&metrics=pm25&from=2025-07-02T03:00:00Z&to=2025-07-02T04:00:00Z';
      const statuses: number[] = [];
      for (let i = 0; i < OPEN_DATA_RATE_LIMIT + 5; i++) statuses.push((await fetch(`${server.baseUrl}/api/open-data/environment?${query}`)).status);
      expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
      expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(OPEN_DATA_RATE_LIMIT);
    });
  });
});

// A device's minutes and hours merge its rollup's row of a bucket with the samples the rollup does
// not hold yet; here the rounds of the refresher are the test's, so a bucket can be held in part.
describePlain("a device's buckets while the rollups hold part of them (plain PostgreSQL)", () => {
  let database: ScratchDatabase;
  let server: TestServer;
  let pool: Pool;
  let token: string;
  let start: number;

  /** Each bucket with samples as the raw samples give it. */
  const truth = async (step: string) => {
    const { rows } = await pool.query(
      `SELECT to_char(date_bin($1::interval, t.time, TIMESTAMPTZ '2000-01-01 00:00:00+00') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS t,
              min(t.value) AS min, max(t.value) AS max, avg(t.value) AS avg, (array_agg(t.value ORDER BY t.time DESC))[1] AS last, count(*)::int AS count
         FROM telemetry_values t JOIN devices d ON d.key = t.device_key WHERE d.id = 'st-air' GROUP BY 1 ORDER BY 1`,
      [step],
    );
    return rows as { t: string; min: number; max: number; avg: number; last: number; count: number }[];
  };
  const read = async (resolution: '1m' | '1h', format = 'json') => {
    const range = `from=${new Date(start - 3_600_000).toISOString()}&to=${new Date(start + 3 * 3_600_000).toISOString()}`;
    const res = await api<DeviceSeriesDto>(server.baseUrl, 'GET', `/api/history/devices/st-air?metrics=pm25&resolution=${resolution}&${range}&format=${format}`, undefined, token);
    expect(res.status).toBe(200);
    return res.body;
  };
  const filled = async (resolution: '1m' | '1h') => {
    const body = await read(resolution);
    return body.resolution === 'raw' ? [] : body.series[0].points.filter((p) => p.count !== 0);
  };

  beforeAll(async () => {
    database = await createScratchDatabase();
    server = await startTestServer({ STORAGE_ROLLUP_REFRESH_MS: '3600000' }, { database });
    pool = new Pool({ connectionString: database.url, max: 2 });
    token = (await server.session('admin')).accessToken;
    await api(server.baseUrl, 'PUT', '/api/devices/st-air', { kind: 'air_quality', name: 'st-air', lat: 10.35, lng: 106.35 }, token);
    start = (await readRollupState(pool)).threshold!.getTime();
    // Every 20 s for 75 minutes, values multiples of 0.5 so that sums are exact in any order, and a
    // bucket's newest value not its largest.
    await insertSamples(server, 'st-air', 'pm25', Array.from({ length: 225 }, (_, i): [number, number] => [start + i * 20_000, ((i * 7) % 11) * 0.5]));
  });
  afterAll(async () => {
    await pool?.end();
    await server?.close();
    await database?.drop();
  });

  it('answers each bucket as the raw samples give it, whether the rollup holds none, part or all of it', async () => {
    const refresher = new RollupRefresher(pool, 0);
    for (const until of [null, start + 40 * 60_000 + 30_000, start + 3 * 3_600_000]) {
      // Two rounds: the first raises the threshold, the second materializes up to it.
      if (until) for (let round = 0; round < 2; round++) await refresher.run(until);
      const { materialized } = await readRollupState(pool);
      expect(materialized!.getTime()).toBe(until ?? start);
      expect(await filled('1m')).toEqual(await truth('1 minute'));
      expect(await filled('1h')).toEqual(await truth('1 hour'));
      const json = await read('1m');
      expect(await read('1m', 'columns')).toEqual(asColumns(json, ['min', 'max', 'avg', 'last', 'count']));
    }
  });
});

