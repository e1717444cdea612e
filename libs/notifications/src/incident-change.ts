import type { IncidentDto, IncidentTimelineEntryDto } from '@ioc/contracts';

/** An incident as it is after a step, and the step: what every notification is made of. */
export interface IncidentChangeInput {
  incident: IncidentDto;
  entry: IncidentTimelineEntryDto;
}
