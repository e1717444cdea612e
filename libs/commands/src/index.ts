export { CommandsModule } from './commands.module';
export { CommandsService } from './commands.service';
export { CommandsController } from './commands.controller';
