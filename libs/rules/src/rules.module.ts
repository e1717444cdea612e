import { Module } from '@nestjs/common';
import { DevicesModule } from '@ioc/devices';
import { RulesRepository } from './rules.repository';
import { RulesService } from './rules.service';

@Module({
  imports: [DevicesModule],
  providers: [RulesRepository, RulesService],
  exports: [RulesService],
})
export class RulesModule {}
