import { Inject, Injectable } from '@nestjs/common';
import type {
  CreateIncident,
  IncidentAction,
  IncidentActionInput,
  IncidentDetailDto,
  IncidentPageDto,
  ListIncidentsQuery,
  MergeIncident,
  RejectIncident,
} from '@ioc/contracts';
import { ErrorCode, EventBus, IocError } from '@ioc/common';
import { UsersService, type Principal } from '@ioc/auth';
import { AreasService } from '@ioc/areas';
import { APP_CONFIG, type AppConfig } from '@ioc/config';
import { Database } from '@ioc/database';
import { DevicesService } from '@ioc/devices';
import { canSee, decide, decideMerge, decidePhoto, metresBetween } from './incident-lifecycle';
import { IncidentsRepository, type IncidentChange, type MergeFacts, type Queryable, type ReportedIncident } from './incidents.repository';

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
    @Inject(APP_CONFIG) private readonly config: AppConfig,
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

  /** A citizen's report turned down, with the reason the citizen reads on the tracking page. */
  reject(id: number, input: RejectIncident, principal: Principal): Promise<IncidentDetailDto> {
    return this.act(id, 'reject', { note: input.reason }, principal);
  }

  /** A report that repeats an active incident nearby goes into it; answers the report, now closed. */
  async merge(id: number, input: MergeIncident, principal: Principal): Promise<IncidentDetailDto> {
    const result = await this.repository.merge(
      id,
      input.incidentId,
      (report, target) => decideMerge(report.facts, input.incidentId, target && { facts: target.facts, distanceM: this.distance(report, target) }, principal, this.config.REPORT_MERGE_MAX_M),
      { actor: { id: principal.userId, username: principal.username }, note: input.note ?? null },
    );
    if (result === null) throw notFound(id);
    if (!result.ok) throw new IocError(result.code, result.message);
    this.bus.emit('incident.updated', { ...result.merged, notify: false }, null);
    this.bus.emit('incident.updated', { ...result.joined, notify: false }, null);
    return { ...result.merged.incident, timeline: await this.repository.timeline(id) };
  }

  /**
   * A photo on an incident's timeline, wherever a comment may go: `write` stores the photo's row in
   * the step's transaction and answers its id.
   */
  async addPhoto(id: number, note: string | null, principal: Principal, write: (client: Queryable) => Promise<number>): Promise<IncidentChange> {
    const result = await this.repository.act(id, (facts) => decidePhoto(facts, principal), { actor: { id: principal.userId, username: principal.username }, note }, async (client) => ({
      photoId: await write(client),
    }));
    if (result === null) throw notFound(id);
    if (!result.ok) throw new IocError(result.code, result.message);
    this.bus.emit('incident.updated', { incident: result.incident, entry: result.entry, notify: false }, null);
    return { incident: result.incident, entry: result.entry };
  }

  /** Metres between a report and an incident; null where the incident's place is not known. */
  private distance(report: MergeFacts, target: MergeFacts): number | null {
    const device = target.deviceId === null ? undefined : this.devices.get(target.deviceId);
    const place = target.location ?? (device ? { lat: device.lat, lng: device.lng } : null);
    return report.location === null || place === null ? null : metresBetween(report.location, place);
  }
}

function notFound(id: number): IocError {
  return new IocError(ErrorCode.NotFound, `incident ${id} does not exist`);
}
