import { Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import type { AlertRuleDefinition, RuleDto, RuleVersionDto } from '@ioc/contracts';
import { Database } from '@ioc/database';

interface RuleRow {
  id: number;
  version: number;
  definition: AlertRuleDefinition;
  created_at: Date;
  updated_at: Date;
  updated_by: string | null;
}

interface VersionRow {
  rule_id: number;
  version: number;
  definition: AlertRuleDefinition;
  created_at: Date;
  created_by: string | null;
}

const RULE_COLUMNS = 'id, version, definition, created_at, updated_at, updated_by';

const toRule = (r: RuleRow): RuleDto => ({
  id: r.id,
  version: r.version,
  ...r.definition,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
  updatedBy: r.updated_by,
});

/** Rules and every version of each: a change writes the rule and its new version together. */
@Injectable()
export class RulesRepository {
  constructor(private readonly db: Database) {}

  /** Every rule not deleted, oldest first. */
  async findAll(): Promise<RuleDto[]> {
    const { rows } = await this.db.pool.query<RuleRow>(`SELECT ${RULE_COLUMNS} FROM rules WHERE deleted_at IS NULL ORDER BY id`);
    return rows.map(toRule);
  }

  insert(definition: AlertRuleDefinition, by: string | null): Promise<RuleDto> {
    return this.db.transaction(async (client) => {
      const { rows } = await client.query<RuleRow>(
        `INSERT INTO rules (definition, updated_by) VALUES ($1, $2) RETURNING ${RULE_COLUMNS}`,
        [definition, by],
      );
      await this.keepVersion(client, rows[0]);
      return toRule(rows[0]);
    });
  }

  /** null: no such rule, or it is deleted. */
  update(id: number, definition: AlertRuleDefinition, by: string | null): Promise<RuleDto | null> {
    return this.db.transaction(async (client) => {
      const { rows } = await client.query<RuleRow>(
        `UPDATE rules SET definition = $2, version = version + 1, updated_at = now(), updated_by = $3
          WHERE id = $1 AND deleted_at IS NULL
         RETURNING ${RULE_COLUMNS}`,
        [id, definition, by],
      );
      if (rows.length === 0) return null;
      await this.keepVersion(client, rows[0]);
      return toRule(rows[0]);
    });
  }

  /** Marks the rule deleted (its versions and incidents still name it) and forgets its evaluation state. */
  markDeleted(id: number, by: string | null): Promise<boolean> {
    return this.db.transaction(async (client) => {
      const { rowCount } = await client.query(
        'UPDATE rules SET deleted_at = now(), updated_at = now(), updated_by = $2 WHERE id = $1 AND deleted_at IS NULL',
        [id, by],
      );
      await client.query('DELETE FROM alert_states WHERE rule_id = $1', [id]);
      return rowCount === 1;
    });
  }

  /** Whether the rule exists and is not deleted. */
  async exists(id: number): Promise<boolean> {
    const { rows } = await this.db.pool.query('SELECT 1 FROM rules WHERE id = $1 AND deleted_at IS NULL', [id]);
    return rows.length === 1;
  }

  /** Newest first; empty for a rule that never existed. */
  async versions(id: number): Promise<RuleVersionDto[]> {
    const { rows } = await this.db.pool.query<VersionRow>(
      'SELECT rule_id, version, definition, created_at, created_by FROM rule_versions WHERE rule_id = $1 ORDER BY version DESC',
      [id],
    );
    return rows.map((r) => ({
      ruleId: r.rule_id,
      version: r.version,
      definition: r.definition,
      createdAt: r.created_at.toISOString(),
      createdBy: r.created_by,
    }));
  }

  private async keepVersion(client: PoolClient, r: RuleRow): Promise<void> {
    await client.query(
      'INSERT INTO rule_versions (rule_id, version, definition, created_at, created_by) VALUES ($1, $2, $3, $4, $5)',
      [r.id, r.version, r.definition, r.updated_at, r.updated_by],
    );
  }
}
