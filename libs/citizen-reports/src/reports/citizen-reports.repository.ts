import { Injectable } from '@nestjs/common';
import type { Queryable } from '@ioc/alerting';
import { Database } from '@ioc/database';

export interface ReportRecord {
  code: string;
  incidentId: number;
  submittedAt: string;
  /** The citizen's photos, sent with the report. */
  photoCount: number;
  rating: { rating: number; comment: string | null; ratedAt: string } | null;
}

interface ReportRow {
  code: string;
  incident_id: string;
  submitted_at: Date;
  photo_count: number;
  rating: number | null;
  rating_comment: string | null;
  rated_at: Date | null;
}

const toReport = (r: ReportRow): ReportRecord => ({
  code: r.code,
  incidentId: Number(r.incident_id),
  submittedAt: r.submitted_at.toISOString(),
  photoCount: r.photo_count,
  rating: r.rating === null ? null : { rating: r.rating, comment: r.rating_comment, ratedAt: r.rated_at!.toISOString() },
});

const COLUMNS = `r.code, r.incident_id, r.submitted_at, r.rating, r.rating_comment, r.rated_at,
  (SELECT count(*)::int FROM incident_photos p WHERE p.incident_id = r.incident_id AND p.taken_by IS NULL) AS photo_count`;

/** citizen_reports: the tracking code of each report, its incident, and the citizen's rating. */
@Injectable()
export class CitizenReportsRepository {
  constructor(private readonly db: Database) {}

  /** false: the code is taken (one chance in 2^50 a pair): the caller draws another. */
  async insert(client: Queryable, r: { code: string; incidentId: number; senderHash: Buffer }): Promise<boolean> {
    const { rowCount } = await client.query(
      'INSERT INTO citizen_reports (code, incident_id, sender_hash) VALUES ($1, $2, $3) ON CONFLICT (code) DO NOTHING',
      [r.code, r.incidentId, r.senderHash],
    );
    return rowCount === 1;
  }

  async find(code: string): Promise<ReportRecord | null> {
    const { rows } = await this.db.pool.query<ReportRow>(`SELECT ${COLUMNS} FROM citizen_reports r WHERE r.code = $1`, [code]);
    return rows[0] ? toReport(rows[0]) : null;
  }

  /** Stores the rating of the work on `ratedIncidentId`; null: already rated. */
  async rate(code: string, rating: { rating: number; comment: string | null; ratedIncidentId: number }): Promise<ReportRecord | null> {
    const { rows } = await this.db.pool.query<ReportRow>(
      `UPDATE citizen_reports r SET rating = $2, rating_comment = $3, rated_incident_id = $4, rated_at = now()
        WHERE r.code = $1 AND r.rating IS NULL
        RETURNING ${COLUMNS}`,
      [code, rating.rating, rating.comment, rating.ratedIncidentId],
    );
    return rows[0] ? toReport(rows[0]) : null;
  }
}
