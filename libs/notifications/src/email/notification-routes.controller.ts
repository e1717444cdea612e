import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Req } from '@nestjs/common';
import { z } from 'zod';
import {
  createNotificationRouteSchema,
  listEmailDeliveriesQuerySchema,
  updateNotificationRouteSchema,
  type CreateNotificationRoute,
  type EmailDeliveryPageDto,
  type ListEmailDeliveriesQuery,
  type NotificationRouteDto,
  type UpdateNotificationRoute,
} from '@ioc/contracts';
import { ApiZodBody, ZodValidationPipe } from '@ioc/common';
import { Allow, type AuthenticatedRequest } from '@ioc/auth';
import { NotificationRoutesService } from './notification-routes.service';

const routeId = new ZodValidationPipe(z.string().regex(/^[1-9]\d{0,15}$/, 'id: must be a positive whole number').transform(Number));

/** Who is emailed of which incident changes; supervisors and administrators. */
@Controller('api/notification-routes')
export class NotificationRoutesController {
  constructor(private readonly routes: NotificationRoutesService) {}

  @Get()
  @Allow('admin', 'supervisor')
  list(): Promise<NotificationRouteDto[]> {
    return this.routes.list();
  }

  @Post()
  @Allow('admin', 'supervisor')
  @ApiZodBody(createNotificationRouteSchema)
  create(
    @Body(new ZodValidationPipe(createNotificationRouteSchema)) body: CreateNotificationRoute,
    @Req() request: AuthenticatedRequest,
  ): Promise<NotificationRouteDto> {
    return this.routes.create(body, request.principal!.username);
  }

  /** The email log, newest first: every email of every route and rule. */
  @Get('deliveries')
  @Allow('admin', 'supervisor')
  deliveries(@Query(new ZodValidationPipe(listEmailDeliveriesQuerySchema)) query: ListEmailDeliveriesQuery): Promise<EmailDeliveryPageDto> {
    return this.routes.deliveries(query);
  }

  @Get(':id')
  @Allow('admin', 'supervisor')
  get(@Param('id', routeId) id: number): Promise<NotificationRouteDto> {
    return this.routes.get(id);
  }

  @Patch(':id')
  @Allow('admin', 'supervisor')
  @ApiZodBody(updateNotificationRouteSchema)
  update(
    @Param('id', routeId) id: number,
    @Body(new ZodValidationPipe(updateNotificationRouteSchema)) body: UpdateNotificationRoute,
    @Req() request: AuthenticatedRequest,
  ): Promise<NotificationRouteDto> {
    return this.routes.update(id, body, request.principal!.username);
  }

  @Delete(':id')
  @Allow('admin', 'supervisor')
  @HttpCode(204)
  remove(@Param('id', routeId) id: number): Promise<void> {
    return this.routes.remove(id);
  }
}
