import type { HealthDto } from '@ioc/contracts';
import type { BenchMode, BenchOptions } from './bench-options';
import { sleep } from './child-processes';
import { deviceIds, provision, startServer, type BenchServer } from './ioc-server';
import type { MosquittoBroker } from './mosquitto-broker';
import type { PostgresTarget, ScratchDatabase } from './postgres-target';
import { MachineMeter, UsageMeter, type UsageReport } from './process-stats';
import { PublisherPool } from './publisher-pool';
import type { PublisherCounters } from './publisher-protocol';
import { SocketProbe, StoredProbe, type LagSummary } from './telemetry-probes';

export const METRICS_PER_MESSAGE = 4;
const LAG_DEVICES = 100;
const COUNT_EVERY_MS = 5000;

export interface ModeResult {
  mode: BenchMode;
  devices: number;
  provisionS: number;
  connectS: number;
  windowS: number;
  /** Messages per second handed to the MQTT clients. */
  offeredPerS: number;
  /** Acknowledged by the broker (PUBACK). */
  brokerAckedPerS: number;
  /** Telemetry rows committed per second in the window, and the messages they make (4 rows each). */
  rowsPerS: number;
  acceptedPerS: number;
  /** Rows per second over each 5-s slice of the window: how steady. */
  rowsPerSSlices: number[];
  lagStored: LagSummary;
  lagSocket: LagSummary;
  socketUpdates: number;
  socketLost: string | null;
  usage: {
    server: UsageReport;
    postgres: UsageReport | null;
    mosquitto: UsageReport | null;
    loadGenerator: UsageReport;
    /** The whole machine, percent of one core. */
    machineCpuPercent: number;
    /** What the machine spent outside the processes above: other work sharing the cores. */
    otherCpuPercent: number;
  };
  /** Over the whole run, warm-up included, after the drain. */
  delivery: {
    sent: number;
    acked: number;
    rows: number;
    expectedRows: number;
    lostMessages: number;
    drained: boolean;
    drainS: number;
    skipped: number;
    late: number;
    failed: number;
    disconnects: number;
  };
  serverIngest: HealthDto['ingest'];
}

/** One mode: fresh database and server, N devices provisioned and publishing at the rate, measured. */
export async function runIngest(
  mode: BenchMode,
  options: BenchOptions,
  pg: PostgresTarget,
  mosquitto: MosquittoBroker | null,
  cores: number,
  /** Called once the run is over and drained, with its database and the idle server still there. */
  afterRun?: (db: ScratchDatabase) => Promise<void>,
): Promise<ModeResult> {
  const log = (line: string) => process.stderr.write(`[${mode}] ${line}\n`);
  const db = await pg.createScratch('ioc_bench');
  let server: BenchServer | null = null;
  let pool: PublisherPool | null = null;
  let stored: StoredProbe | null = null;
  let socket: SocketProbe | null = null;
  try {
    if (mode === 'external' && !mosquitto) throw new Error('external mode needs the bench Mosquitto');
    server = await startServer(db.url, mode === 'external' ? mosquitto!.url : undefined, options.serverNodeArgs);
    log(`server at ${server.baseUrl} (pid ${server.child.pid}), database ${db.name}`);

    const ids = deviceIds('bench', options.devices);
    let t = performance.now();
    const passwords = await provision(server, ids);
    const provisionS = seconds(t);
    log(`${ids.length} devices provisioned in ${provisionS} s`);

    // The external broker has no accounts; the server's access rules apply to the embedded one.
    const brokerUrl = mode === 'embedded' ? server.embeddedMqttUrl! : mosquitto!.url;
    pool = new PublisherPool(brokerUrl, ids.map((id) => (mode === 'embedded' ? { id, password: passwords.get(id)! } : { id })), options.threads);
    t = performance.now();
    const connected = await pool.connect();
    const connectS = seconds(t);
    if (connected.connected < ids.length) {
      throw new Error(`${connected.connected} of ${ids.length} devices connected (${connected.firstError ?? 'no error given'})`);
    }
    log(`${ids.length} devices connected to ${brokerUrl} in ${connectS} s`);

    stored = new StoredProbe(db.url);
    await stored.start(ids.slice(0, LAG_DEVICES), 'pm25');
    socket = await SocketProbe.connect(server.baseUrl, server.token);

    await pool.pace(options.rate);
    log(`publishing ${options.rate} messages/s; warm-up ${options.warmupS} s, then ${options.durationS} s measured`);
    await sleep(options.warmupS * 1000);

    const pgPids = cachedPids(pg, db);
    const meters = {
      server: new UsageMeter(() => [server!.child.pid]),
      postgres: pg.local ? new UsageMeter(() => pgPids('server'), 'anon') : null,
      mosquitto: mosquitto && mode === 'external' ? new UsageMeter(() => [mosquitto.child.pid]) : null,
      // The publishers, the probes, and the PostgreSQL backends answering the probes.
      loadGenerator: new UsageMeter(async () => [process.pid, ...(pg.local ? await pgPids('bench') : [])]),
    };
    const running = Object.values(meters).filter((m) => m !== null);
    const machine = new MachineMeter();
    const from = Date.now();
    stored.window = { from, to: Infinity };
    socket.window = { from, to: Infinity };
    const before = await pool.snapshot();
    const rowsBefore = await stored.count();
    await Promise.all(running.map((m) => m.start()));
    machine.reset();
    const windowStart = performance.now();

    const slices: number[] = [];
    let lastCount = { rows: rowsBefore, at: windowStart };
    let nextCount = windowStart + COUNT_EVERY_MS;
    const windowEnd = windowStart + options.durationS * 1000;
    while (performance.now() < windowEnd) {
      await sleep(Math.min(1000, windowEnd - performance.now()));
      await Promise.all(running.map((m) => m.sample()));
      if (performance.now() >= nextCount && performance.now() < windowEnd - 1000) {
        const rows = await stored.count();
        const at = performance.now();
        slices.push(Math.round((rows - lastCount.rows) / ((at - lastCount.at) / 1000)));
        lastCount = { rows, at };
        nextCount += COUNT_EVERY_MS;
      }
    }
    const to = Date.now();
    stored.window = { from, to };
    socket.window = { from, to };
    const after = await pool.snapshot();
    const rowsAfter = await stored.count();
    const windowS = (performance.now() - windowStart) / 1000;
    const machineCpuPercent = machine.report(cores);
    const measured = {
      server: await meters.server.report(),
      postgres: (await meters.postgres?.report()) ?? null,
      mosquitto: (await meters.mosquitto?.report()) ?? null,
      loadGenerator: await meters.loadGenerator.report(),
    };
    const ours = Object.values(measured).reduce((sum, u) => sum + (u?.cpuPercent ?? 0), 0);
    const usage = { ...measured, machineCpuPercent, otherCpuPercent: round(Math.max(0, machineCpuPercent - ours), 1) };
    slices.push(Math.round((rowsAfter - lastCount.rows) / ((performance.now() - lastCount.at) / 1000)));

    const halted = await pool.halt();
    log(`stopped publishing; waiting up to ${options.drainTimeoutS} s for the rows of ${halted.acked} acknowledged messages`);
    t = performance.now();
    const expectedRows = halted.acked * METRICS_PER_MESSAGE;
    const drain = await waitForRows(stored, expectedRows, options.drainTimeoutS * 1000);
    const drainS = seconds(t);
    const lagStored = await stored.stop();
    const lagSocket = socket.close();
    // A server still busy with a backlog may not answer in time; its counters are only a cross-check.
    const health = await server.health().catch((err: Error) => {
      log(`no health answer: ${err.message}`);
      return null;
    });
    await afterRun?.(db);

    return {
      mode,
      devices: ids.length,
      provisionS,
      connectS,
      windowS: round(windowS, 1),
      offeredPerS: Math.round((after.sent - before.sent) / windowS),
      brokerAckedPerS: Math.round((after.acked - before.acked) / windowS),
      rowsPerS: Math.round((rowsAfter - rowsBefore) / windowS),
      acceptedPerS: Math.round((rowsAfter - rowsBefore) / windowS / METRICS_PER_MESSAGE),
      rowsPerSSlices: slices,
      lagStored,
      lagSocket,
      socketUpdates: socket.updates,
      socketLost: socket.lostReason,
      usage,
      delivery: deliveryOf(halted, drain.rows, expectedRows, drain.complete, drainS),
      serverIngest: health?.ingest ?? null,
    };
  } finally {
    // Also the way out after a failure; closing twice is harmless.
    socket?.close();
    await stored?.stop().catch(() => undefined);
    await stored?.close();
    await pool?.close();
    await server?.stop();
    await db.drop();
  }
}

function deliveryOf(c: PublisherCounters, rows: number, expectedRows: number, drained: boolean, drainS: number): ModeResult['delivery'] {
  return {
    sent: c.sent,
    acked: c.acked,
    rows,
    expectedRows,
    lostMessages: Math.max(0, Math.round((expectedRows - rows) / METRICS_PER_MESSAGE)),
    drained,
    drainS,
    skipped: c.skipped,
    late: c.late,
    failed: c.failed,
    disconnects: c.disconnects,
  };
}

/**
 * Waits until the table holds the expected rows, or stops growing for 10 s, or the time is up:
 * whichever comes first.
 */
export async function waitForRows(
  stored: StoredProbe,
  expected: number,
  timeoutMs: number,
): Promise<{ rows: number; complete: boolean }> {
  const deadline = Date.now() + timeoutMs;
  let rows = await stored.count();
  let still = 0;
  while (rows < expected && Date.now() < deadline && still < 10) {
    await sleep(1000);
    const now = await stored.count();
    still = now === rows ? still + 1 : 0;
    rows = now;
  }
  return { rows, complete: rows >= expected };
}

/** PostgreSQL's processes for this database, asked again every 5 s (backends come and go). */
export function cachedPids(pg: PostgresTarget, db: ScratchDatabase): (who: 'server' | 'bench') => Promise<number[]> {
  let pids = { server: [] as number[], bench: [] as number[] };
  let at = 0;
  return async (who) => {
    if (Date.now() - at > 5000) {
      pids = await pg.pids(db.name);
      at = Date.now();
    }
    return pids[who];
  };
}

function seconds(since: number): number {
  return round((performance.now() - since) / 1000, 1);
}

export function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
