import type { MqttClient } from 'mqtt';
import {
  topics,
  type AlertConditionInput,
  type AlertDto,
  type AlertRuleDefinitionInput,
  type DeviceKind,
  type DeviceStatus,
  type EventType,
  type IncidentDto,
  type IncidentPageDto,
  type ProvisionedDeviceDto,
  type RuleDto,
  type ServerToClientEvents,
} from '@ioc/contracts';
import type { TestServer } from './test-server';
import { api, connectDevice, nextEvent, type ConsoleSocket } from './clients';

/** How long a test waits to show that nothing happens. */
export const QUIET_MS = 1000;
/** Phường 10 of Mỹ Tho: the area-grouped devices stand in it, every other device outside. */
export const WARD = 'my-tho-phuong-10';
/** A point inside WARD. */
export const IN_WARD = { lat: 10.395, lng: 106.333 };
/** Vàm Láng, Gò Công Đông: far from the ward. */
export const VAM_LANG = { lat: 10.3, lng: 106.75 };
/** Vị Thanh: no other device of the alerting tests stands in it, so a silence over it holds only the one placed there. */
export const VI_THANH = 'vi-thanh';
/** A point inside VI_THANH. */
export const IN_VI_THANH = { lat: 9.78, lng: 105.47 };
export const SALINITY_MESSAGES = {
  vi: '{device}: độ mặn {value} {unit} vượt ngưỡng {threshold}',
  en: '{device}: salinity {value} {unit} above {threshold}',
};

export type Server = Pick<TestServer, 'baseUrl' | 'mqttUrl'>;

export const above = (value: number, extra: { clear?: number; forS?: number } = {}): AlertConditionInput => ({
  kind: 'threshold',
  metric: 'salinity',
  operator: '>',
  value,
  ...extra,
});

/** Fails if a matching event arrives within `ms`; start it before the publish it is about. */
export async function nothing<E extends keyof ServerToClientEvents>(
  socket: ConsoleSocket,
  event: E,
  matches: (...args: Parameters<ServerToClientEvents[E]>) => boolean,
  ms = QUIET_MS,
): Promise<void> {
  const seen = await nextEvent(socket, event, matches, ms).then(
    ([payload]) => payload,
    () => null,
  );
  expect(seen).toBeNull();
}

export async function createRule(server: Server, token: string, rule: AlertRuleDefinitionInput): Promise<RuleDto> {
  const created = await api<RuleDto>(server.baseUrl, 'POST', '/api/rules', rule, token);
  if (created.status !== 201) throw new Error(`rule ${rule.name} not created: ${created.status} ${JSON.stringify(created.body)}`);
  return created.body;
}

/** A rule on these devices only, so that rules of other tests never see them. */
export const onStations = (
  name: string,
  stations: { id: string }[],
  conditions: AlertConditionInput[],
  extra: Partial<AlertRuleDefinitionInput> = {},
): AlertRuleDefinitionInput => ({
  name,
  scope: { type: 'devices', deviceIds: stations.map((s) => s.id) },
  conditions,
  messages: SALINITY_MESSAGES,
  ...extra,
});

export async function alertsOf(server: Server, token: string, deviceId: string): Promise<AlertDto[]> {
  return (await api<AlertDto[]>(server.baseUrl, 'GET', `/api/alerts?deviceId=${deviceId}`, undefined, token)).body;
}

export async function incidentsOf(server: Server, token: string, deviceId: string): Promise<IncidentDto[]> {
  return (await api<IncidentPageDto>(server.baseUrl, 'GET', `/api/incidents?deviceId=${deviceId}`, undefined, token)).body.items;
}

const NAMES: Partial<Record<DeviceKind, string>> = {
  traffic_camera: 'Camera giao thông',
  gateway: 'Bộ thu phát',
  water_level: 'Trạm đo mực nước',
};

export interface DeviceOptions {
  kind?: DeviceKind;
  place?: { lat: number; lng: number };
  /** The gateway that publishes for it. */
  gatewayId?: string;
}

/** Registers a device through the API (a salinity station at Vàm Láng unless told otherwise). */
export async function registerDevice(server: Server, adminToken: string, id: string, options: DeviceOptions = {}): Promise<ProvisionedDeviceDto> {
  const kind = options.kind ?? 'salinity';
  const name = `${NAMES[kind] ?? 'Trạm đo mặn'} ${id}`;
  const body = { id, kind, name, ...(options.place ?? VAM_LANG), ...(options.gatewayId ? { gatewayId: options.gatewayId } : {}) };
  const created = await api<ProvisionedDeviceDto>(server.baseUrl, 'POST', '/api/devices', body, adminToken);
  if (created.status !== 201) throw new Error(`device ${id} not registered: ${created.status} ${JSON.stringify(created.body)}`);
  return created.body;
}

/** A registered device connected over MQTT with the credentials it was issued; it can connect again after a restart. */
export class Station {
  /** The newest time stamped: readings without an explicit time come after it. */
  private newest = 0;

  private constructor(
    readonly id: string,
    readonly name: string,
    readonly areaIds: string[],
    private client: MqttClient,
    private readonly credentials: { username: string; password: string },
  ) {}

  /** `will`: the broker says `offline` on the device's status topic when its connection drops. */
  static async provision(server: Server, adminToken: string, id: string, options: DeviceOptions & { will?: boolean } = {}): Promise<Station> {
    const { device, credentials } = await registerDevice(server, adminToken, id, options);
    const { username, password } = credentials;
    const will = options.will ? { will: { topic: topics.status(id), payload: Buffer.from('offline'), qos: 1 as const, retain: true } } : {};
    const client = await connectDevice(server.mqttUrl, id, { username, password, ...will });
    return new Station(id, device.name, device.areas.map((a) => a.id), client, { username, password });
  }

  private stamp(ts?: number): number {
    const time = ts ?? Math.max(Date.now(), this.newest + 1);
    this.newest = Math.max(this.newest, time);
    return time;
  }

  /** A salinity reading stamped `ts` (unset: now, after the previous one); `dup`: sent again as MQTT redelivers it. */
  async reading(value: number, options: { ts?: number; dup?: boolean } = {}): Promise<number> {
    const ts = this.stamp(options.ts);
    await this.client.publishAsync(topics.telemetry(this.id), JSON.stringify({ ts, metrics: { salinity: value } }), { qos: 1, dup: options.dup });
    return ts;
  }

  /** A gateway's reading on behalf of one of its children, on the gateway's own topic. */
  async relay(childId: string, metrics: Record<string, number>): Promise<void> {
    const payload = { readings: [{ deviceId: childId, ts: this.stamp(), metrics }] };
    await this.client.publishAsync(topics.gatewayTelemetry(this.id), JSON.stringify(payload), { qos: 1 });
  }

  async event(type: EventType, confidence: number): Promise<void> {
    await this.client.publishAsync(topics.event(this.id), JSON.stringify({ ts: this.stamp(), type, confidence }), { qos: 1 });
  }

  /** Its own status, or (a gateway) one of its children's. */
  async status(status: DeviceStatus, deviceId = this.id): Promise<void> {
    await this.client.publishAsync(topics.status(deviceId), status, { qos: 1, retain: true });
  }

  /** Drops the connection without a DISCONNECT, as a power cut would: the broker publishes the last will. */
  drop(): void {
    this.client.stream.destroy();
  }

  /** Once the previous connection is gone (dropped, or the server it spoke to stopped). */
  async reconnect(server: Server): Promise<void> {
    this.client = await connectDevice(server.mqttUrl, this.id, this.credentials);
  }

  async close(): Promise<void> {
    if (this.client.connected) await this.client.endAsync();
  }
}

/** Every salinity station above 4 ‰, one incident per station: the incident and permission tests' rule. */
export const SALINITY_RULE = {
  name: 'Độ mặn vượt 4 ‰',
  scope: { type: 'deviceKind', deviceKind: 'salinity' },
  conditions: [{ kind: 'threshold', metric: 'salinity', operator: '>', value: 4 }],
  messages: { vi: '{device}: độ mặn {value} {unit} vượt ngưỡng {threshold} {unit}', en: '{device}: salinity {value} {unit} above {threshold} {unit}' },
} satisfies AlertRuleDefinitionInput;
/** Mỹ Tho, where the demo field team works. */
export const IN_MY_THO = { lat: 10.36, lng: 106.36 };
export const MY_THO_TEAM = 'Tổ xử lý hiện trường Mỹ Tho';
