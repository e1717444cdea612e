import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer, type Socket } from 'node:net';
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import {
  WEBHOOK_HEADERS,
  type AcknowledgeIncident,
  type CreateIncident,
  type CreateWebhookInput,
  type IncidentDetailDto,
  type ResolveIncident,
  type WebhookDeliveryStatus,
  type WebhookEvent,
  type WebhookFormat,
  type WebhookWithSecretDto,
} from '@ioc/contracts';
import { distribution, type Distribution } from './alerting-runs';
import { sleep } from './child-processes';
import { cachedPids, METRICS_PER_MESSAGE, round, waitForRows } from './ingest-run';
import { deviceIds, provision, startServer, type BenchServer } from './ioc-server';
import { Api, OPERATOR } from './operations-room';
import { dropAllScratches, openPostgresTarget, withClient, type PostgresTarget, type ScratchDatabase } from './postgres-target';
import { MachineMeter, UsageMeter, type UsageReport } from './process-stats';
import { PublisherPool } from './publisher-pool';
import { StoredProbe, type LagSummary } from './telemetry-probes';
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
 * Webhooks out of the built server: (1) how many deliveries a second a receiver that answers at
 * once gets, and how late; (2) the ingest load stored beside a receiver that answers only after
 * the server's timeout, and beside one that never answers, against the same load with none.
 */
const PARTS = ['delivery', 'ingest'] as const;
type Part = (typeof PARTS)[number];
/** The receiver of the ingest part's subscription: none at all, one answering late, one never answering. */
const CASES = ['none', 'slow', 'dead'] as const;
type Case = (typeof CASES)[number];

const number = (what: string) => z.coerce.number({ error: `must be ${what}` });
const wholeSeconds = (min: number, max: number, fallback: number) => number('a number of seconds').int().min(min).max(max).default(fallback);
const list = <T extends readonly [string, ...string[]]>(env: string, values: T) => ({
  env,
  schema: z
    .string()
    .default(values.join(','))
    .transform((s) => s.split(',').map((p) => p.trim()))
    .pipe(z.array(z.enum(values, { error: `each must be one of ${values.join(', ')}` })).min(1)),
});

/** Each option: its flag, its environment variable, its rule. */
const OPTIONS = {
  parts: list('BENCH_OUTBOX_PARTS', PARTS),
  subscriptions: { env: 'BENCH_OUTBOX_SUBSCRIPTIONS', schema: number('a number').int().min(1).max(50).default(4) },
  incidents: { env: 'BENCH_OUTBOX_INCIDENTS', schema: number('a number').int().min(1).max(100_000).default(2000) },
  lanes: { env: 'BENCH_OUTBOX_LANES', schema: number('a number').int().min(1).max(64).default(8) },
  cases: list('BENCH_OUTBOX_CASES', CASES),
  devices: { env: 'BENCH_DEVICES', schema: number('a number').int().min(1).max(50_000).default(1000) },
  rate: { env: 'BENCH_RATE', schema: number('a number').positive('must be above 0').max(200_000).default(10_000) },
  threads: { env: 'BENCH_THREADS', schema: number('a number').int().min(1).max(16).default(2) },
  warmup: { env: 'BENCH_WARMUP', schema: wholeSeconds(0, 300, 5) },
  duration: { env: 'BENCH_DURATION', schema: wholeSeconds(5, 3600, 60) },
  changes: { env: 'BENCH_OUTBOX_CHANGES_PER_S', schema: number('a number').min(0).max(100).default(5) },
  'slow-answer': { env: 'BENCH_OUTBOX_SLOW_ANSWER', schema: number('a number of seconds').positive().max(600).default(10) },
  'drain-timeout': { env: 'BENCH_DRAIN_TIMEOUT', schema: wholeSeconds(5, 3600, 900) },
  results: { env: 'BENCH_RESULTS', schema: z.string().min(1).default('bench/results/outbox.jsonl') },
} as const;

const BUSY_PERCENT = 20;
/** Devices whose rows the lag probe follows, as bench:ingest does. */
const LAG_DEVICES = 100;
const SLICE_MS = 5000;
/** No new delivery for this long: the rest is not coming. */
const STALL_MS = 30_000;
/** Incidents are opened around Mỹ Tho, inside the pilot's areas. */
const MY_THO = { lat: 10.36, lng: 106.36 };

interface Options {
  parts: Part[];
  subscriptions: number;
  incidents: number;
  /** API requests at once while the delivery part makes its changes. */
  lanes: number;
  cases: Case[];
  devices: number;
  rate: number;
  threads: number;
  warmupS: number;
  durationS: number;
  /** Incident changes a second beside the ingest load. */
  changesPerS: number;
  slowAnswerS: number;
  drainTimeoutS: number;
  resultsFile: string;
  databaseUrl: string | undefined;
}

/** Flags win over environment variables. A string instead: the usage, or every bad value named. */
function loadOptions(argv: string[], env: NodeJS.ProcessEnv): Options | string {
  const loaded = loadLoadOptions('bench:outbox', OPTIONS, argv, env);
  if (typeof loaded === 'string') return loaded;
  const { values: o, databaseUrl } = loaded;
  return {
    parts: [...new Set(o.parts)],
    subscriptions: o.subscriptions,
    incidents: o.incidents,
    lanes: o.lanes,
    cases: [...new Set(o.cases)],
    devices: o.devices,
    rate: o.rate,
    threads: o.threads,
    warmupS: o.warmup,
    durationS: o.duration,
    changesPerS: o.changes,
    slowAnswerS: o['slow-answer'],
    drainTimeoutS: o['drain-timeout'],
    resultsFile: o.results,
    databaseUrl,
  };
}

/** A receiver of the bench's own, on a free loopback port. */
interface Receiver {
  url: string;
  /** Requests (or, for one that speaks no HTTP, connections) it got. */
  requests: number;
  close(): Promise<void>;
}

function listening(server: HttpServer | TcpServer): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
  });
}

const closed = (server: HttpServer | TcpServer) => new Promise<void>((resolve) => server.close(() => resolve()));

/** Answers 200 as soon as the body is in, and keeps when each delivery first arrived (Date.now()). */
class PromptReceiver implements Receiver {
  readonly firstAt = new Map<number, number>();
  requests = 0;
  /** The same delivery again: delivery is at least once. */
  repeats = 0;
  /** When the newest delivery (not a repeat) arrived. */
  lastAt = 0;

  private constructor(
    private readonly server: HttpServer,
    readonly url: string,
  ) {}

  static async start(): Promise<PromptReceiver> {
    const server = createHttpServer();
    const receiver = new PromptReceiver(server, await listening(server));
    server.on('request', (req, res) => {
      const at = Date.now();
      const id = Number(req.headers[WEBHOOK_HEADERS.delivery]);
      receiver.requests++;
      if (receiver.firstAt.has(id)) receiver.repeats++;
      else {
        receiver.firstAt.set(id, at);
        receiver.lastAt = at;
      }
      req.resume();
      req.on('end', () => res.writeHead(200).end());
    });
    return receiver;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await closed(this.server);
  }
}

/** Reads each request and answers 200 only after a delay; the server may have given up by then. */
class SlowReceiver implements Receiver {
  requests = 0;
  answered = 0;
  private readonly timers = new Set<NodeJS.Timeout>();

  private constructor(
    private readonly server: HttpServer,
    readonly url: string,
  ) {}

  static async start(delayMs: number): Promise<SlowReceiver> {
    const server = createHttpServer();
    const receiver = new SlowReceiver(server, await listening(server));
    server.on('request', (req, res) => {
      receiver.requests++;
      req.resume();
      // Closed before the answer: the server gave up waiting.
      let gone = false;
      res.on('close', () => {
        gone = true;
      });
      const timer = setTimeout(() => {
        receiver.timers.delete(timer);
        if (gone) return;
        receiver.answered++;
        res.writeHead(200).end();
      }, delayMs);
      receiver.timers.add(timer);
    });
    return receiver;
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.server.closeAllConnections();
    await closed(this.server);
  }
}

/** Accepts the connection, reads what comes, and never writes a byte back. */
class DeadReceiver implements Receiver {
  requests = 0;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: TcpServer,
    readonly url: string,
  ) {}

  static async start(): Promise<DeadReceiver> {
    const server = createTcpServer();
    const receiver = new DeadReceiver(server, await listening(server));
    server.on('connection', (socket) => {
      receiver.requests++;
      receiver.sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => receiver.sockets.delete(socket));
      socket.resume();
    });
    return receiver;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await closed(this.server);
  }
}

/** Subscribes a receiver to every incident event, as the administrator. */
function subscribe(admin: Api, name: string, url: string, format: WebhookFormat): Promise<WebhookWithSecretDto> {
  const input: CreateWebhookInput = { name, url, format, routingKey: format === 'pagerduty' ? 'bench-routing-key' : null };
  return admin.request<WebhookWithSecretDto>('POST', '/api/webhooks', input);
}

/**
 * Incident changes through the API as the operator. Each answer's time is kept: the change is
 * committed before the API answers, so a delivery's lag is counted from it.
 */
class IncidentChanges {
  private readonly answeredAt = new Map<string, number>();
  private readonly took: number[] = [];
  firstAt: number | null = null;
  lastAt: number | null = null;

  constructor(private readonly operator: Api) {}

  get made(): number {
    return this.took.length;
  }

  /** Opens incident n (its place spread around Mỹ Tho) and answers its id. */
  async open(n: number): Promise<number> {
    const body: CreateIncident = {
      title: `Bench: ngập đường số ${n}`,
      severity: 'warning',
      category: 'flooding',
      location: { lat: round(MY_THO.lat + ((n % 50) - 25) * 0.0004, 6), lng: round(MY_THO.lng + ((n % 37) - 18) * 0.0004, 6) },
    };
    const incident = await this.timed('trigger', () => this.operator.request<IncidentDetailDto>('POST', '/api/incidents', body));
    return incident.id;
  }

  async acknowledge(id: number): Promise<void> {
    const body: AcknowledgeIncident = {};
    await this.timed('acknowledge', () => this.operator.request<IncidentDetailDto>('POST', `/api/incidents/${id}/acknowledge`, body));
  }

  async resolve(id: number): Promise<void> {
    const body: ResolveIncident = { note: 'Nước đã rút' };
    await this.timed('resolve', () => this.operator.request<IncidentDetailDto>('POST', `/api/incidents/${id}/resolve`, body));
  }

  /** When the API answered that change; undefined if the bench did not make it. */
  answered(incidentId: number, event: WebhookEvent): number | undefined {
    return this.answeredAt.get(`${incidentId}:${event}`);
  }

  latency(): Distribution {
    return distribution(this.took);
  }

  private async timed(event: WebhookEvent, call: () => Promise<IncidentDetailDto>): Promise<IncidentDetailDto> {
    const sent = Date.now();
    this.firstAt ??= sent;
    const incident = await call();
    const at = Date.now();
    this.took.push(at - sent);
    this.answeredAt.set(`${incident.id}:${event}`, at);
    this.lastAt = Math.max(this.lastAt ?? 0, at);
    return incident;
  }
}

/**
 * Incidents under way at most beside the load; a start beyond it is skipped (counted). A few, as
 * an operations room has: once the API slows, more would only queue for the server's database
 * pool, which the ingest writer needs too.
 */
const MAX_UNDER_WAY = 5;

interface Mover {
  /** Waits for the incidents under way (each call is bounded by the API client's timeout). */
  stop(): Promise<{ skipped: number; failed: number; firstError: string | null }>;
}

/**
 * Beside the load: an incident opened every 3/perS s, then acknowledged and resolved, each change
 * as soon as the one before is answered. Incidents overlap, so the changes keep their pace while
 * the API is slow; an incident whose change fails is left where it is.
 */
function moveIncidents(changes: IncidentChanges, perS: number): Mover {
  const underWay = new Set<Promise<void>>();
  let skipped = 0;
  let failed = 0;
  let firstError: string | null = null;
  const life = async (n: number) => {
    try {
      const id = await changes.open(n);
      await changes.acknowledge(id);
      await changes.resolve(id);
    } catch (err) {
      failed++;
      firstError ??= (err as Error).message;
    }
  };
  let n = 0;
  const timer =
    perS > 0
      ? setInterval(() => {
          if (underWay.size >= MAX_UNDER_WAY) {
            skipped++;
            return;
          }
          const incident = life(n++).finally(() => underWay.delete(incident));
          underWay.add(incident);
        }, 3000 / perS)
      : null;
  return {
    stop: async () => {
      if (timer) clearInterval(timer);
      await Promise.all(underWay);
      return { skipped, failed, firstError };
    },
  };
}

/** The server's, PostgreSQL's and the bench's own CPU over a window, and the whole machine's. */
interface Usage {
  server: UsageReport;
  postgres: UsageReport | null;
  bench: UsageReport;
  machineCpuPercent: number;
  /** What the machine spent outside those three: other work sharing the cores. */
  otherCpuPercent: number;
}

/** Meters started now and sampled every second until `report`. */
async function meterUsage(pg: PostgresTarget, db: ScratchDatabase, server: BenchServer, cores: number): Promise<{ report(): Promise<Usage> }> {
  const pgPids = cachedPids(pg, db);
  const meters = {
    server: new UsageMeter(() => [server.child.pid]),
    postgres: pg.local ? new UsageMeter(() => pgPids('server'), 'anon') : null,
    // The publishers, the receivers, the API client, and the PostgreSQL backends answering the bench.
    bench: new UsageMeter(async () => [process.pid, ...(pg.local ? await pgPids('bench') : [])]),
  };
  const running = [meters.server, meters.bench, ...(meters.postgres ? [meters.postgres] : [])];
  await Promise.all(running.map((m) => m.start()));
  const machine = new MachineMeter();
  // A sample that fails (a backend gone) only leaves that second out.
  const timer = setInterval(() => void Promise.all(running.map((m) => m.sample())).catch(() => undefined), 1000);
  return {
    report: async () => {
      clearInterval(timer);
      const machineCpuPercent = machine.report(cores);
      const server = await meters.server.report();
      const postgres = (await meters.postgres?.report()) ?? null;
      const bench = await meters.bench.report();
      const ours = server.cpuPercent + (postgres?.cpuPercent ?? 0) + bench.cpuPercent;
      return { server, postgres, bench, machineCpuPercent, otherCpuPercent: round(Math.max(0, machineCpuPercent - ours), 1) };
    },
  };
}

interface Stage {
  server: BenchServer;
  db: ScratchDatabase;
  admin: Api;
  changes: IncidentChanges;
  log: (line: string) => void;
}

/** A fresh database and server, the administrator's and the operator's API; all gone afterwards. */
async function onFreshServer<T>(pg: PostgresTarget, part: string, work: (stage: Stage) => Promise<T>): Promise<T> {
  const log = (line: string) => process.stderr.write(`[${part}] ${line}\n`);
  const db = await pg.createScratch('ioc_bench_outbox');
  let server: BenchServer | null = null;
  try {
    server = await startServer(db.url, undefined);
    log(`server at ${server.baseUrl} (pid ${server.child.pid}), database ${db.name}`);
    const changes = new IncidentChanges(await Api.login(server.baseUrl, OPERATOR));
    return await work({ server, db, admin: new Api(server.baseUrl, server.token), changes, log });
  } finally {
    await server?.stop();
    await db.drop();
  }
}

interface DeliveryRow {
  id: number;
  subscriptionId: number;
  incidentId: number;
  event: WebhookEvent;
  status: WebhookDeliveryStatus;
  attempts: number;
}

function outboxRows(db: ScratchDatabase): Promise<DeliveryRow[]> {
  return withClient(db.url, async (c) => {
    const { rows } = await c.query<{ id: string; subscription_id: string; incident_id: string; event: WebhookEvent; status: WebhookDeliveryStatus; attempts: number }>(
      'SELECT id, subscription_id, incident_id, event, status, attempts FROM webhook_deliveries',
    );
    return rows.map((r) => ({
      id: Number(r.id),
      subscriptionId: Number(r.subscription_id),
      incidentId: Number(r.incident_id),
      event: r.event,
      status: r.status,
      attempts: r.attempts,
    }));
  });
}

/** Deliveries of a subscription by status. */
type Depth = Record<WebhookDeliveryStatus, number>;

function depthOf(rows: readonly DeliveryRow[], subscriptionId: number): Depth {
  const depth: Depth = { pending: 0, delivered: 0, dead: 0 };
  for (const r of rows) if (r.subscriptionId === subscriptionId) depth[r.status]++;
  return depth;
}

/** Events per second in each whole 5-s slice from `from` to `to` (the last, partial one left out). */
function perSlice(times: readonly number[], from: number, to: number): number[] {
  const counts = new Array<number>(Math.max(0, Math.floor((to - from) / SLICE_MS))).fill(0);
  for (const t of times) {
    const i = Math.floor((t - from) / SLICE_MS);
    if (i >= 0 && i < counts.length) counts[i]++;
  }
  return counts.map((c) => Math.round(c / (SLICE_MS / 1000)));
}

/** From the API's answer to each change to the receiver getting its delivery, for the deliveries it got. */
function deliveryLag(rows: readonly DeliveryRow[], receiver: PromptReceiver, changes: IncidentChanges): Distribution {
  const lags: number[] = [];
  for (const r of rows) {
    const received = receiver.firstAt.get(r.id);
    const answered = changes.answered(r.incidentId, r.event);
    if (received !== undefined && answered !== undefined) lags.push(received - answered);
  }
  return distribution(lags);
}

interface DeliveryResult {
  subscriptions: number;
  incidents: number;
  changes: number;
  expected: number;
  /** Distinct deliveries the receiver got, and requests that repeated one. */
  received: number;
  repeats: number;
  /** First change sent -> last change answered. */
  apiS: number;
  changesPerS: number;
  apiLatency: Distribution;
  /** First change sent -> last delivery received. */
  deliveryS: number;
  deliveriesPerS: number;
  /** Deliveries received in each 5 s from the first change: whether the pace holds as the backlog grows. */
  deliveriesPerSSlices: number[];
  /** Deliveries not yet received when the last change was answered, and how long they took after. */
  backlogAtApiEnd: number;
  drainS: number;
  lag: Distribution;
  /** Attempts beyond the first, and deliveries given up or still pending at the end. */
  retries: number;
  dead: number;
  pending: number;
  usage: Usage;
}

/**
 * Part 1: S subscriptions to a receiver that answers at once; K incidents opened, acknowledged and
 * resolved through the API, `lanes` at a time, so 3·K·S deliveries.
 */
async function runDelivery(o: Options, pg: PostgresTarget, cores: number): Promise<DeliveryResult> {
  return onFreshServer(pg, 'delivery', async ({ server, db, admin, changes, log }) => {
    const receiver = await PromptReceiver.start();
    try {
      for (let i = 0; i < o.subscriptions; i++) {
        await subscribe(admin, `Bench receiver ${i + 1}`, `${receiver.url}/hooks/${i + 1}`, i % 2 === 0 ? 'pagerduty' : 'alertmanager');
      }
      const expected = 3 * o.incidents * o.subscriptions;
      log(`${o.subscriptions} subscriptions at ${receiver.url}; ${o.incidents} incidents opened, acknowledged and resolved, ${o.lanes} at a time`);
      const usage = await meterUsage(pg, db, server, cores);

      let next = 0;
      const lane = async () => {
        for (let n = next++; n < o.incidents; n = next++) {
          const id = await changes.open(n);
          await changes.acknowledge(id);
          await changes.resolve(id);
        }
      };
      await Promise.all(Array.from({ length: Math.min(o.lanes, o.incidents) }, lane));
      const apiEnd = changes.lastAt!;
      const backlogAtApiEnd = expected - receiver.firstAt.size;
      log(`${changes.made} changes in ${((apiEnd - changes.firstAt!) / 1000).toFixed(1)} s; ${backlogAtApiEnd} deliveries still to come`);

      const deadline = Date.now() + o.drainTimeoutS * 1000;
      while (receiver.firstAt.size < expected && Date.now() < deadline && Date.now() - Math.max(receiver.lastAt, apiEnd) < STALL_MS) {
        await sleep(100);
      }
      const measured = await usage.report();
      const rows = await outboxRows(db);
      const first = changes.firstAt!;
      const last = receiver.lastAt;
      log(`${receiver.firstAt.size} of ${expected} deliveries received`);
      return {
        subscriptions: o.subscriptions,
        incidents: o.incidents,
        changes: changes.made,
        expected,
        received: receiver.firstAt.size,
        repeats: receiver.repeats,
        apiS: round((apiEnd - first) / 1000, 1),
        changesPerS: Math.round(changes.made / ((apiEnd - first) / 1000)),
        apiLatency: changes.latency(),
        deliveryS: round((last - first) / 1000, 1),
        deliveriesPerS: Math.round(receiver.firstAt.size / ((last - first) / 1000)),
        deliveriesPerSSlices: perSlice([...receiver.firstAt.values()], first, last),
        backlogAtApiEnd,
        drainS: round(Math.max(0, last - apiEnd) / 1000, 1),
        lag: deliveryLag(rows, receiver, changes),
        retries: rows.reduce((n, r) => n + Math.max(0, r.attempts - 1), 0),
        dead: rows.filter((r) => r.status === 'dead').length,
        pending: rows.filter((r) => r.status === 'pending').length,
        usage: measured,
      };
    } finally {
      await receiver.close();
    }
  });
}

interface IngestCaseResult {
  case: Case;
  devices: number;
  windowS: number;
  offeredPerS: number;
  ackedPerS: number;
  /** Messages stored per second (rows / 4) over the window, and over each 5-s slice of it. */
  storedPerS: number;
  storedPerSSlices: number[];
  lagStored: LagSummary;
  usage: Usage;
  /** Incident changes made while the load ran (warm-up included), and the API's time to answer them. */
  changes: number;
  changesPerS: number;
  apiLatency: Distribution;
  /** Incidents whose change failed (left where they were), and starts skipped with MAX_UNDER_WAY under way. */
  changesFailed: number;
  incidentsSkipped: number;
  firstApiError: string | null;
  /** The slow or dead receiver: requests (connections, for the dead one) it got, and those it answered. */
  troubled: { requests: number; answered: number; depthAtEnd: Depth } | null;
  /** The receiver that answers at once, subscribed beside the troubled one. */
  prompt: { depthAtEnd: Depth; lag: Distribution } | null;
  delivery: {
    acked: number;
    lostMessages: number;
    drained: boolean;
    drainS: number;
    skipped: number;
    late: number;
    disconnects: number;
  };
}

/**
 * Part 2: the ingest load on a fresh server, incidents changing beside it; with no subscription,
 * or with a troubled receiver and a prompt one subscribed.
 */
async function runIngestCase(kind: Case, o: Options, pg: PostgresTarget, cores: number): Promise<IngestCaseResult> {
  return onFreshServer(pg, `ingest, ${kind}`, async ({ server, db, admin, changes, log }) => {
    const ids = deviceIds('bench', o.devices);
    const passwords = await provision(server, ids);
    log(`${ids.length} devices provisioned`);
    const troubled = kind === 'slow' ? await SlowReceiver.start(o.slowAnswerS * 1000) : kind === 'dead' ? await DeadReceiver.start() : null;
    const prompt = troubled ? await PromptReceiver.start() : null;
    let pool: PublisherPool | null = null;
    let stored: StoredProbe | null = null;
    let mover: Mover | null = null;
    try {
      const subscriptions = { troubled: 0, prompt: 0 };
      if (troubled && prompt) {
        subscriptions.troubled = (await subscribe(admin, `Bench receiver (${kind})`, troubled.url, 'pagerduty')).id;
        subscriptions.prompt = (await subscribe(admin, 'Bench receiver (prompt)', prompt.url, 'alertmanager')).id;
        log(`subscribed: the ${kind} receiver at ${troubled.url}, a prompt one at ${prompt.url}`);
      }
      pool = new PublisherPool(server.embeddedMqttUrl!, ids.map((id) => ({ id, password: passwords.get(id)! })), o.threads);
      const connected = await pool.connect();
      if (connected.connected < ids.length) {
        throw new Error(`${connected.connected} of ${ids.length} devices connected (${connected.firstError ?? 'no error given'})`);
      }
      stored = new StoredProbe(db.url);
      await stored.start(ids.slice(0, LAG_DEVICES), 'pm25');

      await pool.pace(o.rate);
      mover = moveIncidents(changes, o.changesPerS);
      log(`${o.rate} messages/s from ${ids.length} devices, ${o.changesPerS} incident changes/s; warm-up ${o.warmupS} s, then ${o.durationS} s measured`);
      await sleep(o.warmupS * 1000);

      const usage = await meterUsage(pg, db, server, cores);
      const from = Date.now();
      stored.window = { from, to: Infinity };
      const before = await pool.snapshot();
      const rowsBefore = await stored.count();
      const windowStart = Date.now();
      const windowEnd = windowStart + o.durationS * 1000;
      const slices: number[] = [];
      let last = { rows: rowsBefore, at: windowStart };
      const slice = async () => {
        const rows = await stored!.count();
        const at = Date.now();
        slices.push(Math.round((rows - last.rows) / METRICS_PER_MESSAGE / ((at - last.at) / 1000)));
        last = { rows, at };
      };
      while (Date.now() < windowEnd) {
        await sleep(Math.min(1000, windowEnd - Date.now()));
        if (Date.now() - last.at >= SLICE_MS && windowEnd - Date.now() > 1000) await slice();
      }
      stored.window = { from, to: Date.now() };
      const after = await pool.snapshot();
      await slice();
      const windowS = (last.at - windowStart) / 1000;
      const measured = await usage.report();
      const atEnd = await outboxRows(db);

      const moved = await mover.stop();
      mover = null;
      const halted = await pool.halt();
      log(`stopped publishing; waiting up to ${o.drainTimeoutS} s for the rows of ${halted.acked} acknowledged messages`);
      const drainStart = Date.now();
      const expectedRows = halted.acked * METRICS_PER_MESSAGE;
      const drain = await waitForRows(stored, expectedRows, o.drainTimeoutS * 1000);
      const drainS = round((Date.now() - drainStart) / 1000, 1);
      const lagStored = await stored.stop();
      const rows = await outboxRows(db);
      return {
        case: kind,
        devices: ids.length,
        windowS: round(windowS, 1),
        offeredPerS: Math.round((after.sent - before.sent) / windowS),
        ackedPerS: Math.round((after.acked - before.acked) / windowS),
        storedPerS: Math.round((last.rows - rowsBefore) / METRICS_PER_MESSAGE / windowS),
        storedPerSSlices: slices,
        lagStored,
        usage: measured,
        changes: changes.made,
        changesPerS: changes.made > 0 ? round(changes.made / ((changes.lastAt! - changes.firstAt!) / 1000), 1) : 0,
        apiLatency: changes.latency(),
        changesFailed: moved.failed,
        incidentsSkipped: moved.skipped,
        firstApiError: moved.firstError,
        troubled: troubled
          ? {
              requests: troubled.requests,
              answered: troubled instanceof SlowReceiver ? troubled.answered : 0,
              depthAtEnd: depthOf(atEnd, subscriptions.troubled),
            }
          : null,
        prompt: prompt ? { depthAtEnd: depthOf(atEnd, subscriptions.prompt), lag: deliveryLag(rows, prompt, changes) } : null,
        delivery: {
          acked: halted.acked,
          lostMessages: Math.max(0, Math.round((expectedRows - drain.rows) / METRICS_PER_MESSAGE)),
          drained: drain.complete,
          drainS,
          skipped: halted.skipped,
          late: halted.late,
          disconnects: halted.disconnects,
        },
      };
    } finally {
      await mover?.stop().catch(() => undefined);
      await stored?.stop().catch(() => undefined);
      await stored?.close();
      await pool?.close();
      await prompt?.close();
      await troubled?.close();
    }
  });
}

interface OutboxMachine extends MachineInfo {
  aedes: string;
  /** CPU the machine spent, in percent of one core, in the 3 s before the bench started anything. */
  busyAtStartPercent: number;
}

interface OutboxResults extends RunHeader<Omit<Options, 'databaseUrl'>, OutboxMachine> {
  delivery: DeliveryResult | null;
  ingest: IngestCaseResult[];
  errors: string[];
}

const n = (v: number) => v.toLocaleString('en');
const ms = (v: number | null) => (v === null ? 'n/a' : n(v));
const spread = (d: Distribution) => [d.p50Ms, d.p95Ms, d.p99Ms, d.maxMs].map(ms).join(' / ');
const slices = (s: readonly number[]) => (s.length === 0 ? 'n/a' : [s[0], Math.min(...s), Math.max(...s), s[s.length - 1]].map(n).join(', '));
const cpu = (u: UsageReport | null) => (u ? `${u.cpuPercent} %` : 'n/a');
const depth = (d: Depth) => `${n(d.pending)} / ${n(d.delivered)} / ${n(d.dead)}`;
const CASE_TITLES: Record<Case, (o: Omit<Options, 'databaseUrl'>) => string> = {
  none: () => 'no subscription',
  slow: (o) => `receiver answers after ${o.slowAnswerS} s`,
  dead: () => 'receiver never answers',
};

/** The figures as Markdown tables, ready for docs/benchmarks.md. */
function format(r: OutboxResults): string {
  const m = r.machine;
  const o = r.options;
  const out = [
    `machine: ${m.cores} cores (${m.cpu}), ${m.memoryGiB} GiB, Node ${m.node}, PostgreSQL ${m.postgres} (${m.postgresSource}), aedes ${m.aedes}; ` +
      `CPU busy before the start: ${m.busyAtStartPercent} %`,
    `commit ${r.commit ?? 'unknown'}, ${r.at}` +
      (Object.keys(r.serverTuning).length ? `; server ${Object.entries(r.serverTuning).map(([k, v]) => `${k}=${v}`).join(' ')}` : ''),
  ];
  const d = r.delivery;
  if (d) {
    out.push(
      '',
      markdownTable(
        [`delivery: ${d.subscriptions} subscriptions to a receiver answering at once, ${n(d.incidents)} incidents opened, acknowledged, resolved`, ''],
        [
          ['changes through the API; time, first sent -> last answered', `${n(d.changes)}; ${d.apiS} s (${n(d.changesPerS)}/s, ${o.lanes} at a time)`],
          ['API time to answer a change, p50 / p95 / p99 / max ms', spread(d.apiLatency)],
          ['deliveries expected / received / repeated', `${n(d.expected)} / ${n(d.received)} / ${n(d.repeats)}`],
          ['deliveries/s, first change -> last delivery received', `**${n(d.deliveriesPerS)}** (${d.deliveryS} s)`],
          ['deliveries/s per 5-s slice: first, min, max, last', slices(d.deliveriesPerSSlices)],
          ['not yet received when the last change was answered; received within', `${n(d.backlogAtApiEnd)}; ${d.drainS} s`],
          ['change answered -> delivery received, p50 / p95 / p99 / max ms', spread(d.lag)],
          ['attempts retried / dead / still pending', `${n(d.retries)} / ${n(d.dead)} / ${n(d.pending)}`],
          ['server CPU / RSS', `${d.usage.server.cpuPercent} % / ${d.usage.server.rssEndMiB} MiB`],
          ['PostgreSQL CPU; the bench (receiver, API client)', `${cpu(d.usage.postgres)}; ${cpu(d.usage.bench)}`],
          ['whole machine CPU (100 % = 1 core); of it other processes', `${d.usage.machineCpuPercent} %; ${d.usage.otherCpuPercent} %`],
        ],
      ),
    );
  }
  if (r.ingest.length > 0) {
    const x = r.ingest;
    const rows: [string, (c: IngestCaseResult) => string][] = [
      ['offered / acknowledged messages/s', (c) => `${n(c.offeredPerS)} / ${n(c.ackedPerS)}`],
      ['**stored messages/s**', (c) => `**${n(c.storedPerS)}**`],
      ['stored messages/s per 5-s slice, min - max', (c) => `${n(Math.min(...c.storedPerSSlices))} - ${n(Math.max(...c.storedPerSSlices))}`],
      ['lag publish -> row committed, p50 / p99 ms', (c) => (c.lagStored.count === 0 ? 'n/a' : `${n(c.lagStored.p50Ms!)} / ${n(c.lagStored.p99Ms!)}`)],
      ['incident changes (per s); API p50 / p95 / p99 / max ms', (c) => `${n(c.changes)} (${c.changesPerS}); ${spread(c.apiLatency)}`],
      ['incidents whose change failed / not started (too many under way)', (c) => `${c.changesFailed} / ${c.incidentsSkipped}`],
      ['troubled receiver: requests got / answered', (c) => (c.troubled ? `${n(c.troubled.requests)} / ${n(c.troubled.answered)}` : '-')],
      ['outbox at the end, troubled: pending / delivered / dead', (c) => (c.troubled ? depth(c.troubled.depthAtEnd) : '-')],
      ['outbox at the end, prompt beside it: pending / delivered / dead', (c) => (c.prompt ? depth(c.prompt.depthAtEnd) : '-')],
      ['prompt receiver: change answered -> received, p50 / p99 ms', (c) => (c.prompt ? `${ms(c.prompt.lag.p50Ms)} / ${ms(c.prompt.lag.p99Ms)}` : '-')],
      ['server CPU / RSS', (c) => `${c.usage.server.cpuPercent} % / ${c.usage.server.rssEndMiB} MiB`],
      ['PostgreSQL CPU; the bench (publishers, probes, receivers)', (c) => `${cpu(c.usage.postgres)}; ${cpu(c.usage.bench)}`],
      ['whole machine CPU; of it other processes', (c) => `${c.usage.machineCpuPercent} %; ${c.usage.otherCpuPercent} %`],
      ['messages lost, drain', (c) => `${n(c.delivery.lostMessages)}${c.delivery.drained ? '' : ' (not drained)'}, ${c.delivery.drainS} s`],
      ['publisher turns skipped / late, disconnects', (c) => `${n(c.delivery.skipped)} / ${n(c.delivery.late)}, ${c.delivery.disconnects}`],
    ];
    out.push(
      '',
      `ingest: ${n(o.devices)} devices, ${n(o.rate)} messages/s of 4 metrics, QoS 1, embedded broker, warm-up ${o.warmupS} s, ${o.durationS} s measured; ` +
        `${o.changesPerS} incident changes/s beside it`,
      '',
      markdownTable(['', ...x.map((c) => CASE_TITLES[c.case](o))], rows.map(([label, f]) => [label, ...x.map(f)])),
    );
    for (const c of x) if (c.firstApiError) out.push(`${CASE_TITLES[c.case](o)}: first failed change: ${c.firstApiError}`);
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

  // The embedded PostgreSQL unless DATABASE_URL says otherwise, as bench:alerting.
  const pg = await openPostgresTarget(options.databaseUrl, false);
  stopOnExit(() => pg.stop());
  process.stderr.write(`PostgreSQL ${pg.version} (${pg.source})\n`);
  const errors: string[] = [];
  const attempt = async <T>(what: string, work: () => Promise<T>): Promise<T | null> => {
    try {
      return await work();
    } catch (err) {
      const message = `${what}: ${(err as Error).stack ?? (err as Error).message}`;
      process.stderr.write(`${message}\n`);
      errors.push(message);
      return null;
    }
  };
  try {
    const delivery = options.parts.includes('delivery') ? await attempt('delivery', () => runDelivery(options, pg, cores)) : null;
    const ingest: IngestCaseResult[] = [];
    if (options.parts.includes('ingest')) {
      for (const kind of options.cases) {
        const result = await attempt(`ingest, ${kind}`, () => runIngestCase(kind, options, pg, cores));
        if (result) ingest.push(result);
      }
    }
    const results: OutboxResults = {
      ...runHeader(options, { ...describeMachine(pg), aedes: packageVersion('aedes'), busyAtStartPercent: busyAtStart }),
      delivery,
      ingest,
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
