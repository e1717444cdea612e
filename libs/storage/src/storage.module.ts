import { Global, Logger, Module } from '@nestjs/common';
import { AreasModule } from '@ioc/areas';
import { APP_CONFIG, type AppConfig } from '@ioc/config';
import { Database } from '@ioc/database';
import { DevicesModule } from '@ioc/devices';
import { DeadLettersRepository } from './dead-letters/dead-letters.repository';
import { prepareStorage, STORAGE_ENGINE } from './engine/storage-engine';
import { storageSettings } from './engine/storage-settings';
import { EventsRepository } from './events/events.repository';
import { EventsService } from './events/events.service';
import { HistoryRepository } from './history/history.repository';
import { HistoryService } from './history/history.service';
import { ReplayRepository } from './history/replay.repository';
import { OpenDataService } from './open-data/open-data.service';
import { StorageMaintenanceService } from './storage-maintenance.service';
import { TelemetryRepository } from './write/telemetry.repository';
import { TelemetryWriter } from './write/telemetry-writer';

/**
 * The time-series storage and its reads. The engine is prepared in an async provider, so it is
 * ready before any module's start-up hook (ingest included) runs.
 */
@Global()
@Module({
  // DevicesModule: the metric catalogue that history reads are checked against.
  imports: [AreasModule, DevicesModule],
  providers: [
    {
      provide: STORAGE_ENGINE,
      inject: [Database, APP_CONFIG],
      useFactory: (db: Database, config: AppConfig) => {
        const logger = new Logger('Storage');
        // Refreshing the TimescaleDB aggregates of a large history can take minutes.
        return prepareStorage(db.maintenancePool, storageSettings(config), (line) => logger.log(line));
      },
    },
    StorageMaintenanceService,
    HistoryRepository,
    HistoryService,
    ReplayRepository,
    EventsRepository,
    EventsService,
    OpenDataService,
    DeadLettersRepository,
  ],
  // The services are for the controllers, which the app module registers under the `api` role.
  exports: [STORAGE_ENGINE, StorageMaintenanceService, HistoryService, ReplayRepository, EventsService, OpenDataService, DeadLettersRepository],
})
export class StorageModule {}

/** The write path (spool, batches, telemetry SQL). Only in processes with the `ingest` role: it opens the spool. */
@Module({
  providers: [TelemetryRepository, TelemetryWriter],
  exports: [TelemetryWriter],
})
export class StorageWriteModule {}
