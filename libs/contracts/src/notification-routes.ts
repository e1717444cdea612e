import { z } from 'zod';
import { SEVERITIES, type Severity } from './api';
import { ROLES, type Role } from './auth';
import { INCIDENT_CATEGORIES, INCIDENT_SOURCES, type IncidentCategory, type IncidentSource, type IncidentStep } from './incidents';
import { updateSchema } from './update-schema';
import { distinct, WEBHOOK_DELIVERY_STATUSES, type WebhookDeliveryStatus } from './webhooks';

/** The incident changes people can be emailed of. */
export const ROUTED_STEPS = [
  'opened',
  'reopened',
  'acknowledged',
  'dispatched',
  'on_site',
  'resolved',
  'closed',
  'comment',
  'deadline_breached',
  'escalated',
  'rejected',
  'merged',
] as const satisfies readonly IncidentStep[];
export type RoutedStep = (typeof ROUTED_STEPS)[number];

/**
 * Why people are emailed without a route: the field users of the team an incident is dispatched
 * to are told of the dispatch, and the users of the roles an escalation step names are told of it.
 */
export const EMAIL_RULES = ['dispatched_team', 'escalation'] as const;
export type EmailRule = (typeof EMAIL_RULES)[number];

export type EmailDeliveryStatus = WebhookDeliveryStatus;

const routeFields = {
  name: z.string().trim().min(1, 'must not be empty').max(200),
  /** Which changes. */
  steps: distinct(z.enum(ROUTED_STEPS), ROUTED_STEPS.length).min(1, `name at least one of ${ROUTED_STEPS.join(', ')}`),
  /** Only incidents of these severities; empty: any. */
  severities: distinct(z.enum(SEVERITIES), SEVERITIES.length),
  /** Only incidents in one of these areas (an area's own id, its parents included); empty: any. */
  areaIds: distinct(z.string().min(1).max(100), 100),
  /** Only incidents from these sources; empty: any. */
  sources: distinct(z.enum(INCIDENT_SOURCES), INCIDENT_SOURCES.length),
  /** Only incidents of these categories; empty: any (an incident without a category too). */
  categories: distinct(z.enum(INCIDENT_CATEGORIES), INCIDENT_CATEGORIES.length),
  /** Who is told: the users of these roles ... */
  roles: distinct(z.enum(ROLES), ROLES.length),
  /** ... and the users of these teams. */
  teamIds: distinct(z.number().int().positive(), 100),
  enabled: z.boolean(),
};

const NOBODY = 'name at least one role or team to tell';

/** POST /api/notification-routes (admin, supervisor) */
export const createNotificationRouteSchema = z
  .strictObject({
    ...routeFields,
    severities: routeFields.severities.default([]),
    areaIds: routeFields.areaIds.default([]),
    sources: routeFields.sources.default([]),
    categories: routeFields.categories.default([]),
    roles: routeFields.roles.default([]),
    teamIds: routeFields.teamIds.default([]),
    enabled: routeFields.enabled.default(true),
  })
  .refine((r) => r.roles.length + r.teamIds.length > 0, { path: ['roles'], message: NOBODY });
export type CreateNotificationRouteInput = z.input<typeof createNotificationRouteSchema>;
export type CreateNotificationRoute = z.output<typeof createNotificationRouteSchema>;

/** PATCH /api/notification-routes/:id: only the fields given change; the whole must still tell someone. */
export const updateNotificationRouteSchema = updateSchema(routeFields);
export type UpdateNotificationRouteInput = z.input<typeof updateNotificationRouteSchema>;
export type UpdateNotificationRoute = z.output<typeof updateNotificationRouteSchema>;

/** Said by the API when a patched route would tell nobody. */
export const NOTIFICATION_ROUTE_NOBODY = NOBODY;

export interface NotificationRouteDto {
  id: number;
  name: string;
  steps: RoutedStep[];
  severities: Severity[];
  areaIds: string[];
  sources: IncidentSource[];
  categories: IncidentCategory[];
  roles: Role[];
  teamIds: number[];
  enabled: boolean;
  /** ISO-8601 */
  createdAt: string;
  createdBy: string | null;
  updatedAt: string;
  updatedBy: string | null;
}

/** One email about one incident change to one address, with how its delivery went. */
export interface EmailDeliveryDto {
  id: number;
  incidentId: number;
  step: IncidentStep;
  /** null once the user is deleted. */
  userId: number | null;
  to: string;
  /** Why: the routes that matched, and the rules. */
  routeIds: number[];
  rules: EmailRule[];
  subject: string;
  status: EmailDeliveryStatus;
  attempts: number;
  /** ISO-8601 */
  createdAt: string;
  /** pending: when the next attempt is due (or, while one is under way, when it is given up on). */
  nextAttemptAt: string | null;
  lastAttemptAt: string | null;
  /** The SMTP server's reply code to the last attempt; null: no reply (refused, timed out) or none yet. */
  lastStatusCode: number | null;
  lastError: string | null;
  deliveredAt: string | null;
}

export interface EmailDeliveryPageDto {
  /** Newest first. */
  items: EmailDeliveryDto[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

/** GET /api/notification-routes/deliveries */
export const listEmailDeliveriesQuerySchema = z.strictObject({
  status: z.enum(WEBHOOK_DELIVERY_STATUSES).optional(),
  incidentId: z.coerce.number().int().positive().optional(),
  /** Those a route matched. */
  routeId: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().regex(/^[1-9]\d{0,17}$/, 'must be a nextCursor from a previous page').optional(),
});
export type ListEmailDeliveriesQuery = z.output<typeof listEmailDeliveriesQuerySchema>;
