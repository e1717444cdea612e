import { Controller, Get, Query } from '@nestjs/common';
import { listEventsQuerySchema, type DeviceEventPageDto, type ListEventsQuery } from '@ioc/contracts';
import { ZodValidationPipe } from '@ioc/common';
import { Allow, READERS } from '@ioc/auth';
import { EventsService } from './events.service';

@Controller('api/events')
export class EventsController {
  constructor(private readonly events: EventsService) {}

  /** Camera analytics and online/offline transitions, newest first, paged with `cursor`. */
  @Get()
  @Allow(...READERS.deviceEvents)
  list(@Query(new ZodValidationPipe(listEventsQuerySchema)) query: ListEventsQuery): Promise<DeviceEventPageDto> {
    return this.events.list(query);
  }
}
