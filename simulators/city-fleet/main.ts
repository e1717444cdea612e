import { pino } from 'pino';
import { loadConfig } from './config';
import { startSimulator, type RunningSimulator } from './run';

const log = pino({ name: 'city-fleet' });

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const abort = new AbortController();
  let running: RunningSimulator | undefined;
  let stopping = false;

  const shutdown = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal}: stopping`);
    abort.abort();
    (running?.stop() ?? Promise.resolve()).then(
      () => process.exit(0),
      (error: unknown) => {
        log.error(error, 'stopping failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);

  try {
    running = await startSimulator(config, log, abort.signal);
  } catch (error) {
    // A signal during start-up is handled by `shutdown`; anything else is a real failure.
    if (abort.signal.aborted) return;
    throw error;
  }
}

main().catch((error: unknown) => {
  log.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
