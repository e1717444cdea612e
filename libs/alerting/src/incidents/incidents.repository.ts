import { Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import type {
  Deadline,
  DeadlinePolicy,
  DeadlinePolicyDto,
  EscalationStep,
  IncidentCategory,
  IncidentDto,
  IncidentPageDto,
  IncidentSource,
  IncidentState,
  IncidentStep,
  IncidentTimelineEntryDto,
  ListIncidentsQuery,
  PhotoPhase,
  Role,
  RuleDeadlines,
  Severity,
} from '@ioc/contracts';
import { Database } from '@ioc/database';
import { NotificationOutbox } from '@ioc/notifications';
import { deadlinesOf, dueSteps, type DeadlineSeconds } from './deadlines';
import type { Decision, IncidentFacts } from './incident-lifecycle';

interface IncidentRow {
  id: string;
  rule_id: number | null;
  rule_version: number | null;
  alert_id: string | null;
  source: IncidentSource;
  category: IncidentCategory | null;
  description: string | null;
  lat: number | null;
  lng: number | null;
  reporter_phone: string | null;
  created_by: string | null;
  device_id: string | null;
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
  acknowledge_due_at: Date | null;
  resolve_due_at: Date | null;
  acknowledge_breached_at: Date | null;
  resolve_breached_at: Date | null;
  merged_into_id: string | null;
  rejection_reason: string | null;
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
  deadline: Deadline | null;
  notify_roles: Role[] | null;
  related_incident_id: string | null;
  photo_id: string | null;
  photo_phase: PhotoPhase | null;
}

interface PolicyRow {
  severity: Severity;
  acknowledge_s: number | null;
  resolve_s: number | null;
  escalation: EscalationStep[];
  updated_at: Date;
  updated_by: string | null;
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
  deadline?: Deadline | null;
  notifyRoles?: Role[] | null;
  relatedIncidentId?: number | null;
  photoId?: number | null;
}

/** An incident people reported: a citizen, or an operator taking a call (`actor`). */
export interface ReportedIncident {
  source: Exclude<IncidentSource, 'rule'>;
  title: string;
  severity: Severity;
  category: IncidentCategory;
  description: string | null;
  location: { lat: number; lng: number };
  reporterPhone: string | null;
  deviceId: string | null;
  /** The areas containing the place. */
  areaIds: string[];
  actor: { id: number; username: string } | null;
}

export interface IncidentChange {
  incident: IncidentDto;
  entry: IncidentTimelineEntryDto;
}

/** A refusal of the lifecycle, or the step done. */
export type ActResult = Extract<Decision, { ok: false }> | (IncidentChange & { ok: true; previousTeamId: number | null });

/** What a merge looks at, of the report and of the incident it goes into. */
export interface MergeFacts {
  facts: IncidentFacts;
  location: { lat: number; lng: number } | null;
  deviceId: string | null;
}

/** A refusal, or both steps: the report merged, and the incident it joined. */
export type MergeResult = Extract<Decision, { ok: false }> | { ok: true; merged: IncidentChange; joined: IncidentChange };

interface FactsRow {
  id: string;
  source: IncidentSource;
  state: IncidentState;
  team_id: number | null;
  on_site_at: Date | null;
  lat: number | null;
  lng: number | null;
  device_id: string | null;
}

export type Queryable = Pick<PoolClient, 'query'>;

const INCIDENT_COLUMNS = `i.id, i.rule_id, i.rule_version, i.alert_id, i.source, i.category, i.description, i.lat, i.lng,
  i.reporter_phone, i.created_by, i.device_id,
  ARRAY(SELECT d.device_id FROM incident_devices d WHERE d.incident_id = i.id ORDER BY d.joined_at, d.device_id) AS device_ids,
  i.group_area_id, i.area_ids, i.severity, i.title, i.state, i.alert_active,
  i.team_id, t.name AS team_name, i.escalation_level, i.opened_at, i.acknowledged_at, i.acknowledged_by, i.dispatched_at,
  i.dispatched_by, i.on_site_at, i.on_site_by, i.resolved_at, i.resolved_by, i.closed_at, i.closed_by, i.escalated_at,
  i.updated_at, i.acknowledge_due_at, i.resolve_due_at, i.acknowledge_breached_at, i.resolve_breached_at, i.merged_into_id,
  i.rejection_reason`;
const ENTRY_COLUMNS = `e.id, e.at, e.step, e.actor_id, e.actor_name, e.note, e.team_id, t.name AS team_name, e.alert_id, e.device_id,
  e.value, e.level, e.deadline, e.notify_roles, e.related_incident_id, e.photo_id, p.phase AS photo_phase`;
const ENTRY_JOINS = 'LEFT JOIN teams t ON t.id = e.team_id LEFT JOIN incident_photos p ON p.id = e.photo_id';
const POLICY_COLUMNS = 'severity, acknowledge_s, resolve_s, escalation, updated_at, updated_by';

const iso = (d: Date | null) => d?.toISOString() ?? null;

const toIncident = (r: IncidentRow): IncidentDto => ({
  id: Number(r.id),
  ruleId: r.rule_id,
  ruleVersion: r.rule_version,
  alertId: r.alert_id === null ? null : Number(r.alert_id),
  source: r.source,
  category: r.category,
  description: r.description,
  location: r.lat === null || r.lng === null ? null : { lat: r.lat, lng: r.lng },
  reporterPhone: r.reporter_phone,
  createdBy: r.created_by,
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
  acknowledgeDueAt: iso(r.acknowledge_due_at),
  resolveDueAt: iso(r.resolve_due_at),
  acknowledgeBreachedAt: iso(r.acknowledge_breached_at),
  resolveBreachedAt: iso(r.resolve_breached_at),
  mergedIntoId: r.merged_into_id === null ? null : Number(r.merged_into_id),
  rejectionReason: r.rejection_reason,
});

const factsOf = (r: FactsRow): IncidentFacts => ({
  id: Number(r.id),
  source: r.source,
  state: r.state,
  teamId: r.team_id,
  onSiteAt: iso(r.on_site_at),
});

const toPolicy = (r: PolicyRow): DeadlinePolicyDto => ({
  severity: r.severity,
  acknowledgeS: r.acknowledge_s,
  resolveS: r.resolve_s,
  escalation: r.escalation,
  updatedAt: r.updated_at.toISOString(),
  updatedBy: r.updated_by,
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
  deadline: r.deadline,
  notifyRoles: r.notify_roles,
  relatedIncidentId: r.related_incident_id === null ? null : Number(r.related_incident_id),
  photo: r.photo_id === null ? null : { id: Number(r.photo_id), phase: r.photo_phase },
});

@Injectable()
export class IncidentsRepository {
  constructor(
    private readonly db: Database,
    private readonly outbox: NotificationOutbox,
  ) {}

  /**
   * Locks the incident, lets `decide` look at it, and applies the step it returns, all or nothing.
   * null: no such incident. A refusal from `decide` is passed back unchanged. `within` writes what
   * goes with an allowed step (a photo's row) and answers what its entry names.
   */
  act(
    id: number,
    decide: (facts: IncidentFacts) => Decision,
    entry: Omit<NewEntry, 'step'>,
    within?: (client: Queryable) => Promise<Partial<NewEntry>>,
  ): Promise<ActResult | null> {
    return this.db.transaction(async (client) => {
      const { rows } = await client.query<FactsRow>(
        'SELECT id, source, state, team_id, on_site_at, lat, lng, device_id FROM incidents WHERE id = $1 FOR UPDATE',
        [id],
      );
      if (rows.length === 0) return null;
      const current = rows[0];
      const decision = decide(factsOf(current));
      if (!decision.ok) return decision;
      const extra = within ? await within(client) : {};
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
           closed_at       = CASE WHEN $3 IN ('closed', 'rejected') THEN now() ELSE closed_at END,
           closed_by       = CASE WHEN $3 IN ('closed', 'rejected') THEN $4 ELSE closed_by END,
           rejection_reason = CASE WHEN $3 = 'rejected' THEN $6 ELSE rejection_reason END
         WHERE id = $1`,
        [id, decision.state, decision.step, entry.actor?.username ?? null, entry.teamId ?? null, entry.note ?? null],
      );
      const change = await this.appendEntry(client, id, { ...entry, ...extra, step: decision.step });
      const previousTeamId = decision.step === 'dispatched' ? current.team_id : null;
      return { ok: true, ...change, previousTeamId };
    });
  }

  /**
   * Merges incident `id` into `targetId`: both locked, in id order so that two merges across each
   * other wait rather than deadlock; `decide` looks at both (the target null when there is none).
   * The report is closed naming the target, and the target's timeline says a report joined it.
   */
  merge(
    id: number,
    targetId: number,
    decide: (report: MergeFacts, target: MergeFacts | null) => Decision,
    entry: Omit<NewEntry, 'step'>,
  ): Promise<MergeResult | null> {
    return this.db.transaction(async (client) => {
      const { rows } = await client.query<FactsRow>(
        'SELECT id, source, state, team_id, on_site_at, lat, lng, device_id FROM incidents WHERE id = ANY ($1::bigint[]) ORDER BY id FOR UPDATE',
        [[id, targetId]],
      );
      const mergeFacts = (r: FactsRow): MergeFacts => ({
        facts: factsOf(r),
        location: r.lat === null || r.lng === null ? null : { lat: r.lat, lng: r.lng },
        deviceId: r.device_id,
      });
      const report = rows.find((r) => Number(r.id) === id);
      if (!report) return null;
      const target = rows.find((r) => Number(r.id) === targetId && targetId !== id);
      const decision = decide(mergeFacts(report), target ? mergeFacts(target) : null);
      if (!decision.ok) return decision;
      await client.query(
        `UPDATE incidents SET state = $2, merged_into_id = $3, closed_at = now(), closed_by = $4, updated_at = now() WHERE id = $1`,
        [id, decision.state, targetId, entry.actor?.username ?? null],
      );
      const merged = await this.appendEntry(client, id, { ...entry, step: decision.step, relatedIncidentId: targetId });
      await client.query('UPDATE incidents SET updated_at = now() WHERE id = $1', [targetId]);
      const joined = await this.appendEntry(client, targetId, { actor: entry.actor, step: 'report_joined', relatedIncidentId: id });
      return { ok: true, merged, joined };
    });
  }

  /** Opens a reported incident inside the caller's transaction, with its severity's deadlines, and its `opened` step. */
  async openReported(client: Queryable, r: ReportedIncident): Promise<IncidentChange> {
    const due = await this.deadlinesFor(client, r.severity, {});
    const { rows } = await client.query<{ id: string }>(
      `INSERT INTO incidents (source, title, severity, category, description, lat, lng, reporter_phone, created_by, device_id, area_ids,
                              opened_at, alert_active, acknowledge_due_at, resolve_due_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, now(), false,
               now() + make_interval(secs => $12), now() + make_interval(secs => $13))
       RETURNING id`,
      [
        r.source,
        r.title,
        r.severity,
        r.category,
        r.description,
        r.location.lat,
        r.location.lng,
        r.reporterPhone,
        r.actor?.username ?? null,
        r.deviceId,
        r.areaIds,
        due.acknowledgeS,
        due.resolveS,
      ],
    );
    return this.appendEntry(client, Number(rows[0].id), { step: 'opened', actor: r.actor, deviceId: r.deviceId });
  }

  /** Active incidents with a due time or an escalation step that may have come by `now`. */
  async dueForDeadlines(now: Date): Promise<number[]> {
    const { rows } = await this.db.pool.query<{ id: string }>(
      `SELECT id FROM incidents WHERE state = 'open' AND acknowledge_due_at <= $1
       UNION
       SELECT id FROM incidents
        WHERE resolve_breached_at IS NULL AND state IN ('open', 'acknowledged', 'dispatched') AND resolve_due_at <= $1`,
      [now],
    );
    return rows.map((r) => Number(r.id));
  }

  /**
   * Locks the incident and takes every deadline step due at `now` (breaches, escalation levels),
   * each with its timeline entry, all or nothing. Safe on several nodes at once: a step already
   * taken elsewhere is no longer due once the lock is had.
   */
  passDeadlines(id: number, now: Date): Promise<IncidentChange[]> {
    return this.db.transaction(async (client) => {
      const { rows } = await client.query<IncidentRow & { escalation: EscalationStep[] | null }>(
        `SELECT i.state, i.acknowledge_due_at, i.resolve_due_at, i.acknowledge_breached_at, i.resolve_breached_at, i.escalation_level,
                (SELECT p.escalation FROM deadline_policies p WHERE p.severity = i.severity) AS escalation
           FROM incidents i WHERE i.id = $1 FOR UPDATE`,
        [id],
      );
      const row = rows[0];
      if (!row) return [];
      const facts = {
        state: row.state,
        acknowledgeDueAt: row.acknowledge_due_at?.getTime() ?? null,
        resolveDueAt: row.resolve_due_at?.getTime() ?? null,
        acknowledgeBreached: row.acknowledge_breached_at !== null,
        resolveBreached: row.resolve_breached_at !== null,
        escalationLevel: row.escalation_level,
      };
      const changes: IncidentChange[] = [];
      for (const step of dueSteps(facts, row.escalation ?? [], now.getTime())) {
        if (step.kind === 'breach') {
          await client.query(
            `UPDATE incidents SET updated_at = now(),
               acknowledge_breached_at = CASE WHEN $2 = 'acknowledge' THEN acknowledge_due_at ELSE acknowledge_breached_at END,
               resolve_breached_at = CASE WHEN $2 = 'resolve' THEN resolve_due_at ELSE resolve_breached_at END
             WHERE id = $1`,
            [id, step.deadline],
          );
          changes.push(await this.appendEntry(client, id, { step: 'deadline_breached', actor: null, deadline: step.deadline }));
        } else {
          await client.query('UPDATE incidents SET escalation_level = $2, escalated_at = now(), updated_at = now() WHERE id = $1', [id, step.level]);
          changes.push(await this.appendEntry(client, id, { step: 'escalated', actor: null, level: step.level, notifyRoles: step.notifyRoles }));
        }
      }
      return changes;
    });
  }

  /** Seconds from now to each due time of an incident of this severity opened now, and the rule's own deadlines. */
  async deadlinesFor(client: Queryable, severity: Severity, own: RuleDeadlines): Promise<DeadlineSeconds> {
    const { rows } = await client.query<PolicyRow>(`SELECT ${POLICY_COLUMNS} FROM deadline_policies WHERE severity = $1`, [severity]);
    return deadlinesOf(rows[0] ? { acknowledgeS: rows[0].acknowledge_s, resolveS: rows[0].resolve_s } : null, own);
  }

  async policies(): Promise<DeadlinePolicyDto[]> {
    const { rows } = await this.db.pool.query<PolicyRow>(
      `SELECT ${POLICY_COLUMNS} FROM deadline_policies ORDER BY array_position(ARRAY['critical', 'warning', 'info'], severity)`,
    );
    return rows.map(toPolicy);
  }

  async setPolicy(severity: Severity, p: DeadlinePolicy, by: string): Promise<DeadlinePolicyDto> {
    const { rows } = await this.db.pool.query<PolicyRow>(
      `INSERT INTO deadline_policies (severity, acknowledge_s, resolve_s, escalation, updated_at, updated_by)
       VALUES ($1, $2, $3, $4, now(), $5)
       ON CONFLICT (severity) DO UPDATE
         SET acknowledge_s = EXCLUDED.acknowledge_s, resolve_s = EXCLUDED.resolve_s, escalation = EXCLUDED.escalation,
             updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by
       RETURNING ${POLICY_COLUMNS}`,
      [severity, p.acknowledgeS, p.resolveS, JSON.stringify(p.escalation), by],
    );
    return toPolicy(rows[0]);
  }

  find(id: number, client: Queryable = this.db.pool): Promise<IncidentDto | null> {
    return client
      .query<IncidentRow>(`SELECT ${INCIDENT_COLUMNS} FROM incidents i LEFT JOIN teams t ON t.id = i.team_id WHERE i.id = $1`, [id])
      .then(({ rows }) => (rows[0] ? toIncident(rows[0]) : null));
  }

  async timeline(incidentId: number): Promise<IncidentTimelineEntryDto[]> {
    const { rows } = await this.db.pool.query<EntryRow>(
      `SELECT ${ENTRY_COLUMNS} FROM incident_timeline e ${ENTRY_JOINS}
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
          AND ($13::text[] IS NULL OR i.source = ANY ($13))
          AND ($14::text[] IS NULL OR i.category = ANY ($14))
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
        q.source ?? null,
        q.category ?? null,
      ],
    );
    const items = rows.slice(0, q.limit).map(toIncident);
    return { items, nextCursor: rows.length > q.limit ? String(items[items.length - 1].id) : null };
  }

  /** Adds a step to the timeline inside the caller's transaction; answers the incident as it is now and the step. */
  async appendEntry(client: Queryable, incidentId: number, e: NewEntry): Promise<IncidentChange> {
    const { rows } = await client.query<EntryRow>(
      `WITH e AS (
         INSERT INTO incident_timeline (incident_id, step, actor_id, actor_name, note, team_id, alert_id, device_id, value, level,
                                        deadline, notify_roles, related_incident_id, photo_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
         RETURNING *
       )
       SELECT ${ENTRY_COLUMNS} FROM e ${ENTRY_JOINS}`,
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
        e.deadline ?? null,
        e.notifyRoles ?? null,
        e.relatedIncidentId ?? null,
        e.photoId ?? null,
      ],
    );
    const incident = await this.find(incidentId, client);
    const change = { incident: incident!, entry: toEntry(rows[0]) };
    // Its webhooks and emails are committed or rolled back with the step.
    await this.outbox.enqueue(client, change);
    return change;
  }

}
