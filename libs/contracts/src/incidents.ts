import { z } from 'zod';
import { SEVERITIES, type Severity } from './api';
import { ROLES, type Role } from './auth';
import { DEVICE_ID_PATTERN } from './topics';
import { instant } from './history';

/** What opened an incident: a rule firing, a citizen's field report, or an operator (a hotline call). */
export const INCIDENT_SOURCES = ['rule', 'citizen', 'manual'] as const;
export type IncidentSource = (typeof INCIDENT_SOURCES)[number];

/** What citizens may report (POST /api/reports). */
export const CITIZEN_CATEGORIES = ['flooding', 'fallen_tree', 'broken_street_light', 'traffic_accident', 'pollution', 'illegal_dumping', 'other'] as const;
/** What an incident is about, for the reports per category: the citizens' categories and what the sensors see. */
export const INCIDENT_CATEGORIES = [...CITIZEN_CATEGORIES, 'salinity', 'air_quality', 'device_fault'] as const;
export type IncidentCategory = (typeof INCIDENT_CATEGORIES)[number];

/** open -> acknowledged -> dispatched (to a team) -> resolved -> closed. */
export const INCIDENT_STATES = ['open', 'acknowledged', 'dispatched', 'resolved', 'closed'] as const;
export type IncidentState = (typeof INCIDENT_STATES)[number];

/**
 * What people do to an incident: POST /api/incidents/:id/{action}. `reject` and `merge` triage a
 * report: rejected with a reason the citizen sees, or merged into an active incident nearby.
 */
export const INCIDENT_ACTIONS = ['acknowledge', 'dispatch', 'resolve', 'close', 'comment', 'reject', 'merge'] as const;
export type IncidentAction = (typeof INCIDENT_ACTIONS)[number];

/** Who may call each action route. Field users act only on incidents dispatched to their own team. */
export const INCIDENT_ACTION_ROLES: Record<IncidentAction, Role[]> = {
  acknowledge: ['admin', 'supervisor', 'operator', 'field'],
  dispatch: ['admin', 'supervisor', 'operator'],
  resolve: ['admin', 'supervisor', 'operator', 'field'],
  close: ['admin', 'supervisor', 'operator'],
  comment: ['admin', 'supervisor', 'operator', 'field'],
  reject: ['admin', 'supervisor', 'operator'],
  merge: ['admin', 'supervisor', 'operator'],
};

/** The incidents that can be merged into another: those people reported. Only a citizen's report can be rejected. */
export const MERGEABLE_SOURCES: readonly IncidentSource[] = ['citizen', 'manual'];

/** One line of an incident's timeline. Steps without an actor are the system's (rules, escalation). */
export const INCIDENT_STEPS = [
  'opened',
  /** The rule fired again for the same device while the incident was active. */
  'alert_opened',
  /** Area grouping: another device of the area fired, or one that had cleared fired again. */
  'device_joined',
  /** Area grouping: a device's condition cleared while others of the area still fire. */
  'device_left',
  /** The rule fired again within its damping window after people resolved the incident. */
  'reopened',
  /** The rule's condition cleared; the incident stays until people resolve and close it. */
  'alert_resolved',
  'acknowledged',
  'dispatched',
  /** A field user of the dispatched team acknowledged on site. */
  'on_site',
  'resolved',
  'closed',
  'comment',
  /** Nobody acknowledged, or resolved, it by its due time. */
  'deadline_breached',
  /** Still unacknowledged past a step of its severity's escalation policy: its roles are told. */
  'escalated',
  /** A citizen's report turned down; the note is the reason the citizen sees. The incident is closed. */
  'rejected',
  /** Merged into the incident `relatedIncidentId` (the same problem, reported again); this one is closed. */
  'merged',
  /** The incident `relatedIncidentId` was merged into this one. */
  'report_joined',
  /** A photo (`photo`): a citizen's with their report, or a field team's before or after the work. */
  'photo_added',
] as const;
export type IncidentStep = (typeof INCIDENT_STEPS)[number];

export interface IncidentTransition {
  from: readonly IncidentState[];
  /** null: the state stays. */
  to: IncidentState | null;
  step: IncidentStep;
}

/**
 * The lifecycle as data, for the operations room and for field teams. The server decides with it
 * (libs/alerting) and the console shows only the buttons it allows.
 */
export const INCIDENT_TRANSITIONS: Record<'operations' | 'field', Partial<Record<IncidentAction, IncidentTransition>>> = {
  operations: {
    acknowledge: { from: ['open'], to: 'acknowledged', step: 'acknowledged' },
    dispatch: { from: ['acknowledged', 'dispatched'], to: 'dispatched', step: 'dispatched' },
    resolve: { from: ['acknowledged', 'dispatched'], to: 'resolved', step: 'resolved' },
    close: { from: ['resolved'], to: 'closed', step: 'closed' },
    comment: { from: ['open', 'acknowledged', 'dispatched', 'resolved'], to: null, step: 'comment' },
    /** Triage, before a team is sent: once dispatched, the team resolves it and says what it found. */
    reject: { from: ['open', 'acknowledged'], to: 'closed', step: 'rejected' },
    merge: { from: ['open', 'acknowledged'], to: 'closed', step: 'merged' },
  },
  field: {
    /** Once per dispatch: the team is on site; the state stays dispatched. */
    acknowledge: { from: ['dispatched'], to: null, step: 'on_site' },
    resolve: { from: ['dispatched'], to: 'resolved', step: 'resolved' },
    comment: { from: ['dispatched', 'resolved'], to: null, step: 'comment' },
  },
};

export interface IncidentDto {
  id: number;
  /** null once the rule is deleted. */
  ruleId: number | null;
  /** The version of the rule that opened it. */
  ruleVersion: number | null;
  /** The alert that opened the incident. */
  alertId: number | null;
  source: IncidentSource;
  /** null: a rule that names none. */
  category: IncidentCategory | null;
  /** What people reported (citizen and manual incidents). */
  description: string | null;
  /** Where it is: the place reported; null for a device's incident (the device says where). */
  location: { lat: number; lng: number } | null;
  /** Who to call back about it (manual and citizen incidents); shown only to those who see the incident. */
  reporterPhone: string | null;
  /** Who opened it by hand; null: a rule or a citizen. */
  createdBy: string | null;
  /** The device whose alert opened it; null for an incident people reported. */
  deviceId: string | null;
  /** Every device the incident gathers, the opener first (area grouping: all devices of the area that fired). */
  deviceIds: string[];
  /** Area grouping: the rule's area, one incident for all of its devices; null: one device's incident. */
  groupAreaId: string | null;
  /** The areas the device was in when the incident opened. */
  areaIds: string[];
  severity: Severity;
  title: string;
  state: IncidentState;
  /** Whether the rule's condition is still breached; an incident outlives its alert. */
  alertActive: boolean;
  /** The team it is dispatched to. */
  teamId: number | null;
  teamName: string | null;
  /** 0; then each step of its severity's escalation policy reached while it stays unacknowledged. */
  escalationLevel: number;
  /** ISO-8601: when it must be acknowledged by, and resolved by; null: no such deadline. */
  acknowledgeDueAt: string | null;
  resolveDueAt: string | null;
  /** ISO-8601: the due time that passed without it; null: met, or not due yet. */
  acknowledgeBreachedAt: string | null;
  resolveBreachedAt: string | null;
  /** ISO-8601: when the rule's condition began. */
  openedAt: string;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  dispatchedAt: string | null;
  dispatchedBy: string | null;
  onSiteAt: string | null;
  onSiteBy: string | null;
  resolvedAt: string | null;
  resolvedBy: string | null;
  closedAt: string | null;
  closedBy: string | null;
  escalatedAt: string | null;
  /** Merged into that incident (closed with it as its outcome); null: not merged. */
  mergedIntoId: number | null;
  /** Why a citizen's report was rejected (closed without a resolve); null: not rejected. */
  rejectionReason: string | null;
  /** ISO-8601 of the last change of any kind, timeline included: what `updatedSince` compares. */
  updatedAt: string;
}

export interface IncidentTimelineEntryDto {
  id: number;
  /** ISO-8601 */
  at: string;
  step: IncidentStep;
  /** null: the system (a rule, the escalation timer). */
  actor: { id: number | null; username: string } | null;
  note: string | null;
  /** dispatched: the team. */
  teamId: number | null;
  teamName: string | null;
  /** opened, alert_opened, alert_resolved, device_joined, device_left, reopened: the alert, its device and the value that opened it. */
  alertId: number | null;
  deviceId: string | null;
  value: number | null;
  /** escalated: the new level. */
  level: number | null;
  /** deadline_breached: which due time passed. */
  deadline: Deadline | null;
  /** escalated: the roles told. */
  notifyRoles: Role[] | null;
  /** merged: the incident it went into; report_joined: the incident that came in. */
  relatedIncidentId: number | null;
  /** photo_added: the photo, at GET /api/incidents/:id/photos/:photoId (a merged report's photos under the incident it went into too). */
  photo: { id: number; phase: PhotoPhase | null } | null;
}

export interface IncidentDetailDto extends IncidentDto {
  /** Oldest first. */
  timeline: IncidentTimelineEntryDto[];
}

export interface IncidentPageDto {
  /** Newest first. */
  items: IncidentDto[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

/** incident:opened and incident:updated: the incident as it is now and the step that changed it. */
export interface IncidentEventDto {
  incident: IncidentDto;
  entry: IncidentTimelineEntryDto;
  /**
   * Whether people should be told (a sound, a notification): an incident opened, reopened,
   * dispatched or escalated, or its rule firing again once its minimum notify interval has passed.
   */
  notify: boolean;
}

const listOf = <T extends readonly [string, ...string[]]>(values: T) =>
  z
    .string()
    .transform((s) => s.split(',').map((v) => v.trim()))
    .pipe(z.array(z.enum(values, { error: `each must be one of ${values.join(', ')}` })));

/** GET /api/incidents. A reconnecting console catches up with `updatedSince`. */
export const listIncidentsQuerySchema = z.strictObject({
  /** Comma-separated, e.g. `open,acknowledged,dispatched`. */
  state: listOf(INCIDENT_STATES).optional(),
  severity: listOf(SEVERITIES).optional(),
  source: listOf(INCIDENT_SOURCES).optional(),
  category: listOf(INCIDENT_CATEGORIES).optional(),
  /** Incidents of devices in that area (the area's own id, not its parent's). */
  areaId: z.string().min(1).max(100).optional(),
  teamId: z.coerce.number().int().positive().optional(),
  deviceId: z.string().regex(DEVICE_ID_PATTERN).optional(),
  /** Opened at or after. */
  from: instant.optional(),
  /** Opened before. */
  to: instant.optional(),
  /** Changed (any step, timeline included) at or after. */
  updatedSince: instant.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().regex(/^[1-9]\d{0,17}$/, 'must be a nextCursor from a previous page').optional(),
});
export type ListIncidentsQuery = z.output<typeof listIncidentsQuerySchema>;

const note = z.string().trim().min(1, 'must not be empty').max(2000);

/** A Vietnamese phone number, spaces, dots and dashes dropped. */
export const phoneSchema = z
  .string()
  .trim()
  .transform((s) => s.replace(/[\s.-]/g, ''))
  .pipe(z.string().regex(/^(\+84|0)\d{9,10}$/, 'a Vietnamese phone number: 0 or +84 and 9 to 10 digits'));

/** A place in or near the pilot (WGS84). */
export const locationSchema = z.strictObject({ lat: z.number().min(-90).max(90), lng: z.number().min(-180).max(180) });

/**
 * POST /api/incidents: an incident opened by hand (a hotline call): the same lifecycle, deadlines
 * and areas (from the place) as any other.
 */
export const createIncidentSchema = z.strictObject({
  title: z.string().trim().min(1, 'must not be empty').max(200),
  severity: z.enum(SEVERITIES).default('warning'),
  category: z.enum(INCIDENT_CATEGORIES),
  description: z.string().trim().min(1, 'must not be empty').max(4000).optional(),
  location: locationSchema,
  /** A device the caller names, if any. */
  deviceId: z.string().regex(DEVICE_ID_PATTERN).optional(),
  reporterPhone: phoneSchema.optional(),
});
export type CreateIncident = z.output<typeof createIncidentSchema>;

/** POST /api/incidents/:id/acknowledge (a field user: on site) */
export const acknowledgeIncidentSchema = z.strictObject({ note: note.optional() });
/** POST /api/incidents/:id/dispatch */
export const dispatchIncidentSchema = z.strictObject({ teamId: z.number().int().positive(), note: note.optional() });
/** POST /api/incidents/:id/resolve: what was done. */
export const resolveIncidentSchema = z.strictObject({ note });
/** POST /api/incidents/:id/close */
export const closeIncidentSchema = z.strictObject({ note: note.optional() });
/** POST /api/incidents/:id/comment */
export const commentIncidentSchema = z.strictObject({ note });
/** POST /api/incidents/:id/reject: why, in words the citizen will read on the tracking page. */
export const rejectIncidentSchema = z.strictObject({ reason: note });
/** POST /api/incidents/:id/merge: the active incident nearby that this report repeats. */
export const mergeIncidentSchema = z.strictObject({ incidentId: z.number().int().positive(), note: note.optional() });

export type AcknowledgeIncident = z.output<typeof acknowledgeIncidentSchema>;
export type DispatchIncident = z.output<typeof dispatchIncidentSchema>;
export type ResolveIncident = z.output<typeof resolveIncidentSchema>;
export type CloseIncident = z.output<typeof closeIncidentSchema>;
export type CommentIncident = z.output<typeof commentIncidentSchema>;
export type RejectIncident = z.output<typeof rejectIncidentSchema>;
export type MergeIncident = z.output<typeof mergeIncidentSchema>;
/** The body of any action: a note, and for dispatch the team. */
export type IncidentActionInput = { note?: string; teamId?: number };

/** When a field team took a photo: before the work or after it. A citizen's photo has none. */
export const PHOTO_PHASES = ['before', 'after'] as const;
export type PhotoPhase = (typeof PHOTO_PHASES)[number];

/** What an incident must reach in time: an acknowledgement, and a resolution. */
export const DEADLINES = ['acknowledge', 'resolve'] as const;
export type Deadline = (typeof DEADLINES)[number];

const DAY_S = 86_400;
/** A deadline in seconds; null: none. */
const deadlineSeconds = z.number().int().min(1).max(30 * DAY_S).nullable();

/** One step of an escalation: `afterS` past the acknowledge deadline, the roles are told and the level goes up by one. */
export const escalationStepSchema = z.strictObject({
  afterS: z.number().int().min(0).max(7 * DAY_S),
  notifyRoles: z.array(z.enum(ROLES)).min(1).max(ROLES.length),
});
export type EscalationStep = z.output<typeof escalationStepSchema>;

export const ESCALATION_MAX_STEPS = 5;

/**
 * PUT /api/deadline-policies/:severity: the deadlines of that severity's incidents, and who is
 * told while one stays unacknowledged. Applies to incidents opened afterwards; the escalation
 * steps apply at once to every open incident of the severity.
 */
export const deadlinePolicySchema = z
  .strictObject({
    acknowledgeS: deadlineSeconds,
    resolveS: deadlineSeconds,
    escalation: z.array(escalationStepSchema).max(ESCALATION_MAX_STEPS, `at most ${ESCALATION_MAX_STEPS} steps`),
  })
  .superRefine((p, ctx) => {
    if (p.escalation.length > 0 && p.acknowledgeS === null) {
      ctx.addIssue({ code: 'custom', path: ['escalation'], message: 'escalation counts from the acknowledge deadline: set acknowledgeS' });
    }
    p.escalation.forEach((step, i) => {
      if (i > 0 && step.afterS <= p.escalation[i - 1].afterS) {
        ctx.addIssue({ code: 'custom', path: ['escalation', i, 'afterS'], message: 'each step must come after the one before' });
      }
    });
  });
export type DeadlinePolicy = z.output<typeof deadlinePolicySchema>;

/** GET /api/deadline-policies: one per severity (defaults: critical 5 min / 4 h, warning 30 min / 24 h, info none). */
export type DeadlinePolicyDto = DeadlinePolicy & {
  severity: Severity;
  /** ISO-8601 */
  updatedAt: string;
  updatedBy: string | null;
};

/**
 * A rule's own deadlines, over its severity's: a field left out takes the severity's, null means
 * none. The escalation steps stay the severity's, counted from the rule's acknowledge deadline.
 */
export const ruleDeadlinesSchema = z.strictObject({
  acknowledgeS: deadlineSeconds.optional(),
  resolveS: deadlineSeconds.optional(),
});
export type RuleDeadlines = z.output<typeof ruleDeadlinesSchema>;
