import { Module } from '@nestjs/common';
import { IncidentEscalation } from './incident-escalation';
import { IncidentsRepository } from './incidents.repository';
import { IncidentsService } from './incidents.service';

@Module({
  providers: [IncidentsRepository, IncidentsService, IncidentEscalation],
  exports: [IncidentsService, IncidentsRepository],
})
export class IncidentsModule {}
