import { Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import { EmailOutbox } from './email/email-outbox';
import type { IncidentChangeInput } from './incident-change';
import { WebhookOutbox } from './webhooks/webhook-outbox';

/**
 * What an incident change tells, on every channel, written in the change's own transaction: the
 * one call alerting makes for each step (IncidentsRepository.appendEntry).
 */
@Injectable()
export class NotificationOutbox {
  constructor(
    private readonly webhooks: WebhookOutbox,
    private readonly emails: EmailOutbox,
  ) {}

  /** Answers how many deliveries the change made on each channel. */
  async enqueue(client: Pick<PoolClient, 'query'>, change: IncidentChangeInput): Promise<{ webhooks: number; emails: number }> {
    const webhooks = await this.webhooks.enqueue(client, change);
    const emails = await this.emails.enqueue(client, change);
    return { webhooks, emails };
  }
}
