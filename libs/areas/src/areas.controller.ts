import { Controller, Get } from '@nestjs/common';
import type { AreaDto } from '@ioc/contracts';
import { Allow, EVERYONE } from '@ioc/auth';
import { AreasService } from './areas.service';

@Controller('api/areas')
export class AreasController {
  constructor(private readonly areas: AreasService) {}

  @Get()
  @Allow(...EVERYONE)
  list(): readonly AreaDto[] {
    return this.areas.list();
  }
}
