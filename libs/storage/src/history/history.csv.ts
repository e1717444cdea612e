import type { AreaSeriesDto, DeviceSeriesDto, MetricSeriesDto, OpenDataDto } from '@ioc/contracts';
import { toCsv, type CsvValue } from '@ioc/common';

type Point = { t: string };

/** One line per (metric, bucket) with the columns present in the points; gaps as empty fields. */
function seriesRows(series: readonly MetricSeriesDto<Point>[], columns: readonly string[], prefix: CsvValue[] = []): CsvValue[][] {
  return series.flatMap((s) =>
    s.points.map((p) => {
      const values = p as unknown as Record<string, CsvValue>;
      return [...prefix, s.metric, s.unit, p.t, ...columns.map((c) => values[c])];
    }),
  );
}

function columnsOf(series: readonly MetricSeriesDto<Point>[]): string[] {
  const first = series.find((s) => s.points.length > 0)?.points[0];
  return first ? Object.keys(first).filter((k) => k !== 't') : [];
}

export function deviceSeriesCsv(dto: DeviceSeriesDto): string {
  if (dto.resolution === 'raw') return toCsv(['time', 'metric', 'value'], dto.samples.map((s) => [s.t, s.metric, s.value]));
  const columns = columnsOf(dto.series);
  return toCsv(['metric', 'unit', 'time', ...columns], seriesRows(dto.series, columns));
}

export function areaSeriesCsv(dto: AreaSeriesDto): string {
  const columns = columnsOf(dto.series);
  return toCsv(['metric', 'unit', 'time', ...columns], seriesRows(dto.series, columns));
}

export function openDataCsv(dto: OpenDataDto): string {
  const columns = ['min', 'max', 'avg', 'count', 'devices'];
  return toCsv(
    ['area_id', 'area_name', 'metric', 'unit', 'hour_start', ...columns],
    dto.areas.flatMap((a) => seriesRows(a.series, columns, [a.areaId, a.name])),
  );
}
