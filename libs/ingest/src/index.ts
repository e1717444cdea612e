export { IngestModule, DeadLettersModule } from './ingest.module';
export { IngestService, type IngestCounters } from './ingest.service';
export { DeadLettersController } from './dead-letters.controller';
export { decodeMessage } from './decode';
