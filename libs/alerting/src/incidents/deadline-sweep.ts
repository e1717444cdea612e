import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@ioc/config';
import { EventBus, Periodic } from '@ioc/common';
import { IncidentsRepository } from './incidents.repository';

/**
 * Holds incidents to their deadlines: a breach and each escalation step become timeline entries
 * and `incident:updated` events that tell people. The database decides what is due and each
 * incident is locked while its steps are taken, so several nodes may sweep at once.
 */
@Injectable()
export class DeadlineSweep implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(DeadlineSweep.name);
  private readonly sweeps = new Periodic(() => this.sweep());

  constructor(
    private readonly repository: IncidentsRepository,
    private readonly bus: EventBus,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.sweeps.start(this.config.INCIDENT_DEADLINE_SWEEP_MS);
  }

  onModuleDestroy(): Promise<void> {
    return this.sweeps.stop();
  }

  private async sweep(): Promise<void> {
    const now = new Date();
    try {
      for (const id of await this.repository.dueForDeadlines(now)) {
        for (const change of await this.repository.passDeadlines(id, now)) this.bus.emit('incident.updated', { ...change, notify: true }, null);
      }
    } catch (err) {
      this.logger.error(`deadline sweep failed: ${(err as Error).message}`);
    }
  }
}
