import { Body, Controller, Delete, Get, HttpCode, Param, ParseIntPipe, Patch, Post, Query } from '@nestjs/common';
import {
  createRuleSchema,
  listAlertsQuerySchema,
  updateRuleSchema,
  type AlertDto,
  type CreateRule,
  type ListAlertsQuery,
  type RuleDto,
  type UpdateRule,
} from '@ioc/contracts';
import { ApiZodBody, ZodValidationPipe } from '@ioc/common';
import { Allow, OPERATIONS_ROOM, READERS } from '@ioc/auth';
import { RulesService } from './rules.service';

@Controller('api/rules')
export class RulesController {
  constructor(private readonly rules: RulesService) {}

  @Get()
  @Allow(...OPERATIONS_ROOM)
  list(): RuleDto[] {
    return this.rules.list();
  }

  @Post()
  @Allow('admin', 'supervisor')
  @ApiZodBody(createRuleSchema)
  create(@Body(new ZodValidationPipe(createRuleSchema)) body: CreateRule): Promise<RuleDto> {
    return this.rules.create(body);
  }

  @Patch(':id')
  @Allow('admin', 'supervisor')
  @ApiZodBody(updateRuleSchema)
  update(
    @Param('id', ParseIntPipe) id: number,
    @Body(new ZodValidationPipe(updateRuleSchema)) body: UpdateRule,
  ): Promise<RuleDto> {
    return this.rules.update(id, body);
  }

  @Delete(':id')
  @Allow('admin', 'supervisor')
  @HttpCode(204)
  remove(@Param('id', ParseIntPipe) id: number): Promise<void> {
    return this.rules.remove(id);
  }
}

@Controller('api/alerts')
export class AlertsController {
  constructor(private readonly rules: RulesService) {}

  @Get()
  @Allow(...READERS.alerts)
  list(@Query(new ZodValidationPipe(listAlertsQuerySchema)) query: ListAlertsQuery): Promise<AlertDto[]> {
    return this.rules.alerts(query);
  }
}
