import { Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import type { IncidentChangeInput } from '../incident-change';
import { RENDERERS, eventOf } from './webhook-payloads';
import { WebhooksRepository } from './webhooks.repository';

/**
 * Where incident changes become webhook deliveries: in the transaction of the change, so a
 * notification exists if and only if the change does, and survives any restart. Sending is the
 * worker's, never the caller's.
 */
@Injectable()
export class WebhookOutbox {
  constructor(private readonly repository: WebhooksRepository) {}

  /** Answers how many deliveries the change made (0 for a step that is not sent). */
  async enqueue(client: Pick<PoolClient, 'query'>, change: IncidentChangeInput): Promise<number> {
    const event = eventOf(change.entry);
    if (event === null) return 0;
    const { incident } = change;
    return this.repository.enqueue(client, {
      incidentId: incident.id,
      entryId: change.entry.id,
      event,
      severity: incident.severity,
      areaIds: incident.areaIds,
      source: incident.source,
      payloads: { pagerduty: RENDERERS.pagerduty(change, event), alertmanager: RENDERERS.alertmanager(change, event) },
    });
  }
}
