export { StorageModule } from './storage.module';
export { STORAGE_ENGINE, type StorageEngine } from './engine/storage-engine';
export { StorageMaintenanceService } from './storage-maintenance.service';
export { HistoryController } from './history/history.controller';
export { EventsController } from './events/events.controller';
export { OpenDataController } from './open-data/open-data.controller';
