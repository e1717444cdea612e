import type { MqttClient } from 'mqtt';
import {
  ROLES,
  topics,
  type CommandPayload,
  type Role,
  type ServerToClientEvents,
  type TeamDto,
} from '@ioc/contracts';
import { startTestServer, type TestServer } from '../support/test-server';
import { api, connectConsole, eventually, provisionDevice, type ConsoleSocket } from '../support/clients';
import { IN_MY_THO, MY_THO_TEAM, SALINITY_RULE } from '../support/alerting';

jest.setTimeout(30_000);

type EventName = keyof ServerToClientEvents;
type Args<E extends EventName> = Parameters<ServerToClientEvents[E]>;
type Received = { event: EventName; args: unknown[] };

/** Its alert opens and clears; its incident stays with the operations room. */
const STATION = 'mt-sal-01';
/** Its incident is dispatched to the demo field user's team. */
const DISPATCHED_STATION = 'mt-sal-02';
const CAMERA = 'mt-cam-01';
const SPEAKER = 'mt-loa-01';
const REMOVED = 'mt-old-01';
const RENAMED = 'Trạm đo mặn cầu Quay';
const SENTINEL = 'Loa truyền thanh chợ Mỹ Tho';

/** What the scenario learns that the routes need: the two incidents it opens. */
const ids = { incident: 0, dispatched: 0 };

/** One kind of socket event, the payload of it the scenario causes, and the REST route that shows the same data. */
interface Case {
  event: EventName;
  what: string;
  matches: (args: unknown[]) => boolean;
  route: () => string;
}

/** A payload check of one event's arguments, applied to what a socket recorded under that name. */
const check =
  <E extends EventName>(matches: (...args: Args<E>) => boolean) =>
  (args: unknown[]) =>
    matches(...(args as Args<E>));

function kase<E extends EventName>(event: E, what: string, matches: (...args: Args<E>) => boolean, route: () => string): Case {
  return { event, what, matches: check(matches), route };
}

const CASES: Case[] = [
  kase('telemetry:batch', "a station's readings", (updates) => updates.some((u) => u.deviceId === STATION), () => `/api/history/latest?deviceId=${STATION}`),
  kase('device:status', 'a station coming online', (u) => u.deviceId === STATION && u.status === 'online', () => `/api/devices/${STATION}`),
  kase('device:upserted', 'a station renamed', (d) => d.id === STATION && d.name === RENAMED, () => `/api/devices/${STATION}`),
  kase('device:removed', 'a device removed', ({ id }) => id === REMOVED, () => '/api/devices'),
  kase('device:event', "a camera's analytics", (e) => e.deviceId === CAMERA && e.type === 'congestion', () => `/api/events?deviceId=${CAMERA}`),
  kase('command:updated', 'a command acknowledged', (c) => c.deviceId === SPEAKER && c.state === 'succeeded', () => `/api/devices/${SPEAKER}/commands`),
  kase('alert:opened', 'a salinity alert', (a) => a.deviceId === STATION, () => `/api/alerts?deviceId=${STATION}`),
  kase('alert:resolved', 'the alert clearing', (a) => a.deviceId === STATION, () => `/api/alerts?state=resolved&deviceId=${STATION}`),
  kase('incident:opened', 'an incident nobody dispatched', (e) => e.incident.id === ids.incident, () => `/api/incidents/${ids.incident}`),
  kase(
    'incident:updated',
    'its alert clearing',
    (e) => e.incident.id === ids.incident && e.entry.step === 'alert_resolved',
    () => `/api/incidents/${ids.incident}`,
  ),
  kase(
    'incident:updated',
    "an incident dispatched to the field user's team",
    (e) => e.incident.id === ids.dispatched && e.entry.step === 'dispatched',
    () => `/api/incidents/${ids.dispatched}`,
  ),
];

describe('socket.io events reach exactly the roles whose REST route shows the same data', () => {
  let server: TestServer;
  const tokens = {} as Record<Role, string>;
  const sockets = {} as Record<Role, ConsoleSocket>;
  const received = {} as Record<Role, Received[]>;
  const devices: MqttClient[] = [];

  const call = <T = unknown>(role: Role, method: string, path: string, body?: unknown) => api<T>(server.baseUrl, method, path, body, tokens[role]);
  /** Resolves once that role's socket has the event (the admin's has every one, so it paces the scenario). */
  const arrived = async <E extends EventName>(role: Role, event: E, matches: (...args: Args<E>) => boolean): Promise<Args<E>> => {
    const found = await eventually(async () => received[role].find((r) => r.event === event && check(matches)(r.args)));
    return found.args as Args<E>;
  };
  const publish = (device: MqttClient, topic: string, payload: unknown) => device.publishAsync(topic, JSON.stringify(payload), { qos: 1 });

  beforeAll(async () => {
    server = await startTestServer();
    for (const role of ROLES) {
      tokens[role] = (await server.session(role)).accessToken;
      sockets[role] = await connectConsole(server.baseUrl, tokens[role]);
      received[role] = [];
      sockets[role].onAny((event: EventName, ...args: unknown[]) => received[role].push({ event, args }));
    }
    expect((await call('admin', 'POST', '/api/rules', SALINITY_RULE)).status).toBe(201);
    const team = (await call<TeamDto[]>('admin', 'GET', '/api/teams')).body.find((t) => t.name === MY_THO_TEAM)!;

    const station = await provisionDevice(server, tokens.admin, { id: STATION, kind: 'salinity', name: 'Trạm đo mặn Mỹ Tho', ...IN_MY_THO });
    const dispatchedStation = await provisionDevice(server, tokens.admin, { id: DISPATCHED_STATION, kind: 'salinity', name: 'Trạm đo mặn Tân Mỹ Chánh', ...IN_MY_THO });
    const camera = await provisionDevice(server, tokens.admin, { id: CAMERA, kind: 'traffic_camera', name: 'Camera ngã tư Ấp Bắc', ...IN_MY_THO });
    const speaker = await provisionDevice(server, tokens.admin, { id: SPEAKER, kind: 'pa_speaker', name: 'Loa truyền thanh phường 1', ...IN_MY_THO });
    devices.push(station, dispatchedStation, camera, speaker);
    expect((await call('admin', 'POST', '/api/devices', { id: REMOVED, kind: 'water_level', name: 'Trạm cũ', ...IN_MY_THO })).status).toBe(201);

    // Readings over the threshold: telemetry, online, an alert and an incident for each station.
    await publish(station, topics.telemetry(STATION), { ts: Date.now(), metrics: { salinity: 5.2 } });
    await publish(dispatchedStation, topics.telemetry(DISPATCHED_STATION), { ts: Date.now(), metrics: { salinity: 6.1 } });
    const opened = async (deviceId: string) => (await arrived('admin', 'incident:opened', (e) => e.incident.deviceId === deviceId))[0].incident.id;
    ids.incident = await opened(STATION);
    ids.dispatched = await opened(DISPATCHED_STATION);

    await publish(camera, topics.event(CAMERA), { ts: Date.now(), type: 'congestion', confidence: 0.92, attributes: { lane: 2 } });

    await speaker.subscribeAsync(topics.command(SPEAKER), { qos: 1 });
    speaker.on('message', (_topic, payload) => {
      const command = JSON.parse(payload.toString()) as CommandPayload;
      void publish(speaker, topics.commandAck(SPEAKER), { id: command.id, status: 'ok', message: 'đang phát' });
    });
    expect((await call('operator', 'POST', `/api/devices/${SPEAKER}/commands`, { name: 'play_announcement', params: { bulletinId: 'bt-2026-07' } })).status).toBe(202);

    expect((await call('supervisor', 'PATCH', `/api/devices/${STATION}`, { name: RENAMED })).status).toBe(200);
    expect((await call('admin', 'DELETE', `/api/devices/${REMOVED}`)).status).toBe(204);
    await publish(station, topics.telemetry(STATION), { ts: Date.now(), metrics: { salinity: 3.1 } });
    expect((await call('operator', 'POST', `/api/incidents/${ids.dispatched}/acknowledge`, {})).status).toBe(200);
    expect((await call('operator', 'POST', `/api/incidents/${ids.dispatched}/dispatch`, { teamId: team.id })).status).toBe(200);

    for (const c of CASES) await eventually(async () => received.admin.find((r) => r.event === c.event && c.matches(r.args)));
    // Every role reads the registry, and a socket receives in order: once the sentinel is in,
    // anything sent earlier would be too, so nothing has to be waited for by sleeping.
    expect((await call('admin', 'PATCH', `/api/devices/${SPEAKER}`, { name: SENTINEL })).status).toBe(200);
    for (const role of ROLES) await arrived(role, 'device:upserted', (d) => d.name === SENTINEL);
  });

  afterAll(async () => {
    for (const socket of Object.values(sockets)) socket.close();
    await Promise.all(devices.map((d) => d.endAsync()));
    await server?.close();
  });

  it.each(CASES.map((c) => [c.event, c.what, c] as const))('%s (%s) goes to a role exactly when its REST route answers it 200', async (_event, _what, c) => {
    const answered = {} as Record<Role, number>;
    for (const role of ROLES) answered[role] = (await call(role, 'GET', c.route())).status;
    for (const status of Object.values(answered)) expect([200, 403, 404]).toContain(status);
    const allowed = Object.fromEntries(ROLES.map((role) => [role, answered[role] === 200]));
    const got = Object.fromEntries(ROLES.map((role) => [role, received[role].some((r) => r.event === c.event && c.matches(r.args))]));
    expect({ route: c.route(), got }).toEqual({ route: c.route(), got: allowed });
  });
});
