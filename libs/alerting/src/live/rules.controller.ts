import { Body, Controller, Delete, Get, HttpCode, Param, ParseIntPipe, Patch, Post, Query, Req } from '@nestjs/common';
import {
  alertRuleSchema,
  listAlertsQuerySchema,
  updateAlertRuleSchema,
  type AlertDto,
  type AlertRuleDefinition,
  type ListAlertsQuery,
  type RuleDto,
  type RuleVersionDto,
  type UpdateAlertRule,
} from '@ioc/contracts';
import { ApiZodBody, ZodValidationPipe } from '@ioc/common';
import { Allow, OPERATIONS_ROOM, READERS, type AuthenticatedRequest } from '@ioc/auth';
import { RulesService } from './rules.service';

@Controller('api/rules')
export class RulesController {
  constructor(private readonly rules: RulesService) {}

  @Get()
  @Allow(...OPERATIONS_ROOM)
  list(): RuleDto[] {
    return this.rules.list();
  }

  @Get(':id')
  @Allow(...OPERATIONS_ROOM)
  get(@Param('id', ParseIntPipe) id: number): RuleDto {
    return this.rules.get(id);
  }

  /** Every version of the rule, newest first, a deleted rule's too: incidents name the version that opened them. */
  @Get(':id/versions')
  @Allow(...OPERATIONS_ROOM)
  versions(@Param('id', ParseIntPipe) id: number): Promise<RuleVersionDto[]> {
    return this.rules.versions(id);
  }

  @Post()
  @Allow('admin', 'supervisor')
  @ApiZodBody(alertRuleSchema)
  create(@Body(new ZodValidationPipe(alertRuleSchema)) body: AlertRuleDefinition, @Req() request: AuthenticatedRequest): Promise<RuleDto> {
    return this.rules.create(body, request.principal!.username);
  }

  @Patch(':id')
  @Allow('admin', 'supervisor')
  @ApiZodBody(updateAlertRuleSchema)
  update(
    @Param('id', ParseIntPipe) id: number,
    @Body(new ZodValidationPipe(updateAlertRuleSchema)) body: UpdateAlertRule,
    @Req() request: AuthenticatedRequest,
  ): Promise<RuleDto> {
    return this.rules.update(id, body, request.principal!.username);
  }

  @Delete(':id')
  @Allow('admin', 'supervisor')
  @HttpCode(204)
  remove(@Param('id', ParseIntPipe) id: number, @Req() request: AuthenticatedRequest): Promise<void> {
    return this.rules.remove(id, request.principal!.username);
  }
}

@Controller('api/alerts')
export class AlertsController {
  constructor(private readonly rules: RulesService) {}

  @Get()
  @Allow(...READERS.alerts)
  list(@Query(new ZodValidationPipe(listAlertsQuerySchema)) query: ListAlertsQuery): Promise<AlertDto[]> {
    return this.rules.alertList(query);
  }
}
