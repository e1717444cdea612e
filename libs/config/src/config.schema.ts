import { isIP } from 'node:net';
import { z } from 'zod';
import { DEVICE_KINDS, isMetricName } from '@ioc/contracts';

const port = (fallback: number) =>
  z.coerce
    .number({ error: 'must be a port number' })
    .int('must be a whole number')
    .min(0, 'must be between 0 and 65535')
    .max(65535, 'must be between 0 and 65535')
    .default(fallback);

const positiveInt = (fallback: number) =>
  z.coerce.number({ error: 'must be a number' }).int().positive().default(fallback);

const nonNegativeInt = (fallback: number) =>
  z.coerce.number({ error: 'must be a number' }).int().min(0).default(fallback);

const url = (protocols: RegExp, expected: string) =>
  z
    .url({ protocol: protocols, error: `must be a URL like ${expected}` })
    .optional();

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** An address, a subnet (address/bits) or one of express's names for a range. */
function isProxyAddress(part: string): boolean {
  if (PROXY_NAMES.has(part)) return true;
  const [address, bits, ...rest] = part.split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return false;
  return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (version === 4 ? 32 : 128));
}

function safeUrl(text: string): URL | null {
  try {
    return new URL(text);
  } catch {
    return null;
  }
}

/** A setting holding a JSON object, checked by `schema`; `{}` when unset. */
function jsonSetting<T extends z.ZodType>(example: string, schema: T) {
  return z
    .string()
    .default('{}')
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: `must be a JSON object like ${example}` });
        return z.NEVER;
      }
    })
    .pipe(schema);
}

const SERVER_ROLES = ['ingest', 'api', 'realtime'] as const;
export type ServerRole = (typeof SERVER_ROLES)[number];

/** Every setting the server reads, with its default. Nothing else reads process.env. */
export const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().min(1).default('0.0.0.0'),
  PORT: port(3000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  IOC_ROLES: z
    .string()
    .default(SERVER_ROLES.join(','))
    .transform((s) => s.split(',').map((r) => r.trim()).filter(Boolean))
    .pipe(z.array(z.enum(SERVER_ROLES)).min(1, 'name at least one of ingest, api, realtime')),
  DATABASE_URL: url(/^postgres(ql)?$/, 'postgres://user:password@host:5432/db'),
  DATABASE_POOL_SIZE: positiveInt(10),
  /** How long a request or a write waits for a connection (a free one of the pool, or a new one). */
  DATABASE_CONNECT_TIMEOUT_MS: positiveInt(5000),
  /** Longest statement of a request or an ingest write; 0: no limit. */
  DATABASE_STATEMENT_TIMEOUT_MS: nonNegativeInt(10_000),
  /** Longest statement of migrations and storage maintenance (rollups, partitions); 0: no limit. */
  DATABASE_MAINTENANCE_TIMEOUT_MS: nonNegativeInt(3_600_000),
  /** How long /api/health waits for the database before it reports it down. */
  DATABASE_HEALTH_TIMEOUT_MS: positiveInt(1000),
  DATA_DIR: z.string().min(1).default('.data'),
  EMBEDDED_PG_PORT: port(54329),
  MQTT_URL: url(/^(mqtts?|wss?|tcp)$/, 'mqtt://host:1883'),
  MQTT_PORT: port(1883),
  MQTT_WS_PORT: port(8083),
  /** Client id of the server on an external broker; it keeps a persistent session there. Unset: ioc-<hostname>-<PORT>. */
  MQTT_CLIENT_ID: z.string().min(1).max(128).optional(),
  /** With an external broker: share the uplink subscriptions in this group ($share/<group>/...) so several servers split the load. */
  MQTT_SHARED_GROUP: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be letters, digits, _ or - (at most 64)')
    .optional(),
  /** With an external broker: how long it keeps the server's session and queues its messages while the server is away. */
  MQTT_SESSION_EXPIRY_S: positiveInt(3600),
  /** Bearer token an external broker (EMQX) presents to POST /api/mqtt/auth and /api/mqtt/acl; unset: those answer 404. */
  MQTT_HOOK_TOKEN: z.string().min(32, 'must be at least 32 characters').optional(),
  MQTT_MAX_PAYLOAD_BYTES: positiveInt(64 * 1024),
  /** Embedded broker: the largest CONNECT (client id, credentials, will); a larger one is not read, its connection is closed. */
  MQTT_MAX_CONNECT_BYTES: positiveInt(4096),
  /** How far ahead of the server clock a reading's timestamp may be. */
  INGEST_MAX_FUTURE_S: positiveInt(300),
  /** How old a reading may be (late data from a gateway that was offline). */
  INGEST_MAX_AGE_S: positiveInt(30 * 24 * 3600),
  INGEST_MAX_JSON_DEPTH: positiveInt(8),
  /** JSON object: device kind -> allowed metric names, replacing the defaults of those kinds. */
  INGEST_KIND_METRICS: jsonSetting(
    '{"noise": ["noise", "battery"]}',
    z.partialRecord(
      z.enum(DEVICE_KINDS),
      z.array(z.string().refine(isMetricName, 'must be a metric of the catalogue')),
      { error: 'must map device kinds to lists of metric names' },
    ),
  ),
  /** JSON object: device kind -> seconds of silence before the device is taken for offline. */
  INGEST_HEARTBEAT_S: jsonSetting(
    '{"traffic_camera": 120}',
    z.partialRecord(z.enum(DEVICE_KINDS), z.number().positive(), { error: 'must map device kinds to seconds' }),
  ),
  /** How often silent devices are looked for. */
  HEARTBEAT_SWEEP_MS: positiveInt(5000),
  INGEST_BATCH_SIZE: positiveInt(2000),
  INGEST_FLUSH_MS: positiveInt(100),
  /** Messages held in memory for the writer; past it, they are read back from the spool. */
  INGEST_MAX_QUEUED: positiveInt(100_000),
  /** How often the newest value per metric and each device's last-seen time are stored. */
  INGEST_NEWEST_EVERY_MS: positiveInt(1000),
  /** Where accepted messages wait for the database; unset: DATA_DIR/spool. One server per directory. */
  SPOOL_DIR: z.string().min(1).optional(),
  /** Spool bytes not yet in the database past which the server stops acknowledging messages. */
  SPOOL_MAX_BYTES: positiveInt(1024 ** 3),
  SPOOL_SEGMENT_BYTES: positiveInt(64 * 1024 ** 2),
  /** How often the spool is forced to the disk (0: left to the operating system). */
  SPOOL_SYNC_MS: nonNegativeInt(100),
  /** On shutdown, how long to keep trying to write what waits before leaving it in the spool. */
  SHUTDOWN_WRITE_GRACE_MS: positiveInt(5000),
  REALTIME_FLUSH_MS: positiveInt(250),
  /** HMAC key of access tokens; unset: generated once and kept in DATA_DIR (set it when running several nodes). */
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  ACCESS_TOKEN_TTL_S: positiveInt(15 * 60),
  REFRESH_TOKEN_TTL_S: positiveInt(30 * 24 * 3600),
  /** How long a refresh token stays good after it was rotated, for a retry whose first answer was lost (0: not at all). */
  REFRESH_TOKEN_GRACE_S: nonNegativeInt(60),
  /** Failed logins from one address for one username before that pair is refused for a while. */
  LOGIN_MAX_FAILURES: positiveInt(5),
  /** How long the first refusal lasts; each further failure doubles it, up to LOGIN_LOCK_MINUTES. */
  LOGIN_LOCK_FIRST_S: positiveInt(60),
  LOGIN_LOCK_MINUTES: positiveInt(15),
  /** Requests per minute per client address on the API. */
  API_RATE_LIMIT: positiveInt(1200),
  /** Login attempts per minute per client address. */
  LOGIN_RATE_LIMIT: positiveInt(20),
  /** First administrator, created when there is no user at all. */
  IOC_ADMIN_USERNAME: z.string().min(3).optional(),
  IOC_ADMIN_PASSWORD: z.string().min(10, 'must be at least 10 characters').optional(),
  /** Seed one user per role with the documented demo passwords (never in production). */
  IOC_DEMO_USERS: z
    .enum(['true', 'false', '1', '0'])
    .default('false')
    .transform((v) => v === 'true' || v === '1'),
  /** Comma-separated origins allowed to call the API from a browser (the console itself needs none). */
  CORS_ORIGINS: z
    .string()
    .default('')
    .transform((s) => s.split(',').map((o) => o.trim()).filter(Boolean))
    .pipe(z.array(z.url({ error: 'must be a comma-separated list of origins like https://ioc.example.vn' }))),
  /**
   * Which proxies in front of the server to believe about the client's address (X-Forwarded-For):
   * a number of hops, or addresses, subnets and express's names. Unset: none, the TCP peer is the client.
   */
  TRUST_PROXY: z
    .string()
    .optional()
    .transform((s) => (s?.trim() ? s.trim() : undefined))
    .pipe(
      z
        .union([
          z.string().regex(/^\d{1,2}$/).transform(Number),
          z
            .string()
            .transform((s) => s.split(',').map((p) => p.trim()))
            .refine((parts) => parts.every(isProxyAddress), {
              error: 'must be a number of hops or a comma-separated list of addresses, subnets, loopback, linklocal or uniquelocal',
            }),
        ])
        .optional(),
    ),
  /** GeoJSON FeatureCollection of areas; unset: the bundled pilot outlines. */
  AREAS_FILE: z.string().min(1).optional(),
  CONSOLE_DIR: z.string().min(1).default('dist/console'),
  CONSOLE_TILE_URL: z
    .string()
    .refine(
      (t) => /^https?:$/.test(safeUrl(t.replace('{s}', 'a').replace(/\{[a-z]+\}/g, '0'))?.protocol ?? ''),
      'must be a tile URL template like https://tile.example.vn/{z}/{x}/{y}.png',
    )
    .default('https://tile.openstreetmap.org/{z}/{x}/{y}.png'),
  CONSOLE_TILE_ATTRIBUTION: z.string().default('© OpenStreetMap contributors'),
  CONSOLE_CENTER_LAT: z.coerce.number().min(-90).max(90).default(10.36),
  CONSOLE_CENTER_LNG: z.coerce.number().min(-180).max(180).default(106.52),
  CONSOLE_ZOOM: z.coerce.number().int().min(1).max(19).default(11),
  /** Time span of one telemetry partition (TimescaleDB: chunk), e.g. 12h or 1d; auto: from STORAGE_SAMPLES_PER_S and STORAGE_DATABASE_MEMORY_MB. */
  STORAGE_PARTITION_INTERVAL: z
    .string()
    .regex(/^(auto|[1-9]\d{0,3}[hd])$/, 'must be auto, or hours or days like 12h or 1d')
    .default('auto')
    .transform((s) => (s === 'auto' ? s : Number(s.slice(0, -1)) * (s.endsWith('d') ? 86_400_000 : 3_600_000))),
  /** Samples per second expected from all devices together: sizes the partitions when STORAGE_PARTITION_INTERVAL is auto. */
  STORAGE_SAMPLES_PER_S: z.coerce.number({ error: 'must be a number of samples per second' }).positive().default(50),
  /** Memory of the database server: sizes the partitions when STORAGE_PARTITION_INTERVAL is auto. */
  STORAGE_DATABASE_MEMORY_MB: positiveInt(4096),
  /** Partitions made ahead of the current one (plain PostgreSQL). */
  STORAGE_PARTITIONS_AHEAD: positiveInt(3),
  /** Days raw telemetry, 1-minute rollups and device events are kept; 0 keeps them forever. Hourly rollups are kept. */
  STORAGE_RETENTION_DAYS: z.coerce.number({ error: 'must be a number of days' }).int().min(0).default(0),
  /** TimescaleDB only: telemetry and device-event chunks older than this many days are compressed (late samples are still written into them). */
  STORAGE_COMPRESS_AFTER_DAYS: positiveInt(7),
  /** Plain PostgreSQL: telemetry partitions this many days old are packed; 0 never; unset: a day past INGEST_MAX_AGE_S. */
  STORAGE_PACK_AFTER_DAYS: z.coerce.number({ error: 'must be a number of days' }).int().min(0).optional(),
  /** How often partitions are made ahead and old ones dropped. */
  STORAGE_MAINTENANCE_S: positiveInt(3600),
  /** Plain PostgreSQL: how often the rollups take in the newest samples and recompute late samples' buckets. */
  STORAGE_ROLLUP_REFRESH_MS: positiveInt(5000),
  /** Plain PostgreSQL: samples are materialized once they are this old; one stored later than that is late, and recomputed. */
  STORAGE_ROLLUP_SETTLE_S: z.coerce.number({ error: 'must be a number of seconds' }).int().min(0).default(10),
  /** How often incidents are checked against their deadlines and escalation steps (an escalation is at most this late). */
  INCIDENT_DEADLINE_SWEEP_MS: z.coerce.number({ error: 'must be a number of milliseconds' }).int().min(100).max(60_000).default(1000),
  /** Citizen reports: how far apart (metres) a report and the incident it is merged into may be. */
  REPORT_MERGE_MAX_M: positiveInt(1000),
  /** Reports accepted from one client address within REPORT_ADDRESS_WINDOW_S (every attempt with valid fields counts). */
  REPORT_ADDRESS_LIMIT: positiveInt(5),
  REPORT_ADDRESS_WINDOW_S: positiveInt(3600),
  /** Reports made with one phone number within REPORT_PHONE_WINDOW_S. */
  REPORT_PHONE_LIMIT: positiveInt(3),
  REPORT_PHONE_WINDOW_S: positiveInt(86_400),
  /** Ratings tried from one client address within REPORT_ADDRESS_WINDOW_S. */
  REPORT_RATING_LIMIT: positiveInt(10),
  /**
   * Key of the hashes that stand for a sender's address and phone number in rate limits and
   * reports (never stored as they are); unset: generated once into DATA_DIR. Set the same on every node.
   */
  REPORT_SENDER_KEY: z.string().min(32, 'must be at least 32 characters').optional(),
  /** Where photos of incidents are kept; unset: DATA_DIR/photos. Share it (or its volume) between nodes. */
  PHOTO_DIR: z.string().min(1).optional(),
  /** Largest photo accepted, in bytes, before it is re-encoded. */
  PHOTO_MAX_BYTES: z.coerce.number({ error: 'must be a number of bytes' }).int().min(64 * 1024).max(50 * 1024 ** 2).default(5 * 1024 ** 2),
  /** Photos are re-encoded to at most this many pixels on their long side. */
  PHOTO_MAX_SIDE_PX: z.coerce.number({ error: 'must be a number of pixels' }).int().min(320).max(8192).default(2560),
  /** Longest wait for a webhook receiver's answer; a receiver that takes longer is tried again later. */
  WEBHOOK_TIMEOUT_MS: positiveInt(10_000),
  /** How long after an incident change its webhook is retried before it is given up (dead) with the last error. */
  WEBHOOK_RETRY_FOR_S: positiveInt(24 * 3600),
  /** Longest wait before the first retry; each further failure doubles it (full jitter: a random wait up to that). */
  WEBHOOK_RETRY_BASE_MS: positiveInt(2000),
  /** No wait between two attempts is longer. */
  WEBHOOK_RETRY_MAX_MS: positiveInt(3_600_000),
  /** Webhook requests under way at once per node, at most one per subscription. */
  WEBHOOK_CONCURRENCY: positiveInt(8),
  /** Days delivered and dead webhooks stay in the delivery log; 0 keeps them. */
  WEBHOOK_LOG_DAYS: nonNegativeInt(30),
  /** Where incident emails are sent through, e.g. smtp://user:password@mail.example.vn:587 (smtps:// for TLS from the start); unset: no email. */
  SMTP_URL: url(/^smtps?$/, 'smtp://user:password@mail.example.vn:587'),
  /** The sender of incident emails, e.g. "IOC Tiền Giang <ioc@tiengiang.gov.vn>"; required with SMTP_URL. */
  SMTP_FROM: z.string().trim().min(3).max(300).optional(),
  /** Longest wait for the SMTP server: to connect, for its greeting, and for each answer. */
  SMTP_TIMEOUT_MS: positiveInt(30_000),
  /** How long after an incident change its email is retried before it is given up (dead) with the last error. */
  EMAIL_RETRY_FOR_S: positiveInt(24 * 3600),
  /** Longest wait before the first retry of an email; each further failure doubles it (full jitter). */
  EMAIL_RETRY_BASE_MS: positiveInt(5000),
  /** No wait between two attempts of an email is longer. */
  EMAIL_RETRY_MAX_MS: positiveInt(3_600_000),
  /** Emails under way at once per node (SMTP connections). */
  EMAIL_CONCURRENCY: positiveInt(4),
  /** Days delivered and dead emails stay in the delivery log; 0 keeps them. */
  EMAIL_LOG_DAYS: nonNegativeInt(30),
  /** The console's address as people reach it, for the links in emails. */
  CONSOLE_URL: z.url({ protocol: /^https?$/, error: 'must be a URL like https://ioc.tiengiang.gov.vn' }).default('http://localhost:3000'),
  /** CAP `sender` of public warnings; CAP forbids spaces, commas, < and & in it. Changing it later keeps each message's own. */
  WARNINGS_SENDER: z
    .string()
    .regex(/^[^\s,<&]{1,200}$/, 'must be one word without commas, < or &, e.g. ioc@tiengiang.gov.vn')
    .default('ioc@tiengiang.gov.vn'),
  /** CAP `senderName` of public warnings, and the author of their Atom feed. */
  WARNINGS_SENDER_NAME: z.string().trim().min(1).max(200).default('Trung tâm Giám sát, điều hành đô thị thông minh (IOC) tỉnh Tiền Giang'),
});

export type AppConfig = z.infer<typeof configSchema>;

const checkedSchema = configSchema.superRefine((c, ctx) => {
  if (c.NODE_ENV === 'production' && c.IOC_DEMO_USERS) {
    ctx.addIssue({ code: 'custom', path: ['IOC_DEMO_USERS'], message: 'demo users have published passwords: refused in production' });
  }
  if ((c.IOC_ADMIN_USERNAME === undefined) !== (c.IOC_ADMIN_PASSWORD === undefined)) {
    const missing = c.IOC_ADMIN_USERNAME === undefined ? 'IOC_ADMIN_USERNAME' : 'IOC_ADMIN_PASSWORD';
    ctx.addIssue({ code: 'custom', path: [missing], message: 'set IOC_ADMIN_USERNAME and IOC_ADMIN_PASSWORD together' });
  }
  if (c.SMTP_URL !== undefined && c.SMTP_FROM === undefined) {
    ctx.addIssue({ code: 'custom', path: ['SMTP_FROM'], message: 'set the sender of incident emails with SMTP_URL, e.g. "IOC <ioc@tiengiang.gov.vn>"' });
  }
  // Nor may packing take a partition that a late sample can still be written into.
  if (c.STORAGE_PACK_AFTER_DAYS && c.STORAGE_PACK_AFTER_DAYS * 86_400 < c.INGEST_MAX_AGE_S + 86_400) {
    ctx.addIssue({
      code: 'custom',
      path: ['STORAGE_PACK_AFTER_DAYS'],
      message: `must be 0 (never) or at least a day beyond INGEST_MAX_AGE_S (${Math.ceil(c.INGEST_MAX_AGE_S / 86_400) + 1} days or more)`,
    });
  }
  // Late samples are accepted for INGEST_MAX_AGE_S: retention must not drop what may still arrive.
  if (c.STORAGE_RETENTION_DAYS > 0 && c.STORAGE_RETENTION_DAYS * 86_400 <= c.INGEST_MAX_AGE_S + 86_400) {
    ctx.addIssue({
      code: 'custom',
      path: ['STORAGE_RETENTION_DAYS'],
      message: `must be 0 (keep) or more than a day beyond INGEST_MAX_AGE_S (${Math.ceil(c.INGEST_MAX_AGE_S / 86_400)} days)`,
    });
  }
});

export class ConfigError extends Error {}

/** Parses the environment; a wrong value stops start-up with a message naming each variable. */
export function loadConfig(env: NodeJS.ProcessEnv): AppConfig {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = checkedSchema.safeParse(cleaned);
  if (result.success) return result.data;
  const lines = result.error.issues.map((i) => {
    const name = String(i.path[0] ?? '');
    return `  ${name}=${JSON.stringify(env[name] ?? '')}: ${i.message}`;
  });
  throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
}
