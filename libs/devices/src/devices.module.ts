import { Module } from '@nestjs/common';
import { AreasModule } from '@ioc/areas';
import { DevicesRepository } from './devices.repository';
import { DevicesService } from './devices.service';
import { MetricsRepository } from './metrics.repository';
import { MetricsService } from './metrics.service';

@Module({
  imports: [AreasModule],
  providers: [DevicesRepository, DevicesService, MetricsRepository, MetricsService],
  exports: [DevicesService, MetricsService],
})
export class DevicesModule {}
