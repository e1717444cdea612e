import { Module } from '@nestjs/common';
import { AreasModule } from '@ioc/areas';
import { BrokerRefusals } from './broker-refusals';
import { DevicesRepository } from './devices.repository';
import { DevicesService } from './devices.service';
import { MetricsRepository } from './metrics.repository';
import { MetricsService } from './metrics.service';
import { NewestValues } from './newest-values';

@Module({
  imports: [AreasModule],
  providers: [DevicesRepository, DevicesService, MetricsRepository, MetricsService, BrokerRefusals, NewestValues],
  exports: [DevicesService, MetricsService, BrokerRefusals, NewestValues],
})
export class DevicesModule {}
