import { Inject, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { WebSocketGateway, WebSocketServer } from '@nestjs/websockets';
import type { Server } from 'socket.io';
import { SOCKET_PATH, type ClientToServerEvents, type ServerToClientEvents } from '@ioc/contracts';
import { APP_CONFIG, type AppConfig } from '@ioc/config';
import { EventBus } from '@ioc/common';
import { TelemetryCoalescer } from './telemetry-coalescer';

/** Streams live telemetry (coalesced), device changes and alerts to the console over socket.io. */
@WebSocketGateway({ path: SOCKET_PATH, serveClient: false })
export class RealtimeGateway implements OnModuleInit, OnModuleDestroy {
  @WebSocketServer() private server!: Server<ClientToServerEvents, ServerToClientEvents>;
  private readonly coalescer = new TelemetryCoalescer();
  private readonly unsubscribers: (() => void)[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly bus: EventBus,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.unsubscribers.push(
      this.bus.on('samples.accepted', (samples) => this.coalescer.add(samples)),
      this.bus.on('device.status', (u) => this.server.emit('device:status', u)),
      this.bus.on('device.upserted', (d) => this.server.emit('device:upserted', d)),
      this.bus.on('device.removed', (id) => this.server.emit('device:removed', { id })),
      this.bus.on('alert.opened', (a) => this.server.emit('alert:opened', a)),
      this.bus.on('alert.resolved', (a) => this.server.emit('alert:resolved', a)),
    );
    this.timer = setInterval(() => this.flush(), this.config.REALTIME_FLUSH_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
    for (const off of this.unsubscribers) off();
  }

  private flush(): void {
    const updates = this.coalescer.drain();
    if (updates.length === 0 || !this.server) return;
    this.server.emit('telemetry:batch', updates);
  }
}
