import { z } from 'zod';
import { SEVERITIES, THRESHOLD_OPERATORS } from './api';
import { DEVICE_KINDS, METRIC_NAME_PATTERN } from './device-kinds';
import { EVENT_TYPES } from './payloads';
import { DEVICE_ID_PATTERN } from './topics';
import { updateSchema } from './update-schema';
import { instant } from './history';
import { INCIDENT_CATEGORIES, ruleDeadlinesSchema } from './incidents';

/** What a message template may name; anything else in braces is refused. */
export const ALERT_MESSAGE_PLACEHOLDERS = ['device', 'metric', 'value', 'threshold', 'unit', 'place'] as const;
export type AlertMessagePlaceholder = (typeof ALERT_MESSAGE_PLACEHOLDERS)[number];

export const ALERT_RANGE_OPERATORS = ['outside', 'inside'] as const;
export type AlertRangeOperator = (typeof ALERT_RANGE_OPERATORS)[number];
export const ALERT_RATE_DIRECTIONS = ['rise', 'fall', 'either'] as const;
export type AlertRateDirection = (typeof ALERT_RATE_DIRECTIONS)[number];
export const ALERT_COMBINES = ['all', 'any'] as const;
export type AlertCombine = (typeof ALERT_COMBINES)[number];
export const ALERT_GROUPINGS = ['device', 'area'] as const;
export type AlertGrouping = (typeof ALERT_GROUPINGS)[number];

export const ALERT_MAX_CONDITIONS = 10;
export const ALERT_MAX_SCOPE_DEVICES = 1000;
export const ALERT_MAX_POLYGON_POINTS = 1000;
/** Events a camera condition may ask for in its window: the evaluator keeps that many times. */
export const ALERT_MAX_EVENT_COUNT = 1000;

const DAY_S = 86_400;

const metric = z.string().regex(METRIC_NAME_PATTERN, 'a metric name: lower_snake_case, starting with a letter, at most 48 characters');
const deviceId = z.string().regex(DEVICE_ID_PATTERN, 'lower-case letters, digits, "-" and "_", at most 64');
/** The same spelling as the area files' ids. */
export const areaIdSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'an area id: lower-case letters, digits and "-", at most 64');
const areaId = areaIdSchema;
const seconds = (min: number, max: number) => z.number().int().min(min).max(max);

const position = z.tuple([z.number().min(-180).max(180), z.number().min(-90).max(90)]);

const scopeSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('all') }),
  z.strictObject({ type: z.literal('deviceKind'), deviceKind: z.enum(DEVICE_KINDS) }),
  z.strictObject({
    type: z.literal('devices'),
    deviceIds: z
      .array(deviceId)
      .min(1, 'at least one device')
      .max(ALERT_MAX_SCOPE_DEVICES, `at most ${ALERT_MAX_SCOPE_DEVICES} devices; scope a kind or an area instead`)
      .refine((ids) => new Set(ids).size === ids.length, 'each device once'),
  }),
  z.strictObject({ type: z.literal('area'), areaId }),
  z.strictObject({
    type: z.literal('polygon'),
    /** One closed ring of [lng, lat], WGS84, as drawn on the map. */
    polygon: z
      .array(position)
      .min(4, 'a closed ring of at least 4 points (a triangle and its first point again)')
      .max(ALERT_MAX_POLYGON_POINTS, `at most ${ALERT_MAX_POLYGON_POINTS} points`)
      .refine((ring) => {
        const [first, last] = [ring[0], ring[ring.length - 1]];
        return first[0] === last[0] && first[1] === last[1];
      }, 'the ring must end on its first point')
      .refine((ring) => new Set(ring.map(([lng, lat]) => `${lng},${lat}`)).size >= 3, 'at least 3 distinct points'),
  }),
]);
export type AlertRuleScope = z.output<typeof scopeSchema>;

const PLACEHOLDER = /\{([^{}]*)\}/g;
const template = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(1000)
  .superRefine((text, ctx) => {
    for (const [, name] of text.matchAll(PLACEHOLDER)) {
      if (!(ALERT_MESSAGE_PLACEHOLDERS as readonly string[]).includes(name)) {
        ctx.addIssue({
          code: 'custom',
          message: `unknown placeholder {${name}}; use ${ALERT_MESSAGE_PLACEHOLDERS.map((p) => `{${p}}`).join(', ')}`,
        });
      }
    }
  });
const messagesSchema = z.strictObject({ vi: template, en: template });
export type AlertRuleMessages = z.output<typeof messagesSchema>;

const forS = seconds(0, DAY_S).default(0);

/** `clear`: the level the value must pass back under the same operator; absent, the threshold itself. */
const comparisonSchema = z
  .strictObject({
    kind: z.literal('threshold'),
    metric,
    operator: z.enum(THRESHOLD_OPERATORS),
    value: z.number(),
    clear: z.number().optional(),
    forS,
  })
  .refine((c) => c.clear === undefined || (c.operator[0] === '>' ? c.clear <= c.value : c.clear >= c.value), {
    path: ['clear'],
    message: 'with > or >= at most value, with < or <= at least value',
  });

/** `clearMargin`: how far back inside (or outside) the range the value must come to clear. */
const rangeSchema = z
  .strictObject({
    kind: z.literal('threshold'),
    metric,
    operator: z.enum(ALERT_RANGE_OPERATORS),
    low: z.number(),
    high: z.number(),
    clearMargin: z.number().min(0).default(0),
    forS,
  })
  .refine((c) => c.low < c.high, { path: ['high'], message: 'must be greater than low' })
  .refine((c) => c.operator === 'inside' || c.low + 2 * c.clearMargin <= c.high, {
    path: ['clearMargin'],
    message: 'outside a range: at most half of high - low, or the alert could never clear',
  });

const thresholdSchema = z.discriminatedUnion('operator', [comparisonSchema, rangeSchema]);

const rateOfChangeSchema = z.strictObject({
  kind: z.literal('rate_of_change'),
  metric,
  windowS: seconds(60, DAY_S),
  /** The least rise (or fall) within the window that fires, in the metric's unit. */
  change: z.number().positive(),
  direction: z.enum(ALERT_RATE_DIRECTIONS),
});

/** Stale: no reading of the metric for `afterS`. */
const noDataSchema = z.strictObject({
  kind: z.literal('no_data'),
  metric,
  afterS: seconds(5, 7 * DAY_S),
});

/** The device's session gone, its last will, or its heartbeat missed, for longer than `afterS`. */
const offlineSchema = z.strictObject({
  kind: z.literal('offline'),
  afterS: seconds(0, DAY_S).default(0),
});

/** At least `count` events of the type, each at least as confident, within `windowS`. */
const cameraEventSchema = z.strictObject({
  kind: z.literal('camera_event'),
  eventType: z.enum(EVENT_TYPES),
  minConfidence: z.number().min(0).max(1).default(0),
  count: z.number().int().min(1).max(ALERT_MAX_EVENT_COUNT).default(1),
  windowS: seconds(1, DAY_S).default(60),
});

export const alertConditionSchema = z.discriminatedUnion('kind', [
  thresholdSchema,
  rateOfChangeSchema,
  noDataSchema,
  offlineSchema,
  cameraEventSchema,
]);
export type AlertConditionInput = z.input<typeof alertConditionSchema>;
export type AlertCondition = z.output<typeof alertConditionSchema>;
export type AlertConditionKind = AlertCondition['kind'];
export type ThresholdCondition = z.output<typeof thresholdSchema>;
export type ComparisonCondition = z.output<typeof comparisonSchema>;
export type RangeCondition = z.output<typeof rangeSchema>;
export type RateOfChangeCondition = z.output<typeof rateOfChangeSchema>;
export type NoDataCondition = z.output<typeof noDataSchema>;
export type OfflineCondition = z.output<typeof offlineSchema>;
export type CameraEventCondition = z.output<typeof cameraEventSchema>;

/** Conditions about silence stand alone: combined with a reading they would mean nothing clear. */
const SOLITARY: readonly AlertConditionKind[] = ['no_data', 'offline'];

const alertRuleFields = {
  name: z.string().trim().min(1, 'must not be empty').max(200),
  severity: z.enum(SEVERITIES),
  scope: scopeSchema,
  conditions: z
    .array(alertConditionSchema)
    .min(1, 'at least one condition')
    .max(ALERT_MAX_CONDITIONS, `at most ${ALERT_MAX_CONDITIONS} conditions`)
    .refine(
      (conditions) => conditions.length === 1 || !conditions.some((c) => SOLITARY.includes(c.kind)),
      'a no_data or offline condition must be the rule\'s only condition',
    ),
  combine: z.enum(ALERT_COMBINES),
  messages: messagesSchema,
  enabled: z.boolean(),
  /** A rule firing again within this many seconds of its clear goes on the same incident. */
  dampingS: seconds(0, DAY_S),
  /** The least time between two notifications of the rule's incident. */
  minNotifyIntervalS: seconds(0, DAY_S),
  /** One incident per device, or one per (rule, area) gathering every device of an area-scoped rule. */
  grouping: z.enum(ALERT_GROUPINGS),
  /** Deadlines of the rule's incidents where they differ from its severity's. */
  deadlines: ruleDeadlinesSchema,
  /** What its incidents are about, for the reports per category. */
  category: z.enum(INCIDENT_CATEGORIES).nullable(),
};

/** Checks that need several fields; the service runs them again on a rule merged with a PATCH. */
function checkRule(
  rule: { scope: AlertRuleScope; conditions: unknown[]; combine?: AlertCombine; grouping: AlertGrouping },
  ctx: z.RefinementCtx,
): void {
  if (rule.grouping === 'area' && rule.scope.type !== 'area') {
    ctx.addIssue({ code: 'custom', path: ['grouping'], message: 'area grouping needs an area scope' });
  }
  if (rule.combine === undefined && rule.conditions.length > 1) {
    ctx.addIssue({ code: 'custom', path: ['combine'], message: 'say "all" or "any" when a rule has several conditions' });
  }
}

/** POST /api/rules */
export const alertRuleSchema = z
  .strictObject({
    ...alertRuleFields,
    severity: alertRuleFields.severity.default('warning'),
    combine: alertRuleFields.combine.optional(),
    enabled: alertRuleFields.enabled.default(true),
    dampingS: alertRuleFields.dampingS.default(300),
    minNotifyIntervalS: alertRuleFields.minNotifyIntervalS.default(0),
    grouping: alertRuleFields.grouping.default('device'),
    deadlines: alertRuleFields.deadlines.default({}),
    category: alertRuleFields.category.default(null),
  })
  .superRefine(checkRule)
  .transform((rule) => ({ ...rule, combine: rule.combine ?? ('any' as const) }));
export type AlertRuleDefinitionInput = z.input<typeof alertRuleSchema>;
export type AlertRuleDefinition = z.output<typeof alertRuleSchema>;

/**
 * PATCH /api/rules/:id — only the fields given change. Checks across fields (area grouping,
 * combine with several conditions) need the whole rule: parse the merged rule with alertRuleSchema.
 */
export const updateAlertRuleSchema = updateSchema(alertRuleFields);
export type UpdateAlertRuleInput = z.input<typeof updateAlertRuleSchema>;
export type UpdateAlertRule = z.output<typeof updateAlertRuleSchema>;

/** GET /api/rules: a rule as it is now. Every change makes a new version; the old ones are kept. */
export type RuleDto = AlertRuleDefinition & {
  id: number;
  version: number;
  createdAt: string;
  /** ISO-8601 of the current version. */
  updatedAt: string;
  /** Who made the current version. */
  updatedBy: string | null;
};

/** GET /api/rules/:id/versions: newest first. */
export interface RuleVersionDto {
  ruleId: number;
  version: number;
  definition: AlertRuleDefinition;
  /** ISO-8601 */
  createdAt: string;
  createdBy: string | null;
}

/** The longest maintenance window: a silence meant to last longer is a rule to disable. */
export const SILENCE_MAX_DAYS = 90;

/**
 * POST /api/silences: a maintenance window. Alerts of what it matches (every field given must
 * match: a rule, a device, an area of the area tree) are recorded but open no incident from
 * `startsAt` (default now) until `endsAt`.
 */
export const createSilenceSchema = z
  .strictObject({
    ruleId: z.number().int().positive().optional(),
    deviceId: deviceId.optional(),
    areaId: areaId.optional(),
    startsAt: instant.optional(),
    endsAt: instant,
    reason: z.string().trim().min(1, 'say why: the operators on shift read it').max(500),
  })
  .refine((s) => s.ruleId !== undefined || s.deviceId !== undefined || s.areaId !== undefined, {
    message: 'name what to silence: ruleId, deviceId or areaId (or several: all must match)',
  })
  .refine((s) => s.startsAt === undefined || Date.parse(s.endsAt) > Date.parse(s.startsAt), {
    path: ['endsAt'],
    message: 'must be after startsAt',
  })
  .refine((s) => Date.parse(s.endsAt) - (s.startsAt === undefined ? Date.now() : Date.parse(s.startsAt)) <= SILENCE_MAX_DAYS * DAY_S * 1000, {
    path: ['endsAt'],
    message: `at most ${SILENCE_MAX_DAYS} days after startsAt (or now)`,
  });
export type CreateSilenceInput = z.input<typeof createSilenceSchema>;
export type CreateSilence = z.output<typeof createSilenceSchema>;

export const SILENCE_STATES = ['pending', 'active', 'expired'] as const;
export type SilenceState = (typeof SILENCE_STATES)[number];

export const listSilencesQuerySchema = z.strictObject({
  state: z.enum(SILENCE_STATES).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});
export type ListSilencesQuery = z.output<typeof listSilencesQuerySchema>;

export interface SilenceDto {
  id: number;
  ruleId: number | null;
  deviceId: string | null;
  areaId: string | null;
  reason: string;
  /** ISO-8601 */
  startsAt: string;
  /** ISO-8601; moved to the time it was ended if ended early. */
  endsAt: string;
  state: SilenceState;
  createdBy: string | null;
  createdAt: string;
  /** Who ended it early; null if it ran its course or runs still. */
  endedBy: string | null;
}
