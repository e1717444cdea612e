import { Injectable } from '@nestjs/common';
import {
  NOTIFICATION_ROUTE_NOBODY,
  type CreateNotificationRoute,
  type EmailDeliveryPageDto,
  type ListEmailDeliveriesQuery,
  type NotificationRouteDto,
  type UpdateNotificationRoute,
} from '@ioc/contracts';
import { ErrorCode, IocError } from '@ioc/common';
import { AreasService } from '@ioc/areas';
import { EmailRepository } from './email.repository';

const fieldsOf = ({ name, steps, severities, areaIds, sources, categories, roles, teamIds, enabled }: NotificationRouteDto): CreateNotificationRoute => ({
  name,
  steps,
  severities,
  areaIds,
  sources,
  categories,
  roles,
  teamIds,
  enabled,
});

/** Who is told of what by email, as supervisors choose; every change is in the audit log, as every API change is. */
@Injectable()
export class NotificationRoutesService {
  constructor(
    private readonly repository: EmailRepository,
    private readonly areas: AreasService,
  ) {}

  list(): Promise<NotificationRouteDto[]> {
    return this.repository.listRoutes();
  }

  async get(id: number): Promise<NotificationRouteDto> {
    const found = await this.repository.findRoute(id);
    if (!found) throw notFound(id);
    return found;
  }

  async create(input: CreateNotificationRoute, by: string): Promise<NotificationRouteDto> {
    await this.check(input);
    return this.repository.insertRoute(input, by);
  }

  /** Only the fields given change; the whole is checked again. Emails already written stay as they are. */
  async update(id: number, patch: UpdateNotificationRoute, by: string): Promise<NotificationRouteDto> {
    const merged: CreateNotificationRoute = { ...fieldsOf(await this.get(id)), ...patch };
    await this.check(merged);
    const updated = await this.repository.updateRoute(id, merged, by);
    if (!updated) throw notFound(id);
    return updated;
  }

  async remove(id: number): Promise<void> {
    if (!(await this.repository.deleteRoute(id))) throw notFound(id);
  }

  deliveries(query: ListEmailDeliveriesQuery): Promise<EmailDeliveryPageDto> {
    return this.repository.deliveries(query);
  }

  private async check(r: CreateNotificationRoute): Promise<void> {
    if (r.roles.length + r.teamIds.length === 0) throw new IocError(ErrorCode.Invalid, `roles: ${NOTIFICATION_ROUTE_NOBODY}`);
    const known = new Set(this.areas.refs(r.areaIds).map((a) => a.id));
    const unknown = r.areaIds.filter((id) => !known.has(id));
    if (unknown.length > 0) throw new IocError(ErrorCode.Invalid, `areaIds: there is no area ${unknown.join(', ')} (GET /api/areas)`);
    const missing = await this.repository.missingTeams(r.teamIds);
    if (missing.length > 0) throw new IocError(ErrorCode.Invalid, `teamIds: there is no team ${missing.join(', ')} (GET /api/teams)`);
  }
}

function notFound(id: number): IocError {
  return new IocError(ErrorCode.NotFound, `notification route ${id} does not exist`);
}
