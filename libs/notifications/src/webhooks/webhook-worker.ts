import { Inject, Injectable } from '@nestjs/common';
import { WEBHOOK_HEADERS } from '@ioc/contracts';
import { APP_CONFIG, type AppConfig } from '@ioc/config';
import { OutboxWorker, type SendResult } from '../outbox/outbox-worker';
import { requestBody } from './webhook-payloads';
import { send } from './webhook-sender';
import { signedHeaders } from './webhook-signature';
import { WebhooksRepository, type ClaimedDelivery } from './webhooks.repository';

/**
 * Sends the webhook outbox on nodes with the ingest role: up to WEBHOOK_CONCURRENCY requests at
 * once, at most one at a time per subscription on this node, so a receiver that hangs holds one
 * slot and its own queue, nothing else.
 */
@Injectable()
export class WebhookWorker extends OutboxWorker<ClaimedDelivery> {
  constructor(repository: WebhooksRepository, @Inject(APP_CONFIG) private readonly config: AppConfig) {
    super(WebhookWorker.name, repository, {
      noun: 'webhook',
      runs: config.IOC_ROLES.includes('ingest'),
      concurrency: config.WEBHOOK_CONCURRENCY,
      timeoutMs: config.WEBHOOK_TIMEOUT_MS,
      retry: { baseMs: config.WEBHOOK_RETRY_BASE_MS, maxMs: config.WEBHOOK_RETRY_MAX_MS, retryForMs: config.WEBHOOK_RETRY_FOR_S * 1000 },
      logDays: config.WEBHOOK_LOG_DAYS,
    });
  }

  protected override keyOf(d: ClaimedDelivery): number {
    return d.subscriptionId;
  }

  protected send(d: ClaimedDelivery, stop: AbortSignal): Promise<SendResult> {
    const body = requestBody(d.format, d.payload, d.routingKey);
    const headers = { ...signedHeaders(d.secret, body, Date.now()), [WEBHOOK_HEADERS.delivery]: String(d.id), [WEBHOOK_HEADERS.event]: d.event };
    return send(d.url, body, headers, this.config.WEBHOOK_TIMEOUT_MS, stop);
  }
}
