import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type {
  AlertDto,
  IncidentAction,
  IncidentActionInput,
  IncidentDetailDto,
  IncidentPageDto,
  ListIncidentsQuery,
} from '@ioc/contracts';
import { ErrorCode, EventBus, IocError, type ResolvedDevice } from '@ioc/common';
import { UsersService, type Principal } from '@ioc/auth';
import { canSee, decide } from './incident-lifecycle';
import { IncidentsRepository } from './incidents.repository';

/**
 * Incidents follow alerts (one active incident per rule and device) and then people: every step
 * goes through the lifecycle, is written with who and when, and is announced on the bus.
 */
@Injectable()
export class IncidentsService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(IncidentsService.name);
  /** Alert work per (rule, device), in order: a resolution never overtakes the opening it ends. */
  private readonly queues = new Map<string, Promise<void>>();
  private readonly unsubscribers: (() => void)[] = [];

  constructor(
    private readonly repository: IncidentsRepository,
    private readonly users: UsersService,
    private readonly bus: EventBus,
  ) {}

  onModuleInit(): void {
    this.unsubscribers.push(
      this.bus.on('alert.opened', (alert, device) => this.enqueue(alert, () => this.alertOpened(alert, device))),
      this.bus.on('alert.resolved', (alert) => this.enqueue(alert, () => this.alertResolved(alert))),
    );
  }

  async onModuleDestroy(): Promise<void> {
    for (const off of this.unsubscribers) off();
    await Promise.all(this.queues.values());
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
    this.bus.emit('incident.updated', { incident: result.incident, entry: result.entry }, result.previousTeamId);
    return { ...result.incident, timeline: await this.repository.timeline(id) };
  }

  private async alertOpened(alert: AlertDto, device: ResolvedDevice): Promise<void> {
    if (alert.ruleId === null) return;
    const { opened, ...change } = await this.repository.recordAlertOpened({
      ruleId: alert.ruleId,
      alertId: alert.id,
      deviceId: alert.deviceId,
      areaIds: [...device.areaIds],
      severity: alert.severity,
      title: `${alert.ruleName} · ${device.name}`,
      openedAt: new Date(alert.openedAt),
      value: alert.value,
    });
    if (opened) this.bus.emit('incident.opened', change);
    else this.bus.emit('incident.updated', change, null);
  }

  private async alertResolved(alert: AlertDto): Promise<void> {
    const change = await this.repository.recordAlertResolved(alert.id);
    if (change) this.bus.emit('incident.updated', change, null);
  }

  private enqueue(alert: AlertDto, work: () => Promise<void>): void {
    const key = `${alert.ruleId}:${alert.deviceId}`;
    const next = (this.queues.get(key) ?? Promise.resolve())
      .then(work)
      .catch((err: Error) => this.logger.error(`incident for alert ${alert.id} not saved: ${err.message}`));
    this.queues.set(key, next);
    void next.then(() => {
      if (this.queues.get(key) === next) this.queues.delete(key);
    });
  }
}

function notFound(id: number): IocError {
  return new IocError(ErrorCode.NotFound, `incident ${id} does not exist`);
}
