import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { HealthDto } from '@ioc/contracts';
import { APP_CONFIG, type AppConfig } from '@ioc/config';
import { EventBus, Periodic } from '@ioc/common';
import { DevicesService, MetricsService, type DeviceRecord, type StatusTransition } from '@ioc/devices';
import { MQTT_TRANSPORT, type InboundMessage, type MqttTransport } from '@ioc/mqtt';
import { deadLetterRow, emptyBatch, eventRow, sampleRows, statusRow, TelemetryWriter, type WriteBatch } from '@ioc/storage';
import { decodeMessage, type Decoded, type IngestLimits, type IngestRegistry, type Rejection } from './decode';
import { heartbeatTimeouts, ingestLimits } from './limits';

export type IngestCounters = NonNullable<HealthDto['ingest']>;

/** How often a paused server looks whether the spool has room again. */
const RESUME_CHECK_MS = 200;

interface Waiting {
  message: InboundMessage;
  resolve: () => void;
}

/**
 * The hot path: MQTT message -> device -> decode -> the spool (then the database), the rules and
 * the live map. A message is acknowledged once it is in the spool; when the spool is full the
 * server stops taking messages (the brokers stop reading from those connections) until it has room.
 */
@Injectable()
export class IngestService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(IngestService.name);
  private readonly limits: IngestLimits;
  /** The registry and the metric catalogue as they stand at each message: a change applies at once. */
  private readonly registry: IngestRegistry<DeviceRecord> = {
    device: (id) => this.devices.get(id),
    withSenmlName: (name) => this.devices.withSenmlName(name),
    metric: (name) => this.metrics.catalogue.get(name),
    metricsOf: (kind) => this.metrics.catalogue.metricsOf(kind),
  };
  private readonly heartbeat: Periodic;
  private readonly waiting: Waiting[] = [];
  private pausedSince: number | null = null;
  private readonly resumeChecks = new Periodic(() => this.resume());
  readonly counters: IngestCounters = {
    messages: 0,
    accepted: 0,
    refused: 0,
    samples: 0,
    events: 0,
    rejected: {},
    pauses: 0,
  };

  constructor(
    @Inject(MQTT_TRANSPORT) private readonly transport: MqttTransport,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly devices: DevicesService,
    private readonly bus: EventBus,
    private readonly writer: TelemetryWriter,
    private readonly metrics: MetricsService,
  ) {
    this.limits = ingestLimits(config);
    const timeouts = heartbeatTimeouts(config);
    this.heartbeat = new Periodic(() => {
      for (const transition of devices.markSilentOffline(Date.now(), (kind) => timeouts[kind])) this.recordStatus(transition);
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    // What a previous run accepted goes in before anything new.
    await this.writer.start(() => this.resume());
    this.heartbeat.start(this.config.HEARTBEAT_SWEEP_MS);
    await this.transport.start((message) => this.handle(message));
  }

  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all([this.heartbeat.stop(), this.resumeChecks.stop()]);
    await this.transport.stop();
    await this.writer.stop();
  }

  /** The writer's and the spool's state, and whether the server is holding devices back. */
  health(): NonNullable<HealthDto['spool']> {
    return {
      ...this.writer.health(),
      paused: this.pausedSince !== null,
      waiting: this.waiting.length,
    };
  }

  /**
   * Never throws: whatever a device sends ends as samples, a status, or a dead letter. Returns a
   * promise, to be acknowledged when it resolves, while the spool has no room.
   */
  handle(message: InboundMessage): void | Promise<void> {
    this.counters.messages += 1;
    if (this.waiting.length === 0 && this.take(message)) return;
    this.pause();
    return new Promise((resolve) => this.waiting.push({ message, resolve }));
  }

  /** False when the message could not be made durable: it has to wait. */
  private take(message: InboundMessage): boolean {
    if (this.writer.full) return false;
    try {
      this.dispatch(message);
    } catch (err) {
      if (err instanceof SpoolUnavailable) return false;
      this.counters.refused += 1;
      this.logger.error(`message on ${message.topic} not handled: ${(err as Error).stack}`);
    }
    return true;
  }

  private pause(): void {
    if (this.pausedSince !== null) return;
    this.pausedSince = Date.now();
    this.counters.pauses += 1;
    const s = this.writer.health();
    this.logger.warn(
      `spool full (${s.spoolBytes} of ${s.spoolMaxBytes} bytes) or unwritable: no longer acknowledging device messages until it has room`,
    );
    this.resumeChecks.start(RESUME_CHECK_MS);
  }

  private resume(): void {
    if (this.pausedSince === null) return;
    while (this.waiting.length > 0 && this.take(this.waiting[0].message)) this.waiting.shift()!.resolve();
    if (this.waiting.length > 0) return;
    void this.resumeChecks.stop();
    this.logger.warn(`spool has room again: acknowledging device messages after ${Date.now() - this.pausedSince} ms`);
    this.pausedSince = null;
  }

  private dispatch({ topic, payload, receivedAt }: InboundMessage): void {
    const decoded = decodeMessage(topic, payload, this.registry, this.limits, receivedAt);
    const batch = emptyBatch();
    const rejections = decoded.kind === 'rejected' ? [decoded.rejection] : decoded.kind === 'samples' ? decoded.rejections : [];
    for (const r of rejections) batch.deadLetters.push(deadLetterRow(topic, payload, receivedAt, r));
    if (decoded.kind === 'samples') batch.samples = sampleRows(decoded.samples, receivedAt);
    if (decoded.kind === 'event') batch.events.push(eventRow(decoded.device, decoded.event));
    if (batch.samples.length + batch.events.length + batch.deadLetters.length > 0) this.makeDurable(batch, receivedAt);
    // Durable from here on: the effects follow.
    this.count(decoded, rejections);
    this.effects(decoded, receivedAt);
  }

  /** A transition goes through the spool like a message, so a database outage does not lose it. */
  private recordStatus(transition: StatusTransition | null): void {
    if (!transition) return;
    const batch = emptyBatch();
    const row = statusRow(transition.device, transition.update);
    batch.statuses.push(row);
    try {
      this.writer.accept(batch, row.ts);
    } catch (err) {
      this.logger.error(`status of ${transition.device.id} not saved: ${(err as Error).message}`);
    }
  }

  private makeDurable(batch: WriteBatch, receivedAt: number): void {
    try {
      this.writer.accept(batch, receivedAt);
    } catch (err) {
      this.logger.error(`spool refused a message: ${(err as Error).message}`);
      throw new SpoolUnavailable();
    }
  }

  private count(decoded: Decoded, rejections: readonly Rejection[]): void {
    for (const r of rejections) this.counters.rejected[r.reason] = (this.counters.rejected[r.reason] ?? 0) + 1;
    const used = decoded.kind === 'samples' ? decoded.samples.length > 0 : decoded.kind !== 'rejected';
    this.counters[used ? 'accepted' : 'refused'] += 1;
    if (decoded.kind === 'samples') this.counters.samples += decoded.samples.length;
    if (decoded.kind === 'event') this.counters.events += 1;
  }

  private effects(decoded: Decoded<DeviceRecord>, receivedAt: number): void {
    const at = new Date(receivedAt);
    switch (decoded.kind) {
      case 'status':
        this.recordStatus(this.devices.setStatus(decoded.device, decoded.status, at));
        return;
      case 'ack':
        this.bus.emit('command.ack', decoded.deviceId, decoded.ack);
        return;
      case 'event':
        this.recordStatus(this.devices.seen(decoded.device, at));
        this.bus.emit('event.accepted', decoded.event);
        return;
      case 'samples': {
        if (decoded.samples.length === 0) return;
        // Samples come grouped by device.
        let last: DeviceRecord | undefined;
        for (const s of decoded.samples) {
          if (s.device !== last) this.recordStatus(this.devices.seen(s.device, at));
          last = s.device;
        }
        this.bus.emit('samples.accepted', decoded.samples);
      }
    }
  }
}

class SpoolUnavailable extends Error {}
