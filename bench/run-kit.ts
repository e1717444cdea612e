import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { appendFile, mkdir } from 'node:fs/promises';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { z } from 'zod';
import { REPO_ROOT, SERVER_TUNING } from './ioc-server';
import { dropAllScratches, type PostgresTarget } from './postgres-target';

type Stop = () => Promise<void>;

/**
 * Runs a bench's `main`. On Ctrl+C or a crash the scratch databases are dropped and what `main`
 * handed to `stopOnExit` is stopped; Ctrl+C gives up waiting after 20 s.
 */
export function runBench(main: (stopOnExit: (stop: Stop) => void) => Promise<void>): void {
  let started: Stop | null = null;
  const release = () => Promise.allSettled([dropAllScratches(), started?.()]);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      process.stderr.write(`\n${signal}: stopping\n`);
      const done = () => process.exit(130);
      setTimeout(done, 20_000).unref();
      release().then(done, done);
    });
  }
  main((stop) => {
    started = stop;
  }).catch(async (err: Error) => {
    console.error(`bench failed: ${err.stack ?? err.message}`);
    await release();
    process.exit(1);
  });
}

/** An option: its environment variable and the rule its value (from the flag or the variable) follows. */
export interface OptionSpec {
  env: string;
  schema: z.ZodType;
}
export type OptionSpecs = Readonly<Record<string, OptionSpec>>;
export type OptionValues<T extends OptionSpecs> = { [K in keyof T]: z.output<T[K]['schema']> };
export type Flags = Record<string, string | boolean | undefined>;

/** One string flag per option, and --help; throws on an unknown flag or a positional argument. */
export function parseFlags(specs: OptionSpecs, argv: readonly string[]): Flags {
  return parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: { ...Object.fromEntries(Object.keys(specs).map((name) => [name, { type: 'string' as const }])), help: { type: 'boolean' } },
  }).values;
}

/** Flags win over environment variables, an empty variable counts as unset; every bad value is named. */
export function checkOptions<T extends OptionSpecs>(
  specs: T,
  flags: Flags,
  env: NodeJS.ProcessEnv,
): { values: OptionValues<T> } | { problems: string[] } {
  const problems: string[] = [];
  const values: Partial<Record<keyof T, unknown>> = {};
  for (const [name, option] of Object.entries(specs) as [keyof T & string, OptionSpec][]) {
    const raw = flags[name] ?? (env[option.env] === '' ? undefined : env[option.env]);
    const result = option.schema.safeParse(raw);
    if (result.success) values[name] = result.data;
    else problems.push(`--${name} (${option.env}) = ${JSON.stringify(raw)}: ${result.error.issues[0].message}`);
  }
  return problems.length > 0 ? { problems } : { values: values as OptionValues<T> };
}

/** Messages a second one device may send: timestamps are milliseconds, and (device, metric, time) keys a stored row. */
export const MAX_RATE_PER_DEVICE = 500;

/**
 * The options of a bench that drives the ingest load (`--rate` from `--devices`), and the
 * database it runs on. Flags win over environment variables. A string instead: the usage, or
 * every bad value named.
 */
export function loadLoadOptions<T extends OptionSpecs & { rate: OptionSpec; devices: OptionSpec }>(
  command: string,
  specs: T,
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): { values: OptionValues<T>; databaseUrl: string | undefined } | string {
  const lines = Object.entries(specs).map(([name, o]) => `  --${name.padEnd(16)} ${o.env}`);
  const usage = `npm run ${command} -- [options]\n${lines.join('\n')}\n  DATABASE_URL       PostgreSQL server for the scratch databases (unset: an embedded one)`;
  let flags: Flags;
  try {
    flags = parseFlags(specs, argv);
  } catch (err) {
    return `${(err as Error).message}\n${usage}`;
  }
  if (flags.help) return usage;
  const checked = checkOptions(specs, flags, env);
  const problems = 'problems' in checked ? checked.problems : [];
  const perDevice = 'values' in checked ? Number(checked.values.rate) / Number(checked.values.devices) : 0;
  if (perDevice > MAX_RATE_PER_DEVICE) problems.push(`--rate / --devices = ${perDevice} messages/s per device: at most ${MAX_RATE_PER_DEVICE}`);
  const databaseUrl = env.DATABASE_URL === '' ? undefined : env.DATABASE_URL;
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) problems.push('DATABASE_URL: must be a URL like postgres://user@127.0.0.1:5432/db');
  if (problems.length > 0 || !('values' in checked)) return `invalid options:\n  ${problems.join('\n  ')}`;
  return { values: checked.values, databaseUrl };
}

/** Null outside a git checkout. */
function measuredCommit(): string | null {
  try {
    const git = (args: string[]) => execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const head = git(['rev-parse', '--short', 'HEAD']);
    const dirty = git(['status', '--porcelain', '--', 'apps', 'libs']);
    return dirty ? `${head}-dirty` : head;
  } catch {
    return null;
  }
}

export function packageVersion(name: string): string {
  return (JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
}

/** The machine a bench ran on and the PostgreSQL it measured. */
export interface MachineInfo {
  cores: number;
  cpu: string;
  memoryGiB: number;
  node: string;
  postgres: string;
  postgresSource: string;
}

export function describeMachine(pg: PostgresTarget): MachineInfo {
  return {
    cores: availableParallelism(),
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    postgres: pg.version,
    postgresSource: pg.source,
  };
}

/** What a results line starts with, before the figures. */
export interface RunHeader<O, M extends MachineInfo> {
  at: string;
  /** The commit measured; "-dirty" when apps/ or libs/ had uncommitted changes. */
  commit: string | null;
  machine: M;
  options: O;
  /** Server settings passed through from the environment (unset: the server's defaults). */
  serverTuning: Record<string, string>;
}

/** The options are recorded without DATABASE_URL: it may hold a password. */
export function runHeader<O extends { databaseUrl: string | undefined }, M extends MachineInfo>(
  options: O,
  machine: M,
): RunHeader<Omit<O, 'databaseUrl'>, M> {
  const { databaseUrl: _secret, ...recorded } = options;
  return {
    at: new Date().toISOString(),
    commit: measuredCommit(),
    machine,
    options: recorded,
    serverTuning: Object.fromEntries(SERVER_TUNING.filter((k) => process.env[k]).map((k) => [k, process.env[k]!])),
  };
}

/** Appends the run as one JSON line to the results file (relative to the repository), then prints its figures. */
export async function recordRun(resultsFile: string, results: unknown, figures: string): Promise<void> {
  const file = resolve(REPO_ROOT, resultsFile);
  await mkdir(dirname(file), { recursive: true });
  await appendFile(file, `${JSON.stringify(results)}\n`);
  console.log(`\n${figures}\n\nappended to ${file}`);
}

export function markdownTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}
