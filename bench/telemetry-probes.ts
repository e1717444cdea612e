import { Pool } from 'pg';
import { io, type Socket } from 'socket.io-client';
import { SOCKET_PATH, type ClientToServerEvents, type ServerToClientEvents, type SocketAuth } from '@ioc/contracts';
import { sleep } from './child-processes';
import { BENCH_APPLICATION_NAME } from './postgres-target';

export interface LagSummary {
  count: number;
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
}

export function summarize(values: readonly number[]): LagSummary {
  if (values.length === 0) return { count: 0, p50Ms: null, p99Ms: null, maxMs: null };
  const sorted = Float64Array.from(values).sort();
  const at = (p: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]);
  return { count: sorted.length, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: Math.round(sorted[sorted.length - 1]) };
}

/** Device timestamps (epoch ms) whose lag counts: those sent inside the measurement window. */
export interface Window {
  from: number;
  to: number;
}

/**
 * Watches the `telemetry` table. Lag: every POLL_MS it reads the rows of a subset of devices
 * (one metric, one row per message) newer than what it saw of each device, through the primary
 * key; a row became visible between the previous read and this one, so its commit time is taken
 * as the middle of the two (error at most half the interval plus the query time).
 */
export class StoredProbe {
  private readonly pool: Pool;
  private readonly lags: number[] = [];
  private polling = false;
  private loop: Promise<void> = Promise.resolve();
  private failure: Error | null = null;
  window: Window = { from: Infinity, to: -Infinity };
  readonly pollMs = 50;

  constructor(url: string) {
    // No parallel workers: the bench's counts should not take both cores in bursts.
    this.pool = new Pool({
      connectionString: url,
      max: 2,
      application_name: BENCH_APPLICATION_NAME,
      options: '-c max_parallel_workers_per_gather=0',
    });
    // An idle connection ended by the database (its scratch database dropped on Ctrl+C) is not a crash.
    this.pool.on('error', () => undefined);
  }

  async count(): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>('SELECT count(*) AS n FROM telemetry');
    return Number(rows[0].n);
  }

  /** Starts following these devices' `metric` rows. */
  async start(deviceIds: string[], metric: string): Promise<void> {
    const keys = await this.pool.query<{ key: number }>('SELECT key FROM devices WHERE id = ANY($1)', [deviceIds]);
    const metricRow = await this.pool.query<{ id: number }>('SELECT id FROM metrics WHERE name = $1', [metric]);
    if (metricRow.rows.length === 0) throw new Error(`metric ${metric} is not in the metrics table`);
    const metricId = metricRow.rows[0].id;
    const seen = new Map<number, Date>(keys.rows.map((r) => [r.key, new Date(0)]));
    this.polling = true;
    const follow = async () => {
      let previous = Date.now();
      while (this.polling) {
        const readAt = Date.now();
        const { rows } = await this.pool.query<{ device_key: number; time: Date }>(
          `SELECT w.key AS device_key, t.time
             FROM unnest($1::int[], $2::timestamptz[]) AS w(key, since)
             JOIN telemetry t ON t.device_key = w.key AND t.metric_id = $3 AND t.time > w.since`,
          [[...seen.keys()], [...seen.values()], metricId],
        );
        const committedAt = (previous + readAt) / 2;
        for (const row of rows) {
          const ts = row.time.getTime();
          if (ts > seen.get(row.device_key)!.getTime()) seen.set(row.device_key, row.time);
          if (ts >= this.window.from && ts <= this.window.to) this.lags.push(committedAt - ts);
        }
        previous = readAt;
        await sleep(Math.max(0, this.pollMs - (Date.now() - readAt)));
      }
    };
    // Kept and rethrown by stop(): a rejection nobody awaits yet would end the process.
    this.loop = follow().catch((err: Error) => {
      this.failure = err;
    });
  }

  async stop(): Promise<LagSummary> {
    this.polling = false;
    await this.loop;
    if (this.failure) throw new Error(`reading telemetry lag: ${this.failure.message}`);
    return summarize(this.lags);
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}

type ConsoleSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** A console's view: lag from a device's timestamp to the `telemetry:batch` that carries it. */
export class SocketProbe {
  private readonly lags: number[] = [];
  private disconnected: string | null = null;
  updates = 0;
  window: Window = { from: Infinity, to: -Infinity };

  private constructor(private readonly socket: ConsoleSocket) {
    socket.on('telemetry:batch', (updates) => {
      const now = Date.now();
      this.updates += updates.length;
      for (const u of updates) {
        const ts = Date.parse(u.ts);
        if (ts >= this.window.from && ts <= this.window.to) this.lags.push(now - ts);
      }
    });
    socket.on('disconnect', (reason) => {
      this.disconnected = reason;
    });
  }

  static connect(baseUrl: string, token: string): Promise<SocketProbe> {
    const socket: ConsoleSocket = io(baseUrl, {
      path: SOCKET_PATH,
      transports: ['websocket'],
      reconnection: false,
      auth: { token } satisfies SocketAuth,
    });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('socket.io: no connection within 10 s')), 10_000);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(new SocketProbe(socket));
      });
      socket.once('connect_error', (err) => {
        clearTimeout(timer);
        reject(new Error(`socket.io: ${err.message}`));
      });
    });
  }

  /** Why the socket closed during the run, if it did. */
  get lostReason(): string | null {
    return this.disconnected;
  }

  close(): LagSummary {
    this.socket.close();
    return summarize(this.lags);
  }
}
