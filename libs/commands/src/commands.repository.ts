import { Injectable } from '@nestjs/common';
import type { CommandDto, CommandState } from '@ioc/contracts';
import { Database } from '@ioc/database';

interface CommandRow {
  id: string;
  device_id: string;
  name: string;
  params: Record<string, unknown>;
  state: CommandState;
  requested_by: string | null;
  created_at: Date;
  expires_at: Date;
  answered_at: Date | null;
  message: string | null;
}

const COLUMNS = 'id, device_id, name, params, state, requested_by, created_at, expires_at, answered_at, message';

const toDto = (r: CommandRow): CommandDto => ({
  id: r.id,
  deviceId: r.device_id,
  name: r.name,
  params: r.params,
  state: r.state,
  requestedBy: r.requested_by,
  createdAt: r.created_at.toISOString(),
  expiresAt: r.expires_at.toISOString(),
  answeredAt: r.answered_at?.toISOString() ?? null,
  message: r.message,
});

@Injectable()
export class CommandsRepository {
  constructor(private readonly db: Database) {}

  async insert(c: { id: string; deviceId: string; name: string; params: Record<string, unknown>; requestedBy: string | null; expiresAt: Date }): Promise<CommandDto> {
    const { rows } = await this.db.pool.query<CommandRow>(
      `INSERT INTO commands (id, device_id, name, params, state, requested_by, expires_at)
       VALUES ($1, $2, $3, $4, 'pending', $5, $6)
       RETURNING ${COLUMNS}`,
      [c.id, c.deviceId, c.name, c.params, c.requestedBy, c.expiresAt],
    );
    return toDto(rows[0]);
  }

  /** Ends a pending command; null when it is not pending (already answered or timed out) or not this device's. */
  async finish(id: string, deviceId: string | null, state: Exclude<CommandState, 'pending'>, message: string | null): Promise<CommandDto | null> {
    const { rows } = await this.db.pool.query<CommandRow>(
      `UPDATE commands SET state = $3, message = $4, answered_at = now()
        WHERE id = $1 AND state = 'pending' AND ($2::text IS NULL OR device_id = $2)
       RETURNING ${COLUMNS}`,
      [id, deviceId, state, message],
    );
    return rows[0] ? toDto(rows[0]) : null;
  }

  async pending(): Promise<CommandDto[]> {
    const { rows } = await this.db.pool.query<CommandRow>(`SELECT ${COLUMNS} FROM commands WHERE state = 'pending'`);
    return rows.map(toDto);
  }

  async ofDevice(deviceId: string, limit: number): Promise<CommandDto[]> {
    const { rows } = await this.db.pool.query<CommandRow>(
      `SELECT ${COLUMNS} FROM commands WHERE device_id = $1 ORDER BY created_at DESC LIMIT $2`,
      [deviceId, limit],
    );
    return rows.map(toDto);
  }
}
