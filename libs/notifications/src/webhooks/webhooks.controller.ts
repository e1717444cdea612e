import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Req } from '@nestjs/common';
import { z } from 'zod';
import {
  createWebhookSchema,
  listWebhookDeliveriesQuerySchema,
  updateWebhookSchema,
  type CreateWebhook,
  type ListWebhookDeliveriesQuery,
  type UpdateWebhook,
  type WebhookDeliveryPageDto,
  type WebhookDto,
  type WebhookWithSecretDto,
} from '@ioc/contracts';
import { ApiZodBody, ZodValidationPipe } from '@ioc/common';
import { Allow, type AuthenticatedRequest } from '@ioc/auth';
import { WebhooksService } from './webhooks.service';

const subscriptionId = new ZodValidationPipe(
  z.string().regex(/^[1-9]\d{0,15}$/, 'id: must be a positive whole number').transform(Number),
);

/** Incident notifications to other systems (PagerDuty, Alertmanager receivers); administrators only. */
@Controller('api/webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Get()
  @Allow('admin')
  list(): Promise<WebhookDto[]> {
    return this.webhooks.list();
  }

  /** Answers the signing secret, this once. */
  @Post()
  @Allow('admin')
  @ApiZodBody(createWebhookSchema)
  create(@Body(new ZodValidationPipe(createWebhookSchema)) body: CreateWebhook, @Req() request: AuthenticatedRequest): Promise<WebhookWithSecretDto> {
    return this.webhooks.create(body, request.principal!.username);
  }

  @Get(':id')
  @Allow('admin')
  get(@Param('id', subscriptionId) id: number): Promise<WebhookDto> {
    return this.webhooks.get(id);
  }

  @Patch(':id')
  @Allow('admin')
  @ApiZodBody(updateWebhookSchema)
  update(
    @Param('id', subscriptionId) id: number,
    @Body(new ZodValidationPipe(updateWebhookSchema)) body: UpdateWebhook,
    @Req() request: AuthenticatedRequest,
  ): Promise<WebhookDto> {
    return this.webhooks.update(id, body, request.principal!.username);
  }

  /** Its pending deliveries are dropped with it. */
  @Delete(':id')
  @Allow('admin')
  @HttpCode(204)
  remove(@Param('id', subscriptionId) id: number): Promise<void> {
    return this.webhooks.remove(id);
  }

  /** A new signing secret, answered this once; the old one stops at once. */
  @Post(':id/rotate-secret')
  @Allow('admin')
  @HttpCode(200)
  rotateSecret(@Param('id', subscriptionId) id: number, @Req() request: AuthenticatedRequest): Promise<WebhookWithSecretDto> {
    return this.webhooks.rotateSecret(id, request.principal!.username);
  }

  /** The delivery log, newest first. */
  @Get(':id/deliveries')
  @Allow('admin')
  deliveries(
    @Param('id', subscriptionId) id: number,
    @Query(new ZodValidationPipe(listWebhookDeliveriesQuerySchema)) query: ListWebhookDeliveriesQuery,
  ): Promise<WebhookDeliveryPageDto> {
    return this.webhooks.deliveries(id, query);
  }
}
