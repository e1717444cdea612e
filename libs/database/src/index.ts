export { Database, type DatabaseInfo, type DatabaseOptions } from './database';
export { DatabaseModule } from './database.module';
export { migrate, MIGRATIONS_DIR } from './migrator';
export { inTransaction } from './transaction';
export { isProcessAlive } from './embedded-postgres';
