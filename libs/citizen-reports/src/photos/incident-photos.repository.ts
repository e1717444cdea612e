import { Injectable } from '@nestjs/common';
import type { IncidentPhotoDto, PhotoPhase, PhotoType } from '@ioc/contracts';
import type { Queryable } from '@ioc/alerting';
import { Database } from '@ioc/database';

export interface NewPhoto {
  incidentId: number;
  phase: PhotoPhase | null;
  note: string | null;
  storageKey: string;
  contentType: PhotoType;
  bytes: number;
  width: number;
  height: number;
  /** null: the citizen who reported. */
  takenBy: { id: number; username: string } | null;
}

interface PhotoRow {
  id: string;
  incident_id: string;
  phase: PhotoPhase | null;
  note: string | null;
  storage_key: string;
  content_type: PhotoType;
  bytes: number;
  width: number;
  height: number;
  taken_by: string | null;
  taken_at: Date;
}

export interface StoredPhoto {
  storageKey: string;
  contentType: PhotoType;
}

const COLUMNS = 'id, incident_id, phase, note, storage_key, content_type, bytes, width, height, taken_by, taken_at';
/** An incident's photos include those of the reports merged into it. */
const OF_INCIDENT = '(incident_id = $1 OR incident_id IN (SELECT id FROM incidents WHERE merged_into_id = $1))';

/** Where a photo is read, under the incident it is listed with. */
export const photoUrl = (incidentId: number, photoId: number | string) => `/api/incidents/${incidentId}/photos/${photoId}`;

const toPhoto = (r: PhotoRow, listedUnder: number): IncidentPhotoDto => ({
  id: Number(r.id),
  incidentId: Number(r.incident_id),
  phase: r.phase,
  note: r.note,
  contentType: r.content_type,
  bytes: r.bytes,
  width: r.width,
  height: r.height,
  takenBy: r.taken_by,
  takenAt: r.taken_at.toISOString(),
  url: photoUrl(listedUnder, r.id),
});

/** incident_photos: what each stored photo is and whose incident it belongs to. */
@Injectable()
export class IncidentPhotosRepository {
  constructor(private readonly db: Database) {}

  async insert(client: Queryable, p: NewPhoto): Promise<number> {
    const { rows } = await client.query<{ id: string }>(
      `INSERT INTO incident_photos (incident_id, phase, note, storage_key, content_type, bytes, width, height, taken_by_id, taken_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
      [p.incidentId, p.phase, p.note, p.storageKey, p.contentType, p.bytes, p.width, p.height, p.takenBy?.id ?? null, p.takenBy?.username ?? null],
    );
    return Number(rows[0].id);
  }

  /** Oldest first. */
  async list(incidentId: number): Promise<IncidentPhotoDto[]> {
    const { rows } = await this.db.pool.query<PhotoRow>(`SELECT ${COLUMNS} FROM incident_photos WHERE ${OF_INCIDENT} ORDER BY id`, [incidentId]);
    return rows.map((r) => toPhoto(r, incidentId));
  }

  async find(incidentId: number, photoId: number): Promise<StoredPhoto | null> {
    const { rows } = await this.db.pool.query<PhotoRow>(`SELECT ${COLUMNS} FROM incident_photos WHERE id = $2 AND ${OF_INCIDENT}`, [incidentId, photoId]);
    return rows[0] ? { storageKey: rows[0].storage_key, contentType: rows[0].content_type } : null;
  }
}
