import { connectAsync, type MqttClient } from 'mqtt';
import { topics, type AlertRuleDefinitionInput, type DeviceStatus, type GatewayPayload, type TelemetryPayload } from '@ioc/contracts';
import { sleep } from './child-processes';
import { cachedPids, round } from './ingest-run';
import { deviceIds, provision, startServer, type BenchServer } from './ioc-server';
import { MqttDevice } from './mqtt-device';
import { Api, ConsoleWatch, OPERATOR, type Seen } from './operations-room';
import type { PostgresTarget, ScratchDatabase } from './postgres-target';
import { MachineMeter, UsageMeter, type UsageReport } from './process-stats';
import { PublisherPool } from './publisher-pool';

/** What the three parts need of the bench's settings. */
export interface AlertingSettings {
  /** Devices of the ingest load beside the latency probes, and their messages per second (0: no load). */
  devices: number;
  rate: number;
  threads: number;
  warmupS: number;
  /** The probes: one fresh device breaching every `probeIntervalMs` for `durationS`. */
  durationS: number;
  probeIntervalMs: number;
  /** A probe whose alert or incident has not reached the console by then never arrived. */
  timeoutS: number;
  children: number;
  /** The children's no_data condition. */
  noDataAfterS: number;
  /** How long the gateway's children report before the power cut. */
  gatewayWarmupS: number;
  areaDevices: number;
  /** How long the storms are watched for. */
  stormWindowS: number;
}

export interface Distribution {
  count: number;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
}

export interface LatencyResult {
  loadDevices: number;
  probes: number;
  /** MQTT publish -> the operator's console, for each probe; `missing`: not there within the timeout. */
  toAlert: Distribution & { missing: number };
  toIncident: Distribution & { missing: number };
  /** Each probe in turn: when it was sent (ms into the probing) and its two latencies, null if never. */
  series: { sentMs: number[]; alertMs: (number | null)[]; incidentMs: (number | null)[] };
  /** GET /api/incidents afterwards: the probes' incidents, and any other (the load must open none). */
  incidentsStored: number;
  otherIncidents: number;
  /** The ingest load while the probes ran. */
  load: { offeredPerS: number; ackedPerS: number; skipped: number; late: number; disconnects: number };
  usage: { server: UsageReport; postgres: UsageReport | null; machineCpuPercent: number };
  socketLost: string | null;
}

export interface GatewayStormResult {
  children: number;
  /** Incidents the console was told of while the children still reported (expected: none). */
  incidentsBeforeCut: number;
  /** incident:opened within the window after the power cut. */
  incidentsOpened: number;
  /** Power cut -> the gateway's alert:opened and incident:opened. */
  gatewayAlertMs: number | null;
  gatewayIncidentMs: number | null;
  /** Power cut -> the last incident:opened of the window. */
  lastIncidentMs: number | null;
  alertsOpened: number;
  /** GET /api/alerts and /api/incidents after the window. */
  /** `heldBack`: recorded without an incident; `inhibited`: of those, held back by the offline gateway. */
  alertsStored: { offline: number; noData: number; heldBack: number; inhibited: number };
  incidentsStored: number;
  socketLost: string | null;
}

export interface AreaStormResult {
  devices: number;
  areaId: string;
  /** From the first breaching publish to the last. */
  publishSpanMs: number;
  /** incident:opened for the area's rule within the window. */
  incidentsOpened: number;
  /** First publish -> incident:opened, and -> the first incident event naming every device. */
  openedMs: number | null;
  completeMs: number | null;
  /** GET /api/incidents/:id of the first incident after the window: the devices it gathers. */
  devicesInIncident: number;
  incidentsStored: number;
  alertsStored: number;
  socketLost: string | null;
}

const MQTT_CONNECT_TIMEOUT_MS = 30_000;
const KEEPALIVE_S = 60;
/** The probes' rule: the load's PM2.5 walks between 12 and 36.5 µg/m³ and never reaches it. */
const PROBE_THRESHOLD = 100;
const PROBE_VALUE = 150;
/** Each child reports every this many seconds, through the gateway. */
const CHILD_REPORT_S = 5;
/** Phường 10, Mỹ Tho, in the bundled pilot areas; devices get it from their position. */
const STORM_AREA = { id: 'my-tho-phuong-10', name: 'Phường 10', lat: 10.395, lng: 106.3345, radius: 0.007 };
/** The rule's level: BĐ2 (flood alarm level 2) of a made-up station. */
const BD2_M = 2.5;
/** After the area's incident holds every device: how long the bench still listens for a second incident. */
const AREA_SETTLE_MS = 5000;

interface Stage {
  server: BenchServer;
  db: ScratchDatabase;
  admin: Api;
  watch: ConsoleWatch;
  log: (line: string) => void;
}

/** A fresh database and server, the administrator's API and the operator's console; all gone afterwards. */
async function onFreshServer<T>(pg: PostgresTarget, part: string, work: (stage: Stage) => Promise<T>): Promise<T> {
  const log = (line: string) => process.stderr.write(`[${part}] ${line}\n`);
  const db = await pg.createScratch('ioc_bench_alerting');
  let server: BenchServer | null = null;
  let watch: ConsoleWatch | null = null;
  try {
    server = await startServer(db.url, undefined);
    log(`server at ${server.baseUrl} (pid ${server.child.pid}), database ${db.name}`);
    watch = await ConsoleWatch.connect(await Api.login(server.baseUrl, OPERATOR));
    return await work({ server, db, admin: new Api(server.baseUrl, server.token), watch, log });
  } finally {
    watch?.close();
    await server?.stop();
    await db.drop();
  }
}

/** Devices with their own connections in the bench's main thread: few, and each publishing when told. */
class DeviceGroup {
  private readonly keepalive: NodeJS.Timeout;
  private firstError: string | null = null;

  private constructor(private readonly devices: Map<string, MqttDevice>) {
    this.keepalive = setInterval(() => {
      const now = Date.now();
      for (const device of devices.values()) device.keepAlive(now);
    }, 1000);
  }

  static async connect(brokerUrl: string, credentials: readonly { id: string; password: string }[]): Promise<DeviceGroup> {
    const url = new URL(brokerUrl);
    const devices = new Map<string, MqttDevice>();
    const events = {
      acked: () => undefined,
      closed: () => undefined,
      error: (message: string) => {
        group.firstError ??= message;
      },
    };
    for (const { id, password } of credentials) devices.set(id, new MqttDevice(url, id, password, KEEPALIVE_S, events));
    const group = new DeviceGroup(devices);
    const queue = [...devices.values()];
    let failed = 0;
    const lane = async () => {
      for (let device = queue.pop(); device; device = queue.pop()) {
        if (!(await device.connect(MQTT_CONNECT_TIMEOUT_MS))) failed++;
      }
    };
    await Promise.all(Array.from({ length: Math.min(50, queue.length) }, lane));
    if (failed > 0) {
      await group.close();
      throw new Error(`${failed} of ${devices.size} devices could not connect (${group.firstError ?? 'no error given'})`);
    }
    return group;
  }

  /** One reading, stamped now, written to the socket at once. */
  publish(id: string, metrics: Record<string, number>): void {
    const payload: TelemetryPayload = { ts: Date.now(), metrics };
    this.devices.get(id)!.publish(Buffer.from(topics.telemetry(id)), JSON.stringify(payload));
  }

  async close(): Promise<void> {
    clearInterval(this.keepalive);
    await Promise.all([...this.devices.values()].map((d) => d.close(5000)));
  }
}

const MESSAGES = (vi: string, en: string) => ({ vi, en });

/**
 * Part 1: while the ingest load runs, a fresh device breaches a threshold every interval; the
 * operator's console times each one's alert and incident from the publish.
 */
export async function runLatency(settings: AlertingSettings, pg: PostgresTarget, cores: number): Promise<LatencyResult> {
  return onFreshServer(pg, 'latency', async ({ server, db, admin, watch, log }) => {
    const loadIds = settings.rate > 0 ? deviceIds('bench', settings.devices) : [];
    const probeIds = deviceIds('probe', Math.floor((settings.durationS * 1000) / settings.probeIntervalMs));
    const passwords = await provision(server, [...loadIds, ...probeIds]);
    log(`${loadIds.length} load devices and ${probeIds.length} probe devices provisioned`);
    await admin.createRule({
      name: 'Bụi mịn PM2.5 vượt ngưỡng',
      severity: 'warning',
      scope: { type: 'deviceKind', deviceKind: 'air_quality' },
      conditions: [{ kind: 'threshold', metric: 'pm25', operator: '>', value: PROBE_THRESHOLD }],
      messages: MESSAGES('{device}: PM2.5 {value} {unit}, vượt ngưỡng {threshold} {unit}', '{device}: PM2.5 {value} {unit}, above {threshold} {unit}'),
    });

    let pool: PublisherPool | null = null;
    let probes: DeviceGroup | null = null;
    try {
      if (loadIds.length > 0) {
        pool = new PublisherPool(server.embeddedMqttUrl!, loadIds.map((id) => ({ id, password: passwords.get(id)! })), settings.threads);
        const connected = await pool.connect();
        if (connected.connected < loadIds.length) {
          throw new Error(`${connected.connected} of ${loadIds.length} load devices connected (${connected.firstError ?? 'no error given'})`);
        }
      }
      probes = await DeviceGroup.connect(server.embeddedMqttUrl!, probeIds.map((id) => ({ id, password: passwords.get(id)! })));
      if (pool) {
        await pool.pace(settings.rate);
        log(`load of ${settings.rate} messages/s from ${loadIds.length} devices; warm-up ${settings.warmupS} s`);
        await sleep(settings.warmupS * 1000);
      }

      const pgPids = cachedPids(pg, db);
      const meters = {
        server: new UsageMeter(() => [server.child.pid]),
        postgres: pg.local ? new UsageMeter(() => pgPids('server'), 'anon') : null,
      };
      const running = [meters.server, ...(meters.postgres ? [meters.postgres] : [])];
      await Promise.all(running.map((m) => m.start()));
      const machine = new MachineMeter();
      const before = await pool?.snapshot();
      const windowStart = performance.now();
      const sampling = whileRunning(async () => {
        await sleep(1000);
        await Promise.all(running.map((m) => m.sample()));
      });

      log(`${probeIds.length} probes, one every ${settings.probeIntervalMs} ms`);
      const sentAt = new Map<string, number>();
      for (const [i, id] of probeIds.entries()) {
        await sleep(windowStart + i * settings.probeIntervalMs - performance.now());
        sentAt.set(id, performance.now());
        probes.publish(id, { pm25: PROBE_VALUE });
      }
      const lastSent = performance.now();
      const arrived = (seen: Seen<{ deviceId: string }>[]) =>
        new Set(seen.map((s) => s.payload.deviceId).filter((id) => sentAt.has(id))).size >= probeIds.length;
      await watch.until(
        () => arrived(watch.alertsOpened.map(asDevice)) && arrived(watch.incidentsOpened.map(asIncidentDevice)),
        lastSent + settings.timeoutS * 1000 - performance.now(),
      );
      await sampling.stop();
      const windowS = (performance.now() - windowStart) / 1000;
      const after = await pool?.snapshot();
      const usage = {
        server: await meters.server.report(),
        postgres: (await meters.postgres?.report()) ?? null,
        machineCpuPercent: machine.report(cores),
      };
      await pool?.halt();

      const timeoutMs = settings.timeoutS * 1000;
      const toAlert = firstAfter(watch.alertsOpened.map(asDevice), sentAt);
      const toIncident = firstAfter(watch.incidentsOpened.map(asIncidentDevice), sentAt);
      const incidents = await admin.incidents();
      const probeSet = new Set(probeIds);
      return {
        loadDevices: loadIds.length,
        probes: probeIds.length,
        toAlert: inTime(toAlert, sentAt.size, timeoutMs),
        toIncident: inTime(toIncident, sentAt.size, timeoutMs),
        series: {
          sentMs: probeIds.map((id) => Math.round(sentAt.get(id)! - windowStart)),
          alertMs: probeIds.map((id) => roundOrNull(toAlert.get(id))),
          incidentMs: probeIds.map((id) => roundOrNull(toIncident.get(id))),
        },
        incidentsStored: incidents.filter((i) => i.deviceId !== null && probeSet.has(i.deviceId)).length,
        otherIncidents: incidents.filter((i) => i.deviceId === null || !probeSet.has(i.deviceId)).length,
        load: {
          offeredPerS: before && after ? Math.round((after.sent - before.sent) / windowS) : 0,
          ackedPerS: before && after ? Math.round((after.acked - before.acked) / windowS) : 0,
          skipped: after?.skipped ?? 0,
          late: after?.late ?? 0,
          disconnects: after?.disconnects ?? 0,
        },
        usage,
        socketLost: watch.lostReason,
      };
    } finally {
      await probes?.close();
      await pool?.close();
    }
  });
}

const asDevice = <T extends { deviceId: string }>(s: Seen<T>): Seen<{ deviceId: string }> => s;
/** An incident people reported has no device, and matches no probe. */
const asIncidentDevice = (s: Seen<{ incident: { deviceId: string | null } }>): Seen<{ deviceId: string }> => ({
  at: s.at,
  payload: { deviceId: s.payload.incident.deviceId ?? '' },
});

/** Each probe's time from its publish to its first event. */
function firstAfter(seen: Seen<{ deviceId: string }>[], sentAt: Map<string, number>): Map<string, number> {
  const first = new Map<string, number>();
  for (const { at, payload } of seen) {
    const sent = sentAt.get(payload.deviceId);
    if (sent !== undefined && !first.has(payload.deviceId)) first.set(payload.deviceId, at - sent);
  }
  return first;
}

/** A probe whose event came later than the timeout, or never, is missing. */
function inTime(latencies: Map<string, number>, probes: number, timeoutMs: number): Distribution & { missing: number } {
  const arrived = [...latencies.values()].filter((ms) => ms <= timeoutMs);
  return { ...distribution(arrived), missing: probes - arrived.length };
}

const roundOrNull = (ms: number | undefined) => (ms === undefined ? null : Math.round(ms));

export function distribution(values: readonly number[]): Distribution {
  if (values.length === 0) return { count: 0, p50Ms: null, p95Ms: null, p99Ms: null, maxMs: null };
  const sorted = Float64Array.from(values).sort();
  const at = (p: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]);
  return { count: sorted.length, p50Ms: at(0.5), p95Ms: at(0.95), p99Ms: at(0.99), maxMs: Math.round(sorted[sorted.length - 1]) };
}

/**
 * Part 2a: a gateway and its children report for a while, then the gateway loses power: its
 * connection drops without a DISCONNECT and the broker publishes its last will. Counts the
 * incidents the window opens: the gateway's only, its children's offline and no_data alerts
 * recorded but held back (inhibited) by the offline gateway.
 */
export async function runGatewayStorm(settings: AlertingSettings, pg: PostgresTarget): Promise<GatewayStormResult> {
  return onFreshServer(pg, 'gateway', async ({ server, admin, watch, log }) => {
    const gatewayId = 'storm-gateway';
    const childIds = deviceIds('storm-node', settings.children);
    const [gateway] = await admin.createDevices([
      { id: gatewayId, kind: 'gateway', name: 'Bộ thu phát LoRa Mỹ Tho', lat: 10.36, lng: 106.36 },
    ]);
    await admin.createDevices(
      childIds.map((id, i) => ({
        id,
        kind: 'water_level',
        name: `Trạm đo mực nước ${i + 1}`,
        gatewayId,
        ...around({ lat: 10.36, lng: 106.36 }, 0.05, i, childIds.length),
      })),
    );
    const offline = await admin.createRule({
      name: 'Thiết bị mất kết nối',
      severity: 'critical',
      scope: { type: 'all' },
      conditions: [{ kind: 'offline', afterS: 0 }],
      messages: MESSAGES('{device} mất kết nối', '{device} is offline'),
    });
    const noData = await admin.createRule({
      name: 'Không có dữ liệu mực nước',
      severity: 'warning',
      scope: { type: 'deviceKind', deviceKind: 'water_level' },
      conditions: [{ kind: 'no_data', metric: 'water_level', afterS: settings.noDataAfterS }],
      messages: MESSAGES('{device}: không có dữ liệu mực nước', '{device}: no water level data'),
    });
    log(`gateway and ${childIds.length} children registered; rules: offline (all devices), no_data after ${settings.noDataAfterS} s (children)`);

    const client = await connectAsync(server.embeddedMqttUrl!, {
      clientId: gatewayId,
      username: gatewayId,
      password: gateway.credentials.password,
      clean: true,
      keepalive: 30,
      reconnectPeriod: 0,
      connectTimeout: MQTT_CONNECT_TIMEOUT_MS,
      will: { topic: topics.status(gatewayId), payload: Buffer.from('offline' satisfies DeviceStatus), qos: 1, retain: true },
    });
    try {
      await client.publishAsync(topics.status(gatewayId), 'online' satisfies DeviceStatus, { qos: 1, retain: true });
      const reporting = reportThroughGateway(client, gatewayId, childIds);
      log(`children reporting through the gateway every ${CHILD_REPORT_S} s for ${settings.gatewayWarmupS} s`);
      await sleep(settings.gatewayWarmupS * 1000);
      await reporting.stop();
      const incidentsBeforeCut = watch.incidentsOpened.length;

      const cut = performance.now();
      client.stream.destroy();
      log(`power cut; watching for ${settings.stormWindowS} s`);
      await sleep(settings.stormWindowS * 1000);
      const inWindow = <T>(seen: Seen<T>[]) => seen.filter((s) => s.at >= cut && s.at <= cut + settings.stormWindowS * 1000);
      const opened = inWindow(watch.incidentsOpened);
      const sinceCut = (s: Seen<unknown> | undefined) => (s ? Math.round(s.at - cut) : null);

      const alerts = await admin.alerts();
      return {
        children: childIds.length,
        incidentsBeforeCut,
        incidentsOpened: opened.length,
        gatewayAlertMs: sinceCut(inWindow(watch.alertsOpened).find((s) => s.payload.deviceId === gatewayId)),
        gatewayIncidentMs: sinceCut(opened.find((s) => s.payload.incident.deviceId === gatewayId)),
        lastIncidentMs: sinceCut(opened.at(-1)),
        alertsOpened: inWindow(watch.alertsOpened).length,
        alertsStored: {
          offline: alerts.filter((a) => a.ruleId === offline.id).length,
          noData: alerts.filter((a) => a.ruleId === noData.id).length,
          heldBack: alerts.filter((a) => a.incidentId === null).length,
          inhibited: alerts.filter((a) => a.inhibitedBy === gatewayId).length,
        },
        incidentsStored: (await admin.incidents()).length,
        socketLost: watch.lostReason,
      };
    } finally {
      client.end(true);
    }
  });
}

/** The gateway forwards its children's readings once a second, each child every CHILD_REPORT_S, and its own. */
function reportThroughGateway(client: MqttClient, gatewayId: string, childIds: readonly string[]): { stop(): Promise<void> } {
  let tick = 0;
  return whileRunning(async () => {
    const ts = Date.now();
    const due = childIds.filter((_, i) => i % CHILD_REPORT_S === tick % CHILD_REPORT_S);
    const readings: GatewayPayload = {
      ts,
      readings: due.map((deviceId, i) => ({ deviceId, metrics: { water_level: round(1.1 + ((tick + i) % 7) * 0.03, 2) } })),
    };
    if (due.length > 0) await client.publishAsync(topics.gatewayTelemetry(gatewayId), JSON.stringify(readings), { qos: 1 });
    if (tick % CHILD_REPORT_S === 0) {
      const own: TelemetryPayload = { ts, metrics: { temperature: 31.5, battery: 96 } };
      await client.publishAsync(topics.telemetry(gatewayId), JSON.stringify(own), { qos: 1 });
    }
    tick++;
    await sleep(ts + 1000 - Date.now());
  });
}

/** Runs `step` again and again until stopped; a failure ends the loop and is thrown by stop(). */
function whileRunning(step: () => Promise<void>): { stop(): Promise<void> } {
  let running = true;
  let failure: Error | null = null;
  const loop = (async () => {
    while (running) await step();
  })().catch((err: Error) => {
    failure = err;
  });
  return {
    stop: async () => {
      running = false;
      await loop;
      if (failure) throw failure;
    },
  };
}

/**
 * Part 2b: every device of one area breaches within one second under an area-grouped rule. Counts
 * the incidents opened and times the one incident until it gathers every device.
 */
export async function runAreaStorm(settings: AlertingSettings, pg: PostgresTarget): Promise<AreaStormResult> {
  return onFreshServer(pg, 'area', async ({ server, admin, watch, log }) => {
    const ids = deviceIds('storm-ward', settings.areaDevices);
    const created = await admin.createDevices(
      ids.map((id, i) => ({
        id,
        kind: 'water_level',
        name: `Trạm đo mực nước ${STORM_AREA.name} ${i + 1}`,
        ...around(STORM_AREA, STORM_AREA.radius, i, ids.length),
      })),
    );
    const outside = created.filter((c) => !c.device.areas.some((a) => a.id === STORM_AREA.id));
    if (outside.length > 0) throw new Error(`${outside.length} devices are not in ${STORM_AREA.id}, e.g. ${outside[0].device.id}`);
    const rule = await admin.createRule({
      name: `Mực nước đạt BĐ2 trên địa bàn ${STORM_AREA.name}`,
      severity: 'warning',
      scope: { type: 'area', areaId: STORM_AREA.id },
      grouping: 'area',
      conditions: [{ kind: 'threshold', metric: 'water_level', operator: '>=', value: BD2_M, clear: BD2_M - 0.2 }],
      messages: MESSAGES(
        'Nguy cơ ngập úng tại {place}: {device} đo mực nước {value} {unit}, đạt BĐ2 ({threshold} {unit})',
        'Flooding risk in {place}: {device} reads {value} {unit}, at flood alarm level 2 ({threshold} {unit})',
      ),
    } satisfies AlertRuleDefinitionInput);
    log(`${ids.length} devices in ${STORM_AREA.id}, area-grouped rule ${rule.id}`);

    const devices = await DeviceGroup.connect(server.embeddedMqttUrl!, created.map((c) => ({ id: c.device.id, password: c.credentials.password })));
    try {
      // A normal level first: every device online and its rule state below the threshold.
      for (const id of ids) devices.publish(id, { water_level: 1.2 });
      await sleep(3000);

      const ofRule = <T extends { incident: { ruleId: number | null } }>(seen: Seen<T>[]) => seen.filter((s) => s.payload.incident.ruleId === rule.id);
      const first = performance.now();
      for (const [i, id] of ids.entries()) {
        await sleep(first + (i * 1000) / ids.length - performance.now());
        devices.publish(id, { water_level: 2.8 });
      }
      const publishSpanMs = Math.round(performance.now() - first);
      log(`${ids.length} devices breached within ${publishSpanMs} ms; waiting up to ${settings.stormWindowS} s for one incident holding all`);
      const complete = () =>
        [...ofRule(watch.incidentsOpened), ...ofRule(watch.incidentsUpdated)].find((s) => s.payload.incident.deviceIds.length >= ids.length);
      await watch.until(() => complete() !== undefined, first + settings.stormWindowS * 1000 - performance.now());
      const completeAt = complete()?.at ?? null;
      // A second incident for the same area would come soon after the first; leave it the time to.
      await sleep(Math.min(AREA_SETTLE_MS, first + settings.stormWindowS * 1000 - performance.now()));

      const opened = ofRule(watch.incidentsOpened);
      const incidents = (await admin.incidents()).filter((i) => i.ruleId === rule.id);
      const oldest = incidents.at(-1);
      return {
        devices: ids.length,
        areaId: STORM_AREA.id,
        publishSpanMs,
        incidentsOpened: opened.length,
        openedMs: opened.length > 0 ? Math.round(opened[0].at - first) : null,
        completeMs: completeAt === null ? null : Math.round(completeAt - first),
        devicesInIncident: oldest ? (await admin.incident(oldest.id)).deviceIds.length : 0,
        incidentsStored: incidents.length,
        alertsStored: (await admin.alerts()).filter((a) => a.ruleId === rule.id).length,
        socketLost: watch.lostReason,
      };
    } finally {
      await devices.close();
    }
  });
}

/** Positions spread evenly over a disc (golden angle), without a grid. */
function around(center: { lat: number; lng: number }, radius: number, i: number, n: number): { lat: number; lng: number } {
  const angle = i * 2.399963;
  const r = radius * Math.sqrt((i + 0.5) / n);
  return { lat: round(center.lat + r * Math.sin(angle), 6), lng: round(center.lng + r * Math.cos(angle), 6) };
}
