export { StorageModule, StorageWriteModule } from './storage.module';
export { STORAGE_ENGINE, type StorageEngine } from './engine/storage-engine';
export { StorageMaintenanceService } from './storage-maintenance.service';
export { HistoryController } from './history/history.controller';
export { EventsController } from './events/events.controller';
export { OpenDataController } from './open-data/open-data.controller';
export { DeadLettersController } from './dead-letters/dead-letters.controller';
export { TelemetryWriter, type WriterHealth } from './write/telemetry-writer';
export { emptyBatch, type DeadLetter, type StoredSample, type WriteBatch } from './write/write-batch';
