import { Injectable } from '@nestjs/common';
import type { CreateSilence, ListSilencesQuery, SilenceDto } from '@ioc/contracts';
import { Database } from '@ioc/database';

interface SilenceRow {
  id: string;
  rule_id: number | null;
  device_id: string | null;
  area_id: string | null;
  reason: string;
  starts_at: Date;
  ends_at: Date;
  created_by: string | null;
  created_at: Date;
  ended_by: string | null;
}

const COLUMNS = 'id, rule_id, device_id, area_id, reason, starts_at, ends_at, created_by, created_at, ended_by';

export function toSilence(r: SilenceRow, now = Date.now()): SilenceDto {
  return {
    id: Number(r.id),
    ruleId: r.rule_id,
    deviceId: r.device_id,
    areaId: r.area_id,
    reason: r.reason,
    startsAt: r.starts_at.toISOString(),
    endsAt: r.ends_at.toISOString(),
    state: now < r.starts_at.getTime() ? 'pending' : now < r.ends_at.getTime() ? 'active' : 'expired',
    createdBy: r.created_by,
    createdAt: r.created_at.toISOString(),
    endedBy: r.ended_by,
  };
}

@Injectable()
export class SilencesRepository {
  constructor(private readonly db: Database) {}

  async insert(s: CreateSilence, by: string): Promise<SilenceDto> {
    const { rows } = await this.db.pool.query<SilenceRow>(
      `INSERT INTO silences (rule_id, device_id, area_id, reason, starts_at, ends_at, created_by)
       VALUES ($1, $2, $3, $4, COALESCE($5::timestamptz, now()), $6, $7)
       RETURNING ${COLUMNS}`,
      [s.ruleId ?? null, s.deviceId ?? null, s.areaId ?? null, s.reason, s.startsAt ?? null, s.endsAt, by],
    );
    return toSilence(rows[0]);
  }

  /** Ends a silence that has not ended yet; a pending one ends before it began. null: no such silence still running. */
  async end(id: number, by: string): Promise<SilenceDto | null> {
    const { rows } = await this.db.pool.query<SilenceRow>(
      `UPDATE silences SET starts_at = least(starts_at, now()), ends_at = now(), ended_by = $2
        WHERE id = $1 AND ends_at > now()
       RETURNING ${COLUMNS}`,
      [id, by],
    );
    return rows[0] ? toSilence(rows[0]) : null;
  }

  async find(id: number): Promise<SilenceDto | null> {
    const { rows } = await this.db.pool.query<SilenceRow>(`SELECT ${COLUMNS} FROM silences WHERE id = $1`, [id]);
    return rows[0] ? toSilence(rows[0]) : null;
  }

  /** Newest first. */
  async list(q: ListSilencesQuery): Promise<SilenceDto[]> {
    const { rows } = await this.db.pool.query<SilenceRow>(
      `SELECT ${COLUMNS} FROM silences
        WHERE CASE $1::text
                WHEN 'pending' THEN starts_at > now()
                WHEN 'active' THEN starts_at <= now() AND ends_at > now()
                WHEN 'expired' THEN ends_at <= now()
                ELSE true
              END
        ORDER BY id DESC
        LIMIT $2`,
      [q.state ?? null, q.limit],
    );
    return rows.map((r) => toSilence(r));
  }

  /** Those not over yet: what alerts are matched against. */
  async running(): Promise<SilenceDto[]> {
    const { rows } = await this.db.pool.query<SilenceRow>(`SELECT ${COLUMNS} FROM silences WHERE ends_at > now() ORDER BY id`);
    return rows.map((r) => toSilence(r));
  }
}
