import { Injectable } from '@nestjs/common';
import type { AlertDto, AlertState, CreateRule, ListAlertsQuery, RuleDto, Severity, ThresholdOperator } from '@ioc/contracts';
import { Database } from '@ioc/database';

interface RuleRow {
  id: number;
  name: string;
  kind: 'threshold';
  metric: string;
  operator: ThresholdOperator;
  threshold: number;
  severity: Severity;
  device_kind: RuleDto['deviceKind'];
  device_id: string | null;
  enabled: boolean;
  created_at: Date;
  updated_at: Date;
}

interface AlertRow {
  id: string;
  rule_id: number | null;
  rule_name: string;
  severity: Severity;
  device_id: string;
  metric: string;
  operator: ThresholdOperator;
  threshold: number;
  value: number;
  state: AlertState;
  opened_at: Date;
  resolved_at: Date | null;
}

const RULE_COLUMNS =
  'id, name, kind, metric, operator, threshold, severity, device_kind, device_id, enabled, created_at, updated_at';
const ALERT_COLUMNS =
  'id, rule_id, rule_name, severity, device_id, metric, operator, threshold, value, state, opened_at, resolved_at';

const toRule = (r: RuleRow): RuleDto => ({
  id: r.id,
  name: r.name,
  kind: r.kind,
  metric: r.metric,
  operator: r.operator,
  threshold: r.threshold,
  severity: r.severity,
  deviceKind: r.device_kind,
  deviceId: r.device_id,
  enabled: r.enabled,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});

const toAlert = (r: AlertRow): AlertDto => ({
  id: Number(r.id),
  ruleId: r.rule_id,
  ruleName: r.rule_name,
  severity: r.severity,
  deviceId: r.device_id,
  metric: r.metric,
  operator: r.operator,
  threshold: r.threshold,
  value: r.value,
  state: r.state,
  openedAt: r.opened_at.toISOString(),
  resolvedAt: r.resolved_at?.toISOString() ?? null,
});

@Injectable()
export class RulesRepository {
  constructor(private readonly db: Database) {}

  async findRules(): Promise<RuleDto[]> {
    const { rows } = await this.db.pool.query<RuleRow>(`SELECT ${RULE_COLUMNS} FROM rules ORDER BY id`);
    return rows.map(toRule);
  }

  async insertRule(r: CreateRule): Promise<RuleDto> {
    const { rows } = await this.db.pool.query<RuleRow>(
      `INSERT INTO rules (name, kind, metric, operator, threshold, severity, device_kind, device_id, enabled)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       RETURNING ${RULE_COLUMNS}`,
      [r.name, r.kind, r.metric, r.operator, r.threshold, r.severity, r.deviceKind, r.deviceId, r.enabled],
    );
    return toRule(rows[0]);
  }

  async updateRule(id: number, r: CreateRule): Promise<RuleDto | null> {
    const { rows } = await this.db.pool.query<RuleRow>(
      `UPDATE rules
          SET name = $2, kind = $3, metric = $4, operator = $5, threshold = $6, severity = $7,
              device_kind = $8, device_id = $9, enabled = $10, updated_at = now()
        WHERE id = $1
       RETURNING ${RULE_COLUMNS}`,
      [id, r.name, r.kind, r.metric, r.operator, r.threshold, r.severity, r.deviceKind, r.deviceId, r.enabled],
    );
    return rows[0] ? toRule(rows[0]) : null;
  }

  async deleteRule(id: number): Promise<boolean> {
    const { rowCount } = await this.db.pool.query('DELETE FROM rules WHERE id = $1', [id]);
    return rowCount === 1;
  }

  async openAlert(rule: RuleDto, deviceId: string, value: number, at: Date): Promise<AlertDto> {
    const { rows } = await this.db.pool.query<AlertRow>(
      `INSERT INTO alerts (rule_id, rule_name, severity, device_id, metric, operator, threshold, value, state, opened_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'open', $9)
       RETURNING ${ALERT_COLUMNS}`,
      [rule.id, rule.name, rule.severity, deviceId, rule.metric, rule.operator, rule.threshold, value, at],
    );
    return toAlert(rows[0]);
  }

  async resolveAlert(id: number, at: Date): Promise<AlertDto | null> {
    const { rows } = await this.db.pool.query<AlertRow>(
      `UPDATE alerts SET state = 'resolved', resolved_at = $2
        WHERE id = $1 AND state = 'open'
       RETURNING ${ALERT_COLUMNS}`,
      [id, at],
    );
    return rows[0] ? toAlert(rows[0]) : null;
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
}
