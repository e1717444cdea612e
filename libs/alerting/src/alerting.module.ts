import { Module } from '@nestjs/common';
import { DevicesModule } from '@ioc/devices';
import { BacktestService } from './backtest/backtest.service';

/** Rules, their alerts and incidents. The storage module (global) gives the history replays read. */
@Module({
  imports: [DevicesModule],
  providers: [BacktestService],
  exports: [BacktestService],
})
export class AlertingModule {}
