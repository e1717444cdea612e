import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@ioc/config';
import { Database } from '@ioc/database';
import { PartitionMaintainer } from './engine/partition-maintainer';
import { STORAGE_ENGINE, type StorageEngine } from './engine/storage-engine';
import { storageSettings } from './engine/storage-settings';

/**
 * Plain PostgreSQL: partitions ahead and retention, again every STORAGE_MAINTENANCE_S (the
 * first round ran before the server took any traffic). TimescaleDB runs its own policies.
 */
@Injectable()
export class StorageMaintenanceService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Storage');
  private timer: NodeJS.Timeout | null = null;
  private readonly maintainer: PartitionMaintainer;
  private running: Promise<void> | null = null;

  constructor(
    db: Database,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(STORAGE_ENGINE) private readonly engine: StorageEngine,
  ) {
    this.maintainer = new PartitionMaintainer(db.pool, storageSettings(config));
  }

  onModuleInit(): void {
    if (this.engine.partitioning !== 'declarative') return;
    this.timer = setInterval(() => void this.runOnce(), this.config.STORAGE_MAINTENANCE_S * 1000);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /** One round now; a round already under way is awaited instead. */
  private runOnce(): Promise<void> {
    this.running ??= this.maintainer
      .run()
      .then((report) => {
        if (report.created.length + report.dropped.length > 0) {
          this.logger.log(`partitions made: ${report.created.join(', ') || 'none'}; dropped: ${report.dropped.join(', ') || 'none'}`);
        }
      })
      .catch((err: Error) => this.logger.error(`partition maintenance failed: ${err.message}`))
      .finally(() => (this.running = null));
    return this.running;
  }
}
