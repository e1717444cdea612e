import { Injectable } from '@nestjs/common';
import type { DeviceKind, DeviceStatus, LatestValue, StatusReason } from '@ioc/contracts';
import type { QueryResult, QueryResultRow } from 'pg';
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
  gatewayId: string | null;
  senmlNames: string[];
  secretHash: string | null;
  credentialsIssuedAt: Date | null;
  credentialsRevokedAt: Date | null;
  status: DeviceStatus | 'unknown';
  lastSeen: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export type DeviceFields = Pick<DeviceRecord, 'kind' | 'name' | 'lat' | 'lng' | 'areaIds' | 'metadata' | 'gatewayId' | 'senmlNames'>;

/** A write gave a device a SenML name that another device has. */
export class SenmlNameTaken extends Error {}

interface DeviceRow {
  id: string;
  key: number;
  kind: DeviceKind;
  name: string;
  lat: number;
  lng: number;
  area_ids: string[];
  metadata: Record<string, unknown>;
  gateway_id: string | null;
  senml_names: string[];
  secret_hash: string | null;
  credentials_issued_at: Date | null;
  credentials_revoked_at: Date | null;
  status: DeviceStatus | 'unknown';
  last_seen: Date | null;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = `id, key, kind, name, lat, lng, area_ids, metadata, gateway_id, senml_names, secret_hash, credentials_issued_at,
  credentials_revoked_at, status, last_seen, created_at, updated_at`;

const toRecord = (r: DeviceRow): DeviceRecord => ({
  id: r.id,
  key: r.key,
  kind: r.kind,
  name: r.name,
  lat: r.lat,
  lng: r.lng,
  areaIds: r.area_ids,
  metadata: r.metadata,
  gatewayId: r.gateway_id,
  senmlNames: r.senml_names,
  secretHash: r.secret_hash,
  credentialsIssuedAt: r.credentials_issued_at,
  credentialsRevokedAt: r.credentials_revoked_at,
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

  /** Inserts; null when the id is taken. Throws SenmlNameTaken. */
  async insert(id: string, f: DeviceFields): Promise<DeviceRecord | null> {
    const { rows } = await this.write<DeviceRow>(
      `INSERT INTO devices (id, kind, name, lat, lng, area_ids, metadata, gateway_id, senml_names)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (id) DO NOTHING
       RETURNING ${COLUMNS}`,
      [id, f.kind, f.name, f.lat, f.lng, f.areaIds, f.metadata, f.gatewayId, f.senmlNames],
    );
    return rows[0] ? toRecord(rows[0]) : null;
  }

  /** Creates or replaces the writable fields; the compact key, status and history stay. Throws SenmlNameTaken. */
  async upsert(id: string, f: DeviceFields): Promise<DeviceRecord> {
    const { rows } = await this.write<DeviceRow>(
      `INSERT INTO devices (id, kind, name, lat, lng, area_ids, metadata, gateway_id, senml_names)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (id) DO UPDATE
         SET kind = excluded.kind, name = excluded.name, lat = excluded.lat, lng = excluded.lng,
             area_ids = excluded.area_ids, metadata = excluded.metadata, gateway_id = excluded.gateway_id,
             senml_names = excluded.senml_names, updated_at = now()
       RETURNING ${COLUMNS}`,
      [id, f.kind, f.name, f.lat, f.lng, f.areaIds, f.metadata, f.gatewayId, f.senmlNames],
    );
    return toRecord(rows[0]);
  }

  /** Throws SenmlNameTaken. */
  async update(id: string, f: DeviceFields): Promise<DeviceRecord | null> {
    const { rows } = await this.write<DeviceRow>(
      `UPDATE devices
          SET kind = $2, name = $3, lat = $4, lng = $5, area_ids = $6, metadata = $7, gateway_id = $8,
              senml_names = $9, updated_at = now()
        WHERE id = $1
       RETURNING ${COLUMNS}`,
      [id, f.kind, f.name, f.lat, f.lng, f.areaIds, f.metadata, f.gatewayId, f.senmlNames],
    );
    return rows[0] ? toRecord(rows[0]) : null;
  }

  /** A write of the registered fields; a SenML name another device holds (migration 0013's trigger) becomes SenmlNameTaken. */
  private async write<R extends QueryResultRow>(text: string, values: unknown[]): Promise<QueryResult<R>> {
    try {
      return await this.db.pool.query<R>(text, values);
    } catch (err) {
      const { code, constraint } = err as { code?: string; constraint?: string };
      if (code === '23505' && constraint === 'device_senml_names_pkey') throw new SenmlNameTaken((err as Error).message);
      throw err;
    }
  }

  async delete(id: string): Promise<boolean> {
    const { rowCount } = await this.db.pool.query('DELETE FROM devices WHERE id = $1', [id]);
    return rowCount === 1;
  }

  /** Replaces the device's secret; the previous one stops working. */
  async setSecret(id: string, secretHash: string): Promise<DeviceRecord | null> {
    const { rows } = await this.db.pool.query<DeviceRow>(
      `UPDATE devices SET secret_hash = $2, credentials_issued_at = now(), credentials_revoked_at = NULL
        WHERE id = $1
       RETURNING ${COLUMNS}`,
      [id, secretHash],
    );
    return rows[0] ? toRecord(rows[0]) : null;
  }

  async revokeSecret(id: string): Promise<DeviceRecord | null> {
    const { rows } = await this.db.pool.query<DeviceRow>(
      `UPDATE devices SET secret_hash = NULL, credentials_revoked_at = now()
        WHERE id = $1
       RETURNING ${COLUMNS}`,
      [id],
    );
    return rows[0] ? toRecord(rows[0]) : null;
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
