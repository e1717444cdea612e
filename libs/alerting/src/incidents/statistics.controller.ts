import { Controller, Get, Headers, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { incidentStatisticsQuerySchema, type IncidentStatisticsDto, type IncidentStatisticsQuery } from '@ioc/contracts';
import { CSV_TYPE, replyFormat, toCsv, ZodValidationPipe } from '@ioc/common';
import { Allow, OPERATIONS_ROOM } from '@ioc/auth';
import { STATISTICS_CSV_HEADER, statisticsRows } from './statistics';
import { StatisticsRepository } from './statistics.repository';

/** Reports for the province: incidents per week or month, JSON or CSV. */
@Controller('api/statistics')
export class StatisticsController {
  constructor(private readonly statistics: StatisticsRepository) {}

  @Get('incidents')
  @Allow(...OPERATIONS_ROOM)
  async incidents(
    @Query(new ZodValidationPipe(incidentStatisticsQuerySchema)) query: IncidentStatisticsQuery,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<IncidentStatisticsDto | string> {
    const dto = await this.statistics.incidents(query);
    if (replyFormat(query.format, accept, ['json', 'csv']) === 'json') return dto;
    res.type(CSV_TYPE);
    res.setHeader('Content-Disposition', `attachment; filename="incidents-${dto.period}-${dto.from}-${dto.to}.csv"`);
    return toCsv(STATISTICS_CSV_HEADER, statisticsRows(dto));
  }
}
