import { Controller, Get, Headers, Query, Res } from '@nestjs/common';
import { Throttle } from '@nestjs/throttler';
import type { Response } from 'express';
import {
  OPEN_DATA_LICENCE,
  OPEN_DATA_RATE_LIMIT,
  openDataQuerySchema,
  type OpenDataDto,
  type OpenDataFeatureCollectionDto,
  type OpenDataQuery,
} from '@ioc/contracts';
import { CSV_TYPE, replyFormat, ZodValidationPipe } from '@ioc/common';
import { Public } from '@ioc/auth';
import { openDataCsv } from '../history/history.csv';
import { OpenDataService } from './open-data.service';

@Controller('api/open-data')
export class OpenDataController {
  constructor(private readonly openData: OpenDataService) {}

  /** Hourly air-quality, water-level and salinity aggregates per area: JSON, CSV or GeoJSON. */
  @Get('environment')
  @Public()
  @Throttle({ api: { limit: OPEN_DATA_RATE_LIMIT, ttl: 60_000 } })
  async environment(
    @Query(new ZodValidationPipe(openDataQuerySchema)) query: OpenDataQuery,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<OpenDataDto | OpenDataFeatureCollectionDto | string> {
    const format = replyFormat(query.format, accept, ['json', 'csv', 'geojson']);
    res.setHeader('Link', `<${OPEN_DATA_LICENCE.url}>; rel="license"`);
    if (format === 'geojson') {
      res.type('application/geo+json');
      return this.openData.geojson(query);
    }
    const dto = await this.openData.hourly(query);
    if (format === 'json') return dto;
    res.type(CSV_TYPE);
    return openDataCsv(dto);
  }
}
