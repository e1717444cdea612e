import { Injectable } from '@nestjs/common';
import {
  STATISTICS_TIME_ZONE,
  type IncidentCategory,
  type IncidentSource,
  type IncidentStatisticsBreakdownDto,
  type IncidentStatisticsDto,
  type IncidentStatisticsQuery,
  type IncidentStatisticsRowDto,
} from '@ioc/contracts';
import { Database } from '@ioc/database';
import { withEmptyPeriods } from './statistics';

interface StatisticsRow {
  period_start: string;
  source: IncidentSource | null;
  category: IncidentCategory | null;
  /** The period's total over every source and category. */
  total: boolean;
  incidents: number;
  acknowledged: number;
  resolved: number;
  acknowledge_p50: number | null;
  acknowledge_p90: number | null;
  resolve_p50: number | null;
  resolve_p90: number | null;
  acknowledge_met: number;
  acknowledge_breached: number;
  resolve_met: number;
  resolve_breached: number;
  ratings: number;
  rating_average: number | null;
}

const tenths = (s: number | null) => (s === null ? null : Math.round(s * 10) / 10);

const toRow = (r: StatisticsRow): IncidentStatisticsRowDto => ({
  periodStart: r.period_start,
  incidents: r.incidents,
  acknowledged: r.acknowledged,
  resolved: r.resolved,
  timeToAcknowledgeS: { p50: tenths(r.acknowledge_p50), p90: tenths(r.acknowledge_p90) },
  timeToResolveS: { p50: tenths(r.resolve_p50), p90: tenths(r.resolve_p90) },
  acknowledgeDeadline: { met: r.acknowledge_met, breached: r.acknowledge_breached },
  resolveDeadline: { met: r.resolve_met, breached: r.resolve_breached },
  satisfaction: { ratings: r.ratings, average: r.rating_average === null ? null : Math.round(r.rating_average * 100) / 100 },
});

/** How the province responds: incidents counted, timed and held to their deadlines per period. */
@Injectable()
export class StatisticsRepository {
  constructor(private readonly db: Database) {}

  async incidents(q: IncidentStatisticsQuery): Promise<IncidentStatisticsDto> {
    // Periods and the range are days of Asia/Ho_Chi_Minh: `local` is each incident's creation on that clock.
    const { rows } = await this.db.pool.query<StatisticsRow>(
      `WITH scoped AS (
         SELECT i.source, i.category, i.acknowledged_at, i.resolved_at, i.acknowledge_due_at, i.resolve_due_at,
                i.acknowledge_breached_at, i.resolve_breached_at,
                to_char(date_trunc($1, i.created_at AT TIME ZONE $2), 'YYYY-MM-DD') AS period_start,
                extract(epoch FROM i.acknowledged_at - i.created_at)::float8 AS acknowledge_s,
                extract(epoch FROM i.resolved_at - i.created_at)::float8 AS resolve_s,
                rated.ratings, rated.rating_sum
           FROM incidents i
           -- Citizens rate the work on the incident that did it: a merged report's rating counts on the one it joined.
           CROSS JOIN LATERAL (
             SELECT count(r.rating)::int AS ratings, sum(r.rating)::int AS rating_sum FROM citizen_reports r WHERE r.rated_incident_id = i.id
           ) rated
          WHERE i.created_at >= $3::date::timestamp AT TIME ZONE $2
            AND i.created_at < ($4::date + 1)::timestamp AT TIME ZONE $2
            AND ($5::text IS NULL OR i.area_ids @> ARRAY[$5::text])
            -- A report merged into another is that one's: counted once, there.
            AND i.merged_into_id IS NULL
       )
       SELECT period_start, source, category, GROUPING(source, category) = 3 AS total,
              count(*)::int AS incidents,
              count(acknowledged_at)::int AS acknowledged,
              count(resolved_at)::int AS resolved,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY acknowledge_s) AS acknowledge_p50,
              percentile_cont(0.9) WITHIN GROUP (ORDER BY acknowledge_s) AS acknowledge_p90,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY resolve_s) AS resolve_p50,
              percentile_cont(0.9) WITHIN GROUP (ORDER BY resolve_s) AS resolve_p90,
              count(*) FILTER (WHERE acknowledged_at <= acknowledge_due_at)::int AS acknowledge_met,
              count(*) FILTER (WHERE acknowledge_breached_at IS NOT NULL OR acknowledged_at > acknowledge_due_at)::int AS acknowledge_breached,
              count(*) FILTER (WHERE resolved_at <= resolve_due_at)::int AS resolve_met,
              count(*) FILTER (WHERE resolve_breached_at IS NOT NULL OR resolved_at > resolve_due_at)::int AS resolve_breached,
              sum(ratings)::int AS ratings,
              sum(rating_sum)::float8 / NULLIF(sum(ratings), 0) AS rating_average
         FROM scoped
        GROUP BY GROUPING SETS ((period_start, source, category), (period_start))
        ORDER BY period_start, source NULLS FIRST, category NULLS FIRST`,
      [q.period, STATISTICS_TIME_ZONE, q.from, q.to, q.areaId ?? null],
    );
    const totals = rows.filter((r) => r.total).map(toRow);
    const breakdown: IncidentStatisticsBreakdownDto[] = rows
      .filter((r) => !r.total)
      .map((r) => ({ ...toRow(r), source: r.source!, category: r.category }));
    return {
      period: q.period,
      from: q.from,
      to: q.to,
      timeZone: STATISTICS_TIME_ZONE,
      areaId: q.areaId ?? null,
      totals: withEmptyPeriods(q.period, q.from, q.to, totals),
      breakdown,
    };
  }
}
