import { Body, Controller, Get, Param, Patch, Post } from '@nestjs/common';
import {
  createMetricSchema,
  updateMetricSchema,
  METRIC_NAME_PATTERN,
  type CreateMetric,
  type MetricDto,
  type UpdateMetric,
} from '@ioc/contracts';
import { ApiZodBody, ErrorCode, IocError, ZodValidationPipe } from '@ioc/common';
import { Allow, EVERYONE } from '@ioc/auth';
import { MetricsService } from './metrics.service';

/** A metric name from a route parameter, or a 400 naming the rule. */
function metricName(name: string): string {
  if (!METRIC_NAME_PATTERN.test(name)) throw new IocError(ErrorCode.Invalid, 'name: lower_snake_case, starting with a letter, at most 48 characters');
  return name;
}

@Controller('api/metrics')
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get()
  @Allow(...EVERYONE)
  list(): MetricDto[] {
    return this.metrics.list();
  }

  @Post()
  @Allow('admin')
  @ApiZodBody(createMetricSchema)
  create(@Body(new ZodValidationPipe(createMetricSchema)) body: CreateMetric): Promise<MetricDto> {
    return this.metrics.create(body);
  }

  @Patch(':name')
  @Allow('admin')
  @ApiZodBody(updateMetricSchema)
  update(@Param('name') name: string, @Body(new ZodValidationPipe(updateMetricSchema)) body: UpdateMetric): Promise<MetricDto> {
    return this.metrics.update(metricName(name), body);
  }
}
