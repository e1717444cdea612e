import { Module } from '@nestjs/common';
import { DevicesModule } from '@ioc/devices';
import { IncidentEscalation } from './incident-escalation';
import { IncidentsRepository } from './incidents.repository';
import { IncidentsService } from './incidents.service';

@Module({
  imports: [DevicesModule],
  providers: [IncidentsRepository, IncidentsService, IncidentEscalation],
  exports: [IncidentsService],
})
export class IncidentsModule {}
