import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { SimulatorConfig } from './config';
import { DEMO_EXCURSIONS, demoRules, selectDevices } from './demo';
import { SimulatedDevice, type PublishCounters } from './device-client';
import { FLEET } from './fleet';
import { createDeviceModel, MINUTE_MS } from './models';
import { brokerUrlFromHealth, seed, ServerApi, waitForHealth } from './server-api';

const CONNECT_TIMEOUT_MS = 30_000;

export interface RunningSimulator {
  stop(): Promise<void>;
}

/** Waits until every device is connected, or the timeout passes; returns how many are. */
async function waitForConnections(devices: readonly SimulatedDevice[], signal: AbortSignal): Promise<number> {
  const giveUpAt = Date.now() + CONNECT_TIMEOUT_MS;
  while (Date.now() < giveUpAt && devices.some((d) => !d.connected)) await sleep(200, undefined, { signal });
  return devices.filter((d) => d.connected).length;
}

function firstError(devices: readonly SimulatedDevice[]): string | undefined {
  return devices.find((d) => d.error !== undefined)?.error;
}

/**
 * Waits for the server, registers the fleet and the demo rules, then connects one MQTT client per
 * device. Aborting `signal` cancels the start-up; the returned handle stops a running fleet.
 */
export async function startSimulator(
  config: SimulatorConfig,
  log: Logger,
  signal: AbortSignal,
): Promise<RunningSimulator> {
  const api = new ServerApi(config.serverUrl);
  log.info(`waiting for the server at ${api.healthUrl}`);
  const health = await waitForHealth(api, { log, signal });
  const brokerUrl = config.mqttUrl ?? brokerUrlFromHealth(config.serverUrl, health);

  await api.login({ username: config.username, password: config.password }, signal);
  const fleet = selectDevices(FLEET, config.deviceLimit);
  const secrets = await seed(api, fleet, demoRules(fleet), log, signal);

  const counters: PublishCounters = { sent: 0, failed: 0, skipped: 0 };
  const devices = fleet.map(
    (device) =>
      new SimulatedDevice(device.id, {
        brokerUrl,
        password: secrets.get(device.id)!,
        intervalMs: config.intervalMs,
        model: createDeviceModel(device, { seed: config.seed, excursion: DEMO_EXCURSIONS[device.id] }),
        counters,
        log,
      }),
  );
  const stopAll = () => Promise.all(devices.map((d) => d.stop())).then(() => undefined);

  for (const device of devices) device.start();
  let connected: number;
  try {
    connected = await waitForConnections(devices, signal);
  } catch (error) {
    await stopAll();
    throw error;
  }
  if (connected === 0) {
    const reason = firstError(devices) ?? 'no answer';
    await stopAll();
    throw new Error(`no device could connect to the broker at ${brokerUrl}: ${reason}`);
  }
  log.info(
    `${connected}/${devices.length} devices connected to ${brokerUrl}; a reading every ${config.intervalMs} ms each`,
  );
  if (connected < devices.length) {
    log.warn(`${devices.length - connected} devices are still connecting: ${firstError(devices) ?? 'no answer yet'}`);
  }

  let sentBefore = 0;
  const stats = setInterval(() => {
    const offline = devices.filter((d) => !d.connected);
    const lastMinute = counters.sent - sentBefore;
    sentBefore = counters.sent;
    const why = firstError(offline);
    log.info(
      `${devices.length - offline.length}/${devices.length} devices connected; ` +
        `${lastMinute} messages sent in the last minute, ${counters.sent} in all ` +
        `(${counters.failed} failed, ${counters.skipped} skipped while offline)` +
        (why ? `; last broker error: ${why}` : ''),
    );
  }, MINUTE_MS);

  return {
    async stop() {
      clearInterval(stats);
      await stopAll();
      log.info(`${devices.length} devices disconnected; ${counters.sent} messages sent in all`);
    },
  };
}
