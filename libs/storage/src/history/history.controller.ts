import { Controller, Get, Headers, Param, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import {
  areaSeriesQuerySchema,
  deviceSeriesQuerySchema,
  latestQuerySchema,
  type AreaSeriesDto,
  type AreaSeriesQuery,
  type DeviceColumnsDto,
  type DeviceSeriesDto,
  type DeviceSeriesQuery,
  type LatestDeviceValuesDto,
  type LatestQuery,
} from '@ioc/contracts';
import { CSV_TYPE, replyFormat, ZodValidationPipe } from '@ioc/common';
import { Allow, EVERYONE, OPERATIONS_ROOM } from '@ioc/auth';
import { deviceId } from '@ioc/devices';
import { areaSeriesCsv, deviceSeriesCsv } from './history.csv';
import { HistoryService } from './history.service';


@Controller('api/history')
export class HistoryController {
  constructor(private readonly history: HistoryService) {}

  /** Newest value of each metric: one device, an area's devices, a map box's, or all. */
  @Get('latest')
  @Allow(...EVERYONE)
  latest(@Query(new ZodValidationPipe(latestQuerySchema)) query: LatestQuery): Promise<LatestDeviceValuesDto[]> {
    return this.history.latest(query);
  }

  /** A device's metrics over a range: raw samples (paged) or buckets; JSON, CSV or columns (DeviceColumnsDto). */
  @Get('devices/:id')
  @Allow(...OPERATIONS_ROOM)
  async device(
    @Param('id') id: string,
    @Query(new ZodValidationPipe(deviceSeriesQuerySchema)) query: DeviceSeriesQuery,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<DeviceSeriesDto | DeviceColumnsDto | string> {
    const format = replyFormat(query.format, accept, ['json', 'csv', 'columns']);
    if (format === 'columns') return this.history.deviceColumns(deviceId(id), query);
    const dto = await this.history.deviceSeries(deviceId(id), query);
    if (format === 'json') return dto;
    if (dto.resolution === 'raw' && dto.nextCursor) res.setHeader('X-Next-Cursor', dto.nextCursor);
    res.type(CSV_TYPE);
    return deviceSeriesCsv(dto);
  }

  /** An area's devices together, in buckets; JSON or CSV. */
  @Get('areas/:id')
  @Allow(...OPERATIONS_ROOM)
  async area(
    @Param('id') id: string,
    @Query(new ZodValidationPipe(areaSeriesQuerySchema)) query: AreaSeriesQuery,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<AreaSeriesDto | string> {
    const dto = await this.history.areaSeries(id, query);
    if (replyFormat(query.format, accept, ['json', 'csv']) === 'json') return dto;
    res.type(CSV_TYPE);
    return areaSeriesCsv(dto);
  }
}
