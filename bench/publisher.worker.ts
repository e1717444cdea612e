import { parentPort, workerData } from 'node:worker_threads';
import { connect, type MqttClient } from 'mqtt';
import { topics, type TelemetryPayload } from '@ioc/contracts';
import type { PublisherCommand, PublisherCounters, PublisherReply, PublisherWorkerData } from './publisher-protocol';

// Past this many unacknowledged messages a device skips its turn instead of queueing without end.
const MAX_INFLIGHT_PER_DEVICE = 100;
const TICK_MS = 5;
const SETTLE_TIMEOUT_MS = 15_000;

interface Device {
  id: string;
  topic: string;
  password: string | undefined;
  client: MqttClient | null;
  connected: boolean;
  seq: number;
  lastTs: number;
  inflight: number;
}

const data = workerData as PublisherWorkerData;
const port = parentPort!;
const devices: Device[] = data.devices.map((d) => ({
  id: d.id,
  topic: topics.telemetry(d.id),
  password: d.password,
  client: null,
  connected: false,
  seq: 0,
  lastTs: 0,
  inflight: 0,
}));
const counters: PublisherCounters = {
  sent: 0,
  acked: 0,
  failed: 0,
  skipped: 0,
  late: 0,
  connected: 0,
  disconnects: 0,
  connectFailures: 0,
  firstError: null,
};
let pacer: NodeJS.Timeout | null = null;
let flooding = false;
let closing = false;
let cursor = 0;

function payload(device: Device): string {
  // Strictly increasing per device: (device, metric, time) is the key of a stored row.
  const ts = Math.max(Date.now(), device.lastTs + 1);
  device.lastTs = ts;
  device.seq += 1;
  const wave = device.seq % 50;
  const message: TelemetryPayload = {
    ts,
    seq: device.seq,
    metrics: { pm25: 12 + wave * 0.5, pm10: 20 + wave * 0.7, temperature: 29 + wave * 0.05, humidity: 70 + (wave % 10) },
  };
  return JSON.stringify(message);
}

function publish(device: Device): boolean {
  if (!device.connected || device.inflight >= MAX_INFLIGHT_PER_DEVICE) {
    counters.skipped += 1;
    return false;
  }
  device.inflight += 1;
  counters.sent += 1;
  device.client!.publish(device.topic, payload(device), { qos: 1 }, (err) => {
    device.inflight -= 1;
    if (err) {
      counters.failed += 1;
      counters.firstError ??= err.message;
      return;
    }
    counters.acked += 1;
    if (flooding) publish(device);
  });
  return true;
}

function connectDevice(device: Device): Promise<void> {
  return new Promise((resolve) => {
    const client = connect(data.url, {
      clientId: device.id,
      ...(device.password === undefined ? {} : { username: device.id, password: device.password }),
      clean: true,
      keepalive: data.keepaliveS,
      reconnectPeriod: 0,
      connectTimeout: 30_000,
    });
    device.client = client;
    let settled = false;
    client.once('connect', () => {
      settled = true;
      device.connected = true;
      counters.connected += 1;
      resolve();
    });
    client.on('error', (err) => {
      counters.firstError ??= `${device.id}: ${err.message}`;
    });
    client.on('close', () => {
      if (!settled) {
        settled = true;
        counters.connectFailures += 1;
        resolve();
        return;
      }
      if (!device.connected) return;
      device.connected = false;
      counters.connected -= 1;
      if (!closing) counters.disconnects += 1;
    });
  });
}

async function connectAll(): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < devices.length) await connectDevice(devices[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(data.connectConcurrency, devices.length) }, lane));
}

/** Round robin over the devices at a steady rate: each device publishes every devices/rate seconds. */
function pace(rate: number): void {
  const startedAt = performance.now();
  let issued = 0;
  pacer = setInterval(() => {
    const due = Math.floor(((performance.now() - startedAt) / 1000) * rate);
    let n = due - issued;
    // A thread that fell more than a second behind skips that backlog rather than bursting it.
    const backlogLimit = Math.max(1, Math.ceil(rate));
    if (n > backlogLimit) {
      counters.late += n - backlogLimit;
      issued += n - backlogLimit;
      n = backlogLimit;
    }
    for (let i = 0; i < n; i++) {
      publish(devices[cursor]);
      cursor = (cursor + 1) % devices.length;
    }
    issued += n;
  }, TICK_MS);
}

/** As fast as the broker acknowledges: each device keeps `window` messages in flight. */
function flood(window: number): void {
  flooding = true;
  for (const device of devices) for (let i = 0; i < window; i++) publish(device);
}

async function halt(): Promise<void> {
  flooding = false;
  if (pacer) clearInterval(pacer);
  pacer = null;
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  while (devices.some((d) => d.inflight > 0 && d.connected) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function closeAll(): Promise<void> {
  closing = true;
  await Promise.all(
    devices.map(
      (d) =>
        new Promise<void>((resolve) => {
          if (!d.client) return resolve();
          const timer = setTimeout(() => {
            d.client!.end(true);
            resolve();
          }, 10_000);
          d.client.end(false, {}, () => {
            clearTimeout(timer);
            resolve();
          });
        }),
    ),
  );
}

async function run(command: PublisherCommand): Promise<void> {
  switch (command.kind) {
    case 'connect':
      await connectAll();
      break;
    case 'pace':
      pace(command.rate);
      break;
    case 'flood':
      flood(command.window);
      break;
    case 'halt':
      await halt();
      break;
    case 'snapshot':
      break;
    case 'close':
      await halt();
      await closeAll();
      break;
  }
}

port.on('message', (command: PublisherCommand) => {
  run(command).then(
    () => port.postMessage({ id: command.id, counters: { ...counters } } satisfies PublisherReply),
    (err: Error) => port.postMessage({ id: command.id, counters: { ...counters }, error: err.message } satisfies PublisherReply),
  );
});
