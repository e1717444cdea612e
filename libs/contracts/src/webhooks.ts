import { z } from 'zod';
import { SEVERITIES, type Severity } from './api';
import { INCIDENT_SOURCES, type IncidentSource, type IncidentStep } from './incidents';
import { updateSchema } from './update-schema';

/** The payload shapes a subscription receives: PagerDuty's Events API v2, Alertmanager's webhook (version 4). */
export const WEBHOOK_FORMATS = ['pagerduty', 'alertmanager'] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

/** PagerDuty's three event actions; an Alertmanager receiver gets firing, firing and resolved. */
export const WEBHOOK_EVENTS = ['trigger', 'acknowledge', 'resolve'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/**
 * The incident steps that leave as webhooks; no other step is sent. `closed` is not: the
 * lifecycle closes only a resolved incident, whose resolve has already gone out.
 */
export const WEBHOOK_EVENT_OF_STEP: Partial<Record<IncidentStep, WebhookEvent>> = {
  opened: 'trigger',
  reopened: 'trigger',
  acknowledged: 'acknowledge',
  resolved: 'resolve',
  /** A report rejected or merged into another is over too: whatever it opened on the receiver's side must end. */
  rejected: 'resolve',
  merged: 'resolve',
};

export const WEBHOOK_DELIVERY_STATUSES = ['pending', 'delivered', 'dead'] as const;
export type WebhookDeliveryStatus = (typeof WEBHOOK_DELIVERY_STATUSES)[number];

/** Headers of every delivery (docs/webhooks.md says how a receiver checks them). */
export const WEBHOOK_HEADERS = {
  /** Unix seconds when the request was signed. */
  timestamp: 'x-ioc-timestamp',
  /** `v1=<hex HMAC-SHA256(secret, timestamp + "." + body)>`. */
  signature: 'x-ioc-signature',
  /** The delivery's id, the same on every attempt: a receiver drops one it has already taken. */
  delivery: 'x-ioc-delivery',
  event: 'x-ioc-event',
} as const;

/** How old a signed timestamp a receiver should accept, in seconds: older ones may be replays. */
export const WEBHOOK_SIGNATURE_TOLERANCE_S = 300;

/** A list of at most `max` values, none twice. */
export const distinct = <T extends z.ZodType>(item: T, max: number) =>
  z
    .array(item)
    .max(max)
    .refine((values) => new Set(values).size === values.length, 'each value once');

const subscriptionFields = {
  name: z.string().trim().min(1, 'must not be empty').max(200),
  url: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).max(2000),
  format: z.enum(WEBHOOK_FORMATS),
  /** PagerDuty's integration key of the service (`routing_key`); only with format pagerduty. */
  routingKey: z.string().trim().min(1).max(200).nullable(),
  /** Only incidents of these severities; empty: any. */
  severities: distinct(z.enum(SEVERITIES), SEVERITIES.length),
  /** Only incidents in one of these areas (an area's own id, its parents included); empty: any. */
  areaIds: distinct(z.string().min(1).max(100), 100),
  /** Only incidents from these sources; empty: any. */
  sources: distinct(z.enum(INCIDENT_SOURCES), INCIDENT_SOURCES.length),
  /** Which events to send. */
  events: distinct(z.enum(WEBHOOK_EVENTS), WEBHOOK_EVENTS.length).min(1, 'name at least one of trigger, acknowledge, resolve'),
  enabled: z.boolean(),
};

/** POST /api/webhooks: answers the subscription with its signing secret, the only time it is shown. */
export const createWebhookSchema = z.strictObject({
  ...subscriptionFields,
  routingKey: subscriptionFields.routingKey.default(null),
  severities: subscriptionFields.severities.default([]),
  areaIds: subscriptionFields.areaIds.default([]),
  sources: subscriptionFields.sources.default([]),
  events: subscriptionFields.events.default([...WEBHOOK_EVENTS]),
  enabled: subscriptionFields.enabled.default(true),
});
export type CreateWebhookInput = z.input<typeof createWebhookSchema>;
export type CreateWebhook = z.output<typeof createWebhookSchema>;

/** PATCH /api/webhooks/:id: only the fields given change. */
export const updateWebhookSchema = updateSchema(subscriptionFields);
export type UpdateWebhookInput = z.input<typeof updateWebhookSchema>;
export type UpdateWebhook = z.output<typeof updateWebhookSchema>;

/** A subscription as the API shows it: never its secret, except once in WebhookWithSecretDto. */
export interface WebhookDto {
  id: number;
  name: string;
  url: string;
  format: WebhookFormat;
  routingKey: string | null;
  severities: Severity[];
  areaIds: string[];
  sources: IncidentSource[];
  events: WebhookEvent[];
  enabled: boolean;
  /** ISO-8601 */
  createdAt: string;
  createdBy: string | null;
  updatedAt: string;
  updatedBy: string | null;
  /** When the signing secret was last made (creation or rotation). */
  secretIssuedAt: string;
}

/** POST /api/webhooks and POST /api/webhooks/:id/rotate-secret: the new secret, shown this once. */
export interface WebhookWithSecretDto extends WebhookDto {
  secret: string;
}

/** One notification to one subscription, with how its delivery went. */
export interface WebhookDeliveryDto {
  id: number;
  subscriptionId: number;
  incidentId: number;
  event: WebhookEvent;
  status: WebhookDeliveryStatus;
  attempts: number;
  /** ISO-8601 */
  createdAt: string;
  /** pending: when the next attempt is due (or, while one is under way, when it is given up on). */
  nextAttemptAt: string | null;
  lastAttemptAt: string | null;
  /** The receiver's HTTP status of the last attempt; null: no answer (refused, timed out) or none yet. */
  lastStatusCode: number | null;
  lastError: string | null;
  deliveredAt: string | null;
  /** The body as rendered when the incident changed (PagerDuty's routing_key is added when sent). */
  payload: Record<string, unknown>;
}

export interface WebhookDeliveryPageDto {
  /** Newest first. */
  items: WebhookDeliveryDto[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

/** GET /api/webhooks/:id/deliveries */
export const listWebhookDeliveriesQuerySchema = z.strictObject({
  status: z.enum(WEBHOOK_DELIVERY_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().regex(/^[1-9]\d{0,17}$/, 'must be a nextCursor from a previous page').optional(),
});
export type ListWebhookDeliveriesQuery = z.output<typeof listWebhookDeliveriesQuerySchema>;
