import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { HealthDto } from '@ioc/contracts';
import { APP_CONFIG, type AppConfig } from '@ioc/config';
import { Periodic } from '@ioc/common';
import { Database } from '@ioc/database';
import { PartitionMaintainer } from './engine/partition-maintainer';
import { packSettings, TelemetryPacker } from './engine/packer';
import { readRollupState, RollupRefresher } from './engine/rollup-refresher';
import { STORAGE_ENGINE, type StorageEngine } from './engine/storage-engine';
import { storageSettings, type StorageSettings } from './engine/storage-settings';
import { failingJobs } from './engine/timescale-layout';

/**
 * Plain PostgreSQL: partitions ahead and retention, again every STORAGE_MAINTENANCE_S (the
 * first round ran before the server took any traffic), and the rollups every
 * STORAGE_ROLLUP_REFRESH_MS. TimescaleDB runs its own policies.
 */
@Injectable()
export class StorageMaintenanceService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Storage');
  private readonly settings: StorageSettings;
  private readonly partitions: Periodic;
  private readonly rollups: Periodic;
  private rollupsFailing = false;

  constructor(
    private readonly db: Database,
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(STORAGE_ENGINE) private readonly engine: StorageEngine,
  ) {
    this.settings = storageSettings(config);
    // Rounds after a backfill run for minutes: the pool of long work, not that of requests.
    const maintainer = new PartitionMaintainer(db.maintenancePool, this.settings);
    const refresher = new RollupRefresher(db.maintenancePool, this.settings.rollupSettleMs);
    const packer = new TelemetryPacker(db.maintenancePool, packSettings(config));
    this.partitions = new Periodic(() =>
      maintainer
        .run()
        .then((report) => {
          if (report.created.length + report.dropped.length > 0) {
            this.logger.log(`partitions made: ${report.created.join(', ') || 'none'}; dropped: ${report.dropped.join(', ') || 'none'}`);
          }
        })
        .catch((err: Error) => this.logger.error(`partition maintenance failed: ${err.message}`))
        .then(() => packer.run())
        .then((report) => {
          if (report.packed.length > 0) this.logger.log(`packed: ${report.packed.join(', ')} (${report.samples} samples)`);
        })
        .catch((err: Error) => this.logger.error(`packing failed: ${err.message}`)),
    );
    // A database outage fails every round: one line when it starts failing, one when it is over.
    this.rollups = new Periodic(() =>
      refresher.run().then(
        () => {
          if (this.rollupsFailing) this.logger.log('rollup refresh works again');
          this.rollupsFailing = false;
        },
        (err: Error) => {
          if (!this.rollupsFailing) this.logger.error(`rollup refresh failed: ${err.message}`);
          this.rollupsFailing = true;
        },
      ),
    );
  }

  onModuleInit(): void {
    if (this.engine.partitioning !== 'declarative') return;
    this.partitions.start(this.settings.maintenanceMs);
    this.rollups.start(this.settings.rollupRefreshMs);
  }

  /** How far the rollups are materialized; null where the engine keeps them itself. */
  async rollupStatus(): Promise<HealthDto['database']['rollups']> {
    if (this.engine.timescaledb) return null;
    const state = await readRollupState(this.db.pool);
    if (!state.materialized) return null;
    return { upTo: state.materialized.toISOString(), lateWaiting: state.lateWaiting, failing: this.rollupsFailing };
  }

  /** TimescaleDB: the storage's jobs whose last scheduled run failed; null on plain PostgreSQL. */
  async failingJobs(): Promise<HealthDto['database']['failingJobs']> {
    return this.engine.timescaledb ? failingJobs(this.db.pool) : null;
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all([this.partitions.stop(), this.rollups.stop()]);
  }
}
