import { Body, Controller, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { z } from 'zod';
import {
  cancelWarningSchema,
  listWarningsQuerySchema,
  publishWarningSchema,
  updateWarningSchema,
  type CancelWarning,
  type ListWarningsQuery,
  type PublishWarning,
  type Role,
  type UpdateWarning,
  type WarningDto,
} from '@ioc/contracts';
import { ApiZodBody, ZodValidationPipe } from '@ioc/common';
import { Allow, type AuthenticatedRequest } from '@ioc/auth';
import { WarningsService } from './warnings.service';

/** Who publishes, changes and cancels public warnings, and sees them all with their history. */
export const WARNING_PUBLISHERS: Role[] = ['admin', 'supervisor', 'operator'];

const positiveId = new ZodValidationPipe(z.string().regex(/^[1-9]\d{0,15}$/, 'id: must be a positive whole number').transform(Number));

/** The operations room's side of public warnings; every change is in the audit log. */
@Controller('api')
export class WarningsController {
  constructor(private readonly warnings: WarningsService) {}

  @Post('incidents/:id/warnings')
  @Allow(...WARNING_PUBLISHERS)
  @ApiZodBody(publishWarningSchema)
  publish(
    @Param('id', positiveId) incidentId: number,
    @Body(new ZodValidationPipe(publishWarningSchema)) body: PublishWarning,
    @Req() request: AuthenticatedRequest,
  ): Promise<WarningDto> {
    return this.warnings.publish(incidentId, body, request.principal!);
  }

  @Get('warnings')
  @Allow(...WARNING_PUBLISHERS)
  list(@Query(new ZodValidationPipe(listWarningsQuerySchema)) query: ListWarningsQuery): Promise<WarningDto[]> {
    return this.warnings.list(query);
  }

  @Get('warnings/:id')
  @Allow(...WARNING_PUBLISHERS)
  get(@Param('id', positiveId) id: number): Promise<WarningDto> {
    return this.warnings.get(id);
  }

  /** A CAP Update referencing every earlier message of the warning. */
  @Post('warnings/:id/update')
  @HttpCode(200)
  @Allow(...WARNING_PUBLISHERS)
  @ApiZodBody(updateWarningSchema)
  update(
    @Param('id', positiveId) id: number,
    @Body(new ZodValidationPipe(updateWarningSchema)) body: UpdateWarning,
    @Req() request: AuthenticatedRequest,
  ): Promise<WarningDto> {
    return this.warnings.update(id, body, request.principal!);
  }

  /** A CAP Cancel referencing every earlier message; the warning leaves the feed and the public list. */
  @Post('warnings/:id/cancel')
  @HttpCode(200)
  @Allow(...WARNING_PUBLISHERS)
  @ApiZodBody(cancelWarningSchema)
  cancel(
    @Param('id', positiveId) id: number,
    @Body(new ZodValidationPipe(cancelWarningSchema)) body: CancelWarning,
    @Req() request: AuthenticatedRequest,
  ): Promise<WarningDto> {
    return this.warnings.cancel(id, body.reason, request.principal!);
  }
}
