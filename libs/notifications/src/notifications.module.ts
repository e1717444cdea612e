import { Module } from '@nestjs/common';
import { AreasModule } from '@ioc/areas';
import { EmailOutbox } from './email/email-outbox';
import { EmailWorker } from './email/email-worker';
import { EmailRepository } from './email/email.repository';
import { NotificationRoutesService } from './email/notification-routes.service';
import { NotificationOutbox } from './notification-outbox';
import { WebhookOutbox } from './webhooks/webhook-outbox';
import { WebhookWorker } from './webhooks/webhook-worker';
import { WebhooksRepository } from './webhooks/webhooks.repository';
import { WebhooksService } from './webhooks/webhooks.service';

/**
 * Incident changes told to other systems (webhooks) and to people (email). Alerting writes both
 * outboxes in its transactions (NotificationOutbox); the workers send them on ingest nodes; the
 * API manages subscriptions and routes.
 */
@Module({
  imports: [AreasModule],
  providers: [
    WebhooksRepository,
    WebhooksService,
    WebhookOutbox,
    WebhookWorker,
    EmailRepository,
    EmailOutbox,
    EmailWorker,
    NotificationRoutesService,
    NotificationOutbox,
  ],
  exports: [NotificationOutbox, WebhooksService, NotificationRoutesService],
})
export class NotificationsModule {}
