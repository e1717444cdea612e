import { Module } from '@nestjs/common';
import { AreasModule } from '@ioc/areas';
import { DevicesModule } from '@ioc/devices';
import { NotificationsModule } from '@ioc/notifications';
import { BacktestService } from './backtest/backtest.service';
import { HistoryInputs } from './history-inputs';
import { DeadlineSweep } from './incidents/deadline-sweep';
import { IncidentsRepository } from './incidents/incidents.repository';
import { IncidentsService } from './incidents/incidents.service';
import { StatisticsRepository } from './incidents/statistics.repository';
import { AlertingService } from './live/alerting.service';
import { AlertsRepository } from './live/alerts.repository';
import { RulesRepository } from './live/rules.repository';
import { RulesService } from './live/rules.service';
import { SilencesRepository } from './live/silences.repository';
import { SilencesService } from './live/silences.service';

/** Rules, their alerts and the incidents people handle. The storage module (global) gives the history replays read. */
@Module({
  imports: [DevicesModule, AreasModule, NotificationsModule],
  providers: [IncidentsRepository, IncidentsService, DeadlineSweep, HistoryInputs, BacktestService, RulesRepository, AlertsRepository, SilencesRepository, SilencesService, AlertingService, RulesService, StatisticsRepository],
  exports: [BacktestService, RulesService, SilencesService, AlertingService, IncidentsService, IncidentsRepository, StatisticsRepository],
})
export class AlertingModule {}
