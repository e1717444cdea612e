import { Injectable } from '@nestjs/common';
import type {
  CreateIncident,
  IncidentAction,
  IncidentActionInput,
  IncidentDetailDto,
  IncidentPageDto,
  ListIncidentsQuery,
} from '@ioc/contracts';
import { ErrorCode, EventBus, IocError } from '@ioc/common';
import { UsersService, type Principal } from '@ioc/auth';
import { AreasService } from '@ioc/areas';
import { Database } from '@ioc/database';
import { DevicesService } from '@ioc/devices';
import { canSee, decide } from './incident-lifecycle';
import { IncidentsRepository, type IncidentChange, type Queryable, type ReportedIncident } from './incidents.repository';

/**
 * What people do to incidents (the alerting capability opens them): every step goes through the
 * lifecycle, is written with who and when, and is announced on the bus.
 */
@Injectable()
export class IncidentsService {
  constructor(
    private readonly repository: IncidentsRepository,
    private readonly users: UsersService,
    private readonly bus: EventBus,
    private readonly db: Database,
    private readonly areas: AreasService,
    private readonly devices: DevicesService,
  ) {}

  /** An incident opened by hand (a hotline call): in the areas of its place, with its severity's deadlines. */
  async open(input: CreateIncident, principal: Principal): Promise<IncidentDetailDto> {
    if (input.deviceId !== undefined && !this.devices.get(input.deviceId)) {
      throw new IocError(ErrorCode.Invalid, `deviceId: there is no device ${input.deviceId}`);
    }
    const change = await this.openReported({
      source: 'manual',
      title: input.title,
      severity: input.severity,
      category: input.category,
      description: input.description ?? null,
      location: input.location,
      reporterPhone: input.reporterPhone ?? null,
      deviceId: input.deviceId ?? null,
      actor: { id: principal.userId, username: principal.username },
    });
    return { ...change.incident, timeline: [change.entry] };
  }

  /**
   * Opens a reported incident (a citizen's report, an operator's call) and announces it; `within`
   * writes what goes with it (the report itself) in the same transaction.
   */
  async openReported(
    r: Omit<ReportedIncident, 'areaIds'>,
    within?: (client: Queryable, change: IncidentChange) => Promise<void>,
  ): Promise<IncidentChange> {
    const areaIds = this.areas.containing(r.location.lat, r.location.lng).map((a) => a.id);
    const change = await this.db.transaction(async (client) => {
      const opened = await this.repository.openReported(client, { ...r, areaIds });
      await within?.(client, opened);
      return opened;
    });
    this.bus.emit('incident.opened', { ...change, notify: true });
    return change;
  }

  list(query: ListIncidentsQuery, principal: Principal): Promise<IncidentPageDto> {
    return this.repository.list(query, principal.role === 'field' ? { teamId: principal.teamId } : null);
  }

  async get(id: number, principal: Principal): Promise<IncidentDetailDto> {
    const incident = await this.repository.find(id);
    if (!incident || !canSee(principal, incident)) throw notFound(id);
    return { ...incident, timeline: await this.repository.timeline(id) };
  }

  async act(id: number, action: IncidentAction, input: IncidentActionInput, principal: Principal): Promise<IncidentDetailDto> {
    if (input.teamId !== undefined && !(await this.users.teams()).some((t) => t.id === input.teamId)) {
      throw new IocError(ErrorCode.Invalid, `teamId: team ${input.teamId} does not exist`);
    }
    const result = await this.repository.act(id, (facts) => decide(facts, action, principal, input.teamId), {
      actor: { id: principal.userId, username: principal.username },
      note: input.note ?? null,
      teamId: input.teamId ?? null,
    });
    if (result === null) throw notFound(id);
    if (!result.ok) throw new IocError(result.code, result.message);
    this.bus.emit('incident.updated', { incident: result.incident, entry: result.entry, notify: result.entry.step === 'dispatched' }, result.previousTeamId);
    return { ...result.incident, timeline: await this.repository.timeline(id) };
  }
}

function notFound(id: number): IocError {
  return new IocError(ErrorCode.NotFound, `incident ${id} does not exist`);
}
