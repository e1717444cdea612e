import { Injectable } from '@nestjs/common';
import type {
  CreateWebhook,
  ListWebhookDeliveriesQuery,
  UpdateWebhook,
  WebhookDeliveryPageDto,
  WebhookDto,
  WebhookWithSecretDto,
} from '@ioc/contracts';
import { ErrorCode, IocError, randomSecret } from '@ioc/common';
import { AreasService } from '@ioc/areas';
import { WebhooksRepository } from './webhooks.repository';

/** A signing secret: 256 random bits, with a prefix that says what it is wherever it is pasted. */
const newSecret = () => `whsec_${randomSecret()}`;

const fieldsOf = ({ name, url, format, routingKey, severities, areaIds, sources, events, enabled }: WebhookDto): CreateWebhook => ({
  name,
  url,
  format,
  routingKey,
  severities,
  areaIds,
  sources,
  events,
  enabled,
});

/** Webhook subscriptions (administrators'); every change is in the audit log, as every API change is. */
@Injectable()
export class WebhooksService {
  constructor(
    private readonly repository: WebhooksRepository,
    private readonly areas: AreasService,
  ) {}

  list(): Promise<WebhookDto[]> {
    return this.repository.list();
  }

  async get(id: number): Promise<WebhookDto> {
    const found = await this.repository.find(id);
    if (!found) throw notFound(id);
    return found;
  }

  async create(input: CreateWebhook, by: string): Promise<WebhookWithSecretDto> {
    this.check(input);
    const secret = newSecret();
    return { ...(await this.repository.insert(input, secret, by)), secret };
  }

  /** Only the fields given change; the whole is checked again. Pending deliveries go to the URL as it is when sent. */
  async update(id: number, patch: UpdateWebhook, by: string): Promise<WebhookDto> {
    const merged: CreateWebhook = { ...fieldsOf(await this.get(id)), ...patch };
    this.check(merged);
    const updated = await this.repository.update(id, merged, by);
    if (!updated) throw notFound(id);
    return updated;
  }

  async remove(id: number): Promise<void> {
    if (!(await this.repository.delete(id))) throw notFound(id);
  }

  /** The old secret stops signing at once, pending deliveries included. */
  async rotateSecret(id: number, by: string): Promise<WebhookWithSecretDto> {
    const secret = newSecret();
    const rotated = await this.repository.rotateSecret(id, secret, by);
    if (!rotated) throw notFound(id);
    return { ...rotated, secret };
  }

  async deliveries(id: number, query: ListWebhookDeliveriesQuery): Promise<WebhookDeliveryPageDto> {
    await this.get(id);
    return this.repository.deliveries(id, query);
  }

  private check(s: CreateWebhook): void {
    if (s.routingKey !== null && s.format !== 'pagerduty') {
      throw new IocError(ErrorCode.Invalid, 'routingKey: only a pagerduty subscription has one');
    }
    const known = new Set(this.areas.refs(s.areaIds).map((a) => a.id));
    const unknown = s.areaIds.filter((id) => !known.has(id));
    if (unknown.length > 0) throw new IocError(ErrorCode.Invalid, `areaIds: there is no area ${unknown.join(', ')} (GET /api/areas)`);
  }
}

function notFound(id: number): IocError {
  return new IocError(ErrorCode.NotFound, `webhook subscription ${id} does not exist`);
}
