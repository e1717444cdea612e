import { z } from 'zod';
import { checkOptions, MAX_RATE_PER_DEVICE, parseFlags, type Flags } from './run-kit';

export const BENCH_MODES = ['embedded', 'external'] as const;
export type BenchMode = (typeof BENCH_MODES)[number];

/** Each option: its command-line flag, its environment variable, and its rule. */
const OPTIONS = {
  devices: {
    env: 'BENCH_DEVICES',
    schema: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1).max(50_000).default(1000),
  },
  rate: {
    env: 'BENCH_RATE',
    schema: z.coerce.number({ error: 'must be a number' }).positive('must be above 0').max(200_000).default(10_000),
  },
  duration: {
    env: 'BENCH_DURATION',
    schema: z.coerce.number({ error: 'must be a number of seconds' }).int().min(5, 'must be at least 5 s').max(3600).default(60),
  },
  warmup: {
    env: 'BENCH_WARMUP',
    schema: z.coerce.number({ error: 'must be a number of seconds' }).int().min(0).max(300).default(5),
  },
  mode: {
    env: 'BENCH_MODE',
    schema: z.enum(['embedded', 'external', 'both'], { error: 'must be embedded, external or both' }).default('both'),
  },
  'connections-test': {
    env: 'BENCH_CONNECTIONS_TEST',
    schema: z.coerce.number({ error: 'must be a number' }).int().min(0, 'must be 0 (skip) or more').max(50_000).default(10_000),
  },
  ceilings: {
    env: 'BENCH_CEILINGS',
    schema: z.enum(['true', 'false'], { error: 'must be true or false' }).default('true').transform((v) => v === 'true'),
  },
  threads: {
    env: 'BENCH_THREADS',
    schema: z.coerce.number({ error: 'must be a number' }).int().min(1).max(16).default(2),
  },
  'drain-timeout': {
    env: 'BENCH_DRAIN_TIMEOUT',
    schema: z.coerce.number({ error: 'must be a number of seconds' }).int().min(5).max(3600).default(90),
  },
  mosquitto: {
    env: 'BENCH_MOSQUITTO',
    schema: z.string().min(1).default('/usr/sbin/mosquitto'),
  },
  'server-node-args': {
    env: 'BENCH_SERVER_NODE_ARGS',
    schema: z
      .string()
      .optional()
      .transform((s) => (s ? s.split(/\s+/).filter(Boolean) : [])),
  },
  results: {
    env: 'BENCH_RESULTS',
    schema: z.string().min(1).default('bench/results/ingest.jsonl'),
  },
} as const;

export interface BenchOptions {
  devices: number;
  /** Messages per second offered by all devices together. */
  rate: number;
  durationS: number;
  warmupS: number;
  modes: BenchMode[];
  /** Devices of the connections test; 0 skips it. */
  connections: number;
  ceilings: boolean;
  /** Worker threads running the publishers. */
  threads: number;
  drainTimeoutS: number;
  mosquittoBin: string;
  resultsFile: string;
  /** Node flags for the server in the two modes, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof". */
  serverNodeArgs: string[];
  /** PostgreSQL server to create scratch databases on; unset: the machine's, or an embedded one. */
  databaseUrl: string | undefined;
}

export class OptionsError extends Error {}


export function usage(): string {
  const lines = Object.entries(OPTIONS).map(([name, o]) => `  --${name.padEnd(20)} ${o.env}`);
  return `npm run bench:ingest -- [options]\n${lines.join('\n')}\n  DATABASE_URL           PostgreSQL server for the scratch databases`;
}

/** Command-line flags win over environment variables; every bad value is named in one error. */
export function loadOptions(argv: readonly string[], env: NodeJS.ProcessEnv): BenchOptions {
  let flags: Flags;
  try {
    flags = parseFlags(OPTIONS, argv);
  } catch (err) {
    throw new OptionsError(`${(err as Error).message}\n${usage()}`);
  }
  if (flags.help) throw new OptionsError(usage());

  const checked = checkOptions(OPTIONS, flags, env);
  if ('problems' in checked) throw new OptionsError(`invalid options:\n  ${checked.problems.join('\n  ')}`);

  const o = checked.values;
  if (o.rate / o.devices > MAX_RATE_PER_DEVICE) {
    throw new OptionsError(
      `invalid options:\n  --rate / --devices = ${o.rate / o.devices} messages/s per device: at most ${MAX_RATE_PER_DEVICE} ` +
        '(timestamps are milliseconds and a repeated (device, metric, time) is stored once)',
    );
  }
  const databaseUrl = env.DATABASE_URL === '' ? undefined : env.DATABASE_URL;
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new OptionsError('invalid options:\n  DATABASE_URL: must be a URL like postgres://user@127.0.0.1:5432/db');
  }
  return {
    devices: o.devices,
    rate: o.rate,
    durationS: o.duration,
    warmupS: o.warmup,
    modes: o.mode === 'both' ? [...BENCH_MODES] : [o.mode],
    connections: o['connections-test'],
    ceilings: o.ceilings,
    threads: o.threads,
    drainTimeoutS: o['drain-timeout'],
    mosquittoBin: o.mosquitto,
    resultsFile: o.results,
    serverNodeArgs: o['server-node-args'],
    databaseUrl,
  };
}
