import { Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import type {
  CreateNotificationRoute,
  EmailDeliveryDto,
  EmailDeliveryPageDto,
  EmailDeliveryStatus,
  EmailRule,
  IncidentCategory,
  IncidentSource,
  IncidentStep,
  ListEmailDeliveriesQuery,
  NotificationRouteDto,
  Role,
  RoutedStep,
  Severity,
} from '@ioc/contracts';
import { Database } from '@ioc/database';
import { OutboxTable, type AttemptOutcome, type ClaimedItem, type OutboxQueue } from '../outbox/outbox-table';
import type { EmailMessage } from './email-message';
import type { Audience, Candidate, Recipient } from './recipients';

type Queryable = Pick<PoolClient, 'query'>;

interface RouteRow {
  id: string;
  name: string;
  steps: RoutedStep[];
  severities: Severity[];
  area_ids: string[];
  sources: IncidentSource[];
  categories: IncidentCategory[];
  roles: Role[];
  team_ids: number[];
  enabled: boolean;
  created_at: Date;
  created_by: string | null;
  updated_at: Date;
  updated_by: string | null;
}

interface DeliveryRow {
  id: string;
  incident_id: string;
  step: IncidentStep;
  user_id: number | null;
  address: string;
  route_ids: string[];
  rules: EmailRule[];
  subject: string;
  status: EmailDeliveryStatus;
  attempts: number;
  created_at: Date;
  next_attempt_at: Date;
  last_attempt_at: Date | null;
  last_status_code: number | null;
  last_error: string | null;
  delivered_at: Date | null;
}

/** An email taken by this node for one attempt. */
export interface ClaimedEmail extends ClaimedItem {
  incidentId: number;
  address: string;
  subject: string;
  text: string;
  html: string;
}

/** One change's emails: the message as rendered then, and who gets it. */
export interface EmailOutboxEntry {
  incidentId: number;
  entryId: number;
  step: IncidentStep;
  message: EmailMessage;
  recipients: Recipient[];
}

const ROUTE_COLUMNS = `id, name, steps, severities, area_ids, sources, categories, roles, team_ids, enabled, created_at, created_by, updated_at, updated_by`;
const DELIVERY_COLUMNS = `id, incident_id, step, user_id, address, route_ids, rules, subject, status, attempts, created_at, next_attempt_at,
  last_attempt_at, last_status_code, last_error, delivered_at`;

const iso = (d: Date | null) => d?.toISOString() ?? null;

const toRoute = (r: RouteRow): NotificationRouteDto => ({
  id: Number(r.id),
  name: r.name,
  steps: r.steps,
  severities: r.severities,
  areaIds: r.area_ids,
  sources: r.sources,
  categories: r.categories,
  roles: r.roles,
  teamIds: r.team_ids,
  enabled: r.enabled,
  createdAt: r.created_at.toISOString(),
  createdBy: r.created_by,
  updatedAt: r.updated_at.toISOString(),
  updatedBy: r.updated_by,
});

const toDelivery = (r: DeliveryRow): EmailDeliveryDto => ({
  id: Number(r.id),
  incidentId: Number(r.incident_id),
  step: r.step,
  userId: r.user_id,
  to: r.address,
  routeIds: r.route_ids.map(Number),
  rules: r.rules,
  subject: r.subject,
  status: r.status,
  attempts: r.attempts,
  createdAt: r.created_at.toISOString(),
  nextAttemptAt: r.status === 'pending' ? r.next_attempt_at.toISOString() : null,
  lastAttemptAt: iso(r.last_attempt_at),
  lastStatusCode: r.last_status_code,
  lastError: r.last_error,
  deliveredAt: iso(r.delivered_at),
});

/** Notification routes and the email outbox; the only writer of both tables. */
@Injectable()
export class EmailRepository implements OutboxQueue<ClaimedEmail> {
  private readonly outbox: OutboxTable<ClaimedEmail>;

  constructor(private readonly db: Database) {
    this.outbox = new OutboxTable(db, 'email_deliveries');
  }

  async listRoutes(): Promise<NotificationRouteDto[]> {
    const { rows } = await this.db.pool.query<RouteRow>(`SELECT ${ROUTE_COLUMNS} FROM notification_routes ORDER BY id`);
    return rows.map(toRoute);
  }

  async findRoute(id: number): Promise<NotificationRouteDto | null> {
    const { rows } = await this.db.pool.query<RouteRow>(`SELECT ${ROUTE_COLUMNS} FROM notification_routes WHERE id = $1`, [id]);
    return rows[0] ? toRoute(rows[0]) : null;
  }

  async insertRoute(r: CreateNotificationRoute, by: string): Promise<NotificationRouteDto> {
    const { rows } = await this.db.pool.query<RouteRow>(
      `INSERT INTO notification_routes (name, steps, severities, area_ids, sources, categories, roles, team_ids, enabled, created_by, updated_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)
       RETURNING ${ROUTE_COLUMNS}`,
      [r.name, r.steps, r.severities, r.areaIds, r.sources, r.categories, r.roles, r.teamIds, r.enabled, by],
    );
    return toRoute(rows[0]);
  }

  /** null: no such route. */
  async updateRoute(id: number, r: CreateNotificationRoute, by: string): Promise<NotificationRouteDto | null> {
    const { rows } = await this.db.pool.query<RouteRow>(
      `UPDATE notification_routes
          SET name = $2, steps = $3, severities = $4, area_ids = $5, sources = $6, categories = $7, roles = $8, team_ids = $9,
              enabled = $10, updated_by = $11, updated_at = now()
        WHERE id = $1
       RETURNING ${ROUTE_COLUMNS}`,
      [id, r.name, r.steps, r.severities, r.areaIds, r.sources, r.categories, r.roles, r.teamIds, r.enabled, by],
    );
    return rows[0] ? toRoute(rows[0]) : null;
  }

  /** The emails it chose stay: they were decided when their change happened. */
  async deleteRoute(id: number): Promise<boolean> {
    const { rowCount } = await this.db.pool.query('DELETE FROM notification_routes WHERE id = $1', [id]);
    return (rowCount ?? 0) > 0;
  }

  /** Of these teams, those that do not exist. */
  async missingTeams(ids: readonly number[]): Promise<number[]> {
    if (ids.length === 0) return [];
    const { rows } = await this.db.pool.query<{ id: number }>(
      'SELECT id FROM unnest($1::integer[]) AS t(id) WHERE NOT EXISTS (SELECT 1 FROM teams WHERE teams.id = t.id) ORDER BY id',
      [ids],
    );
    return rows.map((r) => r.id);
  }

  /** The enabled routes that ask for this step, in the caller's transaction. */
  async routesFor(client: Queryable, step: RoutedStep): Promise<NotificationRouteDto[]> {
    const { rows } = await client.query<RouteRow>(`SELECT ${ROUTE_COLUMNS} FROM notification_routes WHERE enabled AND $1 = ANY (steps) ORDER BY id`, [step]);
    return rows.map(toRoute);
  }

  /** The users with an address who may be told, of these roles or teams (read, not owned: libs/auth writes users). */
  async candidates(client: Queryable, a: Audience): Promise<Candidate[]> {
    const { rows } = await client.query<{ id: number; role: Role; team_id: number | null; email: string }>(
      `SELECT id, role, team_id, email FROM users
        WHERE email IS NOT NULL AND NOT disabled AND (role = ANY ($1::text[]) OR team_id = ANY ($2::integer[]))
        ORDER BY id`,
      [a.roles, a.teamIds],
    );
    return rows.map((r) => ({ id: r.id, role: r.role, teamId: r.team_id, email: r.email, disabled: false }));
  }

  /** One row per recipient, in the caller's transaction, in one statement. */
  async enqueue(client: Queryable, e: EmailOutboxEntry): Promise<number> {
    const recipients = e.recipients.map((r) => ({ user_id: r.userId, address: r.address, route_ids: r.routeIds, rules: r.rules }));
    const { rowCount } = await client.query(
      `INSERT INTO email_deliveries (incident_id, entry_id, step, user_id, address, route_ids, rules, subject, text_body, html_body)
       SELECT $1, $2, $3, r.user_id, r.address, r.route_ids, r.rules, $5, $6, $7
         FROM jsonb_to_recordset($4::jsonb) AS r(user_id integer, address text, route_ids bigint[], rules text[])`,
      [e.incidentId, e.entryId, e.step, JSON.stringify(recipients), e.message.subject, e.message.text, e.message.html],
    );
    return rowCount ?? 0;
  }

  /**
   * Takes up to `limit` due emails for one attempt each, of each (address, incident) only the
   * oldest still pending, so a person reads an incident's changes in order. A taken row is
   * leased: its next attempt moves `leaseMs` ahead. SKIP LOCKED lets several nodes claim at once.
   */
  async claim(limit: number, _busy: readonly number[], leaseMs: number): Promise<ClaimedEmail[]> {
    const { rows } = await this.db.pool.query<{
      id: string;
      incident_id: string;
      attempts: number;
      created_at: Date;
      address: string;
      subject: string;
      text_body: string;
      html_body: string;
    }>(
      `WITH taken AS (
         SELECT d.id FROM email_deliveries d
          WHERE d.status = 'pending' AND d.next_attempt_at <= now()
            AND NOT EXISTS (
              SELECT 1 FROM email_deliveries o
               WHERE o.address = d.address AND o.incident_id = d.incident_id AND o.status = 'pending' AND o.id < d.id)
          ORDER BY d.next_attempt_at, d.id
          LIMIT $1
          FOR UPDATE SKIP LOCKED
       )
       UPDATE email_deliveries d
          SET attempts = d.attempts + 1, last_attempt_at = now(), next_attempt_at = now() + make_interval(secs => $2::double precision / 1000)
         FROM taken
        WHERE d.id = taken.id
       RETURNING d.id, d.incident_id, d.attempts, d.created_at, d.address, d.subject, d.text_body, d.html_body`,
      [limit, leaseMs],
    );
    return rows.map((r) => ({
      id: Number(r.id),
      incidentId: Number(r.incident_id),
      attempts: r.attempts,
      createdAt: r.created_at,
      address: r.address,
      subject: r.subject,
      text: r.text_body,
      html: r.html_body,
    }));
  }

  recordAttempt(d: Pick<ClaimedEmail, 'id' | 'attempts'>, outcome: AttemptOutcome): Promise<void> {
    return this.outbox.recordAttempt(d, outcome);
  }

  release(d: Pick<ClaimedEmail, 'id' | 'attempts'>, error: string): Promise<void> {
    return this.outbox.release(d, error);
  }

  prune(days: number): Promise<number> {
    return this.outbox.prune(days);
  }

  /** The delivery log, newest first. */
  async deliveries(q: ListEmailDeliveriesQuery): Promise<EmailDeliveryPageDto> {
    const { rows } = await this.db.pool.query<DeliveryRow>(
      `SELECT ${DELIVERY_COLUMNS} FROM email_deliveries
        WHERE ($1::text IS NULL OR status = $1)
          AND ($2::bigint IS NULL OR incident_id = $2)
          AND ($3::bigint IS NULL OR $3 = ANY (route_ids))
          AND ($4::bigint IS NULL OR id < $4)
        ORDER BY id DESC
        LIMIT $5`,
      [q.status ?? null, q.incidentId ?? null, q.routeId ?? null, q.cursor ?? null, q.limit + 1],
    );
    const items = rows.slice(0, q.limit).map(toDelivery);
    return { items, nextCursor: rows.length > q.limit ? String(items[items.length - 1].id) : null };
  }
}
