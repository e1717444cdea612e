import { Module, type DynamicModule, type Type } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerGuard, ThrottlerModule } from '@nestjs/throttler';
import {
  AlertingModule,
  AlertsController,
  BacktestController,
  DeadlinePoliciesController,
  IncidentsController,
  StatisticsController,
  RulesController,
  SilencesController,
} from '@ioc/alerting';
import { AreasController, AreasModule } from '@ioc/areas';
import { AuditController, AuthController, AuthGuard, AuthModule, TeamsController, throttlers, UsersController } from '@ioc/auth';
import { CitizenReportsModule, IncidentPhotosController, ReportsController } from '@ioc/citizen-reports';
import { CommandsController, CommandsModule } from '@ioc/commands';
import { CommonModule } from '@ioc/common';
import { ConfigModule, type AppConfig } from '@ioc/config';
import { DatabaseModule } from '@ioc/database';
import { BrokerHooksController, DevicesController, DevicesModule, MetricsController } from '@ioc/devices';
import { IngestModule } from '@ioc/ingest';
import { NotificationRoutesController, NotificationsModule, WebhooksController } from '@ioc/notifications';
import { RealtimeModule } from '@ioc/realtime';
import { DeadLettersController, EventsController, HistoryController, OpenDataController, StorageModule } from '@ioc/storage';
import { PublicWarningsController, WarningsController, WarningsModule } from '@ioc/warnings';
import { ConsoleConfigController } from './console-config.controller';
import { HealthController } from './health.controller';

/** One build, switched per process by IOC_ROLES: ingest (MQTT hot path), api (REST), realtime (socket.io). */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    const roles = new Set(config.IOC_ROLES);
    const imports: (Type | DynamicModule)[] = [
      ConfigModule.forRoot(config),
      CommonModule,
      DatabaseModule,
      StorageModule,
      AuthModule,
      ThrottlerModule.forRoot({ throttlers: throttlers(config) }),
      AreasModule,
      DevicesModule,
      AlertingModule,
      NotificationsModule,
      CitizenReportsModule,
      WarningsModule,
      CommandsModule.forRoot(roles.has('ingest')),
    ];
    if (roles.has('ingest')) imports.push(IngestModule);
    if (roles.has('realtime')) imports.push(RealtimeModule);
    const controllers: Type[] = [HealthController];
    if (roles.has('api')) {
      controllers.push(
        ConsoleConfigController,
        AreasController,
        DevicesController,
        MetricsController,
        BrokerHooksController,
        CommandsController,
        BacktestController,
        RulesController,
        AlertsController,
        SilencesController,
        IncidentsController,
        IncidentPhotosController,
        ReportsController,
        WebhooksController,
        NotificationRoutesController,
        WarningsController,
        PublicWarningsController,
        DeadlinePoliciesController,
        StatisticsController,
        DeadLettersController,
        AuthController,
        UsersController,
        TeamsController,
        AuditController,
        HistoryController,
        EventsController,
        OpenDataController,
      );
    }
    return {
      module: AppModule,
      imports,
      controllers,
      // Rate limits first, so floods of bad tokens are limited too; then who may do what.
      providers: [
        { provide: APP_GUARD, useClass: ThrottlerGuard },
        { provide: APP_GUARD, useClass: AuthGuard },
      ],
    };
  }
}
