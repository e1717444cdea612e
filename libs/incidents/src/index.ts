export { IncidentsModule } from './incidents.module';
export { IncidentsService } from './incidents.service';
export { IncidentsController } from './incidents.controller';
export { IncidentsRepository, type IncidentChange, type NewEntry, type Queryable } from './incidents.repository';
