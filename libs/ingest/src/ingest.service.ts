import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { DeadLetterReason } from '@ioc/contracts';
import { APP_CONFIG, type AppConfig } from '@ioc/config';
import { EventBus } from '@ioc/common';
import { DevicesService } from '@ioc/devices';
import { MQTT_TRANSPORT, type InboundMessage, type MqttTransport } from '@ioc/mqtt';
import { Batcher } from './batcher';
import { DeadLettersRepository, type DeadLetter } from './dead-letters.repository';
import { decodeMessage, DEFAULT_LIMITS, type IngestLimits, type Rejection } from './decode';
import { TelemetryRepository, type StoredSample } from './telemetry.repository';

const DEAD_LETTER_PAYLOAD_CHARS = 2048;

export interface IngestCounters {
  messages: number;
  samples: number;
  rejected: Partial<Record<DeadLetterReason, number>>;
}

/** The hot path: MQTT message -> device -> decode -> samples to the writer, the rules and the live map. */
@Injectable()
export class IngestService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(IngestService.name);
  private readonly limits: IngestLimits;
  private readonly samples: Batcher<StoredSample>;
  private readonly deadLetters: Batcher<DeadLetter>;
  private metricIds = new Map<string, number>();
  readonly counters: IngestCounters = { messages: 0, samples: 0, rejected: {} };

  constructor(
    @Inject(MQTT_TRANSPORT) private readonly transport: MqttTransport,
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly devices: DevicesService,
    private readonly bus: EventBus,
    private readonly telemetry: TelemetryRepository,
    deadLetters: DeadLettersRepository,
  ) {
    this.limits = { ...DEFAULT_LIMITS, maxPayloadBytes: config.MQTT_MAX_PAYLOAD_BYTES };
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
  }

  async onApplicationBootstrap(): Promise<void> {
    this.metricIds = await this.telemetry.metricIds();
    this.samples.start();
    this.deadLetters.start();
    await this.transport.start((message) => this.handle(message));
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.transport.stop();
    await Promise.all([this.samples.stop(), this.deadLetters.stop()]);
  }

  /** Never throws: whatever a device sends ends as samples, a status, or a dead letter. */
  handle(message: InboundMessage): void {
    this.counters.messages += 1;
    try {
      this.dispatch(message);
    } catch (err) {
      this.logger.error(`message on ${message.topic} not handled: ${(err as Error).stack}`);
    }
  }

  private dispatch({ topic, payload, receivedAt }: InboundMessage): void {
    const decoded = decodeMessage(topic, payload, (id) => this.devices.get(id) !== undefined, this.limits, receivedAt);
    if (decoded.kind === 'rejected') {
      this.deadLetter(topic, payload, receivedAt, decoded.rejection);
      return;
    }
    const device = this.devices.get(decoded.deviceId)!;
    if (decoded.kind === 'status') {
      this.devices
        .setStatus(device.id, decoded.status, new Date(receivedAt))
        .catch((err: Error) => this.logger.error(`status of ${device.id} not saved: ${err.message}`));
      return;
    }
    for (const rejection of decoded.rejections) this.deadLetter(topic, payload, receivedAt, rejection);
    if (decoded.samples.length === 0) return;
    this.devices.seen(device, new Date(receivedAt));
    this.samples.add(
      decoded.samples.map((s) => ({
        deviceKey: device.key,
        metricId: this.metricIds.get(s.metric)!,
        ts: s.ts,
        value: s.value,
        receivedAt,
      })),
    );
    this.counters.samples += decoded.samples.length;
    this.bus.emit('samples.accepted', decoded.samples);
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
