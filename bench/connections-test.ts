import { sleep } from './child-processes';
import { cachedPids, METRICS_PER_MESSAGE, round, waitForRows } from './ingest-run';
import { deviceIds, provision, startServer, type BenchServer } from './ioc-server';
import type { PostgresTarget } from './postgres-target';
import { memory, UsageMeter, type UsageReport } from './process-stats';
import { PublisherPool } from './publisher-pool';
import { StoredProbe } from './telemetry-probes';

const INTERVAL_S = 10;

export interface ConnectionsResult {
  devices: number;
  intervalS: number;
  provisionS: number;
  connectS: number;
  connected: number;
  connectFailures: number;
  /** Connections lost during the test (the bench does not reconnect). */
  disconnects: number;
  stillConnected: number;
  windowS: number;
  ackedPerS: number;
  rowsPerS: number;
  lostMessages: number;
  serverRssBeforeMiB: number;
  serverRssAfterMiB: number;
  serverRssPerConnectionKiB: number;
  server: UsageReport;
  postgres: UsageReport | null;
  firstError: string | null;
}

/** M devices on the embedded broker, each publishing every 10 s: do they all stay, and what do they cost? */
export async function runConnectionsTest(
  devices: number,
  durationS: number,
  threads: number,
  pg: PostgresTarget,
): Promise<ConnectionsResult> {
  const log = (line: string) => process.stderr.write(`[connections] ${line}\n`);
  const db = await pg.createScratch('ioc_bench_conn');
  let server: BenchServer | null = null;
  let pool: PublisherPool | null = null;
  const stored = new StoredProbe(db.url);
  try {
    server = await startServer(db.url, undefined);
    const ids = deviceIds('conn', devices);
    let t = performance.now();
    const passwords = await provision(server, ids);
    const provisionS = round((performance.now() - t) / 1000, 1);
    log(`${devices} devices provisioned in ${provisionS} s`);
    await sleep(2000);
    const rssBefore = memory(server.child.pid)?.rss ?? 0;

    pool = new PublisherPool(server.embeddedMqttUrl!, ids.map((id) => ({ id, password: passwords.get(id)! })), threads);
    t = performance.now();
    const connected = await pool.connect();
    const connectS = round((performance.now() - t) / 1000, 1);
    log(`${connected.connected} of ${devices} connected in ${connectS} s${connected.firstError ? ` (first error: ${connected.firstError})` : ''}`);

    await pool.pace(devices / INTERVAL_S);
    const serverMeter = new UsageMeter(() => [server!.child.pid]);
    const pgPids = cachedPids(pg, db);
    const pgMeter = pg.local ? new UsageMeter(() => pgPids('server'), 'anon') : null;
    await Promise.all([serverMeter.start(), pgMeter?.start()]);
    const rowsBefore = await stored.count();
    const before = await pool.snapshot();
    const started = performance.now();
    const end = started + durationS * 1000;
    while (performance.now() < end) {
      await sleep(Math.min(1000, end - performance.now()));
      await Promise.all([serverMeter.sample(), pgMeter?.sample()]);
    }
    const after = await pool.snapshot();
    const rowsAfter = await stored.count();
    const windowS = (performance.now() - started) / 1000;
    const rssAfter = memory(server.child.pid)?.rss ?? 0;
    const usage = { server: await serverMeter.report(), postgres: (await pgMeter?.report()) ?? null };

    const halted = await pool.halt();
    const drain = await waitForRows(stored, halted.acked * METRICS_PER_MESSAGE, 30_000);
    const mib = (b: number) => round(b / 1048576, 1);
    return {
      devices,
      intervalS: INTERVAL_S,
      provisionS,
      connectS,
      connected: connected.connected,
      connectFailures: connected.connectFailures,
      disconnects: after.disconnects,
      stillConnected: after.connected,
      windowS: round(windowS, 1),
      ackedPerS: Math.round((after.acked - before.acked) / windowS),
      rowsPerS: Math.round((rowsAfter - rowsBefore) / windowS),
      lostMessages: Math.max(0, Math.round((halted.acked * METRICS_PER_MESSAGE - drain.rows) / METRICS_PER_MESSAGE)),
      serverRssBeforeMiB: mib(rssBefore),
      serverRssAfterMiB: mib(rssAfter),
      serverRssPerConnectionKiB: round((rssAfter - rssBefore) / devices / 1024, 1),
      ...usage,
      firstError: connected.firstError,
    };
  } finally {
    await stored.close();
    await pool?.close();
    await server?.stop();
    await db.drop();
  }
}
