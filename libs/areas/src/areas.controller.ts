import { Controller, Get } from '@nestjs/common';
import type { AreaDto } from '@ioc/contracts';
import { AreasService } from './areas.service';

@Controller('api/areas')
export class AreasController {
  constructor(private readonly areas: AreasService) {}

  @Get()
  list(): readonly AreaDto[] {
    return this.areas.list();
  }
}
