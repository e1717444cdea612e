import { execFileSync } from 'node:child_process';
import { appendFile, mkdir } from 'node:fs/promises';
import { cpus } from 'node:os';
import { dirname, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { z } from 'zod';
import {
  alertRuleSchema,
  DEFAULT_KIND_METRICS,
  DEVICE_KINDS,
  type AlertRuleDefinition,
  type AlertRuleDefinitionInput,
  type DeviceKind,
} from '@ioc/contracts';
import type { AlertInput } from '../libs/alerting/src/input';
import { evaluateRule, evaluateRuleInPlace, initialRuleState, type RuleState } from '../libs/alerting/src/rule';
import { RuleIndex, type DeviceFacts } from '../libs/alerting/src/rule-index';

/**
 * The pure alerting core alone, on one core: pre-generated samples of 100,000 devices through
 * RuleIndex and evaluateRuleInPlace, with 10,000 rules of which each sample matches a handful; then
 * the same with extra rules that match nothing (other metrics, other devices), whose cost must stay
 * flat; last, the 10,000 rules through evaluateRule, which leaves each state as it was.
 */
const OPTIONS = z.object({
  BENCH_RULES_DEVICES: z.coerce.number().int().min(1000).max(1_000_000).default(100_000),
  BENCH_RULES_SAMPLES: z.coerce.number().int().min(10_000).max(20_000_000).default(1_000_000),
  BENCH_RULES_PASSES: z.coerce.number().int().min(1).max(20).default(5),
  BENCH_RESULTS: z.string().min(1).default('bench/results/rules.jsonl'),
});

const REPO_ROOT = resolve(__dirname, '../../..');
const AREAS = 200;
const RULES = 10_000;
const EXTRA = [0, 10, 100_000];
const POLYGONS = 50;
const MESSAGES = { vi: '{device}: {metric} {value}{unit}', en: '{device}: {metric} {value}{unit}' };

setFlagsFromString('--expose-gc');
/**
 * A full collection before the timed passes: else the previous run's states (some 400 MB) are
 * collected during this run's passes, which then measure the garbage collector.
 */
const collectGarbage = runInNewContext('gc') as () => void;

interface BenchRule {
  id: number;
  definition: AlertRuleDefinition;
}

/** Deterministic, so that every run measures the same work. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function makeRules(deviceIds: string[], rand: () => number): BenchRule[] {
  const rules: AlertRuleDefinitionInput[] = [];
  const add = (scope: AlertRuleDefinitionInput['scope'], condition: AlertRuleDefinitionInput['conditions'][number]) =>
    rules.push({ name: `rule ${rules.length}`, scope, conditions: [condition], messages: MESSAGES });
  const metrics = [...new Set(Object.values(DEFAULT_KIND_METRICS).flat())];
  for (const kind of DEVICE_KINDS) {
    for (const metric of DEFAULT_KIND_METRICS[kind]) {
      add({ type: 'deviceKind', deviceKind: kind }, { kind: 'threshold', metric, operator: '>', value: 80, clear: 75 });
    }
  }
  for (let a = 0; a < AREAS; a++) {
    for (const metric of metrics) {
      add({ type: 'area', areaId: `ward-${a}` }, { kind: 'threshold', metric, operator: '>=', value: 90, forS: 120 });
      add({ type: 'area', areaId: `ward-${a}` }, { kind: 'rate_of_change', metric, windowS: 600, change: 60, direction: 'either' });
    }
  }
  for (let p = 0; p < POLYGONS; p++) {
    const [lng, lat] = [106 + (p % 10) * 0.1, 10 + Math.floor(p / 10) * 0.1];
    const polygon: [number, number][] = [[lng, lat], [lng + 0.1, lat], [lng + 0.1, lat + 0.1], [lng, lat + 0.1], [lng, lat]];
    add({ type: 'polygon', polygon }, { kind: 'threshold', metric: metrics[p % metrics.length], operator: 'outside', low: 5, high: 95, clearMargin: 2 });
  }
  while (rules.length < RULES) {
    const id = deviceIds[Math.floor(rand() * deviceIds.length)];
    add({ type: 'devices', deviceIds: [id] }, { kind: 'threshold', metric: metrics[rules.length % metrics.length], operator: '<', value: 10, forS: 60 });
  }
  return asStored(rules.map((r, id) => ({ id, definition: alertRuleSchema.parse(r) })));
}

/**
 * Rules as the live service holds them, read back from the database's JSON. The validator's own
 * output objects lie scattered across the heap: evaluated as they are, they cost a third of the rate.
 */
const asStored = (rules: BenchRule[]) => JSON.parse(JSON.stringify(rules)) as BenchRule[];

/** Rules no sample can match: half on metrics nobody sends, half on devices that do not exist. */
function makeExtra(count: number, first: number): BenchRule[] {
  return asStored(Array.from({ length: count }, (_, i) => {
    const [scope, metric]: [AlertRuleDefinitionInput['scope'], string] =
      i % 2 === 0 ? [{ type: 'all' }, `spare_metric_${i % 500}`] : [{ type: 'devices', deviceIds: [`ghost-${i}`] }, 'water_level'];
    const definition = alertRuleSchema.parse({
      name: `extra ${i}`,
      scope,
      conditions: [{ kind: 'threshold', metric, operator: '>', value: 50 }],
      messages: MESSAGES,
    });
    return { id: first + i, definition };
  }));
}

type Evaluation = 'in place' | 'pure';

interface Run {
  evaluation: Evaluation;
  extraRules: number;
  rules: number;
  samplesPerSecond: number;
  /** Rules evaluated per sample, on average. */
  candidatesPerSample: number;
  transitions: number;
}

/** Samples as columns: device index, metric, value. */
interface Samples {
  device: Int32Array;
  metric: string[];
  value: Float64Array;
}

/** Each (device, metric) walks slowly around its own level, as readings do: a few cross a threshold. */
function makeSamples(n: number, deviceIds: string[], facts: Map<string, DeviceFacts>, rand: () => number): Samples {
  const samples: Samples = { device: new Int32Array(n), metric: new Array<string>(n), value: new Float64Array(n) };
  const levels = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const d = Math.floor(rand() * deviceIds.length);
    const metrics = DEFAULT_KIND_METRICS[facts.get(deviceIds[d])!.kind];
    const metric = metrics[Math.floor(rand() * metrics.length)];
    const key = `${d}/${metric}`;
    const level = Math.min(100, Math.max(0, (levels.get(key) ?? 20 + rand() * 60) + (rand() - 0.5) * 4));
    levels.set(key, level);
    samples.device[i] = d;
    samples.metric[i] = metric;
    samples.value[i] = Math.round(level * 10) / 10;
  }
  return samples;
}

/** What every run shares: the devices and the samples they send. */
interface Fleet {
  deviceIds: string[];
  facts: Map<string, DeviceFacts>;
  samples: Samples;
}

/** The first pass fills the index's per-device answers and every state; the median of the timed passes counts. */
function measure(rules: BenchRule[], evaluation: Evaluation, { deviceIds, facts, samples }: Fleet, passes: number): Omit<Run, 'extraRules'> {
  const evaluate = evaluation === 'in place' ? evaluateRuleInPlace : evaluateRule;
  // The previous run's states go first, so that this run's are laid out in pages of their own,
  // as a live service's are, rather than in the holes of the previous run's.
  collectGarbage();
  const index = new RuleIndex(rules, (id) => facts.get(id));
  // What a live service resolves once per device and carries with its inputs: the index's number
  // for the device, and by that number the rules seen on the device, each followed by its state
  // (one array rather than two side by side: one place in memory less to reach for every sample).
  const slots = Int32Array.from(deviceIds, (id) => index.slotOf(id));
  const watches: (BenchRule | RuleState)[][] = deviceIds.map(() => []);
  const n = samples.device.length;
  // One millisecond apart, continued across passes.
  let time = Date.UTC(2025, 6, 1);
  let candidates = 0;
  let transitions = 0;
  const pass = () => {
    for (let i = 0; i < n; i++) {
      const slot = slots[samples.device[i]];
      const input: AlertInput = { type: 'sample', metric: samples.metric[i], value: samples.value[i], time: time++ };
      const found = index.candidatesAt(slot, input.metric);
      if (found.length === 0) continue;
      const watched = watches[slot];
      candidates += found.length;
      for (const rule of found) {
        let at = watched.indexOf(rule);
        if (at < 0) at = watched.push(rule, initialRuleState(rule.definition, input.time)) - 2;
        const result = evaluate(rule.definition, watched[at + 1] as RuleState, input);
        watched[at + 1] = result.state;
        transitions += result.transitions.length;
      }
    }
  };
  pass();
  collectGarbage();
  const rates: number[] = [];
  candidates = 0;
  transitions = 0;
  for (let p = 0; p < passes; p++) {
    const started = performance.now();
    pass();
    rates.push(n / ((performance.now() - started) / 1000));
  }
  return {
    evaluation,
    rules: rules.length,
    samplesPerSecond: Math.round(rates.sort((a, b) => a - b)[Math.floor(rates.length / 2)]),
    candidatesPerSample: Math.round((candidates / (n * passes)) * 100) / 100,
    transitions,
  };
}

function main(): Promise<void> {
  const options = OPTIONS.parse(process.env);
  const rand = random(14);
  const kinds: DeviceKind[] = [...DEVICE_KINDS];
  const deviceIds = Array.from({ length: options.BENCH_RULES_DEVICES }, (_, i) => `dev-${i}`);
  const facts = new Map<string, DeviceFacts>(
    deviceIds.map((id, i) => [
      id,
      { kind: kinds[i % kinds.length], areaIds: ['province', `ward-${i % AREAS}`], lat: 10 + rand(), lng: 106 + rand() },
    ]),
  );
  const base = makeRules(deviceIds, rand);
  const fleet: Fleet = { deviceIds, facts, samples: makeSamples(options.BENCH_RULES_SAMPLES, deviceIds, facts, rand) };

  const runs: Run[] = [];
  const plan: [number, Evaluation][] = [...EXTRA.map((extra): [number, Evaluation] => [extra, 'in place']), [0, 'pure']];
  for (const [extraRules, evaluation] of plan) {
    const rules = [...base, ...makeExtra(extraRules, base.length)];
    runs.push({ extraRules, ...measure(rules, evaluation, fleet, options.BENCH_RULES_PASSES) });
    console.log(`[rules] ${rules.length} rules, ${evaluation}: ${runs.at(-1)!.samplesPerSecond.toLocaleString('en')} samples/s`);
  }

  // Flatness is about the rule count, at the same evaluation.
  const inPlace = runs.filter((r) => r.evaluation === 'in place').map((r) => r.samplesPerSecond);
  const flat = Math.max(...inPlace) / Math.min(...inPlace) - 1;
  const results = {
    at: new Date().toISOString(),
    commit: commit(),
    machine: { cpu: cpus()[0]?.model.trim() ?? 'unknown', node: process.version },
    options: { devices: deviceIds.length, areas: AREAS, rules: base.length, samples: options.BENCH_RULES_SAMPLES, passes: options.BENCH_RULES_PASSES },
    runs,
    /** Slowest against fastest run in place. */
    spreadPercent: Math.round(flat * 1000) / 10,
  };
  const rows = runs.map((r) => [
    r.evaluation,
    r.extraRules.toLocaleString('en'),
    r.rules.toLocaleString('en'),
    r.samplesPerSecond.toLocaleString('en'),
    String(r.candidatesPerSample),
    r.transitions.toLocaleString('en'),
  ]);
  console.log(table(['evaluation', 'extra rules', 'rules', 'samples/s', 'rules/sample', 'transitions'], rows));
  console.log(`spread between the runs in place: ${results.spreadPercent} %`);
  const file = resolve(REPO_ROOT, options.BENCH_RESULTS);
  return mkdir(dirname(file), { recursive: true }).then(() => appendFile(file, `${JSON.stringify(results)}\n`));
}

function commit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
