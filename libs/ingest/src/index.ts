export { IngestModule } from './ingest.module';
export { IngestService, type IngestCounters } from './ingest.service';
export { decodeMessage } from './decode';
