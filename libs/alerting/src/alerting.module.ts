import { Module } from '@nestjs/common';
import { AreasModule } from '@ioc/areas';
import { DevicesModule } from '@ioc/devices';
import { IncidentsModule } from '@ioc/incidents';
import { BacktestService } from './backtest/backtest.service';
import { HistoryInputs } from './history-inputs';
import { AlertingService } from './live/alerting.service';
import { AlertsRepository } from './live/alerts.repository';
import { RulesRepository } from './live/rules.repository';
import { RulesService } from './live/rules.service';
import { SilencesRepository } from './live/silences.repository';
import { SilencesService } from './live/silences.service';

/** Rules, their alerts and incidents. The storage module (global) gives the history replays read. */
@Module({
  imports: [DevicesModule, AreasModule, IncidentsModule],
  providers: [HistoryInputs, BacktestService, RulesRepository, AlertsRepository, SilencesRepository, SilencesService, AlertingService, RulesService],
  exports: [BacktestService, RulesService, SilencesService, AlertingService],
})
export class AlertingModule {}
