import { Global, Inject, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@ioc/config';
import { Database } from './database';

@Global()
@Module({
  providers: [
    {
      provide: Database,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => {
        const logger = new Logger('Database');
        return Database.open({
          url: config.DATABASE_URL,
          dataDir: config.DATA_DIR,
          embeddedPort: config.EMBEDDED_PG_PORT,
          poolSize: config.DATABASE_POOL_SIZE,
          connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS,
          statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
          maintenanceTimeoutMs: config.DATABASE_MAINTENANCE_TIMEOUT_MS,
          healthTimeoutMs: config.DATABASE_HEALTH_TIMEOUT_MS,
          log: (line) => logger.log(line),
          debug: (line) => logger.debug(line),
        });
      },
    },
  ],
  exports: [Database],
})
export class DatabaseModule implements OnApplicationShutdown {
  constructor(@Inject(Database) private readonly database: Database) {}

  async onApplicationShutdown(): Promise<void> {
    await this.database.close();
  }
}
