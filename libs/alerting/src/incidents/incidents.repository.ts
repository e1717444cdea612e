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
import { Database } from '@ioc/database';
import type { Decision, IncidentFacts } from './incident-lifecycle';

interface IncidentRow {
  id: string;
  rule_id: number | null;
  rule_version: number | null;
  alert_id: string | null;
  device_id: string;
  device_ids: string[];
  group_area_id: string | null;
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
  device_id: string | null;
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
  deviceId?: string | null;
  value?: number | null;
  level?: number | null;
}

export interface IncidentChange {
  incident: IncidentDto;
  entry: IncidentTimelineEntryDto;
}

/** A refusal of the lifecycle, or the step done. */
export type ActResult = Extract<Decision, { ok: false }> | (IncidentChange & { ok: true; previousTeamId: number | null });

export type Queryable = Pick<PoolClient, 'query'>;

const INCIDENT_COLUMNS = `i.id, i.rule_id, i.rule_version, i.alert_id, i.device_id,
  ARRAY(SELECT d.device_id FROM incident_devices d WHERE d.incident_id = i.id ORDER BY d.joined_at, d.device_id) AS device_ids,
  i.group_area_id, i.area_ids, i.severity, i.title, i.state, i.alert_active,
  i.team_id, t.name AS team_name, i.escalation_level, i.opened_at, i.acknowledged_at, i.acknowledged_by, i.dispatched_at,
  i.dispatched_by, i.on_site_at, i.on_site_by, i.resolved_at, i.resolved_by, i.closed_at, i.closed_by, i.escalated_at,
  i.updated_at`;
const ENTRY_COLUMNS = `e.id, e.at, e.step, e.actor_id, e.actor_name, e.note, e.team_id, t.name AS team_name, e.alert_id, e.device_id, e.value, e.level`;

const iso = (d: Date | null) => d?.toISOString() ?? null;

const toIncident = (r: IncidentRow): IncidentDto => ({
  id: Number(r.id),
  ruleId: r.rule_id,
  ruleVersion: r.rule_version,
  alertId: r.alert_id === null ? null : Number(r.alert_id),
  deviceId: r.device_id,
  deviceIds: r.device_ids,
  groupAreaId: r.group_area_id,
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
  deviceId: r.device_id,
  value: r.value,
  level: r.level,
});

@Injectable()
export class IncidentsRepository {
  constructor(private readonly db: Database) {}

  /**
   * Locks the incident, lets `decide` look at it, and applies the step it returns, all or nothing.
   * null: no such incident. A refusal from `decide` is passed back unchanged.
   */
  act(id: number, decide: (facts: IncidentFacts) => Decision, entry: Omit<NewEntry, 'step'>): Promise<ActResult | null> {
    return this.db.transaction(async (client) => {
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
      const change = await this.appendEntry(client, id, { ...entry, step: decision.step });
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

  /** Adds a step to the timeline inside the caller's transaction; answers the incident as it is now and the step. */
  async appendEntry(client: Queryable, incidentId: number, e: NewEntry): Promise<IncidentChange> {
    const { rows } = await client.query<EntryRow>(
      `WITH e AS (
         INSERT INTO incident_timeline (incident_id, step, actor_id, actor_name, note, team_id, alert_id, device_id, value, level)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         RETURNING *
       )
       SELECT ${ENTRY_COLUMNS} FROM e LEFT JOIN teams t ON t.id = e.team_id`,
      [
        incidentId,
        e.step,
        e.actor?.id ?? null,
        e.actor?.username ?? null,
        e.note ?? null,
        e.teamId ?? null,
        e.alertId ?? null,
        e.deviceId ?? null,
        e.value ?? null,
        e.level ?? null,
      ],
    );
    const incident = await this.find(incidentId, client);
    return { incident: incident!, entry: toEntry(rows[0]) };
  }

  private async findEntry(client: Queryable, id: number): Promise<IncidentTimelineEntryDto> {
    const { rows } = await client.query<EntryRow>(
      `SELECT ${ENTRY_COLUMNS} FROM incident_timeline e LEFT JOIN teams t ON t.id = e.team_id WHERE e.id = $1`,
      [id],
    );
    return toEntry(rows[0]);
  }
}
