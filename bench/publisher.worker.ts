import { parentPort, workerData } from 'node:worker_threads';
import { topics, type TelemetryPayload } from '@ioc/contracts';
import { MqttDevice } from './mqtt-device';
import type { PublisherCommand, PublisherCounters, PublisherReply, PublisherWorkerData } from './publisher-protocol';

// Past this many unacknowledged messages a device skips its turn instead of queueing without end.
const MAX_INFLIGHT_PER_DEVICE = 100;
const TICK_MS = 5;
const SETTLE_TIMEOUT_MS = 15_000;
const CONNECT_TIMEOUT_MS = 30_000;
const CLOSE_TIMEOUT_MS = 10_000;

interface Device {
  topic: Buffer;
  connection: MqttDevice;
  seq: number;
  lastTs: number;
  inflight: number;
}

const data = workerData as PublisherWorkerData;
const port = parentPort!;
const url = new URL(data.url);
const devices: Device[] = data.devices.map((d) => {
  const device: Device = {
    topic: Buffer.from(topics.telemetry(d.id)),
    seq: 0,
    lastTs: 0,
    inflight: 0,
    connection: new MqttDevice(url, d.id, d.password, data.keepaliveS, {
      acked: () => {
        device.inflight -= 1;
        counters.acked += 1;
        if (flooding) publish(device);
      },
      closed: () => {
        // What was in flight will never be acknowledged.
        counters.failed += device.inflight;
        device.inflight = 0;
        counters.connected -= 1;
        if (!closing) counters.disconnects += 1;
      },
      error: (message) => {
        counters.firstError ??= message;
      },
    }),
  };
  return device;
});
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
let keepalive: NodeJS.Timeout | null = null;
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
  if (!device.connection.connected || device.inflight >= MAX_INFLIGHT_PER_DEVICE) {
    counters.skipped += 1;
    return false;
  }
  device.inflight += 1;
  counters.sent += 1;
  device.connection.publish(device.topic, payload(device));
  return true;
}

async function connectDevice(device: Device): Promise<void> {
  if (await device.connection.connect(CONNECT_TIMEOUT_MS)) counters.connected += 1;
  else counters.connectFailures += 1;
}

async function connectAll(): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < devices.length) await connectDevice(devices[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(data.connectConcurrency, devices.length) }, lane));
  keepalive ??= setInterval(() => {
    const now = Date.now();
    for (const device of devices) device.connection.keepAlive(now);
  }, 1000);
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
  while (devices.some((d) => d.inflight > 0 && d.connection.connected) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function closeAll(): Promise<void> {
  closing = true;
  if (keepalive) clearInterval(keepalive);
  keepalive = null;
  await Promise.all(devices.map((d) => d.connection.close(CLOSE_TIMEOUT_MS)));
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
