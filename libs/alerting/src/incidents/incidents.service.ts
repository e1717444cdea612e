import { Injectable } from '@nestjs/common';
import type {
  IncidentAction,
  IncidentActionInput,
  IncidentDetailDto,
  IncidentPageDto,
  ListIncidentsQuery,
} from '@ioc/contracts';
import { ErrorCode, EventBus, IocError } from '@ioc/common';
import { UsersService, type Principal } from '@ioc/auth';
import { canSee, decide } from './incident-lifecycle';
import { IncidentsRepository } from './incidents.repository';

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
  ) {}

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
