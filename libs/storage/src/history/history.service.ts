import { Injectable } from '@nestjs/common';
import { z } from 'zod';
import {
  type Aggregate,
  type AreaSeriesDto,
  type AreaSeriesQuery,
  type BucketDto,
  type BucketResolution,
  type DeviceColumnsDto,
  type DeviceSeriesDto,
  type DeviceSeriesQuery,
  type LatestDeviceValuesDto,
  type LatestQuery,
  type MetricColumnsDto,
  type MetricSeriesDto,
  type AreaBucketDto,
  type Resolution,
} from '@ioc/contracts';
import { AreasService } from '@ioc/areas';
import { ErrorCode, IocError } from '@ioc/common';
import { MetricsService, type CatalogueMetric } from '@ioc/devices';
import { cursorTime, decodeCursor, encodeCursor } from './cursor';
import { HistoryRepository, type BucketColumns, type RawRow } from './history.repository';
import { checkDayZone, checkPointBudget, chooseResolution } from './resolution';

const rawCursor = z.tuple([cursorTime, z.number().int().min(0).max(32767)]);

/** The range of a query: `to` defaults to now. */
function range(q: { from: string; to?: string }): { from: Date; to: Date } {
  const from = new Date(q.from);
  const to = q.to ? new Date(q.to) : new Date();
  if (from >= to) throw new IocError(ErrorCode.Invalid, 'to: from must be before to');
  return { from, to };
}

/** A device read checked and resolved: what both its JSON and its columnar answers are made of. */
interface DeviceRead {
  key: number;
  metrics: CatalogueMetric[];
  resolution: Resolution;
  from: Date;
  to: Date;
}

@Injectable()
export class HistoryService {
  constructor(
    private readonly repository: HistoryRepository,
    private readonly areas: AreasService,
    private readonly catalogue: MetricsService,
  ) {}

  async latest(q: LatestQuery): Promise<LatestDeviceValuesDto[]> {
    if (q.areaId) this.area(q.areaId);
    if (q.metrics) this.metrics(q.metrics);
    const rows = await this.repository.latest(q);
    if (q.deviceId && rows.length === 0) throw new IocError(ErrorCode.NotFound, `device ${q.deviceId} does not exist`);
    const devices = new Map<string, LatestDeviceValuesDto>();
    for (const r of rows) {
      let device = devices.get(r.id);
      if (!device) {
        device = { deviceId: r.id, kind: r.kind, name: r.name, lat: r.lat, lng: r.lng, values: {} };
        devices.set(r.id, device);
      }
      if (r.metric && r.time && r.value !== null) device.values[r.metric] = { value: r.value, ts: r.time };
    }
    return [...devices.values()];
  }

  async deviceSeries(deviceId: string, q: DeviceSeriesQuery): Promise<DeviceSeriesDto> {
    const read = await this.deviceRead(deviceId, q);
    const { key, metrics, resolution, from, to } = read;
    if (resolution === 'raw') {
      const { page, nextCursor } = await this.rawPage(read, q);
      const samples = page.map((r) => ({ t: r.t, metric: r.metric, value: r.value }));
      return { deviceId, resolution, from: from.toISOString(), to: to.toISOString(), samples, nextCursor };
    }
    const buckets = await this.repository.buckets({ deviceKey: key }, q.metrics, resolution, from, to, q.tz);
    const series = toSeries<BucketDto>(metrics, buckets, q.aggregates);
    return { deviceId, resolution, from: firstBucket(buckets, from), to: to.toISOString(), tz: q.tz, series };
  }

  /** The same read as `deviceSeries`, as one time axis and an array per metric and aggregate. */
  async deviceColumns(deviceId: string, q: DeviceSeriesQuery): Promise<DeviceColumnsDto> {
    const read = await this.deviceRead(deviceId, q);
    const { key, metrics, resolution, from, to } = read;
    if (resolution === 'raw') {
      const { page, nextCursor } = await this.rawPage(read, q);
      return { deviceId, resolution, from: from.toISOString(), to: to.toISOString(), ...rawColumns(metrics, page), nextCursor };
    }
    const buckets = await this.repository.buckets({ deviceKey: key }, q.metrics, resolution, from, to, q.tz);
    const series = metrics.map(({ name, unit, precision }, m) => {
      const columns: MetricColumnsDto = { metric: name, unit, precision };
      for (const a of q.aggregates) {
        if (a === 'count') columns.count = buckets.series[m].count;
        else columns[a] = buckets.series[m][a];
      }
      return columns;
    });
    return { deviceId, resolution, from: firstBucket(buckets, from), to: to.toISOString(), tz: q.tz, times: buckets.times, series };
  }

  private async deviceRead(deviceId: string, q: DeviceSeriesQuery): Promise<DeviceRead> {
    const { from, to } = range(q);
    const metrics = this.metrics(q.metrics);
    const resolution = chooseResolution(q.resolution, to.getTime() - from.getTime());
    if (q.cursor && resolution !== 'raw') throw new IocError(ErrorCode.Invalid, 'cursor: only raw samples are paged');
    if (resolution === '1d') checkDayZone(q.tz, from.getTime(), to.getTime());
    if (resolution !== 'raw') checkPointBudget(resolution, from.getTime(), to.getTime(), q.metrics.length);
    const key = await this.repository.deviceKey(deviceId);
    if (key === null) throw new IocError(ErrorCode.NotFound, `device ${deviceId} does not exist`);
    return { key, metrics, resolution, from, to };
  }

  private async rawPage({ key, from, to }: DeviceRead, q: DeviceSeriesQuery): Promise<{ page: RawRow[]; nextCursor: string | null }> {
    const after = q.cursor ? decodeCursor(q.cursor, rawCursor) : null;
    const rows = await this.repository.raw(key, q.metrics, from, to, after && { time: after[0], metricId: after[1] }, q.limit + 1);
    const page = rows.slice(0, q.limit);
    const last = page.at(-1);
    return { page, nextCursor: rows.length > q.limit && last ? encodeCursor([last.cursor_time, last.metric_id]) : null };
  }

  async areaSeries(areaId: string, q: AreaSeriesQuery): Promise<AreaSeriesDto> {
    this.area(areaId);
    const { from, to } = range(q);
    const chosen = chooseResolution(q.resolution, to.getTime() - from.getTime());
    const resolution: BucketResolution = chosen === 'raw' ? '1m' : chosen;
    return this.areaBuckets(areaId, q.metrics, resolution, from, to, q.tz, q.aggregates);
  }

  /** Buckets of an area's devices together; also what open data publishes. */
  async areaBuckets(
    areaId: string,
    metrics: readonly string[],
    resolution: BucketResolution,
    from: Date,
    to: Date,
    tz: string,
    aggregates: readonly Aggregate[],
  ): Promise<AreaSeriesDto> {
    if (resolution === '1d') checkDayZone(tz, from.getTime(), to.getTime());
    checkPointBudget(resolution, from.getTime(), to.getTime(), metrics.length);
    const catalogued = this.metrics(metrics);
    const buckets = await this.repository.buckets({ areaId }, metrics, resolution, from, to, tz);
    const series = toSeries<AreaBucketDto>(catalogued, buckets, [...aggregates, 'devices']);
    return { areaId, resolution, from: firstBucket(buckets, from), to: to.toISOString(), tz, series };
  }

  /** The metrics asked for, as the catalogue has them now (administrators add metrics at runtime). */
  private metrics(names: readonly string[]): CatalogueMetric[] {
    const catalogue = this.catalogue.catalogue;
    return names.map((name) => {
      const metric = catalogue.get(name);
      if (!metric) throw new IocError(ErrorCode.Invalid, `metrics: ${name} is not in the metric catalogue`);
      return metric;
    });
  }

  private area(id: string) {
    const area = this.areas.list().find((a) => a.id === id);
    if (!area) throw new IocError(ErrorCode.NotFound, `area ${id} does not exist`);
    return area;
  }
}

function firstBucket(buckets: BucketColumns, from: Date): string {
  return new Date(buckets.times[0] ?? from.getTime()).toISOString();
}

/** Each metric's buckets as points holding only the fields asked for, in the order of `metrics`. */
function toSeries<P extends { t: string }>(
  metrics: readonly CatalogueMetric[],
  buckets: BucketColumns,
  fields: readonly (Aggregate | 'devices')[],
): MetricSeriesDto<P>[] {
  const times = buckets.times.map((t) => new Date(t).toISOString());
  return metrics.map(({ name, unit }, m) => {
    const series = buckets.series[m];
    const points = times.map((t, i) => {
      const point: Record<string, unknown> = { t };
      for (const f of fields) point[f] = series[f][i];
      return point as P;
    });
    return { metric: name, unit, points };
  });
}

/** PostgreSQL's microsecond text (cursor_time) as epoch milliseconds, the microseconds kept as a fraction. */
export function epochMs(time: string): number {
  return Date.parse(`${time.slice(0, 23)}Z`) + Number(time.slice(23, 26)) / 1000;
}

/** A page of raw samples, in (time, metric) order, as one time axis and a value array per metric. */
function rawColumns(metrics: readonly CatalogueMetric[], page: readonly RawRow[]): { times: number[]; series: MetricColumnsDto[] } {
  const times: number[] = [];
  const values = new Map<string, (number | null)[]>(metrics.map((m) => [m.name, []]));
  let current = '';
  for (const r of page) {
    if (r.cursor_time !== current) {
      current = r.cursor_time;
      times.push(epochMs(current));
      for (const column of values.values()) column.push(null);
    }
    values.get(r.metric)![times.length - 1] = r.value;
  }
  return { times, series: metrics.map(({ name, unit, precision }) => ({ metric: name, unit, precision, value: values.get(name)! })) };
}
