import { Module } from '@nestjs/common';
import { AreasModule } from '@ioc/areas';
import { BrokerRefusals } from './broker-refusals';
import { DevicesRepository } from './devices.repository';
import { DevicesService } from './devices.service';
import { MetricsRepository } from './metrics.repository';
import { MetricsService } from './metrics.service';

@Module({
  imports: [AreasModule],
  providers: [DevicesRepository, DevicesService, MetricsRepository, MetricsService, BrokerRefusals],
  exports: [DevicesService, MetricsService, BrokerRefusals],
})
export class DevicesModule {}
