import { connect, type MqttClient } from 'mqtt';
import { topics, type DeviceStatus, type TelemetryPayload } from '@ioc/contracts';
import type { Logger } from 'pino';
import { hash32, type DeviceModel, type Readings } from './models';

const OFFLINE_PUBLISH_TIMEOUT_MS = 3_000;

/** Shared by all devices of a run, for the per-minute log line. */
export interface PublishCounters {
  sent: number;
  failed: number;
  skipped: number;
}

export interface SimulatedDeviceOptions {
  brokerUrl: string;
  /** The device's MQTT secret; the username is its id. */
  password: string;
  intervalMs: number;
  model: DeviceModel;
  counters: PublishCounters;
  log: Logger;
}

export function telemetryPayload(ts: number, seq: number, metrics: Readings): TelemetryPayload {
  return { ts, seq, metrics: { ...metrics } };
}

/** One device: its own MQTT connection, a last will, and a reading every interval. */
export class SimulatedDevice {
  private client: MqttClient | undefined;
  private phaseTimer: NodeJS.Timeout | undefined;
  private intervalTimer: NodeJS.Timeout | undefined;
  private seq = 0;
  private lastError: string | undefined;

  constructor(
    readonly id: string,
    private readonly options: SimulatedDeviceOptions,
  ) {}

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  /** The last connection error, for telling the operator why nothing connects. */
  get error(): string | undefined {
    return this.lastError;
  }

  start(): void {
    const { brokerUrl, intervalMs, log } = this.options;
    const statusTopic = topics.status(this.id);
    const client = connect(brokerUrl, {
      clientId: this.id,
      username: this.id,
      password: this.options.password,
      clean: true,
      keepalive: 30,
      reconnectPeriod: 2_000,
      connectTimeout: 10_000,
      will: { topic: statusTopic, payload: Buffer.from('offline' satisfies DeviceStatus), qos: 1, retain: true },
    });
    this.client = client;
    client.on('connect', () => {
      this.lastError = undefined;
      client.publish(statusTopic, 'online' satisfies DeviceStatus, { qos: 1, retain: true }, (error) => {
        if (error) log.warn(`${this.id}: could not publish its status: ${error.message}`);
      });
    });
    client.on('error', (error) => {
      // mqtt.js retries by itself; the run reports these in its summary rather than 50 times over.
      if (error.message !== this.lastError) log.debug(`${this.id}: ${error.message}`);
      this.lastError = error.message;
    });
    // A per-device phase spreads the fleet over the interval instead of publishing in bursts.
    this.phaseTimer = setTimeout(() => {
      this.tick();
      this.intervalTimer = setInterval(() => this.tick(), intervalMs);
    }, hash32(this.id) % intervalMs);
  }

  private tick(): void {
    const { model, counters } = this.options;
    const client = this.client;
    const ts = Date.now();
    const payload = telemetryPayload(ts, this.seq++, model(ts));
    // A device without a connection loses that reading; the gap in `seq` shows it.
    if (!client?.connected) {
      counters.skipped++;
      return;
    }
    client.publish(topics.telemetry(this.id), JSON.stringify(payload), { qos: 1 }, (error) => {
      if (error) counters.failed++;
      else counters.sent++;
    });
  }

  /** Says `offline` (a clean disconnect does not fire the last will) and closes the connection. */
  async stop(): Promise<void> {
    clearTimeout(this.phaseTimer);
    clearInterval(this.intervalTimer);
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    if (!client.connected) {
      await client.endAsync(true);
      return;
    }
    const offline = client.publishAsync(topics.status(this.id), 'offline' satisfies DeviceStatus, {
      qos: 1,
      retain: true,
    });
    const said = await Promise.race([
      offline.then(
        () => true,
        () => false,
      ),
      new Promise<boolean>((resolve) => setTimeout(resolve, OFFLINE_PUBLISH_TIMEOUT_MS, false).unref()),
    ]);
    if (!said) this.options.log.warn(`${this.id}: could not say offline before leaving`);
    await client.endAsync(!said);
  }
}
