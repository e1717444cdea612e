import { Body, Controller, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { z } from 'zod';
import {
  acknowledgeIncidentSchema,
  closeIncidentSchema,
  createIncidentSchema,
  commentIncidentSchema,
  dispatchIncidentSchema,
  INCIDENT_ACTION_ROLES,
  listIncidentsQuerySchema,
  mergeIncidentSchema,
  rejectIncidentSchema,
  resolveIncidentSchema,
  type AcknowledgeIncident,
  type CloseIncident,
  type CommentIncident,
  type CreateIncident,
  type DispatchIncident,
  type IncidentDetailDto,
  type IncidentPageDto,
  type ListIncidentsQuery,
  type MergeIncident,
  type RejectIncident,
  type ResolveIncident,
} from '@ioc/contracts';
import { ApiZodBody, ZodValidationPipe } from '@ioc/common';
import { Allow, READERS, type AuthenticatedRequest } from '@ioc/auth';
import { IncidentsService } from './incidents.service';

const incidentId = new ZodValidationPipe(
  z.string().regex(/^[1-9]\d{0,15}$/, 'id: must be a positive whole number').transform(Number),
);

/** Field users get the same routes, narrowed to the incidents dispatched to their team. */
@Controller('api/incidents')
export class IncidentsController {
  constructor(private readonly incidents: IncidentsService) {}

  @Get()
  @Allow(...READERS.incidents)
  list(@Query(new ZodValidationPipe(listIncidentsQuerySchema)) query: ListIncidentsQuery, @Req() request: AuthenticatedRequest): Promise<IncidentPageDto> {
    return this.incidents.list(query, request.principal!);
  }

  /** An incident taken by phone (a hotline call), opened by hand. */
  @Post()
  @Allow('admin', 'supervisor', 'operator')
  @ApiZodBody(createIncidentSchema)
  open(@Body(new ZodValidationPipe(createIncidentSchema)) body: CreateIncident, @Req() request: AuthenticatedRequest): Promise<IncidentDetailDto> {
    return this.incidents.open(body, request.principal!);
  }

  @Get(':id')
  @Allow(...READERS.incidents)
  get(@Param('id', incidentId) id: number, @Req() request: AuthenticatedRequest): Promise<IncidentDetailDto> {
    return this.incidents.get(id, request.principal!);
  }

  @Post(':id/acknowledge')
  @HttpCode(200)
  @Allow(...INCIDENT_ACTION_ROLES.acknowledge)
  @ApiZodBody(acknowledgeIncidentSchema)
  acknowledge(
    @Param('id', incidentId) id: number,
    @Body(new ZodValidationPipe(acknowledgeIncidentSchema)) body: AcknowledgeIncident,
    @Req() request: AuthenticatedRequest,
  ): Promise<IncidentDetailDto> {
    return this.incidents.act(id, 'acknowledge', body, request.principal!);
  }

  @Post(':id/dispatch')
  @HttpCode(200)
  @Allow(...INCIDENT_ACTION_ROLES.dispatch)
  @ApiZodBody(dispatchIncidentSchema)
  dispatch(
    @Param('id', incidentId) id: number,
    @Body(new ZodValidationPipe(dispatchIncidentSchema)) body: DispatchIncident,
    @Req() request: AuthenticatedRequest,
  ): Promise<IncidentDetailDto> {
    return this.incidents.act(id, 'dispatch', body, request.principal!);
  }

  @Post(':id/resolve')
  @HttpCode(200)
  @Allow(...INCIDENT_ACTION_ROLES.resolve)
  @ApiZodBody(resolveIncidentSchema)
  resolve(
    @Param('id', incidentId) id: number,
    @Body(new ZodValidationPipe(resolveIncidentSchema)) body: ResolveIncident,
    @Req() request: AuthenticatedRequest,
  ): Promise<IncidentDetailDto> {
    return this.incidents.act(id, 'resolve', body, request.principal!);
  }

  @Post(':id/close')
  @HttpCode(200)
  @Allow(...INCIDENT_ACTION_ROLES.close)
  @ApiZodBody(closeIncidentSchema)
  close(
    @Param('id', incidentId) id: number,
    @Body(new ZodValidationPipe(closeIncidentSchema)) body: CloseIncident,
    @Req() request: AuthenticatedRequest,
  ): Promise<IncidentDetailDto> {
    return this.incidents.act(id, 'close', body, request.principal!);
  }

  @Post(':id/comment')
  @HttpCode(200)
  @Allow(...INCIDENT_ACTION_ROLES.comment)
  @ApiZodBody(commentIncidentSchema)
  comment(
    @Param('id', incidentId) id: number,
    @Body(new ZodValidationPipe(commentIncidentSchema)) body: CommentIncident,
    @Req() request: AuthenticatedRequest,
  ): Promise<IncidentDetailDto> {
    return this.incidents.act(id, 'comment', body, request.principal!);
  }

  /** Triage: a citizen's report turned down, with the reason the citizen is told. */
  @Post(':id/reject')
  @HttpCode(200)
  @Allow(...INCIDENT_ACTION_ROLES.reject)
  @ApiZodBody(rejectIncidentSchema)
  reject(
    @Param('id', incidentId) id: number,
    @Body(new ZodValidationPipe(rejectIncidentSchema)) body: RejectIncident,
    @Req() request: AuthenticatedRequest,
  ): Promise<IncidentDetailDto> {
    return this.incidents.reject(id, body, request.principal!);
  }

  /** Triage: a report of a problem already being handled goes into that incident. */
  @Post(':id/merge')
  @HttpCode(200)
  @Allow(...INCIDENT_ACTION_ROLES.merge)
  @ApiZodBody(mergeIncidentSchema)
  merge(
    @Param('id', incidentId) id: number,
    @Body(new ZodValidationPipe(mergeIncidentSchema)) body: MergeIncident,
    @Req() request: AuthenticatedRequest,
  ): Promise<IncidentDetailDto> {
    return this.incidents.merge(id, body, request.principal!);
  }
}
