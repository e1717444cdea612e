import { EventEmitter } from 'node:events';
import { Injectable, Logger } from '@nestjs/common';
import type {
  AlertDto,
  CommandAck,
  CommandDto,
  DeviceDto,
  DeviceEvent,
  DeviceHealthUpdate,
  DeviceStatusUpdate,
  IncidentEventDto,
} from '@ioc/contracts';
import type { ResolvedDevice, ResolvedSample } from './resolved';

/** Events inside one server process, by name. Listeners run synchronously and must not block. */
export interface BusEvents {
  'samples.accepted': [samples: readonly ResolvedSample[]];
  'event.accepted': [event: DeviceEvent];
  'device.status': [update: DeviceStatusUpdate];
  'device.health': [update: DeviceHealthUpdate];
  'device.upserted': [device: DeviceDto];
  'device.removed': [id: string];
  /** The device's broker credentials were revoked or replaced: drop its connection. */
  'device.credentials.revoked': [id: string];
  /** `device`: the device whose sample opened it, as the sample carried it. */
  'alert.opened': [alert: AlertDto, device: ResolvedDevice];
  'alert.resolved': [alert: AlertDto];
  'incident.opened': [event: IncidentEventDto];
  /** `previousTeamId`: the team that had the incident until this step dispatched it to another. */
  'incident.updated': [event: IncidentEventDto, previousTeamId: number | null];
  'command.ack': [deviceId: string, ack: CommandAck];
  'command.updated': [command: CommandDto];
  /** A login session ended before its access token expired (logout, user disabled, token theft). */
  'session.revoked': [sessionId: string];
}

@Injectable()
export class EventBus {
  private readonly logger = new Logger(EventBus.name);
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(50);
  }

  on<E extends keyof BusEvents>(event: E, listener: (...args: BusEvents[E]) => void): () => void {
    // A failing listener is logged, never allowed to break the publisher or the other listeners.
    const guarded = (...args: BusEvents[E]) => {
      try {
        listener(...args);
      } catch (err) {
        this.logger.error(`listener of ${event} failed: ${(err as Error).stack ?? String(err)}`);
      }
    };
    this.emitter.on(event, guarded as (...a: unknown[]) => void);
    return () => this.emitter.off(event, guarded as (...a: unknown[]) => void);
  }

  emit<E extends keyof BusEvents>(event: E, ...args: BusEvents[E]): void {
    this.emitter.emit(event, ...args);
  }
}
