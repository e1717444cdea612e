import type { CsvValue } from '@ioc/common';
import type { IncidentStatisticsDto, IncidentStatisticsRowDto, StatisticsPeriod } from '@ioc/contracts';

const DAY_MS = 86_400_000;
const dayOf = (date: string) => Date.parse(`${date}T00:00:00Z`);
const dateOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** The first day (YYYY-MM-DD) of every period from the one holding `from` to the one holding `to`; weeks start on Monday. */
export function periodStarts(period: StatisticsPeriod, from: string, to: string): string[] {
  const last = dayOf(to);
  const starts: string[] = [];
  if (period === 'week') {
    const first = dayOf(from);
    // 1970-01-01 was a Thursday: three days past a Monday.
    const monday = first - (((first / DAY_MS + 3) % 7) * DAY_MS);
    for (let d = monday; d <= last; d += 7 * DAY_MS) starts.push(dateOf(d));
    return starts;
  }
  for (let d = new Date(`${from.slice(0, 7)}-01T00:00:00Z`); d.getTime() <= last; d.setUTCMonth(d.getUTCMonth() + 1)) starts.push(dateOf(d.getTime()));
  return starts;
}

/** A period without incidents. */
export const emptyRow = (periodStart: string): IncidentStatisticsRowDto => ({
  periodStart,
  incidents: 0,
  acknowledged: 0,
  resolved: 0,
  timeToAcknowledgeS: { p50: null, p90: null },
  timeToResolveS: { p50: null, p90: null },
  acknowledgeDeadline: { met: 0, breached: 0 },
  resolveDeadline: { met: 0, breached: 0 },
  satisfaction: { ratings: 0, average: null },
});

/** Every period of the range in order, those the database found and empty ones between. */
export function withEmptyPeriods(period: StatisticsPeriod, from: string, to: string, found: readonly IncidentStatisticsRowDto[]): IncidentStatisticsRowDto[] {
  const byStart = new Map(found.map((r) => [r.periodStart, r]));
  return periodStarts(period, from, to).map((start) => byStart.get(start) ?? emptyRow(start));
}

export const STATISTICS_CSV_HEADER = [
  'period_start',
  'source',
  'category',
  'incidents',
  'acknowledged',
  'resolved',
  'acknowledge_p50_s',
  'acknowledge_p90_s',
  'resolve_p50_s',
  'resolve_p90_s',
  'acknowledge_met',
  'acknowledge_breached',
  'resolve_met',
  'resolve_breached',
  'ratings',
  'rating_average',
] as const;

const cells = (r: IncidentStatisticsRowDto): CsvValue[] => [
  r.incidents,
  r.acknowledged,
  r.resolved,
  r.timeToAcknowledgeS.p50,
  r.timeToAcknowledgeS.p90,
  r.timeToResolveS.p50,
  r.timeToResolveS.p90,
  r.acknowledgeDeadline.met,
  r.acknowledgeDeadline.breached,
  r.resolveDeadline.met,
  r.resolveDeadline.breached,
  r.satisfaction.ratings,
  r.satisfaction.average,
];

/** One line per period for all incidents (source `all`), then one per period, source and category. */
export function statisticsRows(dto: IncidentStatisticsDto): CsvValue[][] {
  return [
    ...dto.totals.map((r) => [r.periodStart, 'all', '', ...cells(r)]),
    ...dto.breakdown.map((r) => [r.periodStart, r.source, r.category ?? '', ...cells(r)]),
  ];
}
