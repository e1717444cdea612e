import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, Optional, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { topics, type CommandAck, type CommandDto, type CommandPayload, type SendCommand } from '@ioc/contracts';
import { ErrorCode, EventBus, IocError } from '@ioc/common';
import { DevicesService } from '@ioc/devices';
import { MQTT_TRANSPORT, type MqttTransport } from '@ioc/mqtt';
import { CommandsRepository } from './commands.repository';

/**
 * Commands down to actuators, each ending as succeeded, failed (the device said so) or
 * timed_out (no acknowledgement in time, reported as a failure). Every change is streamed.
 */
@Injectable()
export class CommandsService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(CommandsService.name);
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private unsubscribe: (() => void) | null = null;

  constructor(
    private readonly repository: CommandsRepository,
    private readonly devices: DevicesService,
    private readonly bus: EventBus,
    @Optional() @Inject(MQTT_TRANSPORT) private readonly transport?: MqttTransport,
  ) {}

  async onModuleInit(): Promise<void> {
    this.unsubscribe = this.bus.on('command.ack', (deviceId, ack) => {
      this.acknowledge(deviceId, ack).catch((err: Error) => this.logger.error(`acknowledgement not saved: ${err.message}`));
    });
    if (!this.transport) return;
    // Commands left pending by a previous run: time out those already due, wait for the others.
    for (const command of await this.repository.pending()) this.expireAt(command.id, Date.parse(command.expiresAt));
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
    for (const timer of this.timers.values()) clearTimeout(timer);
  }

  async send(deviceId: string, input: SendCommand, requestedBy: string | null): Promise<CommandDto> {
    if (!this.devices.get(deviceId)) throw new IocError(ErrorCode.NotFound, `device ${deviceId} does not exist`);
    if (!this.transport) throw new IocError(ErrorCode.Unavailable, 'this server process has no MQTT connection (IOC_ROLES without ingest)');
    const now = Date.now();
    const command = await this.repository.insert({
      id: randomUUID(),
      deviceId,
      name: input.name,
      params: input.params,
      requestedBy,
      expiresAt: new Date(now + input.timeoutS * 1000),
    });
    const payload: CommandPayload = { id: command.id, name: command.name, params: command.params, ts: now, expiresAt: Date.parse(command.expiresAt) };
    this.expireAt(command.id, payload.expiresAt);
    try {
      await this.transport.publish(topics.command(deviceId), JSON.stringify(payload));
    } catch (err) {
      return (await this.end(command.id, null, 'failed', `not sent: ${(err as Error).message}`)) ?? command;
    }
    this.bus.emit('command.updated', command);
    return command;
  }

  history(deviceId: string, limit = 50): Promise<CommandDto[]> {
    return this.repository.ofDevice(deviceId, limit);
  }

  private async acknowledge(deviceId: string, ack: CommandAck): Promise<void> {
    const ended = await this.end(ack.id, deviceId, ack.status === 'ok' ? 'succeeded' : 'failed', ack.message ?? null);
    if (!ended) this.logger.warn(`acknowledgement from ${deviceId} for ${ack.id}, which is not its pending command`);
  }

  private expireAt(id: string, at: number): void {
    const timer = setTimeout(() => {
      this.end(id, null, 'timed_out', 'no acknowledgement in time').catch((err: Error) =>
        this.logger.error(`timeout of ${id} not saved: ${err.message}`),
      );
    }, Math.max(0, at - Date.now()));
    timer.unref();
    this.timers.set(id, timer);
  }

  private async end(id: string, deviceId: string | null, state: 'succeeded' | 'failed' | 'timed_out', message: string | null): Promise<CommandDto | null> {
    const ended = await this.repository.finish(id, deviceId, state, message);
    if (!ended) return null;
    clearTimeout(this.timers.get(id));
    this.timers.delete(id);
    this.bus.emit('command.updated', ended);
    return ended;
  }
}
