import { availableParallelism } from 'node:os';
import { z } from 'zod';
import {
  runAreaStorm,
  runGatewayStorm,
  runLatency,
  type AlertingSettings,
  type AreaStormResult,
  type Distribution,
  type GatewayStormResult,
  type LatencyResult,
} from './alerting-runs';
import { sleep } from './child-processes';
import { dropAllScratches, openPostgresTarget } from './postgres-target';
import { MachineMeter } from './process-stats';
import {
  describeMachine,
  loadLoadOptions,
  markdownTable,
  packageVersion,
  recordRun,
  runBench,
  runHeader,
  type MachineInfo,
  type RunHeader,
} from './run-kit';

/**
 * Live alerting against the built server: (1) the time from a device's breaching publish to the
 * operator's console being told of the alert and of the incident, while the ingest load runs
 * beside it; (2) storms: a gateway with its children losing power, and every device of one area
 * breaching at once under an area-grouped rule, each counted in incidents.
 */
const PARTS = ['latency', 'gateway', 'area'] as const;
type Part = (typeof PARTS)[number];

const number = (what: string) => z.coerce.number({ error: `must be ${what}` });
const wholeSeconds = (min: number, max: number, fallback: number) => number('a number of seconds').int().min(min).max(max).default(fallback);

/** Each option: its flag, its environment variable, its rule. */
const OPTIONS = {
  parts: {
    env: 'BENCH_ALERTING_PARTS',
    schema: z
      .string()
      .default(PARTS.join(','))
      .transform((s) => s.split(',').map((p) => p.trim()))
      .pipe(z.array(z.enum(PARTS, { error: `each must be one of ${PARTS.join(', ')}` })).min(1)),
  },
  devices: { env: 'BENCH_DEVICES', schema: number('a number').int().min(1).max(50_000).default(1000) },
  rate: { env: 'BENCH_RATE', schema: number('a number').min(0).max(200_000).default(10_000) },
  threads: { env: 'BENCH_THREADS', schema: number('a number').int().min(1).max(16).default(2) },
  warmup: { env: 'BENCH_WARMUP', schema: wholeSeconds(0, 300, 5) },
  duration: { env: 'BENCH_DURATION', schema: wholeSeconds(1, 3600, 60) },
  'probe-interval': { env: 'BENCH_PROBE_INTERVAL_MS', schema: number('a number of milliseconds').int().min(10).max(60_000).default(500) },
  timeout: { env: 'BENCH_PROBE_TIMEOUT', schema: wholeSeconds(1, 300, 10) },
  children: { env: 'BENCH_GATEWAY_CHILDREN', schema: number('a number').int().min(1).max(1000).default(200) },
  'no-data-after': { env: 'BENCH_NO_DATA_AFTER', schema: wholeSeconds(5, 3600, 30) },
  'gateway-warmup': { env: 'BENCH_GATEWAY_WARMUP', schema: wholeSeconds(5, 3600, 20) },
  'area-devices': { env: 'BENCH_AREA_DEVICES', schema: number('a number').int().min(1).max(5000).default(300) },
  'storm-window': { env: 'BENCH_STORM_WINDOW', schema: wholeSeconds(10, 3600, 120) },
  results: { env: 'BENCH_RESULTS', schema: z.string().min(1).default('bench/results/alerting.jsonl') },
} as const;

const BUSY_PERCENT = 20;

interface Options extends AlertingSettings {
  parts: Part[];
  resultsFile: string;
  databaseUrl: string | undefined;
}

/** Flags win over environment variables. A string instead: the usage, or every bad value named. */
function loadOptions(argv: string[], env: NodeJS.ProcessEnv): Options | string {
  const loaded = loadLoadOptions('bench:alerting', OPTIONS, argv, env);
  if (typeof loaded === 'string') return loaded;
  const { values: o, databaseUrl } = loaded;
  return {
    parts: [...new Set(o.parts)],
    devices: o.devices,
    rate: o.rate,
    threads: o.threads,
    warmupS: o.warmup,
    durationS: o.duration,
    probeIntervalMs: o['probe-interval'],
    timeoutS: o.timeout,
    children: o.children,
    noDataAfterS: o['no-data-after'],
    gatewayWarmupS: o['gateway-warmup'],
    areaDevices: o['area-devices'],
    stormWindowS: o['storm-window'],
    resultsFile: o.results,
    databaseUrl,
  };
}

interface AlertingMachine extends MachineInfo {
  aedes: string;
  /** CPU the machine spent, in percent of one core, in the 3 s before the bench started anything. */
  busyAtStartPercent: number;
}

interface AlertingResults extends RunHeader<Omit<Options, 'databaseUrl'>, AlertingMachine> {
  latency: LatencyResult | null;
  gatewayStorm: GatewayStormResult | null;
  areaStorm: AreaStormResult | null;
  errors: string[];
}

const ms = (v: number | null) => (v === null ? 'n/a' : `${v.toLocaleString('en')} ms`);
const spread = (d: Distribution) => [d.p50Ms, d.p95Ms, d.p99Ms, d.maxMs].map((v) => (v === null ? 'n/a' : v.toLocaleString('en'))).join(' / ');

/** A part's closing table, then a note if the console's socket closed: its counts may miss events. */
function partTable(header: string[], rows: string[][], socketLost: string | null): string[] {
  return ['', markdownTable(header, rows), ...(socketLost ? [`the console's socket closed during the run: ${socketLost}`] : [])];
}

/** The figures as Markdown tables, ready for docs/benchmarks.md. */
function format(r: AlertingResults): string {
  const m = r.machine;
  const o = r.options;
  const out = [
    `machine: ${m.cores} cores (${m.cpu}), ${m.memoryGiB} GiB, Node ${m.node}, PostgreSQL ${m.postgres} (${m.postgresSource}), aedes ${m.aedes}; ` +
      `CPU busy before the start: ${m.busyAtStartPercent} %`,
    `commit ${r.commit ?? 'unknown'}, ${r.at}` +
      (Object.keys(r.serverTuning).length ? `; server ${Object.entries(r.serverTuning).map(([k, v]) => `${k}=${v}`).join(' ')}` : ''),
  ];
  const l = r.latency;
  if (l) {
    out.push(
      '',
      `latency: ${l.probes} probes, one every ${o.probeIntervalMs} ms, beside ${o.rate.toLocaleString('en')} messages/s from ${l.loadDevices} devices (timeout ${o.timeoutS} s)`,
      '',
      markdownTable(
        ['MQTT publish ->', 'p50 / p95 / p99 / max ms', 'arrived', 'never arrived'],
        [
          ['alert:opened', spread(l.toAlert), String(l.toAlert.count), String(l.toAlert.missing)],
          ['incident:opened', spread(l.toIncident), String(l.toIncident.count), String(l.toIncident.missing)],
        ],
      ),
      ...partTable(
        ['while probing', ''],
        [
          ['load offered / acknowledged, messages/s', `${l.load.offeredPerS.toLocaleString('en')} / ${l.load.ackedPerS.toLocaleString('en')}`],
          ['load turns skipped / late, disconnects', `${l.load.skipped} / ${l.load.late}, ${l.load.disconnects}`],
          ['server CPU / RSS', `${l.usage.server.cpuPercent} % / ${l.usage.server.rssEndMiB} MiB`],
          ['PostgreSQL CPU', l.usage.postgres ? `${l.usage.postgres.cpuPercent} %` : 'n/a'],
          ['whole machine CPU (100 % = 1 core)', `${l.usage.machineCpuPercent} %`],
          ['incidents stored: probes / others', `${l.incidentsStored} / ${l.otherIncidents}`],
        ],
        l.socketLost,
      ),
    );
  }
  const g = r.gatewayStorm;
  if (g) {
    out.push(
      ...partTable(
        [`gateway storm: ${g.children} children, no_data after ${o.noDataAfterS} s, ${o.stormWindowS} s after the power cut`, ''],
        [
          ['incidents opened (target 1)', String(g.incidentsOpened)],
          ['power cut -> gateway alert:opened / incident:opened', `${ms(g.gatewayAlertMs)} / ${ms(g.gatewayIncidentMs)}`],
          ['power cut -> last incident:opened', ms(g.lastIncidentMs)],
          ['alert:opened events', String(g.alertsOpened)],
          ['alerts stored: offline / no_data', `${g.alertsStored.offline} / ${g.alertsStored.noData}`],
          ['alerts held back (no incident) / of them inhibited by the gateway', `${g.alertsStored.heldBack} / ${g.alertsStored.inhibited}`],
          ['incidents stored; opened before the cut', `${g.incidentsStored}; ${g.incidentsBeforeCut}`],
        ],
        g.socketLost,
      ),
    );
  }
  const a = r.areaStorm;
  if (a) {
    out.push(
      ...partTable(
        [`area storm: ${a.devices} devices of ${a.areaId} breaching within ${a.publishSpanMs} ms, area-grouped rule`, ''],
        [
          ['incidents opened (target 1)', String(a.incidentsOpened)],
          ['first publish -> incident:opened', ms(a.openedMs)],
          [`first publish -> the incident holds all ${a.devices} devices`, ms(a.completeMs)],
          ['devices in the incident (GET /api/incidents/:id)', String(a.devicesInIncident)],
          ['incidents / alerts stored', `${a.incidentsStored} / ${a.alertsStored}`],
        ],
        a.socketLost,
      ),
    );
  }
  for (const e of r.errors) out.push(`error: ${e}`);
  return out.join('\n');
}

async function main(stopOnExit: (stop: () => Promise<void>) => void): Promise<void> {
  const options = loadOptions(process.argv.slice(2), process.env);
  if (typeof options === 'string') {
    console.error(options);
    process.exit(2);
  }
  const cores = availableParallelism();
  const idle = new MachineMeter();
  await sleep(3000);
  const busyAtStart = idle.report(cores);
  if (busyAtStart > BUSY_PERCENT) {
    process.stderr.write(`warning: before starting, other processes used ${busyAtStart} % of a core: the figures will be worse\n`);
  }

  // The embedded PostgreSQL unless DATABASE_URL says otherwise: the same database wherever it runs.
  const pg = await openPostgresTarget(options.databaseUrl, false);
  stopOnExit(() => pg.stop());
  process.stderr.write(`PostgreSQL ${pg.version} (${pg.source})\n`);
  const errors: string[] = [];
  const attempt = async <T>(part: Part, work: () => Promise<T>): Promise<T | null> => {
    if (!options.parts.includes(part)) return null;
    try {
      return await work();
    } catch (err) {
      const message = `${part}: ${(err as Error).stack ?? (err as Error).message}`;
      process.stderr.write(`${message}\n`);
      errors.push(message);
      return null;
    }
  };
  try {
    const latency = await attempt('latency', () => runLatency(options, pg, cores));
    const gatewayStorm = await attempt('gateway', () => runGatewayStorm(options, pg));
    const areaStorm = await attempt('area', () => runAreaStorm(options, pg));
    const results: AlertingResults = {
      ...runHeader(options, { ...describeMachine(pg), aedes: packageVersion('aedes'), busyAtStartPercent: busyAtStart }),
      latency,
      gatewayStorm,
      areaStorm,
      errors,
    };
    await recordRun(options.resultsFile, results, format(results));
    if (errors.length > 0) process.exitCode = 1;
  } finally {
    await dropAllScratches();
    await pg.stop();
  }
}

runBench(main);
