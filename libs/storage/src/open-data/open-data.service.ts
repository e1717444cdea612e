import { Injectable } from '@nestjs/common';
import {
  AREA_AGGREGATES,
  OPEN_DATA_LICENCE,
  type OpenDataDto,
  type OpenDataFeatureCollectionDto,
  type OpenDataQuery,
} from '@ioc/contracts';
import { AreasService } from '@ioc/areas';
import { ErrorCode, IocError } from '@ioc/common';
import { HistoryService } from '../history/history.service';

/**
 * Hourly environmental aggregates per area, for anyone: no device ids, secrets, positions or
 * personal data, only area outlines and numbers, under an open licence.
 */
@Injectable()
export class OpenDataService {
  constructor(
    private readonly history: HistoryService,
    private readonly areas: AreasService,
  ) {}

  async hourly(q: OpenDataQuery): Promise<OpenDataDto> {
    const areas = q.areaId ? this.areas.list().filter((a) => a.id === q.areaId) : this.areas.list();
    if (q.areaId && areas.length === 0) throw new IocError(ErrorCode.NotFound, `area ${q.areaId} does not exist`);
    const from = new Date(q.from);
    const to = new Date(q.to);
    const result: OpenDataDto = { licence: { ...OPEN_DATA_LICENCE }, resolution: '1h', from: from.toISOString(), to: to.toISOString(), areas: [] };
    for (const area of areas) {
      const buckets = await this.history.areaBuckets(area.id, q.metrics, '1h', from, to, 'UTC', AREA_AGGREGATES);
      result.from = buckets.from;
      result.areas.push({ areaId: area.id, name: area.name, level: area.level, series: buckets.series });
    }
    return result;
  }

  async geojson(q: OpenDataQuery): Promise<OpenDataFeatureCollectionDto> {
    const data = await this.hourly(q);
    const outlines = new Map(this.areas.list().map((a) => [a.id, a.geometry]));
    return {
      type: 'FeatureCollection',
      licence: data.licence,
      features: data.areas.map((a) => ({
        type: 'Feature',
        id: a.areaId,
        geometry: outlines.get(a.areaId)!,
        properties: { ...a, resolution: data.resolution, from: data.from, to: data.to },
      })),
    };
  }
}
