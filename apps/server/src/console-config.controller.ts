import { Controller, Get, Inject } from '@nestjs/common';
import type { ConsoleConfigDto } from '@ioc/contracts';
import { Public } from '@ioc/auth';
import { APP_CONFIG, type AppConfig } from '@ioc/config';

@Controller('api/console-config')
export class ConsoleConfigController {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  @Get()
  @Public()
  get(): ConsoleConfigDto {
    return {
      tileUrl: this.config.CONSOLE_TILE_URL,
      tileAttribution: this.config.CONSOLE_TILE_ATTRIBUTION,
      center: [this.config.CONSOLE_CENTER_LAT, this.config.CONSOLE_CENTER_LNG],
      zoom: this.config.CONSOLE_ZOOM,
    };
  }
}
