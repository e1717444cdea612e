import { Module, type DynamicModule } from '@nestjs/common';
import { DevicesModule } from '@ioc/devices';
import { MqttModule } from '@ioc/mqtt';
import { CommandsRepository } from './commands.repository';
import { CommandsService } from './commands.service';

/** With the ingest role the commands go out over this process's broker connection. */
@Module({})
export class CommandsModule {
  static forRoot(withBroker: boolean): DynamicModule {
    return {
      module: CommandsModule,
      imports: withBroker ? [DevicesModule, MqttModule] : [DevicesModule],
      providers: [CommandsRepository, CommandsService],
      exports: [CommandsService],
    };
  }
}
