import { execFileSync } from 'node:child_process';
import { appendFile, mkdir } from 'node:fs/promises';
import { cpus } from 'node:os';
import { dirname, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import {
  alertRuleSchema,
  DEFAULT_KIND_METRICS,
  DEVICE_KINDS,
  type AlertRuleDefinition,
  type AlertRuleDefinitionInput,
  type DeviceKind,
} from '@ioc/contracts';
import { evaluateRule, initialRuleState, RuleIndex, type DeviceFacts, type RuleState } from '@ioc/alerting';

/**
 * The pure alerting core alone, on one core: pre-generated samples of 100,000 devices through
 * RuleIndex and evaluateRule, with 10,000 rules of which each sample matches a handful; then the
 * same with extra rules that match nothing (other metrics, other devices), whose cost must stay flat.
 */
const OPTIONS = z.object({
  BENCH_RULES_DEVICES: z.coerce.number().int().min(1000).max(1_000_000).default(100_000),
  BENCH_RULES_SAMPLES: z.coerce.number().int().min(10_000).max(20_000_000).default(1_000_000),
  BENCH_RULES_PASSES: z.coerce.number().int().min(1).max(20).default(3),
  BENCH_RESULTS: z.string().min(1).default('bench/results/rules.jsonl'),
});

const REPO_ROOT = resolve(__dirname, '../../..');
const AREAS = 200;
const RULES = 10_000;
const EXTRA = [0, 10, 100_000];
const POLYGONS = 50;
const MESSAGES = { vi: '{device}: {metric} {value}{unit}', en: '{device}: {metric} {value}{unit}' };

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
  return rules.map((r, id) => ({ id, definition: alertRuleSchema.parse(r) }));
}

/** Rules no sample can match: half on metrics nobody sends, half on devices that do not exist. */
function makeExtra(count: number, first: number): BenchRule[] {
  return Array.from({ length: count }, (_, i) => {
    const [scope, metric]: [AlertRuleDefinitionInput['scope'], string] =
      i % 2 === 0 ? [{ type: 'all' }, `spare_metric_${i % 500}`] : [{ type: 'devices', deviceIds: [`ghost-${i}`] }, 'water_level'];
    const definition = alertRuleSchema.parse({
      name: `extra ${i}`,
      scope,
      conditions: [{ kind: 'threshold', metric, operator: '>', value: 50 }],
      messages: MESSAGES,
    });
    return { id: first + i, definition };
  });
}

interface Run {
  extraRules: number;
  rules: number;
  samplesPerSecond: number;
  /** Rules evaluated per sample, on average. */
  candidatesPerSample: number;
  transitions: number;
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

  // Samples as columns: device index, metric, value; time is one millisecond apart, continued across passes.
  // Each (device, metric) walks slowly around its own level, as readings do: a few cross a threshold.
  const n = options.BENCH_RULES_SAMPLES;
  const sampleDevice = new Int32Array(n);
  const sampleMetric: string[] = new Array<string>(n);
  const sampleValue = new Float64Array(n);
  const levels = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const d = Math.floor(rand() * deviceIds.length);
    const metrics = DEFAULT_KIND_METRICS[facts.get(deviceIds[d])!.kind];
    const metric = metrics[Math.floor(rand() * metrics.length)];
    const key = `${d}/${metric}`;
    const level = Math.min(100, Math.max(0, (levels.get(key) ?? 20 + rand() * 60) + (rand() - 0.5) * 4));
    levels.set(key, level);
    sampleDevice[i] = d;
    sampleMetric[i] = metric;
    sampleValue[i] = Math.round(level * 10) / 10;
  }

  const runs: Run[] = [];
  for (const extraCount of EXTRA) {
    const rules = [...base, ...makeExtra(extraCount, base.length)];
    const index = new RuleIndex(rules, (id) => facts.get(id));
    const states = new Map<string, Map<BenchRule, RuleState>>();
    let time = Date.UTC(2025, 6, 1);
    let candidates = 0;
    let transitions = 0;
    const pass = () => {
      for (let i = 0; i < n; i++) {
        const deviceId = deviceIds[sampleDevice[i]];
        const input = { type: 'sample' as const, metric: sampleMetric[i], value: sampleValue[i], time: time++ };
        const found = index.candidates(deviceId, input.metric);
        if (found.length === 0) continue;
        let perDevice = states.get(deviceId);
        if (!perDevice) states.set(deviceId, (perDevice = new Map()));
        candidates += found.length;
        for (const rule of found) {
          const state = perDevice.get(rule) ?? initialRuleState(rule.definition, input.time);
          const result = evaluateRule(rule.definition, state, input);
          if (result.state !== state) perDevice.set(rule, result.state);
          transitions += result.transitions.length;
        }
      }
    };
    // The first pass fills the index's per-device answers and every state.
    pass();
    const rates: number[] = [];
    candidates = 0;
    transitions = 0;
    for (let p = 0; p < options.BENCH_RULES_PASSES; p++) {
      const started = performance.now();
      pass();
      rates.push(n / ((performance.now() - started) / 1000));
    }
    const samples = n * options.BENCH_RULES_PASSES;
    runs.push({
      extraRules: extraCount,
      rules: rules.length,
      samplesPerSecond: Math.round(rates.sort((a, b) => a - b)[Math.floor(rates.length / 2)]),
      candidatesPerSample: Math.round((candidates / samples) * 100) / 100,
      transitions,
    });
    console.log(`[rules] ${rules.length} rules: ${runs.at(-1)!.samplesPerSecond.toLocaleString('en')} samples/s`);
  }

  const flat = Math.max(...runs.map((r) => r.samplesPerSecond)) / Math.min(...runs.map((r) => r.samplesPerSecond)) - 1;
  const results = {
    at: new Date().toISOString(),
    commit: commit(),
    machine: { cpu: cpus()[0]?.model.trim() ?? 'unknown', node: process.version },
    options: { devices: deviceIds.length, areas: AREAS, rules: base.length, samples: n, passes: options.BENCH_RULES_PASSES },
    runs,
    /** Slowest against fastest run. */
    spreadPercent: Math.round(flat * 1000) / 10,
  };
  const rows = runs.map((r) =>
    [r.extraRules.toLocaleString('en'), r.rules.toLocaleString('en'), r.samplesPerSecond.toLocaleString('en'), String(r.candidatesPerSample), r.transitions.toLocaleString('en')],
  );
  console.log(table(['extra rules', 'rules', 'samples/s', 'rules/sample', 'transitions'], rows));
  console.log(`spread between runs: ${results.spreadPercent} %`);
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
