import { Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import type {
  CreateWebhook,
  IncidentSource,
  ListWebhookDeliveriesQuery,
  Severity,
  WebhookDeliveryDto,
  WebhookDeliveryPageDto,
  WebhookDeliveryStatus,
  WebhookDto,
  WebhookEvent,
  WebhookFormat,
} from '@ioc/contracts';
import { Database } from '@ioc/database';
import { OutboxTable, type AttemptOutcome, type ClaimedItem, type OutboxQueue } from '../outbox/outbox-table';
import type { WebhookBody } from './webhook-payloads';

interface SubscriptionRow {
  id: string;
  name: string;
  url: string;
  format: WebhookFormat;
  routing_key: string | null;
  severities: Severity[];
  area_ids: string[];
  sources: IncidentSource[];
  events: WebhookEvent[];
  enabled: boolean;
  created_at: Date;
  created_by: string | null;
  updated_at: Date;
  updated_by: string | null;
  secret_issued_at: Date;
}

interface DeliveryRow {
  id: string;
  subscription_id: string;
  incident_id: string;
  event: WebhookEvent;
  status: WebhookDeliveryStatus;
  attempts: number;
  created_at: Date;
  next_attempt_at: Date;
  last_attempt_at: Date | null;
  last_status_code: number | null;
  last_error: string | null;
  delivered_at: Date | null;
  payload: WebhookBody;
}

/** A delivery taken by this node for one attempt, with where and how to send it. */
export interface ClaimedDelivery extends ClaimedItem {
  subscriptionId: number;
  incidentId: number;
  event: WebhookEvent;
  payload: WebhookBody;
  url: string;
  format: WebhookFormat;
  routingKey: string | null;
  secret: string;
}

/** One change to enqueue: the filters' facts and the body rendered for each format. */
export interface OutboxEntry {
  incidentId: number;
  entryId: number;
  event: WebhookEvent;
  severity: Severity;
  areaIds: string[];
  source: IncidentSource;
  payloads: Record<WebhookFormat, WebhookBody>;
}

const SUBSCRIPTION_COLUMNS = `id, name, url, format, routing_key, severities, area_ids, sources, events, enabled,
  created_at, created_by, updated_at, updated_by, secret_issued_at`;
const DELIVERY_COLUMNS = `id, subscription_id, incident_id, event, status, attempts, created_at, next_attempt_at, last_attempt_at,
  last_status_code, last_error, delivered_at, payload`;
const iso = (d: Date | null) => d?.toISOString() ?? null;

const toSubscription = (r: SubscriptionRow): WebhookDto => ({
  id: Number(r.id),
  name: r.name,
  url: r.url,
  format: r.format,
  routingKey: r.routing_key,
  severities: r.severities,
  areaIds: r.area_ids,
  sources: r.sources,
  events: r.events,
  enabled: r.enabled,
  createdAt: r.created_at.toISOString(),
  createdBy: r.created_by,
  updatedAt: r.updated_at.toISOString(),
  updatedBy: r.updated_by,
  secretIssuedAt: r.secret_issued_at.toISOString(),
});

const toDelivery = (r: DeliveryRow): WebhookDeliveryDto => ({
  id: Number(r.id),
  subscriptionId: Number(r.subscription_id),
  incidentId: Number(r.incident_id),
  event: r.event,
  status: r.status,
  attempts: r.attempts,
  createdAt: r.created_at.toISOString(),
  nextAttemptAt: r.status === 'pending' ? r.next_attempt_at.toISOString() : null,
  lastAttemptAt: iso(r.last_attempt_at),
  lastStatusCode: r.last_status_code,
  lastError: r.last_error,
  deliveredAt: iso(r.delivered_at),
  payload: r.payload,
});

/** Webhook subscriptions and their outbox; the only writer of both tables. */
@Injectable()
export class WebhooksRepository implements OutboxQueue<ClaimedDelivery> {
  private readonly outbox: OutboxTable<ClaimedDelivery>;

  constructor(private readonly db: Database) {
    this.outbox = new OutboxTable(db, 'webhook_deliveries');
  }

  async list(): Promise<WebhookDto[]> {
    const { rows } = await this.db.pool.query<SubscriptionRow>(`SELECT ${SUBSCRIPTION_COLUMNS} FROM webhook_subscriptions ORDER BY id`);
    return rows.map(toSubscription);
  }

  async find(id: number): Promise<WebhookDto | null> {
    const { rows } = await this.db.pool.query<SubscriptionRow>(`SELECT ${SUBSCRIPTION_COLUMNS} FROM webhook_subscriptions WHERE id = $1`, [id]);
    return rows[0] ? toSubscription(rows[0]) : null;
  }

  async insert(s: CreateWebhook, secret: string, by: string): Promise<WebhookDto> {
    const { rows } = await this.db.pool.query<SubscriptionRow>(
      `INSERT INTO webhook_subscriptions (name, url, format, routing_key, secret, severities, area_ids, sources, events, enabled, created_by, updated_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)
       RETURNING ${SUBSCRIPTION_COLUMNS}`,
      [s.name, s.url, s.format, s.routingKey, secret, s.severities, s.areaIds, s.sources, s.events, s.enabled, by],
    );
    return toSubscription(rows[0]);
  }

  /** null: no such subscription. */
  async update(id: number, s: CreateWebhook, by: string): Promise<WebhookDto | null> {
    const { rows } = await this.db.pool.query<SubscriptionRow>(
      `UPDATE webhook_subscriptions
          SET name = $2, url = $3, format = $4, routing_key = $5, severities = $6, area_ids = $7, sources = $8, events = $9,
              enabled = $10, updated_by = $11, updated_at = now()
        WHERE id = $1
       RETURNING ${SUBSCRIPTION_COLUMNS}`,
      [id, s.name, s.url, s.format, s.routingKey, s.severities, s.areaIds, s.sources, s.events, s.enabled, by],
    );
    return rows[0] ? toSubscription(rows[0]) : null;
  }

  /** Its deliveries go with it. */
  async delete(id: number): Promise<boolean> {
    const { rowCount } = await this.db.pool.query('DELETE FROM webhook_subscriptions WHERE id = $1', [id]);
    return rowCount === 1;
  }

  /** Deliveries still pending are signed with the new secret from their next attempt on. */
  async rotateSecret(id: number, secret: string, by: string): Promise<WebhookDto | null> {
    const { rows } = await this.db.pool.query<SubscriptionRow>(
      `UPDATE webhook_subscriptions SET secret = $2, secret_issued_at = now(), updated_by = $3, updated_at = now()
        WHERE id = $1
       RETURNING ${SUBSCRIPTION_COLUMNS}`,
      [id, secret, by],
    );
    return rows[0] ? toSubscription(rows[0]) : null;
  }

  /** A subscription's deliveries, newest first, paged by id. */
  async deliveries(subscriptionId: number, q: ListWebhookDeliveriesQuery): Promise<WebhookDeliveryPageDto> {
    const { rows } = await this.db.pool.query<DeliveryRow>(
      `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries
        WHERE subscription_id = $1
          AND ($2::text IS NULL OR status = $2)
          AND ($3::bigint IS NULL OR id < $3)
        ORDER BY id DESC
        LIMIT $4`,
      [subscriptionId, q.status ?? null, q.cursor ?? null, q.limit + 1],
    );
    const items = rows.slice(0, q.limit).map(toDelivery);
    return { items, nextCursor: rows.length > q.limit ? String(items[items.length - 1].id) : null };
  }

  /**
   * One row per enabled subscription the change passes, in the caller's transaction, in one
   * statement. An empty filter matches anything.
   */
  async enqueue(client: Pick<PoolClient, 'query'>, e: OutboxEntry): Promise<number> {
    const { rowCount } = await client.query(
      `INSERT INTO webhook_deliveries (subscription_id, incident_id, entry_id, event, payload)
       SELECT s.id, $1, $2, $3, CASE s.format WHEN 'pagerduty' THEN $4::jsonb ELSE $5::jsonb END
         FROM webhook_subscriptions s
        WHERE s.enabled
          AND $3 = ANY (s.events)
          AND (cardinality(s.severities) = 0 OR $6 = ANY (s.severities))
          AND (cardinality(s.area_ids) = 0 OR s.area_ids && $7::text[])
          AND (cardinality(s.sources) = 0 OR $8 = ANY (s.sources))
        ORDER BY s.id`,
      [e.incidentId, e.entryId, e.event, JSON.stringify(e.payloads.pagerduty), JSON.stringify(e.payloads.alertmanager), e.severity, e.areaIds, e.source],
    );
    return rowCount ?? 0;
  }

  /**
   * Takes up to `limit` due deliveries for one attempt each: per subscription at most one, none
   * of `busy` (this node is already sending to them), and of each (subscription, incident) only
   * the oldest still pending, so an incident's events arrive in order. A taken row is leased:
   * its next attempt moves `leaseMs` ahead, so another node takes it only if this one dies.
   * SKIP LOCKED lets several nodes claim at once without waiting on each other.
   */
  async claim(limit: number, busy: readonly number[], leaseMs: number): Promise<ClaimedDelivery[]> {
    const { rows } = await this.db.pool.query<{
      id: string;
      subscription_id: string;
      incident_id: string;
      event: WebhookEvent;
      attempts: number;
      created_at: Date;
      payload: WebhookBody;
      url: string;
      format: WebhookFormat;
      routing_key: string | null;
      secret: string;
    }>(
      `WITH heads AS (
         SELECT DISTINCT ON (d.subscription_id) d.id
           FROM webhook_deliveries d
           JOIN webhook_subscriptions s ON s.id = d.subscription_id AND s.enabled
          WHERE d.status = 'pending' AND d.next_attempt_at <= now()
            AND d.subscription_id <> ALL ($2::bigint[])
            AND NOT EXISTS (
              SELECT 1 FROM webhook_deliveries o
               WHERE o.subscription_id = d.subscription_id AND o.incident_id = d.incident_id
                 AND o.status = 'pending' AND o.id < d.id)
          ORDER BY d.subscription_id, d.next_attempt_at, d.id
       ), taken AS (
         SELECT d.id FROM webhook_deliveries d JOIN heads h ON h.id = d.id
          WHERE d.status = 'pending' AND d.next_attempt_at <= now()
          ORDER BY d.next_attempt_at, d.id
          LIMIT $1
          FOR UPDATE OF d SKIP LOCKED
       )
       UPDATE webhook_deliveries d
          SET attempts = d.attempts + 1, last_attempt_at = now(), next_attempt_at = now() + make_interval(secs => $3::double precision / 1000)
         FROM taken, webhook_subscriptions s
        WHERE d.id = taken.id AND s.id = d.subscription_id
       RETURNING d.id, d.subscription_id, d.incident_id, d.event, d.attempts, d.created_at, d.payload, s.url, s.format, s.routing_key, s.secret`,
      [limit, busy, leaseMs],
    );
    return rows.map((r) => ({
      id: Number(r.id),
      subscriptionId: Number(r.subscription_id),
      incidentId: Number(r.incident_id),
      event: r.event,
      attempts: r.attempts,
      createdAt: r.created_at,
      payload: r.payload,
      url: r.url,
      format: r.format,
      routingKey: r.routing_key,
      secret: r.secret,
    }));
  }

  recordAttempt(d: Pick<ClaimedDelivery, 'id' | 'attempts'>, outcome: AttemptOutcome): Promise<void> {
    return this.outbox.recordAttempt(d, outcome);
  }

  release(d: Pick<ClaimedDelivery, 'id' | 'attempts'>, error: string): Promise<void> {
    return this.outbox.release(d, error);
  }

  prune(days: number): Promise<number> {
    return this.outbox.prune(days);
  }
}
