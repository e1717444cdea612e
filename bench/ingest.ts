import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { loadOptions, OptionsError, type BenchOptions } from './bench-options';
import { measureBrokerCeiling, measurePostgresCeiling, measureWriterCeiling, startBareAedes } from './ceilings';
import { runConnectionsTest, type ConnectionsResult } from './connections-test';
import { runIngest, type ModeResult } from './ingest-run';
import { sleep } from './child-processes';
import { startMosquitto, type MosquittoBroker } from './mosquitto-broker';
import { dropAllScratches, openPostgresTarget, type PostgresTarget, type ScratchDatabase } from './postgres-target';
import { MachineMeter } from './process-stats';
import { formatResults, type BenchResults, type IngestMachine } from './report';
import { describeMachine, packageVersion, recordRun, runBench, runHeader } from './run-kit';

const BROKER_CEILING_MAX_S = 15;
const POSTGRES_CEILING_S = 10;
const BUSY_PERCENT = 20;

// The server's default when INGEST_BATCH_SIZE is not set around the bench (libs/config).
const SERVER_BATCH_SIZE = 2000;

function serverBatchSize(): number {
  const set = Number(process.env.INGEST_BATCH_SIZE);
  return Number.isInteger(set) && set > 0 ? set : SERVER_BATCH_SIZE;
}

function mosquittoVersion(bin: string): string | null {
  try {
    execFileSync(bin, ['-h'], { encoding: 'utf8' });
    return null;
  } catch (err) {
    // `mosquitto -h` prints its version and exits with 3.
    const text = String((err as { stdout?: string }).stdout ?? '');
    return /version (\S+)/.exec(text)?.[1] ?? null;
  }
}

function machineInfo(options: BenchOptions, pg: PostgresTarget): Omit<IngestMachine, 'busyAtStartPercent'> {
  return {
    ...describeMachine(pg),
    mosquitto: mosquittoVersion(options.mosquittoBin),
    aedes: packageVersion('aedes'),
    mqttJs: packageVersion('mqtt'),
  };
}

async function main(stopOnExit: (stop: () => Promise<void>) => void): Promise<void> {
  let options: BenchOptions;
  try {
    options = loadOptions(process.argv.slice(2), process.env);
  } catch (err) {
    if (!(err instanceof OptionsError)) throw err;
    console.error(err.message);
    process.exit(2);
  }
  const errors: string[] = [];
  const attempt = async <T>(what: string, work: () => Promise<T>): Promise<T | null> => {
    try {
      return await work();
    } catch (err) {
      const message = `${what}: ${(err as Error).message}`;
      process.stderr.write(`${message}\n`);
      errors.push(message);
      return null;
    }
  };

  // Other work on the machine takes cores from the server: say so rather than report low figures silently.
  const idle = new MachineMeter();
  await sleep(3000);
  const busyAtStart = idle.report(availableParallelism());
  if (busyAtStart > BUSY_PERCENT) {
    process.stderr.write(`warning: before starting, other processes used ${busyAtStart} % of a core: the figures will be lower\n`);
  }

  const pg = await openPostgresTarget(options.databaseUrl);
  process.stderr.write(`PostgreSQL ${pg.version} (${pg.source})\n`);
  let mosquitto: MosquittoBroker | null = null;
  const stop = async () => {
    await mosquitto?.stop();
    await pg.stop();
  };
  stopOnExit(stop);
  try {
    if (options.modes.includes('external') || options.ceilings) {
      mosquitto = await startMosquitto(options.mosquittoBin);
      process.stderr.write(`Mosquitto at ${mosquitto.url} (pid ${mosquitto.child.pid})\n`);
    }
    const cores = availableParallelism();
    const ceilings: BenchResults['ceilings'] = { mosquitto: null, aedesIntake: null, aedesSubscriber: null, postgres: null, writer: null };
    const modes: ModeResult[] = [];
    for (const mode of options.modes) {
      // The writer's ceiling needs a database the server migrated and provisioned: the first mode's.
      const measureWriter =
        options.ceilings && modes.length === 0
          ? async (db: ScratchDatabase) => {
              ceilings.writer = await attempt('writer ceiling', () =>
                measureWriterCeiling(pg, db, serverBatchSize(), Math.min(options.durationS, POSTGRES_CEILING_S)),
              );
            }
          : undefined;
      const result = await attempt(`${mode} mode`, () => runIngest(mode, options, pg, mosquitto, cores, measureWriter));
      if (result) modes.push(result);
    }

    if (options.ceilings) {
      const seconds = Math.min(options.durationS, BROKER_CEILING_MAX_S);
      process.stderr.write(`[ceilings] brokers alone, ${seconds} s each; PostgreSQL insert alone, ${POSTGRES_CEILING_S} s\n`);
      const { devices, threads } = options;
      ceilings.mosquitto = await attempt('mosquitto ceiling', () =>
        measureBrokerCeiling('mosquitto', mosquitto!.url, mosquitto!.child.pid, true, devices, threads, seconds),
      );
      for (const withSubscriber of [false, true]) {
        const measured = await attempt(`aedes ceiling${withSubscriber ? ' with a subscriber' : ''}`, async () => {
          const aedes = await startBareAedes();
          try {
            return await measureBrokerCeiling('aedes', aedes.url, aedes.pid, withSubscriber, devices, threads, seconds);
          } finally {
            await aedes.stop();
          }
        });
        if (withSubscriber) ceilings.aedesSubscriber = measured;
        else ceilings.aedesIntake = measured;
      }
      ceilings.postgres = await attempt('PostgreSQL ceiling', () =>
        measurePostgresCeiling(pg, devices, Math.min(options.durationS, POSTGRES_CEILING_S)),
      );
    }

    let connections: ConnectionsResult | null = null;
    if (options.connections > 0) {
      process.stderr.write(`[connections] ${options.connections} devices, each publishing every 10 s, for ${options.durationS} s\n`);
      connections = await attempt('connections test', () =>
        runConnectionsTest(options.connections, options.durationS, options.threads, pg),
      );
    }

    const results: BenchResults = {
      ...runHeader(options, { ...machineInfo(options, pg), busyAtStartPercent: busyAtStart }),
      modes,
      ceilings,
      connections,
      errors,
    };
    await recordRun(options.resultsFile, results, formatResults(results));
    if (errors.length > 0) process.exitCode = 1;
  } finally {
    await dropAllScratches();
    await stop();
  }
}

runBench(main);
