export { configSchema, loadConfig, ConfigError, type AppConfig, type ServerRole } from './config.schema';
export { ConfigModule, APP_CONFIG } from './config.module';
