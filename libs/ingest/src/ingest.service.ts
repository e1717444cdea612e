import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { HealthDto, Sample } from '@ioc/contracts';
import { APP_CONFIG, type AppConfig } from '@ioc/config';
import { EventBus } from '@ioc/common';
import { DevicesService, type DeviceRecord } from '@ioc/devices';
import { MQTT_TRANSPORT, type InboundMessage, type MqttTransport } from '@ioc/mqtt';
import { Batcher } from './batcher';
import { DeadLettersRepository, type DeadLetter } from './dead-letters.repository';
import { decodeMessage, type IngestLimits, type Rejection } from './decode';
import { heartbeatTimeouts, ingestLimits } from './limits';
import { TelemetryRepository, type StoredEvent, type StoredSample } from './telemetry.repository';

const DEAD_LETTER_PAYLOAD_CHARS = 2048;

export type IngestCounters = NonNullable<HealthDto['ingest']>;


/** The hot path: MQTT message -> device -> decode -> samples to the writer, the rules and the live map. */
@Injectable()
export class IngestService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(IngestService.name);
  private readonly limits: IngestLimits;
  private readonly samples: Batcher<StoredSample>;
  private readonly deadLetters: Batcher<DeadLetter>;
  private readonly events: Batcher<StoredEvent>;
  private metricIds = new Map<string, number>();
  private heartbeat: NodeJS.Timeout | null = null;
  readonly counters: IngestCounters = { messages: 0, accepted: 0, refused: 0, samples: 0, events: 0, rejected: {} };

  constructor(
    @Inject(MQTT_TRANSPORT) private readonly transport: MqttTransport,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly devices: DevicesService,
    private readonly bus: EventBus,
    private readonly telemetry: TelemetryRepository,
    deadLetters: DeadLettersRepository,
  ) {
    this.limits = ingestLimits(config);
    const log = (line: string) => this.logger.warn(line);
    this.samples = new Batcher({
      maxBatch: config.INGEST_BATCH_SIZE,
      flushMs: config.INGEST_FLUSH_MS,
      maxQueued: config.INGEST_BATCH_SIZE * 500,
      write: (batch) => telemetry.write(batch),
      log,
    });
    this.deadLetters = new Batcher({
      maxBatch: 500,
      flushMs: 500,
      maxQueued: 50_000,
      write: (batch) => deadLetters.insert(batch),
      log,
    });
    this.events = new Batcher({
      maxBatch: 1000,
      flushMs: config.INGEST_FLUSH_MS,
      maxQueued: 100_000,
      write: (batch) => telemetry.writeEvents(batch),
      log,
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    this.metricIds = await this.telemetry.metricIds();
    const timeouts = heartbeatTimeouts(this.config);
    this.heartbeat = setInterval(
      () => this.devices.markSilentOffline(Date.now(), (kind) => timeouts[kind]),
      this.config.HEARTBEAT_SWEEP_MS,
    );
    this.heartbeat.unref();
    this.samples.start();
    this.deadLetters.start();
    this.events.start();
    await this.transport.start((message) => this.handle(message));
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    await this.transport.stop();
    await Promise.all([this.samples.stop(), this.deadLetters.stop(), this.events.stop()]);
  }

  /** Never throws: whatever a device sends ends as samples, a status, or a dead letter. */
  handle(message: InboundMessage): void {
    this.counters.messages += 1;
    try {
      this.dispatch(message);
    } catch (err) {
      this.counters.refused += 1;
      this.logger.error(`message on ${message.topic} not handled: ${(err as Error).stack}`);
    }
  }

  private dispatch({ topic, payload, receivedAt }: InboundMessage): void {
    const decoded = decodeMessage(topic, payload, (id) => this.devices.get(id), this.limits, receivedAt);
    switch (decoded.kind) {
      case 'rejected':
        this.counters.refused += 1;
        this.deadLetter(topic, payload, receivedAt, decoded.rejection);
        return;
      case 'status':
        this.counters.accepted += 1;
        this.devices
          .setStatus(decoded.deviceId, decoded.status, new Date(receivedAt))
          .catch((err: Error) => this.logger.error(`status of ${decoded.deviceId} not saved: ${err.message}`));
        return;
      case 'ack':
        this.counters.accepted += 1;
        this.bus.emit('command.ack', decoded.deviceId, decoded.ack);
        return;
      case 'event': {
        this.counters.accepted += 1;
        const device = this.devices.get(decoded.event.deviceId)!;
        this.devices.seen(device, new Date(receivedAt));
        const { type, ts, confidence, snapshotUrl, attributes } = decoded.event;
        this.events.add([{ deviceKey: device.key, type, ts, confidence, snapshotUrl, attributes }]);
        this.counters.events += 1;
        this.bus.emit('event.accepted', decoded.event);
        return;
      }
      case 'samples':
        this.counters[decoded.samples.length > 0 ? 'accepted' : 'refused'] += 1;
        for (const rejection of decoded.rejections) this.deadLetter(topic, payload, receivedAt, rejection);
        if (decoded.samples.length > 0) this.accept(decoded.samples, receivedAt);
    }
  }

  private accept(samples: Sample[], receivedAt: number): void {
    const stored: StoredSample[] = [];
    let last: DeviceRecord | undefined;
    for (const s of samples) {
      // Samples come grouped by device: one registry lookup per device, not per sample.
      if (last?.id !== s.deviceId) {
        last = this.devices.get(s.deviceId)!;
        this.devices.seen(last, new Date(receivedAt));
      }
      stored.push({ deviceKey: last.key, metricId: this.metricIds.get(s.metric)!, ts: s.ts, value: s.value, receivedAt });
    }
    this.samples.add(stored);
    this.counters.samples += samples.length;
    this.bus.emit('samples.accepted', samples);
  }

  private deadLetter(topic: string, payload: Buffer, receivedAt: number, r: Rejection): void {
    this.counters.rejected[r.reason] = (this.counters.rejected[r.reason] ?? 0) + 1;
    this.deadLetters.add([
      {
        receivedAt,
        topic: printable(topic),
        deviceId: r.deviceId,
        reason: r.reason,
        message: printable(r.message),
        payload: printable(payload.subarray(0, DEAD_LETTER_PAYLOAD_CHARS).toString('utf8')),
      },
    ]);
  }
}

/** PostgreSQL text cannot hold NUL. */
function printable(text: string): string {
  return text.replace(/\u0000/g, '\\u0000');
}
