import { Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import type {
  IncidentDto,
  IncidentPageDto,
  IncidentState,
  IncidentStep,
  IncidentTimelineEntryDto,
  ListIncidentsQuery,
  Severity,
} from '@ioc/contracts';
import { Database, inTransaction } from '@ioc/database';
import type { Decision, IncidentFacts } from './incident-lifecycle';

interface IncidentRow {
  id: string;
  rule_id: number | null;
  alert_id: string | null;
  device_id: string;
  area_ids: string[];
  severity: Severity;
  title: string;
  state: IncidentState;
  alert_active: boolean;
  team_id: number | null;
  team_name: string | null;
  escalation_level: number;
  opened_at: Date;
  acknowledged_at: Date | null;
  acknowledged_by: string | null;
  dispatched_at: Date | null;
  dispatched_by: string | null;
  on_site_at: Date | null;
  on_site_by: string | null;
  resolved_at: Date | null;
  resolved_by: string | null;
  closed_at: Date | null;
  closed_by: string | null;
  escalated_at: Date | null;
  updated_at: Date;
}

interface EntryRow {
  id: string;
  at: Date;
  step: IncidentStep;
  actor_id: number | null;
  actor_name: string | null;
  note: string | null;
  team_id: number | null;
  team_name: string | null;
  alert_id: string | null;
  value: number | null;
  level: number | null;
}

/** A step to add to a timeline; `actor` null for the system. */
export interface NewEntry {
  step: IncidentStep;
  actor: { id: number; username: string } | null;
  note?: string | null;
  teamId?: number | null;
  alertId?: number | null;
  value?: number | null;
  level?: number | null;
}

export interface NewIncident {
  ruleId: number;
  alertId: number;
  deviceId: string;
  areaIds: string[];
  severity: Severity;
  title: string;
  openedAt: Date;
  /** The value that opened the alert. */
  value: number;
}

export interface IncidentChange {
  incident: IncidentDto;
  entry: IncidentTimelineEntryDto;
}

/** A refusal of the lifecycle, or the step done. */
export type ActResult = Extract<Decision, { ok: false }> | (IncidentChange & { ok: true; previousTeamId: number | null });

type Queryable = Pick<PoolClient, 'query'>;

const ACTIVE = `('open', 'acknowledged', 'dispatched')`;
const INCIDENT_COLUMNS = `i.id, i.rule_id, i.alert_id, i.device_id, i.area_ids, i.severity, i.title, i.state, i.alert_active,
  i.team_id, t.name AS team_name, i.escalation_level, i.opened_at, i.acknowledged_at, i.acknowledged_by, i.dispatched_at,
  i.dispatched_by, i.on_site_at, i.on_site_by, i.resolved_at, i.resolved_by, i.closed_at, i.closed_by, i.escalated_at,
  i.updated_at`;
const ENTRY_COLUMNS = `e.id, e.at, e.step, e.actor_id, e.actor_name, e.note, e.team_id, t.name AS team_name, e.alert_id, e.value, e.level`;

const iso = (d: Date | null) => d?.toISOString() ?? null;

const toIncident = (r: IncidentRow): IncidentDto => ({
  id: Number(r.id),
  ruleId: r.rule_id,
  alertId: r.alert_id === null ? null : Number(r.alert_id),
  deviceId: r.device_id,
  areaIds: r.area_ids,
  severity: r.severity,
  title: r.title,
  state: r.state,
  alertActive: r.alert_active,
  teamId: r.team_id,
  teamName: r.team_name,
  escalationLevel: r.escalation_level,
  openedAt: r.opened_at.toISOString(),
  acknowledgedAt: iso(r.acknowledged_at),
  acknowledgedBy: r.acknowledged_by,
  dispatchedAt: iso(r.dispatched_at),
  dispatchedBy: r.dispatched_by,
  onSiteAt: iso(r.on_site_at),
  onSiteBy: r.on_site_by,
  resolvedAt: iso(r.resolved_at),
  resolvedBy: r.resolved_by,
  closedAt: iso(r.closed_at),
  closedBy: r.closed_by,
  escalatedAt: iso(r.escalated_at),
  updatedAt: r.updated_at.toISOString(),
});

const toEntry = (r: EntryRow): IncidentTimelineEntryDto => ({
  id: Number(r.id),
  at: r.at.toISOString(),
  step: r.step,
  actor: r.actor_name === null ? null : { id: r.actor_id, username: r.actor_name },
  note: r.note,
  teamId: r.team_id,
  teamName: r.team_name,
  alertId: r.alert_id === null ? null : Number(r.alert_id),
  value: r.value,
  level: r.level,
});

@Injectable()
export class IncidentsRepository {
  constructor(private readonly db: Database) {}

  /**
   * Opens an incident for a new alert, or, while its (rule, device) has an active incident, adds the
   * alert to that one. `opened` says which.
   */
  recordAlertOpened(n: NewIncident): Promise<IncidentChange & { opened: boolean }> {
    return this.transaction(async (client) => {
      // The active incident may be resolved between the two statements: then the insert wins next time.
      for (let attempt = 0; attempt < 3; attempt++) {
        const inserted = await client.query<{ id: string }>(
          `INSERT INTO incidents (rule_id, alert_id, device_id, area_ids, severity, title, opened_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (rule_id, device_id) WHERE state IN ${ACTIVE} DO NOTHING
           RETURNING id`,
          [n.ruleId, n.alertId, n.deviceId, n.areaIds, n.severity, n.title, n.openedAt],
        );
        const opened = inserted.rows.length === 1;
        const existing = opened
          ? inserted
          : await client.query<{ id: string }>(
              `UPDATE incidents SET alert_active = true, updated_at = now()
                WHERE rule_id = $1 AND device_id = $2 AND state IN ${ACTIVE}
               RETURNING id`,
              [n.ruleId, n.deviceId],
            );
        if (existing.rows.length === 0) continue;
        const id = Number(existing.rows[0].id);
        const entry = { step: opened ? 'opened' : 'alert_opened', actor: null, alertId: n.alertId, value: n.value } as const;
        return { ...(await this.append(client, id, entry)), opened };
      }
      throw new Error(`no incident for rule ${n.ruleId} on ${n.deviceId} after 3 attempts`);
    });
  }

  /** Notes on the incident that an alert opened or joined that the alert has resolved; null if there is none, or it is closed. */
  recordAlertResolved(alertId: number): Promise<IncidentChange | null> {
    return this.transaction(async (client) => {
      const { rows } = await client.query<{ id: string }>(
        `UPDATE incidents SET alert_active = false, updated_at = now()
          WHERE id = (SELECT incident_id FROM incident_timeline
                       WHERE alert_id = $1 AND step IN ('opened', 'alert_opened') ORDER BY id LIMIT 1)
            AND state <> 'closed'
         RETURNING id`,
        [alertId],
      );
      if (rows.length === 0) return null;
      return this.append(client, Number(rows[0].id), { step: 'alert_resolved', actor: null, alertId });
    });
  }

  /**
   * Locks the incident, lets `decide` look at it, and applies the step it returns, all or nothing.
   * null: no such incident. A refusal from `decide` is passed back unchanged.
   */
  act(id: number, decide: (facts: IncidentFacts) => Decision, entry: Omit<NewEntry, 'step'>): Promise<ActResult | null> {
    return this.transaction(async (client) => {
      const { rows } = await client.query<{ state: IncidentState; team_id: number | null; on_site_at: Date | null }>(
        'SELECT state, team_id, on_site_at FROM incidents WHERE id = $1 FOR UPDATE',
        [id],
      );
      if (rows.length === 0) return null;
      const current = rows[0];
      const decision = decide({ id, state: current.state, teamId: current.team_id, onSiteAt: iso(current.on_site_at) });
      if (!decision.ok) return decision;
      await client.query(
        `UPDATE incidents SET
           state = $2,
           updated_at = now(),
           acknowledged_at = CASE WHEN $3 = 'acknowledged' THEN now() ELSE acknowledged_at END,
           acknowledged_by = CASE WHEN $3 = 'acknowledged' THEN $4 ELSE acknowledged_by END,
           team_id         = CASE WHEN $3 = 'dispatched' THEN $5 ELSE team_id END,
           dispatched_at   = CASE WHEN $3 = 'dispatched' THEN now() ELSE dispatched_at END,
           dispatched_by   = CASE WHEN $3 = 'dispatched' THEN $4 ELSE dispatched_by END,
           on_site_at      = CASE $3 WHEN 'on_site' THEN now() WHEN 'dispatched' THEN NULL ELSE on_site_at END,
           on_site_by      = CASE $3 WHEN 'on_site' THEN $4 WHEN 'dispatched' THEN NULL ELSE on_site_by END,
           resolved_at     = CASE WHEN $3 = 'resolved' THEN now() ELSE resolved_at END,
           resolved_by     = CASE WHEN $3 = 'resolved' THEN $4 ELSE resolved_by END,
           closed_at       = CASE WHEN $3 = 'closed' THEN now() ELSE closed_at END,
           closed_by       = CASE WHEN $3 = 'closed' THEN $4 ELSE closed_by END
         WHERE id = $1`,
        [id, decision.state, decision.step, entry.actor?.username ?? null, entry.teamId ?? null],
      );
      const change = await this.append(client, id, { ...entry, step: decision.step });
      const previousTeamId = decision.step === 'dispatched' ? current.team_id : null;
      return { ok: true, ...change, previousTeamId };
    });
  }

  /**
   * Raises by one the level of every incident nobody has acknowledged for another `afterS` seconds
   * since it was created, up to `maxLevel`. Safe on several nodes at once: each row moves once.
   */
  async escalateDue(afterS: number, maxLevel: number): Promise<IncidentChange[]> {
    const { rows } = await this.db.pool.query<{ incident_id: string; id: string }>(
      `WITH due AS (
         UPDATE incidents
            SET escalation_level = escalation_level + 1, escalated_at = now(), updated_at = now()
          WHERE state = 'open' AND escalation_level < $2
            AND created_at + make_interval(secs => $1::double precision * (escalation_level + 1)) <= now()
         RETURNING id, escalation_level
       )
       INSERT INTO incident_timeline (incident_id, step, level)
       SELECT id, 'escalated', escalation_level FROM due
       RETURNING incident_id, id`,
      [afterS, maxLevel],
    );
    const changes: IncidentChange[] = [];
    for (const row of rows) {
      const incident = await this.find(Number(row.incident_id));
      const entry = await this.findEntry(this.db.pool, Number(row.id));
      if (incident) changes.push({ incident, entry });
    }
    return changes;
  }

  find(id: number, client: Queryable = this.db.pool): Promise<IncidentDto | null> {
    return client
      .query<IncidentRow>(`SELECT ${INCIDENT_COLUMNS} FROM incidents i LEFT JOIN teams t ON t.id = i.team_id WHERE i.id = $1`, [id])
      .then(({ rows }) => (rows[0] ? toIncident(rows[0]) : null));
  }

  async timeline(incidentId: number): Promise<IncidentTimelineEntryDto[]> {
    const { rows } = await this.db.pool.query<EntryRow>(
      `SELECT ${ENTRY_COLUMNS} FROM incident_timeline e LEFT JOIN teams t ON t.id = e.team_id
        WHERE e.incident_id = $1 ORDER BY e.id`,
      [incidentId],
    );
    return rows.map(toEntry);
  }

  /** Newest first, paged by id. `onlyTeam` narrows to one team whatever the query asks (a field user's scope). */
  async list(q: ListIncidentsQuery, onlyTeam: { teamId: number | null } | null): Promise<IncidentPageDto> {
    const { rows } = await this.db.pool.query<IncidentRow>(
      `SELECT ${INCIDENT_COLUMNS} FROM incidents i LEFT JOIN teams t ON t.id = i.team_id
        WHERE ($1::text[] IS NULL OR i.state = ANY ($1))
          AND ($2::text[] IS NULL OR i.severity = ANY ($2))
          AND ($3::text IS NULL OR i.area_ids @> ARRAY[$3::text])
          AND ($4::int IS NULL OR i.team_id = $4)
          AND (NOT $5::boolean OR i.team_id = $6::int)
          AND ($7::text IS NULL OR i.device_id = $7)
          AND ($8::timestamptz IS NULL OR i.opened_at >= $8)
          AND ($9::timestamptz IS NULL OR i.opened_at < $9)
          AND ($10::timestamptz IS NULL OR i.updated_at >= $10)
          AND ($11::bigint IS NULL OR i.id < $11)
        ORDER BY i.id DESC
        LIMIT $12`,
      [
        q.state ?? null,
        q.severity ?? null,
        q.areaId ?? null,
        q.teamId ?? null,
        onlyTeam !== null,
        onlyTeam?.teamId ?? null,
        q.deviceId ?? null,
        q.from ?? null,
        q.to ?? null,
        q.updatedSince ?? null,
        q.cursor ?? null,
        q.limit + 1,
      ],
    );
    const items = rows.slice(0, q.limit).map(toIncident);
    return { items, nextCursor: rows.length > q.limit ? String(items[items.length - 1].id) : null };
  }

  private async append(client: Queryable, incidentId: number, e: NewEntry): Promise<IncidentChange> {
    const { rows } = await client.query<{ id: string }>(
      `INSERT INTO incident_timeline (incident_id, step, actor_id, actor_name, note, team_id, alert_id, value, level)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       RETURNING id`,
      [incidentId, e.step, e.actor?.id ?? null, e.actor?.username ?? null, e.note ?? null, e.teamId ?? null, e.alertId ?? null, e.value ?? null, e.level ?? null],
    );
    const incident = await this.find(incidentId, client);
    return { incident: incident!, entry: await this.findEntry(client, Number(rows[0].id)) };
  }

  private async findEntry(client: Queryable, id: number): Promise<IncidentTimelineEntryDto> {
    const { rows } = await client.query<EntryRow>(
      `SELECT ${ENTRY_COLUMNS} FROM incident_timeline e LEFT JOIN teams t ON t.id = e.team_id WHERE e.id = $1`,
      [id],
    );
    return toEntry(rows[0]);
  }

  private async transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.db.pool.connect();
    try {
      return await inTransaction(client, () => work(client));
    } finally {
      client.release();
    }
  }
}
