import { Injectable } from '@nestjs/common';
import { z } from 'zod';
import {
  METRICS,
  type AreaSeriesDto,
  type AreaSeriesQuery,
  type BucketDto,
  type BucketResolution,
  type DeviceSeriesDto,
  type DeviceSeriesQuery,
  type LatestDeviceValuesDto,
  type LatestQuery,
  type MetricName,
  type MetricSeriesDto,
  type AreaBucketDto,
} from '@ioc/contracts';
import { AreasService } from '@ioc/areas';
import { ErrorCode, IocError } from '@ioc/common';
import { cursorTime, decodeCursor, encodeCursor } from './cursor';
import { HistoryRepository, type BucketRow } from './history.repository';
import { checkDayZone, checkPointBudget, chooseResolution } from './resolution';

const rawCursor = z.tuple([cursorTime, z.number().int().min(0).max(32767)]);

/** The range of a query: `to` defaults to now. */
function range(q: { from: string; to?: string }): { from: Date; to: Date } {
  const from = new Date(q.from);
  const to = q.to ? new Date(q.to) : new Date();
  if (from >= to) throw new IocError(ErrorCode.Invalid, 'to: from must be before to');
  return { from, to };
}

@Injectable()
export class HistoryService {
  constructor(
    private readonly repository: HistoryRepository,
    private readonly areas: AreasService,
  ) {}

  async latest(q: LatestQuery): Promise<LatestDeviceValuesDto[]> {
    if (q.areaId) this.area(q.areaId);
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
    const { from, to } = range(q);
    const resolution = chooseResolution(q.resolution, to.getTime() - from.getTime());
    if (q.cursor && resolution !== 'raw') throw new IocError(ErrorCode.Invalid, 'cursor: only raw samples are paged');
    if (resolution === '1d') checkDayZone(q.tz, from.getTime(), to.getTime());
    if (resolution !== 'raw') checkPointBudget(resolution, from.getTime(), to.getTime(), q.metrics.length);
    const key = await this.repository.deviceKey(deviceId);
    if (key === null) throw new IocError(ErrorCode.NotFound, `device ${deviceId} does not exist`);

    if (resolution === 'raw') {
      const after = q.cursor ? decodeCursor(q.cursor, rawCursor) : null;
      const rows = await this.repository.raw(key, q.metrics, from, to, after && { time: after[0], metricId: after[1] }, q.limit + 1);
      const page = rows.slice(0, q.limit);
      const last = page.at(-1);
      return {
        deviceId,
        resolution,
        from: from.toISOString(),
        to: to.toISOString(),
        samples: page.map((r) => ({ t: r.t, metric: r.metric, value: r.value })),
        nextCursor: rows.length > q.limit && last ? encodeCursor([last.cursor_time, last.metric_id]) : null,
      };
    }
    const rows = await this.repository.buckets({ deviceKey: key }, q.metrics, resolution, from, to, q.tz);
    const series = toSeries(q.metrics, rows, (r) => pick<BucketDto>(r, q.aggregates));
    return { deviceId, resolution, from: firstBucket(rows, from), to: to.toISOString(), tz: q.tz, series };
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
    metrics: readonly MetricName[],
    resolution: BucketResolution,
    from: Date,
    to: Date,
    tz: string,
    aggregates: readonly string[],
  ): Promise<AreaSeriesDto> {
    if (resolution === '1d') checkDayZone(tz, from.getTime(), to.getTime());
    checkPointBudget(resolution, from.getTime(), to.getTime(), metrics.length);
    const rows = await this.repository.buckets({ areaId }, metrics, resolution, from, to, tz);
    const series = toSeries(metrics, rows, (r) => ({ ...pick<AreaBucketDto>(r, aggregates), devices: r.devices }));
    return { areaId, resolution, from: firstBucket(rows, from), to: to.toISOString(), tz, series };
  }

  private area(id: string) {
    const area = this.areas.list().find((a) => a.id === id);
    if (!area) throw new IocError(ErrorCode.NotFound, `area ${id} does not exist`);
    return area;
  }
}

function firstBucket(rows: readonly BucketRow[], from: Date): string {
  return rows[0]?.t ?? from.toISOString();
}

/** The bucket with only the aggregates asked for. */
function pick<T extends { t: string }>(r: BucketRow, aggregates: readonly string[]): T {
  const point: Record<string, unknown> = { t: r.t };
  for (const a of aggregates) point[a] = r[a as keyof BucketRow];
  return point as T;
}

/** Rows ordered by metric then time, grouped per metric in the order asked for. */
function toSeries<P>(metrics: readonly MetricName[], rows: readonly BucketRow[], point: (r: BucketRow) => P): MetricSeriesDto<P>[] {
  const byMetric = new Map<MetricName, P[]>(metrics.map((m) => [m, []]));
  for (const r of rows) byMetric.get(r.metric)?.push(point(r));
  return metrics.map((metric) => ({ metric, unit: METRICS[metric].unit, points: byMetric.get(metric)! }));
}
