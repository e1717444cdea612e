export { NotificationsModule } from './notifications.module';
export { NotificationOutbox } from './notification-outbox';
export { WebhooksController } from './webhooks/webhooks.controller';
export { NotificationRoutesController } from './email/notification-routes.controller';
