import type { BenchOptions } from './bench-options';
import type { BrokerCeiling, PostgresCeiling, WriterCeiling } from './ceilings';
import type { ConnectionsResult } from './connections-test';
import type { ModeResult } from './ingest-run';
import type { UsageReport } from './process-stats';
import { markdownTable, type MachineInfo, type RunHeader } from './run-kit';
import type { LagSummary } from './telemetry-probes';

export interface IngestMachine extends MachineInfo {
  mosquitto: string | null;
  aedes: string;
  mqttJs: string;
  /** CPU the machine spent, in percent of one core, in the 3 s before the bench started anything. */
  busyAtStartPercent: number;
}

export interface BenchResults extends RunHeader<Omit<BenchOptions, 'databaseUrl'>, IngestMachine> {
  modes: ModeResult[];
  ceilings: {
    mosquitto: BrokerCeiling | null;
    aedesIntake: BrokerCeiling | null;
    aedesSubscriber: BrokerCeiling | null;
    postgres: PostgresCeiling | null;
    writer: WriterCeiling | null;
  };
  connections: ConnectionsResult | null;
  errors: string[];
}

const lag = (l: LagSummary) => (l.count === 0 ? 'n/a' : `${l.p50Ms} / ${l.p99Ms}`);
const usage = (u: UsageReport | null): string => (u ? `${u.cpuPercent} % / ${u.rssEndMiB} MiB` : 'n/a');
const pct = (part: number, whole: number) => (whole > 0 ? `${Math.round((part / whole) * 100)} %` : 'n/a');

/** The figures as Markdown tables, ready for docs/benchmarks.md. */
export function formatResults(r: BenchResults): string {
  const out: string[] = [];
  const m = r.machine;
  out.push(
    `machine: ${m.cores} cores (${m.cpu}), ${m.memoryGiB} GiB, Node ${m.node}, PostgreSQL ${m.postgres} (${m.postgresSource}), ` +
      `Mosquitto ${m.mosquitto ?? 'n/a'}, aedes ${m.aedes}, mqtt.js ${m.mqttJs}; CPU busy before the start: ${m.busyAtStartPercent} %`,
  );
  const o = r.options;
  out.push(`commit ${r.commit ?? 'unknown'}, ${r.at}`);
  out.push(
    `settings: ${o.devices} devices, ${o.rate} messages/s offered (4 metrics each), QoS 1, warm-up ${o.warmupS} s, ` +
      `${o.durationS} s measured, ${o.threads} publisher threads` +
      (Object.keys(r.serverTuning).length ? `, server ${Object.entries(r.serverTuning).map(([k, v]) => `${k}=${v}`).join(' ')}` : ''),
  );
  if (r.modes.length > 0) {
    const rows: [string, (x: ModeResult) => string][] = [
      ['offered messages/s', (x) => String(x.offeredPerS)],
      ['acknowledged by the broker, messages/s', (x) => String(x.brokerAckedPerS)],
      ['accepted (stored) messages/s', (x) => String(x.acceptedPerS)],
      ['samples (rows) committed/s', (x) => String(x.rowsPerS)],
      ['rows/s per 5-s slice, min - max', (x) => `${Math.min(...x.rowsPerSSlices)} - ${Math.max(...x.rowsPerSSlices)}`],
      ['lag device -> row committed, p50 / p99 ms', (x) => lag(x.lagStored)],
      ['lag device -> socket.io, p50 / p99 ms', (x) => lag(x.lagSocket)],
      ['server CPU / RSS', (x) => usage(x.usage.server)],
      ['PostgreSQL CPU / private memory', (x) => usage(x.usage.postgres)],
      ['Mosquitto CPU / RSS', (x) => usage(x.usage.mosquitto)],
      ['load generator and probes (bench) CPU', (x) => `${x.usage.loadGenerator.cpuPercent} %`],
      ['whole machine CPU (100 % = 1 core)', (x) => `${x.usage.machineCpuPercent} %`],
      ['  of which other processes (not the bench)', (x) => `${x.usage.otherCpuPercent} %`],
      ['messages acknowledged, whole run', (x) => String(x.delivery.acked)],
      ['messages lost (acknowledged, not stored)', (x) => `${x.delivery.lostMessages}${x.delivery.drained ? '' : ' (not drained)'}`],
      ['drain after publishing stopped, s', (x) => String(x.delivery.drainS)],
      ['publisher turns skipped / late', (x) => `${x.delivery.skipped} / ${x.delivery.late}`],
    ];
    out.push(
      '',
      markdownTable(
        ['', ...r.modes.map((x) => `${x.mode} broker`)],
        rows.map(([label, f]) => [label, ...r.modes.map(f)]),
      ),
    );
  }
  const c = r.ceilings;
  const ratio = (ceiling: number, modes: ModeResult['mode'][], of: (x: ModeResult) => number) =>
    r.modes.filter((x) => modes.includes(x.mode)).map((x) => `${x.mode} ${pct(of(x), ceiling)}`).join(', ') || 'n/a';
  const rows: string[][] = [];
  const broker = (b: BrokerCeiling) =>
    `broker CPU ${b.brokerUsage.cpuPercent} %, load generator ${b.loadGeneratorUsage.cpuPercent} %`;
  if (c.mosquitto) {
    rows.push([
      'Mosquitto -> 1 subscriber, messages/s delivered',
      String(c.mosquitto.deliveredPerS),
      `taken in ${c.mosquitto.ackedPerS}/s; ${broker(c.mosquitto)}`,
      ratio(c.mosquitto.deliveredPerS ?? 0, ['external'], (x) => x.acceptedPerS),
    ]);
  }
  if (c.aedesIntake) {
    rows.push([
      'aedes, no subscriber, messages/s taken in',
      String(c.aedesIntake.ackedPerS),
      broker(c.aedesIntake),
      ratio(c.aedesIntake.ackedPerS, ['embedded'], (x) => x.acceptedPerS),
    ]);
  }
  if (c.aedesSubscriber) {
    rows.push([
      'aedes -> 1 subscriber, messages/s delivered',
      String(c.aedesSubscriber.deliveredPerS),
      `taken in ${c.aedesSubscriber.ackedPerS}/s; ${broker(c.aedesSubscriber)}`,
      'not the embedded path',
    ]);
  }
  if (c.postgres) {
    rows.push([
      `PostgreSQL plain insert, rows/s (batches of ${c.postgres.batchRows})`,
      String(c.postgres.rowsPerS),
      `PostgreSQL CPU ${c.postgres.postgresUsage?.cpuPercent ?? 'n/a'} %`,
      ratio(c.postgres.rowsPerS, ['embedded', 'external'], (x) => x.rowsPerS),
    ]);
  }
  if (c.writer) {
    rows.push([
      `the server's write statement, rows/s (batches of ${c.writer.batchRows})`,
      String(c.writer.rowsPerS),
      `PostgreSQL CPU ${c.writer.postgresUsage?.cpuPercent ?? 'n/a'} %`,
      ratio(c.writer.rowsPerS, ['embedded', 'external'], (x) => x.rowsPerS),
    ]);
  }
  if (rows.length > 0) out.push('', markdownTable(['ceiling on this machine', 'rate', 'notes', 'our accepted rate as a share of it'], rows));
  const k = r.connections;
  if (k) {
    out.push(
      '',
      markdownTable(
        ['connections test (embedded broker)', ''],
        [
          ['devices, each publishing every', `${k.devices}, ${k.intervalS} s`],
          ['connected / failed, time to connect', `${k.connected} / ${k.connectFailures}, ${k.connectS} s`],
          ['lost during the test / still connected at the end', `${k.disconnects} / ${k.stillConnected}`],
          ['messages/s acknowledged, rows/s stored', `${k.ackedPerS}, ${k.rowsPerS}`],
          ['messages lost', String(k.lostMessages)],
          ['server RSS before -> after', `${k.serverRssBeforeMiB} -> ${k.serverRssAfterMiB} MiB`],
          ['server RSS per connection', `${k.serverRssPerConnectionKiB} KiB`],
          ['server CPU, PostgreSQL CPU', `${k.server.cpuPercent} %, ${k.postgres?.cpuPercent ?? 'n/a'} %`],
        ],
      ),
    );
  }
  for (const e of r.errors) out.push(`error: ${e}`);
  return out.join('\n');
}
