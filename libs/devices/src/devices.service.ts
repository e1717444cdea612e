import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type {
  CreateDevice,
  DeviceCredentialsDto,
  DeviceDto,
  DeviceHealth,
  DeviceKind,
  DeviceStatus,
  DeviceStatusUpdate,
  LatestValue,
  ProvisionedDeviceDto,
  ReplaceDevice,
  StatusReason,
  UpdateDevice,
} from '@ioc/contracts';
import { AreasService } from '@ioc/areas';
import { ErrorCode, EventBus, IocError, randomSecret, secretMatches, sha256Hex } from '@ioc/common';
import { DevicesRepository, SenmlNameTaken, type DeviceFields, type DeviceRecord } from './devices.repository';
import { mayPublish, maySubscribe } from './mqtt-acl';
import { NewestValues } from './newest-values';

/** A device's status changed: the device and the change as the consoles are told it. */
export interface StatusTransition {
  device: DeviceRecord;
  update: DeviceStatusUpdate;
}

/**
 * The registry, held in memory for the hot path (lookups by id are O(1) and never touch the
 * database) and written through to PostgreSQL on every change.
 */
@Injectable()
export class DevicesService implements OnModuleInit {
  private readonly logger = new Logger(DevicesService.name);
  private readonly byId = new Map<string, DeviceRecord>();
  private maintenance: ReadonlySet<string> = new Set();
  private readonly stale = new Set<string>();
  /** The health last announced per device, so only changes go out. */
  private readonly announced = new Map<string, DeviceHealth>();
  /** Each registered SenML name (RFC 8428 bn + n) and its device. */
  private readonly bySenmlName = new Map<string, DeviceRecord>();

  constructor(
    private readonly repository: DevicesRepository,
    private readonly areas: AreasService,
    private readonly bus: EventBus,
    private readonly newest: NewestValues,
  ) {}

  async onModuleInit(): Promise<void> {
    for (const device of await this.repository.findAll()) this.index(device);
    this.logger.log(`${this.byId.size} devices in the registry`);
  }

  /** Hot path: the registry entry of a device, or undefined for an unknown one. */
  get(id: string): DeviceRecord | undefined {
    return this.byId.get(id);
  }

  /** Hot path: the device registered under exactly this SenML name. */
  withSenmlName(name: string): DeviceRecord | undefined {
    return this.bySenmlName.get(name);
  }

  all(): IterableIterator<DeviceRecord> {
    return this.byId.values();
  }

  async list(): Promise<DeviceDto[]> {
    const latest = await this.repository.latestValues();
    return [...this.byId.values()].sort((a, b) => a.id.localeCompare(b.id)).map((d) => this.toDto(d, latest.get(d.key)));
  }

  async findOne(id: string): Promise<DeviceDto> {
    const device = this.require(id);
    const latest = await this.repository.latestValues([device.key]);
    return this.toDto(device, latest.get(device.key));
  }

  /** Registers a device and issues its MQTT secret, which this answer is the only one to show. */
  async create({ id, ...fields }: CreateDevice): Promise<ProvisionedDeviceDto> {
    const created = await senmlNamesUnique(this.repository.insert(id, this.fields(id, fields)));
    if (!created) throw new IocError(ErrorCode.Conflict, `device ${id} already exists`);
    await this.remember(created);
    const credentials = await this.issueCredentials(id);
    return { device: await this.findOne(id), credentials };
  }

  /** A new secret for the device; the old one stops working and its connection is dropped. */
  async issueCredentials(id: string): Promise<DeviceCredentialsDto> {
    this.require(id);
    const password = randomSecret();
    const updated = await this.repository.setSecret(id, sha256Hex(password));
    if (!updated) throw this.notFound(id);
    await this.remember(updated);
    this.bus.emit('device.credentials.revoked', id);
    return { deviceId: id, username: id, password, issuedAt: updated.credentialsIssuedAt!.toISOString() };
  }

  async revokeCredentials(id: string): Promise<DeviceDto> {
    this.require(id);
    const updated = await this.repository.revokeSecret(id);
    if (!updated) throw this.notFound(id);
    const dto = await this.remember(updated);
    this.bus.emit('device.credentials.revoked', id);
    return dto;
  }

  /** Broker hook: client id and username are the device id, the password its current secret. */
  authenticate(clientId: string, username: string | undefined, password: string | undefined): boolean {
    const device = this.byId.get(clientId);
    if (!device?.secretHash || username !== clientId || password === undefined) return false;
    return secretMatches(password, device.secretHash);
  }

  /** Broker hook: may this connected device publish on this topic? */
  mayPublish(clientId: string, topic: string): boolean {
    const device = this.byId.get(clientId);
    return device !== undefined && mayPublish(device, topic, this.isChildOf);
  }

  /** Broker hook: may this connected device subscribe to this filter? */
  maySubscribe(clientId: string, filter: string): boolean {
    const device = this.byId.get(clientId);
    return device !== undefined && maySubscribe(device, filter, this.isChildOf);
  }

  private readonly isChildOf = (childId: string, gatewayId: string) => this.byId.get(childId)?.gatewayId === gatewayId;

  async replace(id: string, fields: ReplaceDevice): Promise<DeviceDto> {
    return this.remember(await senmlNamesUnique(this.repository.upsert(id, this.fields(id, fields))));
  }

  async update(id: string, patch: UpdateDevice): Promise<DeviceDto> {
    const current = this.require(id);
    const merged: ReplaceDevice = {
      kind: patch.kind ?? current.kind,
      name: patch.name ?? current.name,
      lat: patch.lat ?? current.lat,
      lng: patch.lng ?? current.lng,
      metadata: patch.metadata ?? current.metadata,
      gatewayId: patch.gatewayId !== undefined ? patch.gatewayId : current.gatewayId,
      senmlNames: patch.senmlNames ?? current.senmlNames,
    };
    const updated = await senmlNamesUnique(this.repository.update(id, this.fields(id, merged)));
    if (!updated) throw this.notFound(id);
    return this.remember(updated);
  }

  async remove(id: string): Promise<void> {
    if (!(await this.repository.delete(id))) throw this.notFound(id);
    this.unindex(id);
    this.bus.emit('device.credentials.revoked', id);
    this.bus.emit('device.removed', id);
  }

  /**
   * A status change: the transition, if it is one, is returned for the caller to store and
   * announced on the bus for the consoles.
   */
  setStatus(device: DeviceRecord, status: DeviceStatus, at: Date, reason: StatusReason = 'reported'): StatusTransition | null {
    if (status === 'online') this.touch(device, at);
    if (device.status === status) return null;
    device.status = status;
    const update = { deviceId: device.id, status, reason, at: at.toISOString() };
    this.bus.emit('device.status', update);
    this.announceHealth(device.id);
    return { device, update };
  }

  /** Hot path: data arrived. A device that sends data is online. */
  seen(device: DeviceRecord, at: Date): StatusTransition | null {
    this.touch(device, at);
    return device.status === 'online' ? null : this.setStatus(device, 'online', at, 'data');
  }

  /** Takes online devices silent for longer than their kind's heartbeat timeout for offline. */
  markSilentOffline(now: number, timeoutMs: (kind: DeviceKind) => number): StatusTransition[] {
    const transitions: StatusTransition[] = [];
    for (const device of this.byId.values()) {
      if (device.status !== 'online' || !device.lastSeen) continue;
      if (now - device.lastSeen.getTime() <= timeoutMs(device.kind)) continue;
      const transition = this.setStatus(device, 'offline', new Date(now), 'heartbeat');
      if (transition) transitions.push(transition);
    }
    return transitions;
  }

  private touch(device: DeviceRecord, at: Date): void {
    if (!device.lastSeen || device.lastSeen < at) device.lastSeen = at;
  }

  private fields(id: string, input: ReplaceDevice): DeviceFields {
    if (input.gatewayId !== null) {
      const gateway = this.byId.get(input.gatewayId);
      if (input.gatewayId === id || gateway?.kind !== 'gateway') {
        throw new IocError(ErrorCode.Invalid, `gatewayId: ${input.gatewayId} is not a registered gateway`);
      }
    }
    for (const name of input.senmlNames) {
      const owner = this.bySenmlName.get(name);
      if (owner && owner.id !== id) throw new IocError(ErrorCode.Conflict, `senmlNames: ${name} is already the SenML name of device ${owner.id}`);
    }
    const areaIds = this.areas.containing(input.lat, input.lng).map((a) => a.id);
    return {
      kind: input.kind,
      name: input.name,
      lat: input.lat,
      lng: input.lng,
      metadata: input.metadata,
      gatewayId: input.gatewayId,
      senmlNames: input.senmlNames,
      areaIds,
    };
  }

  private async remember(record: DeviceRecord): Promise<DeviceDto> {
    const known = this.byId.get(record.id);
    // Keep what the hot path has learnt since the row was read.
    if (known) {
      record.status = known.status;
      record.lastSeen = known.lastSeen;
    }
    this.index(record);
    const latest = await this.repository.latestValues([record.key]);
    const dto = this.toDto(record, latest.get(record.key));
    this.bus.emit('device.upserted', dto);
    return dto;
  }

  private index(record: DeviceRecord): void {
    this.unindex(record.id);
    this.byId.set(record.id, record);
    for (const name of record.senmlNames) this.bySenmlName.set(name, record);
  }

  private unindex(id: string): void {
    for (const name of this.byId.get(id)?.senmlNames ?? []) this.bySenmlName.delete(name);
    this.byId.delete(id);
  }

  private require(id: string): DeviceRecord {
    const device = this.byId.get(id);
    if (!device) throw this.notFound(id);
    return device;
  }

  private notFound(id: string): IocError {
    return new IocError(ErrorCode.NotFound, `device ${id} does not exist`);
  }

  /** The devices a silence covers now (the alerting capability knows); those that changed are announced. */
  setMaintenance(ids: ReadonlySet<string>): void {
    const changed = [...this.maintenance].filter((id) => !ids.has(id));
    for (const id of ids) if (!this.maintenance.has(id)) changed.push(id);
    this.maintenance = new Set(ids);
    for (const id of changed) this.announceHealth(id);
  }

  /** Whether a no-data alert fires for the device now. */
  setStale(id: string, stale: boolean): void {
    if (stale === this.stale.has(id)) return;
    if (stale) this.stale.add(id);
    else this.stale.delete(id);
    this.announceHealth(id);
  }

  health(d: DeviceRecord): DeviceHealth {
    if (this.maintenance.has(d.id)) return 'maintenance';
    if (d.status === 'offline') return 'offline';
    return this.stale.has(d.id) || d.lastSeen === null ? 'stale' : 'ok';
  }

  private announceHealth(id: string): void {
    const device = this.byId.get(id);
    if (!device) return;
    const health = this.health(device);
    if (this.announced.get(id) === health) return;
    this.announced.set(id, health);
    this.bus.emit('device.health', { deviceId: id, health, at: new Date().toISOString() });
  }

  private toDto(d: DeviceRecord, latest: Record<string, LatestValue> | undefined): DeviceDto {
    return {
      id: d.id,
      kind: d.kind,
      name: d.name,
      lat: d.lat,
      lng: d.lng,
      areas: this.areas.refs(d.areaIds),
      metadata: d.metadata,
      gatewayId: d.gatewayId,
      senmlNames: d.senmlNames,
      credentials: {
        state: d.secretHash ? 'active' : d.credentialsRevokedAt ? 'revoked' : 'none',
        issuedAt: d.credentialsIssuedAt?.toISOString() ?? null,
      },
      status: d.status,
      health: this.health(d),
      lastSeen: d.lastSeen?.toISOString() ?? null,
      latest: this.newest.merge(d.id, latest),
      createdAt: d.createdAt.toISOString(),
      updatedAt: d.updatedAt.toISOString(),
    };
  }
}

/** Two writes racing for one SenML name: the database keeps it unique, the loser hears 409. */
async function senmlNamesUnique<T>(write: Promise<T>): Promise<T> {
  try {
    return await write;
  } catch (err) {
    if (err instanceof SenmlNameTaken) throw new IocError(ErrorCode.Conflict, 'senmlNames: a name is already the SenML name of another device');
    throw err;
  }
}
