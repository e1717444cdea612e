import { Injectable } from '@nestjs/common';
import type { DeviceEventType } from '@ioc/contracts';
import { Database } from '@ioc/database';

export interface EventRow {
  device_id: string | null;
  device_key: number;
  type: DeviceEventType;
  time: Date;
  cursor_time: string;
  confidence: number | null;
  snapshot_url: string | null;
  attributes: Record<string, string | number | boolean | null>;
}

export interface EventFilter {
  type?: string;
  deviceId?: string;
  areaId?: string;
  from?: string;
  to?: string;
  /** Keyset position of the previous page's last event. */
  before: { time: string; deviceKey: number; type: string } | null;
  limit: number;
}

@Injectable()
export class EventsRepository {
  constructor(private readonly db: Database) {}

  /** Newest first, in (time, device, type) order: the primary key's columns, so the order is total. */
  async find(f: EventFilter): Promise<EventRow[]> {
    const { rows } = await this.db.pool.query<EventRow>(
      `SELECT d.id AS device_id, e.device_key, e.type, e.time,
              to_char(e.time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_time,
              e.confidence, e.snapshot_url, e.attributes
         FROM device_events e
         LEFT JOIN devices d ON d.key = e.device_key
        WHERE ($1::text IS NULL OR e.type = $1)
          AND ($2::text IS NULL OR d.id = $2)
          AND ($3::text IS NULL OR d.area_ids @> ARRAY[$3::text])
          AND ($4::timestamptz IS NULL OR e.time >= $4)
          AND ($5::timestamptz IS NULL OR e.time < $5)
          AND ($6::timestamptz IS NULL OR (e.time, e.device_key, e.type) < ($6::timestamptz, $7::int, $8::text))
        ORDER BY e.time DESC, e.device_key DESC, e.type DESC
        LIMIT $9`,
      [
        f.type ?? null,
        f.deviceId ?? null,
        f.areaId ?? null,
        f.from ?? null,
        f.to ?? null,
        f.before?.time ?? null,
        f.before?.deviceKey ?? null,
        f.before?.type ?? null,
        f.limit,
      ],
    );
    return rows;
  }
}
