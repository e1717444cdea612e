import { ConfigError, loadConfig } from '@ioc/config';
import { startServer } from './server';

// A stray rejected promise is a bug to log, never a reason to drop every device's connection.
process.on('unhandledRejection', (reason) => {
  console.error(`unhandled rejection: ${reason instanceof Error ? reason.stack : String(reason)}`);
});

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  await startServer(config);
}

main().catch((err: Error) => {
  console.error(`ioc server did not start: ${err.message}`);
  process.exit(1);
});
