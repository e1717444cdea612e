import { Module, type DynamicModule, type Type } from '@nestjs/common';
import { AreasController, AreasModule } from '@ioc/areas';
import { CommonModule } from '@ioc/common';
import { ConfigModule, type AppConfig } from '@ioc/config';
import { DatabaseModule } from '@ioc/database';
import { DevicesController, DevicesModule } from '@ioc/devices';
import { DeadLettersController, DeadLettersModule, IngestModule } from '@ioc/ingest';
import { RealtimeModule } from '@ioc/realtime';
import { AlertsController, RulesController, RulesModule } from '@ioc/rules';
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
      AreasModule,
      DevicesModule,
      RulesModule,
      DeadLettersModule,
    ];
    if (roles.has('ingest')) imports.push(IngestModule);
    if (roles.has('realtime')) imports.push(RealtimeModule);
    const controllers: Type[] = [HealthController];
    if (roles.has('api')) {
      controllers.push(
        ConsoleConfigController,
        AreasController,
        DevicesController,
        RulesController,
        AlertsController,
        DeadLettersController,
      );
    }
    return { module: AppModule, imports, controllers };
  }
}
