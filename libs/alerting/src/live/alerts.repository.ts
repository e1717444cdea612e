import { Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import type { AlertDto, AlertState, IncidentCategory, IncidentStep, ListAlertsQuery, RuleDeadlines, Severity } from '@ioc/contracts';
import { Database } from '@ioc/database';
import { IncidentsRepository, type IncidentChange } from '../incidents/incidents.repository';
import type { RuleState } from '../rule';

interface AlertRow {
  id: string;
  rule_id: number | null;
  rule_version: number | null;
  rule_name: string;
  severity: Severity;
  device_id: string;
  metric: string | null;
  value: number | null;
  message_vi: string;
  message_en: string;
  state: AlertState;
  incident_id: string | null;
  silence_id: string | null;
  inhibited_by: string | null;
  opened_at: Date;
  resolved_at: Date | null;
}

const ALERT_COLUMNS = `id, rule_id, rule_version, rule_name, severity, device_id, metric, value, message_vi, message_en, state,
  incident_id, silence_id, inhibited_by, opened_at, resolved_at`;

const toAlert = (r: AlertRow): AlertDto => ({
  id: Number(r.id),
  ruleId: r.rule_id,
  ruleVersion: r.rule_version,
  ruleName: r.rule_name,
  severity: r.severity,
  deviceId: r.device_id,
  metric: r.metric,
  value: r.value,
  message: { vi: r.message_vi, en: r.message_en },
  state: r.state,
  incidentId: r.incident_id === null ? null : Number(r.incident_id),
  silenceId: r.silence_id === null ? null : Number(r.silence_id),
  inhibitedBy: r.inhibited_by,
  openedAt: r.opened_at.toISOString(),
  resolvedAt: r.resolved_at?.toISOString() ?? null,
});

/** What the evaluators know of one (rule, device), as saved. */
export interface SavedState {
  ruleId: number;
  deviceId: string;
  ruleVersion: number;
  state: RuleState;
  wakeAt: number | null;
}

/** The rule as the alert and incident record it. */
export interface FiringRule {
  id: number;
  version: number;
  name: string;
  severity: Severity;
  dampingS: number;
  minNotifyIntervalS: number;
  deadlines: RuleDeadlines;
  category: IncidentCategory | null;
}

/** Where an alert's incident goes, and what it is called if it is new. */
export interface IncidentTarget {
  rule: FiringRule;
  deviceId: string;
  /** Area grouping: the rule's area, whose one incident gathers the device. */
  groupAreaId: string | null;
  areaIds: readonly string[];
  title: string;
}

/** What holds an alert back from opening an incident. */
export interface Hold {
  silenceId: number | null;
  inhibitedBy: string | null;
}

export interface Fire extends IncidentTarget {
  metric: string | null;
  value: number | null;
  message: { vi: string; en: string };
  at: Date;
  state: SavedState;
  hold: Hold;
}

export interface Clear {
  ruleId: number;
  deviceId: string;
  at: Date;
  /** null: the rule no longer watches the device; its saved state goes. */
  state: SavedState | null;
}

export interface Written {
  alert: AlertDto;
  /** The incident step the alert made; null when its incident is closed. */
  change: IncidentChange | null;
  /** Whether the step opened a new incident. */
  opened: boolean;
  /** Whether people should be told of the step (IncidentEventDto.notify). */
  notify: boolean;
}

const ACTIVE = ['open', 'acknowledged', 'dispatched'];

/**
 * Alerts and the incidents they open, one transaction per transition: the alert, its incident
 * (opened, joined, reopened within the rule's damping, or told the device cleared), the timeline
 * step, and the rule's state on the device, all or nothing.
 */
@Injectable()
export class AlertsRepository {
  constructor(
    private readonly db: Database,
    private readonly incidents: IncidentsRepository,
  ) {}

  /** null: the (rule, device) already has an open alert (a restart met what it had written). */
  fire(f: Fire): Promise<Written | null> {
    return this.db.transaction(async (client) => {
      await saveState(client, f.state);
      const inserted = await client.query<AlertRow>(
        `INSERT INTO alerts (rule_id, rule_version, rule_name, severity, device_id, metric, value, message_vi, message_en, state,
                             opened_at, silence_id, inhibited_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'open', $10, $11, $12)
         ON CONFLICT (rule_id, device_id) WHERE state = 'open' DO NOTHING
         RETURNING ${ALERT_COLUMNS}`,
        [f.rule.id, f.rule.version, f.rule.name, f.rule.severity, f.deviceId, f.metric, f.value, f.message.vi, f.message.en, f.at,
          f.hold.silenceId, f.hold.inhibitedBy],
      );
      if (inserted.rows.length === 0) return null;
      const alert = toAlert(inserted.rows[0]);
      if (f.hold.silenceId !== null || f.hold.inhibitedBy !== null) return { alert, change: null, opened: false, notify: false };
      return this.attach(client, f, alert);
    });
  }

  /**
   * An alert held back (silenced, inhibited) whose hold has ended while it still fires: it opens
   * or joins its incident now, or is held by `hold` instead. null: it is no longer open and held.
   */
  release(alertId: number, target: IncidentTarget, hold: Hold): Promise<Written | null> {
    return this.db.transaction(async (client) => {
      const { rows } = await client.query<AlertRow>(
        `UPDATE alerts SET silence_id = $2, inhibited_by = $3
          WHERE id = $1 AND state = 'open' AND incident_id IS NULL AND (silence_id IS NOT NULL OR inhibited_by IS NOT NULL)
         RETURNING ${ALERT_COLUMNS}`,
        [alertId, hold.silenceId, hold.inhibitedBy],
      );
      if (rows.length === 0) return null;
      const alert = toAlert(rows[0]);
      if (hold.silenceId !== null || hold.inhibitedBy !== null) return { alert, change: null, opened: false, notify: false };
      return this.attach(client, target, alert);
    });
  }

  /** Open alerts held back by the silence, or by any of the devices (inhibitors); both null: every held one. */
  async findHeld(by: { silenceId?: number; inhibitedBy?: string[] }): Promise<AlertDto[]> {
    const { rows } = await this.db.pool.query<AlertRow>(
      `SELECT ${ALERT_COLUMNS} FROM alerts
        WHERE state = 'open' AND incident_id IS NULL AND (silence_id IS NOT NULL OR inhibited_by IS NOT NULL)
          AND ($1::bigint IS NULL OR silence_id = $1) AND ($2::text[] IS NULL OR inhibited_by = ANY ($2))
        ORDER BY id`,
      [by.silenceId ?? null, by.inhibitedBy ?? null],
    );
    return rows.map(toAlert);
  }

  /** Puts the alert on its incident: the step, the member, the link. */
  private async attach(client: PoolClient, t: IncidentTarget, alert: AlertDto): Promise<Written> {
    const at = new Date(alert.openedAt);
    const { incidentId, step } = await this.incidentFor(client, t, alert.id, at);
    // One round trip: the member, the notification time (at most once per minimum notify interval,
    // the opening always) and the alert's link.
    const { rows } = await client.query<AlertRow & { notify: boolean }>(
      `WITH member AS (
         INSERT INTO incident_devices (incident_id, device_id, firing, joined_at) VALUES ($1, $2, true, $3)
         ON CONFLICT (incident_id, device_id) DO UPDATE SET firing = true
       ), told AS (
         UPDATE incidents SET notified_at = $3
          WHERE id = $1 AND (notified_at IS NULL OR notified_at <= $3::timestamptz - make_interval(secs => $5) OR $6)
         RETURNING id
       )
       UPDATE alerts SET incident_id = $1 WHERE id = $4
       RETURNING ${ALERT_COLUMNS}, EXISTS (SELECT 1 FROM told) AS notify`,
      [incidentId, t.deviceId, at, alert.id, t.rule.minNotifyIntervalS, step === 'opened'],
    );
    const change = await this.incidents.appendEntry(client, incidentId, {
      step,
      actor: null,
      alertId: alert.id,
      deviceId: t.deviceId,
      value: alert.value,
    });
    return { alert: toAlert(rows[0]), change, opened: step === 'opened', notify: rows[0].notify };
  }

  /** null: no open alert for the (rule, device). */
  clear(c: Clear): Promise<Written | null> {
    return this.db.transaction(async (client) => {
      if (c.state) await saveState(client, c.state);
      else await client.query('DELETE FROM alert_states WHERE rule_id = $1 AND device_id = $2', [c.ruleId, c.deviceId]);
      const { rows } = await client.query<AlertRow>(
        `UPDATE alerts SET state = 'resolved', resolved_at = $3
          WHERE rule_id = $1 AND device_id = $2 AND state = 'open'
         RETURNING ${ALERT_COLUMNS}`,
        [c.ruleId, c.deviceId, c.at],
      );
      if (rows.length === 0) return null;
      const alert = toAlert(rows[0]);
      if (alert.incidentId === null) return { alert, change: null, opened: false, notify: false };
      const updated = await client.query<{ firing: number; grouped: boolean }>(
        `WITH left_device AS (
           UPDATE incident_devices SET firing = false WHERE incident_id = $1 AND device_id = $2
         ), firing AS (
           SELECT count(*)::int AS n FROM incident_devices WHERE incident_id = $1 AND firing AND device_id <> $2
         )
         UPDATE incidents i
            SET alert_active = firing.n > 0,
                alert_cleared_at = CASE WHEN firing.n > 0 THEN i.alert_cleared_at ELSE $3 END,
                updated_at = now()
           FROM firing
          WHERE i.id = $1 AND i.state <> 'closed'
         RETURNING firing.n AS firing, i.group_area_id IS NOT NULL AS grouped`,
        [alert.incidentId, c.deviceId, c.at],
      );
      if (updated.rows.length === 0) return { alert, change: null, opened: false, notify: false };
      const { firing, grouped } = updated.rows[0];
      const step: IncidentStep = grouped && firing > 0 ? 'device_left' : 'alert_resolved';
      const change = await this.incidents.appendEntry(client, alert.incidentId, { step, actor: null, alertId: alert.id, deviceId: c.deviceId });
      return { alert, change, opened: false, notify: false };
    });
  }

  /** Saves states whose phase changed without a transition (pending, a timer moved), in one statement. */
  async saveStates(states: readonly SavedState[]): Promise<void> {
    if (states.length === 0) return;
    await this.db.pool.query(
      `INSERT INTO alert_states (rule_id, device_id, rule_version, state, wake_at, saved_at)
       SELECT s.rule_id, s.device_id, s.rule_version, s.state, to_timestamp(s.wake_at / 1000.0), now()
         FROM unnest($1::int[], $2::text[], $3::int[], $4::jsonb[], $5::float8[]) AS s (rule_id, device_id, rule_version, state, wake_at)
         JOIN rules r ON r.id = s.rule_id AND r.deleted_at IS NULL
       ON CONFLICT (rule_id, device_id) DO UPDATE
         SET rule_version = EXCLUDED.rule_version, state = EXCLUDED.state, wake_at = EXCLUDED.wake_at, saved_at = EXCLUDED.saved_at`,
      [
        states.map((s) => s.ruleId),
        states.map((s) => s.deviceId),
        states.map((s) => s.ruleVersion),
        states.map((s) => JSON.stringify(s.state)),
        states.map((s) => s.wakeAt),
      ],
    );
  }

  async loadStates(): Promise<SavedState[]> {
    const { rows } = await this.db.pool.query<{ rule_id: number; device_id: string; rule_version: number; state: RuleState; wake_at: Date | null }>(
      'SELECT rule_id, device_id, rule_version, state, wake_at FROM alert_states',
    );
    return rows.map((r) => ({
      ruleId: r.rule_id,
      deviceId: r.device_id,
      ruleVersion: r.rule_version,
      state: r.state,
      wakeAt: r.wake_at?.getTime() ?? null,
    }));
  }

  /** A new version of a rule that evaluates as the previous one did: its states hold for it. */
  async carryStates(ruleId: number, version: number): Promise<void> {
    await this.db.pool.query('UPDATE alert_states SET rule_version = $2 WHERE rule_id = $1', [ruleId, version]);
  }

  /** A rule's conditions changed: what was known under the old ones no longer holds. */
  async forgetStates(ruleId: number): Promise<void> {
    await this.db.pool.query('DELETE FROM alert_states WHERE rule_id = $1', [ruleId]);
  }

  async findAlerts(q: Partial<ListAlertsQuery> & { limit: number }): Promise<AlertDto[]> {
    const { rows } = await this.db.pool.query<AlertRow>(
      `SELECT ${ALERT_COLUMNS} FROM alerts
        WHERE ($1::text IS NULL OR state = $1)
          AND ($2::text IS NULL OR device_id = $2)
        ORDER BY opened_at DESC, id DESC
        LIMIT $3`,
      [q.state ?? null, q.deviceId ?? null, q.limit],
    );
    return rows.map(toAlert);
  }

  /**
   * The incident a new alert goes on: the group's active one; the group's last one if people
   * resolved it and the rule cleared within its damping window (reopened); otherwise a new one.
   */
  private async incidentFor(client: PoolClient, f: IncidentTarget, alertId: number, at: Date): Promise<{ incidentId: number; step: IncidentStep }> {
    const groupKey = f.groupAreaId === null ? `device:${f.deviceId}` : `area:${f.groupAreaId}`;
    // A concurrent writer on another node may open the group's incident between the two statements: look again.
    for (let attempt = 0; attempt < 3; attempt++) {
      const { rows } = await client.query<{ id: string; state: string; alert_cleared_at: Date | null }>(
        `SELECT id, state, alert_cleared_at FROM incidents WHERE rule_id = $1 AND group_key = $2 ORDER BY id DESC LIMIT 1 FOR UPDATE`,
        [f.rule.id, groupKey],
      );
      const last = rows[0];
      if (last && ACTIVE.includes(last.state)) {
        await client.query('UPDATE incidents SET alert_active = true, updated_at = now() WHERE id = $1', [last.id]);
        return { incidentId: Number(last.id), step: f.groupAreaId === null ? 'alert_opened' : 'device_joined' };
      }
      const withinDamping =
        last?.state === 'resolved' && last.alert_cleared_at !== null && at.getTime() - last.alert_cleared_at.getTime() <= f.rule.dampingS * 1000;
      // Reopened or new, it is to be acknowledged and resolved afresh, by due times counted from now.
      const due = await this.incidents.deadlinesFor(client, f.rule.severity, f.rule.deadlines);
      if (last && withinDamping) {
        await client.query(
          `UPDATE incidents SET state = 'open', alert_active = true, resolved_at = NULL, resolved_by = NULL, updated_at = now(),
                  escalation_level = 0, acknowledge_due_at = now() + make_interval(secs => $2), resolve_due_at = now() + make_interval(secs => $3),
                  acknowledge_breached_at = NULL, resolve_breached_at = NULL
            WHERE id = $1`,
          [last.id, due.acknowledgeS, due.resolveS],
        );
        return { incidentId: Number(last.id), step: 'reopened' };
      }
      const inserted = await client.query<{ id: string }>(
        `INSERT INTO incidents (rule_id, rule_version, alert_id, device_id, group_area_id, area_ids, severity, title, opened_at,
                                acknowledge_due_at, resolve_due_at, category)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now() + make_interval(secs => $10), now() + make_interval(secs => $11), $12)
         ON CONFLICT (rule_id, group_key) WHERE state IN ('open', 'acknowledged', 'dispatched') DO NOTHING
         RETURNING id`,
        [f.rule.id, f.rule.version, alertId, f.deviceId, f.groupAreaId, f.areaIds, f.rule.severity, f.title, at, due.acknowledgeS, due.resolveS, f.rule.category],
      );
      if (inserted.rows.length === 1) return { incidentId: Number(inserted.rows[0].id), step: 'opened' };
    }
    throw new Error(`no incident for rule ${f.rule.id} on ${groupKey} after 3 attempts`);
  }
}

async function saveState(client: PoolClient, s: SavedState): Promise<void> {
  await client.query(
    `INSERT INTO alert_states (rule_id, device_id, rule_version, state, wake_at, saved_at)
     VALUES ($1, $2, $3, $4, to_timestamp($5 / 1000.0), now())
     ON CONFLICT (rule_id, device_id) DO UPDATE
       SET rule_version = EXCLUDED.rule_version, state = EXCLUDED.state, wake_at = EXCLUDED.wake_at, saved_at = EXCLUDED.saved_at`,
    [s.ruleId, s.deviceId, s.ruleVersion, JSON.stringify(s.state), s.wakeAt],
  );
}
