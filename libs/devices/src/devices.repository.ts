import { Injectable } from '@nestjs/common';
import type { DeviceKind, DeviceStatus, LatestValue } from '@ioc/contracts';
import { Database } from '@ioc/database';

export interface DeviceRecord {
  id: string;
  key: number;
  kind: DeviceKind;
  name: string;
  lat: number;
  lng: number;
  areaIds: string[];
  metadata: Record<string, unknown>;
  status: DeviceStatus | 'unknown';
  lastSeen: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export type DeviceFields = Pick<DeviceRecord, 'kind' | 'name' | 'lat' | 'lng' | 'areaIds' | 'metadata'>;

interface DeviceRow {
  id: string;
  key: number;
  kind: DeviceKind;
  name: string;
  lat: number;
  lng: number;
  area_ids: string[];
  metadata: Record<string, unknown>;
  status: DeviceStatus | 'unknown';
  last_seen: Date | null;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = 'id, key, kind, name, lat, lng, area_ids, metadata, status, last_seen, created_at, updated_at';

const toRecord = (r: DeviceRow): DeviceRecord => ({
  id: r.id,
  key: r.key,
  kind: r.kind,
  name: r.name,
  lat: r.lat,
  lng: r.lng,
  areaIds: r.area_ids,
  metadata: r.metadata,
  status: r.status,
  lastSeen: r.last_seen,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

@Injectable()
export class DevicesRepository {
  constructor(private readonly db: Database) {}

  async findAll(): Promise<DeviceRecord[]> {
    const { rows } = await this.db.pool.query<DeviceRow>(`SELECT ${COLUMNS} FROM devices ORDER BY id`);
    return rows.map(toRecord);
  }

  /** Inserts; null when the id is taken. */
  async insert(id: string, f: DeviceFields): Promise<DeviceRecord | null> {
    const { rows } = await this.db.pool.query<DeviceRow>(
      `INSERT INTO devices (id, kind, name, lat, lng, area_ids, metadata)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (id) DO NOTHING
       RETURNING ${COLUMNS}`,
      [id, f.kind, f.name, f.lat, f.lng, f.areaIds, f.metadata],
    );
    return rows[0] ? toRecord(rows[0]) : null;
  }

  /** Creates or replaces the writable fields; the compact key, status and history stay. */
  async upsert(id: string, f: DeviceFields): Promise<DeviceRecord> {
    const { rows } = await this.db.pool.query<DeviceRow>(
      `INSERT INTO devices (id, kind, name, lat, lng, area_ids, metadata)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (id) DO UPDATE
         SET kind = excluded.kind, name = excluded.name, lat = excluded.lat, lng = excluded.lng,
             area_ids = excluded.area_ids, metadata = excluded.metadata, updated_at = now()
       RETURNING ${COLUMNS}`,
      [id, f.kind, f.name, f.lat, f.lng, f.areaIds, f.metadata],
    );
    return toRecord(rows[0]);
  }

  async update(id: string, f: DeviceFields): Promise<DeviceRecord | null> {
    const { rows } = await this.db.pool.query<DeviceRow>(
      `UPDATE devices
          SET kind = $2, name = $3, lat = $4, lng = $5, area_ids = $6, metadata = $7, updated_at = now()
        WHERE id = $1
       RETURNING ${COLUMNS}`,
      [id, f.kind, f.name, f.lat, f.lng, f.areaIds, f.metadata],
    );
    return rows[0] ? toRecord(rows[0]) : null;
  }

  async delete(id: string): Promise<boolean> {
    const { rowCount } = await this.db.pool.query('DELETE FROM devices WHERE id = $1', [id]);
    return rowCount === 1;
  }

  async setStatus(id: string, status: DeviceStatus, at: Date): Promise<void> {
    await this.db.pool.query(
      `UPDATE devices SET status = $2, last_seen = GREATEST(last_seen, $3) WHERE id = $1`,
      [id, status, at],
    );
  }

  /** Newest value of each metric, for the given devices (all when omitted). */
  async latestValues(deviceKeys?: readonly number[]): Promise<Map<number, Record<string, LatestValue>>> {
    const { rows } = await this.db.pool.query<{ device_key: number; metric: string; time: Date; value: number }>(
      `SELECT l.device_key, m.name AS metric, l.time, l.value
         FROM telemetry_latest l
         JOIN metrics m ON m.id = l.metric_id
        WHERE $1::int[] IS NULL OR l.device_key = ANY ($1::int[])`,
      [deviceKeys ?? null],
    );
    const byDevice = new Map<number, Record<string, LatestValue>>();
    for (const r of rows) {
      const latest = byDevice.get(r.device_key) ?? {};
      latest[r.metric] = { value: r.value, ts: r.time.toISOString() };
      byDevice.set(r.device_key, latest);
    }
    return byDevice;
  }
}
