import { Module } from '@nestjs/common';
import { AreasRepository } from './areas.repository';
import { AreasService } from './areas.service';

@Module({
  providers: [AreasRepository, AreasService],
  exports: [AreasService],
})
export class AreasModule {}
