import { Injectable } from '@nestjs/common';
import type { AreaDto, AreaLevel, GeoJsonGeometry } from '@ioc/contracts';
import { Database, inTransaction } from '@ioc/database';

interface AreaRow {
  id: string;
  parent_id: string | null;
  name: string;
  level: AreaLevel;
  geometry: GeoJsonGeometry;
}

@Injectable()
export class AreasRepository {
  constructor(private readonly db: Database) {}

  /** Inserts new areas and bumps the version of those whose name, level, parent or outline changed. */
  async upsert(areas: readonly AreaDto[]): Promise<void> {
    const client = await this.db.pool.connect();
    try {
      await inTransaction(client, async () => {
        for (const a of areas) {
          await client.query(
            `INSERT INTO areas (id, parent_id, name, level, geometry)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (id) DO UPDATE
               SET parent_id = excluded.parent_id, name = excluded.name, level = excluded.level,
                   geometry = excluded.geometry, version = areas.version + 1, updated_at = now()
             WHERE (areas.parent_id, areas.name, areas.level, areas.geometry)
                   IS DISTINCT FROM (excluded.parent_id, excluded.name, excluded.level, excluded.geometry)`,
            [a.id, a.parentId, a.name, a.level, JSON.stringify(a.geometry)],
          );
        }
      });
    } finally {
      client.release();
    }
  }

  async findAll(): Promise<AreaDto[]> {
    const { rows } = await this.db.pool.query<AreaRow>(
      'SELECT id, parent_id, name, level, geometry FROM areas ORDER BY id',
    );
    return rows.map((r) => ({ id: r.id, parentId: r.parent_id, name: r.name, level: r.level, geometry: r.geometry }));
  }
}
