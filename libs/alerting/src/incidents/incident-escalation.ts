import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@ioc/config';
import { EventBus, Periodic } from '@ioc/common';
import { IncidentsRepository } from './incidents.repository';

/** Past this, nobody is left to escalate to: the incident stays at the top level until acknowledged. */
const MAX_ESCALATION_LEVEL = 3;

/** A quarter of the deadline, so an escalation is at most that late; between 100 ms and 5 s. */
function sweepIntervalMs(escalateAfterS: number): number {
  return Math.min(5_000, Math.max(100, escalateAfterS * 250));
}

/**
 * Escalates incidents nobody has acknowledged in time: a timeline entry, a higher level and an
 * `incident:updated` event. The database decides what is due, so several nodes may sweep at once.
 */
@Injectable()
export class IncidentEscalation implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(IncidentEscalation.name);
  private readonly sweeps = new Periodic(() => this.sweep());

  constructor(
    private readonly repository: IncidentsRepository,
    private readonly bus: EventBus,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.sweeps.start(sweepIntervalMs(this.config.INCIDENT_ESCALATE_AFTER_S));
  }

  onModuleDestroy(): Promise<void> {
    return this.sweeps.stop();
  }

  private sweep(): Promise<void> {
    return this.repository
      .escalateDue(this.config.INCIDENT_ESCALATE_AFTER_S, MAX_ESCALATION_LEVEL)
      .then((changes) => {
        for (const change of changes) this.bus.emit('incident.updated', { ...change, notify: true }, null);
      })
      .catch((err: Error) => this.logger.error(`escalation sweep failed: ${err.message}`));
  }
}
