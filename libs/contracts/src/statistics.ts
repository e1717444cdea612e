import { z } from 'zod';
import { areaIdSchema } from './alerting';
import type { IncidentCategory, IncidentSource } from './incidents';

/** Days, weeks (Monday first) and months are those of Asia/Ho_Chi_Minh. */
export const STATISTICS_TIME_ZONE = 'Asia/Ho_Chi_Minh';
export const STATISTICS_PERIODS = ['week', 'month'] as const;
export type StatisticsPeriod = (typeof STATISTICS_PERIODS)[number];
/** The longest range one report covers. */
export const STATISTICS_MAX_DAYS = 400;

const localDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date as YYYY-MM-DD')
  .refine((s) => !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s), 'must be a real date');

const dayNumber = (s: string) => Date.parse(`${s}T00:00:00Z`) / 86_400_000;

/**
 * GET /api/statistics/incidents: how the province responds, per week or month, for incidents
 * created from the first day to the last (both included, days of Asia/Ho_Chi_Minh).
 */
export const incidentStatisticsQuerySchema = z
  .strictObject({
    period: z.enum(STATISTICS_PERIODS).default('week'),
    from: localDate,
    to: localDate,
    /** Only incidents in that area (its own id). */
    areaId: areaIdSchema.optional(),
    format: z.enum(['json', 'csv']).optional(),
  })
  .superRefine((q, ctx) => {
    const days = dayNumber(q.to) - dayNumber(q.from);
    if (days < 0) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must not be before from' });
    if (days >= STATISTICS_MAX_DAYS) ctx.addIssue({ code: 'custom', path: ['to'], message: `at most ${STATISTICS_MAX_DAYS} days after from` });
  });
export type IncidentStatisticsQuery = z.output<typeof incidentStatisticsQuerySchema>;

/** Seconds; null: nothing to measure. Continuous percentiles (interpolated between the two nearest). */
export interface PercentilesDto {
  p50: number | null;
  p90: number | null;
}

/** Due times met and breached; incidents without that deadline, or not yet due, count in neither. */
export interface DeadlineCountDto {
  met: number;
  breached: number;
}

export interface IncidentStatisticsRowDto {
  /** The period's first day, YYYY-MM-DD. */
  periodStart: string;
  incidents: number;
  acknowledged: number;
  resolved: number;
  /** From creation to acknowledgement, and to resolution. */
  timeToAcknowledgeS: PercentilesDto;
  timeToResolveS: PercentilesDto;
  acknowledgeDeadline: DeadlineCountDto;
  resolveDeadline: DeadlineCountDto;
  /** Citizens' ratings (1-5) of the incidents they reported. */
  satisfaction: { ratings: number; average: number | null };
}

export interface IncidentStatisticsBreakdownDto extends IncidentStatisticsRowDto {
  source: IncidentSource;
  /** null: a rule that names no category. */
  category: IncidentCategory | null;
}

export interface IncidentStatisticsDto {
  period: StatisticsPeriod;
  from: string;
  to: string;
  timeZone: typeof STATISTICS_TIME_ZONE;
  areaId: string | null;
  /** One per period from the one holding `from` to the one holding `to`, empty ones included. */
  totals: IncidentStatisticsRowDto[];
  /** Per period, source and category, for those with incidents. */
  breakdown: IncidentStatisticsBreakdownDto[];
}
