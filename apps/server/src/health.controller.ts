import { Controller, Get, Inject, Optional } from '@nestjs/common';
import type { HealthDto } from '@ioc/contracts';
import { APP_CONFIG, type AppConfig } from '@ioc/config';
import { Database } from '@ioc/database';
import { Public } from '@ioc/auth';
import { IngestService } from '@ioc/ingest';
import { MQTT_TRANSPORT, type MqttTransport } from '@ioc/mqtt';
import { STORAGE_ENGINE, StorageMaintenanceService, type StorageEngine } from '@ioc/storage';
import { version } from '../../../package.json';

@Controller('api/health')
export class HealthController {
  constructor(
    private readonly db: Database,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(STORAGE_ENGINE) private readonly storage: StorageEngine,
    private readonly maintenance: StorageMaintenanceService,
    @Optional() @Inject(MQTT_TRANSPORT) private readonly mqtt?: MqttTransport,
    @Optional() private readonly ingest?: IngestService,
  ) {}

  @Get()
  @Public()
  async health(): Promise<HealthDto> {
    const databaseUp = await this.db.ping();
    const rollups = databaseUp ? await this.maintenance.rollupStatus().catch(() => null) : null;
    const failingJobs = databaseUp ? await this.maintenance.failingJobs().catch(() => null) : null;
    // Rollups that stopped refreshing, or a TimescaleDB job that failed, leave reads stale or storage growing.
    const storageKept = !rollups?.failing && !failingJobs?.length;
    const mqtt = this.mqtt?.status() ?? null;
    const spool = this.ingest?.health() ?? null;
    const writing = spool ? spool.databaseWritable && !spool.paused : true;
    return {
      status: databaseUp && writing && storageKept && (mqtt?.connected ?? true) ? 'ok' : 'degraded',
      version,
      database: {
        mode: this.db.info.mode,
        up: databaseUp,
        engine: this.storage.engine,
        timescaledb: this.storage.timescaledb,
        timescaledbVersion: this.storage.timescaledbVersion,
        partitioning: this.storage.partitioning,
        rollups,
        failingJobs,
      },
      ingest: this.ingest?.counters ?? null,
      spool,
      mqtt,
      roles: this.config.IOC_ROLES,
    };
  }
}
