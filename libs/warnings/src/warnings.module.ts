import { Module } from '@nestjs/common';
import { AreasModule } from '@ioc/areas';
import { WarningsRepository } from './warnings.repository';
import { WarningsService } from './warnings.service';

/** Public warnings (CAP 1.2, Atom, JSON) published from incidents. */
@Module({
  imports: [AreasModule],
  providers: [WarningsRepository, WarningsService],
  exports: [WarningsService],
})
export class WarningsModule {}
