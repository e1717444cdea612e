import { z } from 'zod';
import { alertRuleSchema } from './alerting';
import { instant } from './history';

/** The longest history one backtest replays. */
export const BACKTEST_MAX_DAYS = 31;
/** Incidents listed in one answer; the count says how many there were in all. */
export const BACKTEST_MAX_INCIDENTS = 5000;

/** POST /api/rules/backtest: a rule draft replayed over stored history, nothing written. */
export const backtestRequestSchema = z
  .strictObject({ rule: alertRuleSchema, from: instant, to: instant })
  .refine((b) => Date.parse(b.from) < Date.parse(b.to), { message: 'from must be before to', path: ['to'] })
  .refine((b) => Date.parse(b.to) - Date.parse(b.from) <= BACKTEST_MAX_DAYS * 86_400_000, {
    message: `at most ${BACKTEST_MAX_DAYS} days`,
    path: ['to'],
  });
export type BacktestRequestInput = z.input<typeof backtestRequestSchema>;
export type BacktestRequest = z.output<typeof backtestRequestSchema>;

/** An incident the rule would have opened. */
export interface BacktestIncidentDto {
  /** Every device that was firing while it was open, in the order they joined. */
  deviceIds: string[];
  /** The area of an area-grouped rule; null for one incident per device. */
  areaId: string | null;
  openedAt: string;
  /** When its last device cleared (after the damping window); null: still firing at `to`. */
  closedAt: string | null;
  /** Open for, up to `to` when still firing. */
  durationS: number;
  /** The value that opened it, where its condition has one. */
  value: number | null;
  /** Times the rule fired in it: more than one when it re-fired within the damping window. */
  fires: number;
}

export interface BacktestResultDto {
  from: string;
  to: string;
  /** Devices in the rule's scope. */
  devices: number;
  /** Samples, events and status changes replayed. */
  inputs: number;
  /** How many incidents in all; `incidents` holds the first BACKTEST_MAX_INCIDENTS by opening time. */
  incidentCount: number;
  incidents: BacktestIncidentDto[];
  tookMs: number;
}
