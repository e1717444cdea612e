import { Body, Controller, Get, Param, Put, Req } from '@nestjs/common';
import { z } from 'zod';
import { deadlinePolicySchema, SEVERITIES, type DeadlinePolicy, type DeadlinePolicyDto, type Severity } from '@ioc/contracts';
import { ApiZodBody, ZodValidationPipe } from '@ioc/common';
import { Allow, OPERATIONS_ROOM, type AuthenticatedRequest } from '@ioc/auth';
import { IncidentsRepository } from './incidents.repository';

const severity = new ZodValidationPipe(z.enum(SEVERITIES, { error: `severity: must be one of ${SEVERITIES.join(', ')}` }));

/**
 * Deadlines and escalation per severity. The operations room reads them; supervisors set them
 * (every change is in the audit log). New due times apply to incidents opened afterwards.
 */
@Controller('api/deadline-policies')
export class DeadlinePoliciesController {
  constructor(private readonly incidents: IncidentsRepository) {}

  @Get()
  @Allow(...OPERATIONS_ROOM)
  list(): Promise<DeadlinePolicyDto[]> {
    return this.incidents.policies();
  }

  @Put(':severity')
  @Allow('admin', 'supervisor')
  @ApiZodBody(deadlinePolicySchema)
  set(
    @Param('severity', severity) of: Severity,
    @Body(new ZodValidationPipe(deadlinePolicySchema)) body: DeadlinePolicy,
    @Req() request: AuthenticatedRequest,
  ): Promise<DeadlinePolicyDto> {
    return this.incidents.setPolicy(of, body, request.principal!.username);
  }
}
