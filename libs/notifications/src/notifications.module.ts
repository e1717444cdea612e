import { Module } from '@nestjs/common';
import { AreasModule } from '@ioc/areas';
import { WebhookOutbox } from './webhooks/webhook-outbox';
import { WebhookWorker } from './webhooks/webhook-worker';
import { WebhooksRepository } from './webhooks/webhooks.repository';
import { WebhooksService } from './webhooks/webhooks.service';

/**
 * Incident changes told to other systems. Alerting writes to the outbox in its transactions
 * (WebhookOutbox); the worker sends it on ingest nodes; the API manages subscriptions.
 */
@Module({
  imports: [AreasModule],
  providers: [WebhooksRepository, WebhooksService, WebhookOutbox, WebhookWorker],
  exports: [WebhookOutbox, WebhooksService],
})
export class NotificationsModule {}
