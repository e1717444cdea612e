export { NotificationsModule } from './notifications.module';
export { WebhookOutbox } from './webhooks/webhook-outbox';
export { WebhooksController } from './webhooks/webhooks.controller';
