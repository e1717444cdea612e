import { z } from 'zod';
import { DEVICE_KINDS, type DeviceKind } from './device-kinds';
import { DEVICE_ID_PATTERN } from './topics';
import { updateSchema } from './update-schema';
import type { DeviceStatus } from './payloads';

const latitude = z.number().min(-90).max(90);
const longitude = z.number().min(-180).max(180);
const metadata = z.record(z.string(), z.unknown());

const deviceId = z.string().regex(DEVICE_ID_PATTERN, 'lower-case letters, digits, "-" and "_", at most 64');
/** RFC 8428 section 4.5.1: a letter or digit, then letters, digits and `-:./_`. */
export const SENML_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9\-:./_]{0,199}$/;
const senmlName = z.string().regex(SENML_NAME_PATTERN, 'RFC 8428 name characters (A-Z a-z 0-9 - : . / _, starting with a letter or digit), at most 200');
const deviceFields = {
  kind: z.enum(DEVICE_KINDS),
  name: z.string().trim().min(1).max(200),
  lat: latitude,
  lng: longitude,
  metadata,
  /** The gateway that publishes for this device, if any (a device of kind `gateway`). */
  gatewayId: deviceId.nullable(),
  /** Names its SenML records carry (bn + n), e.g. `urn:dev:ow:10e2073a01080063`; unique across devices. */
  senmlNames: z
    .array(senmlName)
    .max(8)
    .refine((names) => new Set(names).size === names.length, 'each name once'),
};

/** POST /api/devices — answers with the device's MQTT credentials, the only time they are shown. */
export const createDeviceSchema = z.strictObject({
  id: deviceId,
  ...deviceFields,
  metadata: metadata.default({}),
  gatewayId: deviceFields.gatewayId.default(null),
  senmlNames: deviceFields.senmlNames.default([]),
});
export type CreateDeviceInput = z.input<typeof createDeviceSchema>;
export type CreateDevice = z.output<typeof createDeviceSchema>;

/** PUT /api/devices/:id — create or replace (idempotent; what provisioning scripts use). */
export const replaceDeviceSchema = createDeviceSchema.omit({ id: true });
export type ReplaceDeviceInput = z.input<typeof replaceDeviceSchema>;
export type ReplaceDevice = z.output<typeof replaceDeviceSchema>;

/** PATCH /api/devices/:id — only the fields given change. */
export const updateDeviceSchema = updateSchema(deviceFields);
export type UpdateDeviceInput = z.input<typeof updateDeviceSchema>;
export type UpdateDevice = z.output<typeof updateDeviceSchema>;

/**
 * MQTT credentials of one device: client id and username are the device id. Shown once, when
 * issued (POST /api/devices, POST /api/devices/:id/credentials); only a hash is kept.
 */
export interface DeviceCredentialsDto {
  deviceId: string;
  username: string;
  password: string;
  /** ISO-8601 */
  issuedAt: string;
}

export interface ProvisionedDeviceDto {
  device: DeviceDto;
  credentials: DeviceCredentialsDto;
}

/**
 * What an external broker (EMQX's HTTP authenticator and authorizer) posts to
 * POST /api/mqtt/auth and POST /api/mqtt/acl, and what it gets back.
 */
export const brokerAuthRequestSchema = z.object({
  clientid: z.string().max(256),
  username: z.string().max(256).optional(),
  password: z.string().max(1024).optional(),
});
export const brokerAclRequestSchema = z.object({
  clientid: z.string().max(256),
  username: z.string().max(256).optional(),
  topic: z.string().min(1).max(1024),
  action: z.enum(['publish', 'subscribe']),
});
export type BrokerAuthRequest = z.output<typeof brokerAuthRequestSchema>;
export type BrokerAclRequest = z.output<typeof brokerAclRequestSchema>;
export interface BrokerHookResult {
  result: 'allow' | 'deny';
  is_superuser?: boolean;
}

/** POST /api/devices/:id/commands */
export const sendCommandSchema = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9_]{0,47}$/, 'lower_snake_case, at most 48 characters'),
  params: z.record(z.string(), z.unknown()).default({}),
  /** Seconds to wait for the device's acknowledgement. */
  timeoutS: z.number().int().min(1).max(3600).default(30),
});
export type SendCommandInput = z.input<typeof sendCommandSchema>;
export type SendCommand = z.output<typeof sendCommandSchema>;

export const COMMAND_STATES = ['pending', 'succeeded', 'failed', 'timed_out'] as const;
export type CommandState = (typeof COMMAND_STATES)[number];

export interface CommandDto {
  id: string;
  deviceId: string;
  name: string;
  params: Record<string, unknown>;
  state: CommandState;
  requestedBy: string | null;
  createdAt: string;
  expiresAt: string;
  answeredAt: string | null;
  /** The device's message, or why the command failed. */
  message: string | null;
}

export const CREDENTIAL_STATES = ['none', 'active', 'revoked'] as const;
export type CredentialState = (typeof CREDENTIAL_STATES)[number];

export interface AreaRef {
  id: string;
  name: string;
  level: AreaLevel;
}
export const AREA_LEVELS = ['province', 'district', 'commune', 'ward', 'zone'] as const;
export type AreaLevel = (typeof AREA_LEVELS)[number];

export interface LatestValue {
  value: number;
  /** ISO-8601 */
  ts: string;
}

/** A device's health, worst first: maintenance hides the rest while a silence covers the device. */
export const DEVICE_HEALTHS = ['maintenance', 'offline', 'stale', 'ok'] as const;
export type DeviceHealth = (typeof DEVICE_HEALTHS)[number];

export interface DeviceDto {
  id: string;
  kind: DeviceKind;
  name: string;
  lat: number;
  lng: number;
  areas: AreaRef[];
  metadata: Record<string, unknown>;
  gatewayId: string | null;
  senmlNames: string[];
  /** Whether the device can connect to the broker: no secret issued yet, one in force, or revoked. */
  credentials: { state: CredentialState; issuedAt: string | null };
  status: DeviceStatus | 'unknown';
  /** What operators see: under a silence, offline, silent (no data, or never heard from), or ok. */
  health: DeviceHealth;
  /** ISO-8601, null until the device is first heard from. */
  lastSeen: string | null;
  latest: Record<string, LatestValue>;
  createdAt: string;
  updatedAt: string;
}

export interface AreaDto extends AreaRef {
  parentId: string | null;
  /** GeoJSON Polygon or MultiPolygon, WGS84. */
  geometry: GeoJsonGeometry;
}

export interface GeoJsonGeometry {
  type: 'Polygon' | 'MultiPolygon';
  coordinates: number[][][] | number[][][][];
}

export const THRESHOLD_OPERATORS = ['>', '>=', '<', '<='] as const;
export type ThresholdOperator = (typeof THRESHOLD_OPERATORS)[number];
export const SEVERITIES = ['critical', 'warning', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const ALERT_STATES = ['open', 'resolved'] as const;
export type AlertState = (typeof ALERT_STATES)[number];

export interface AlertDto {
  id: number;
  /** null once the rule is deleted; the alert keeps its name. */
  ruleId: number | null;
  /** The version of the rule that fired. */
  ruleVersion: number | null;
  ruleName: string;
  severity: Severity;
  deviceId: string;
  /** The metric of the condition that fired; null for offline and camera event rules. */
  metric: string | null;
  /** The value that fired it (camera events: how many in the window); null where there is none (offline, no data). */
  value: number | null;
  /** The rule's message with the device, value, threshold and place filled in. */
  message: { vi: string; en: string };
  state: AlertState;
  /** The incident it opened or joined; null while a silence or an inhibition holds it back. */
  incidentId: number | null;
  /** The silence (maintenance window) that held it back from opening an incident. */
  silenceId: number | null;
  /** The offline gateway (or the device itself, offline, for a no_data rule) that held it back. */
  inhibitedBy: string | null;
  openedAt: string;
  resolvedAt: string | null;
}

export const listAlertsQuerySchema = z.strictObject({
  state: z.enum(ALERT_STATES).optional(),
  deviceId: z.string().regex(DEVICE_ID_PATTERN).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});
export type ListAlertsQuery = z.output<typeof listAlertsQuerySchema>;

export interface DeadLetterDto {
  id: number;
  receivedAt: string;
  topic: string;
  deviceId: string | null;
  reason: DeadLetterReason;
  message: string;
  /** The raw payload as text, truncated. */
  payload: string;
}
export const DEAD_LETTER_REASONS = [
  'bad_topic',
  'unknown_device',
  'payload_too_large',
  'invalid_json',
  'invalid_payload',
  'unknown_metric',
  /** A metric the catalogue knows, but not for this kind of device. */
  'metric_not_allowed',
  /** A SenML unit that is not the metric's unit. */
  'unit_mismatch',
  /** A timestamp too far ahead of the server clock, or too old. */
  'bad_timestamp',
  /** A gateway reporting for a device that is not registered behind it. */
  'not_a_child',
  'unsupported',
] as const;
export type DeadLetterReason = (typeof DEAD_LETTER_REASONS)[number];

export const listDeadLettersQuerySchema = z.strictObject({
  reason: z.enum(DEAD_LETTER_REASONS).optional(),
  deviceId: z.string().regex(DEVICE_ID_PATTERN).optional(),
  /** ISO-8601: received at or after. */
  since: z.iso.datetime({ offset: true }).optional(),
  /** ISO-8601: received before. */
  until: z.iso.datetime({ offset: true }).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
export type ListDeadLettersQuery = z.output<typeof listDeadLettersQuerySchema>;

/**
 * Since the server started: refused MQTT logins, connections closed for publishing where they may
 * not, and connections closed for declaring a packet over the size limit. With an external broker,
 * the refusals the server answered to its hooks (POST /api/mqtt/auth, /api/mqtt/acl); oversize
 * packets are then the broker's to count.
 */
export interface MqttRefusalCounts {
  logins: number;
  publishes: number;
  oversize: number;
}

export interface HealthDto {
  status: 'ok' | 'degraded';
  version: string;
  database: {
    mode: 'embedded' | 'external';
    up: boolean;
    /** e.g. "PostgreSQL 15.20" */
    engine: string;
    timescaledb: boolean;
    timescaledbVersion: string | null;
    /** How telemetry is split by time: TimescaleDB hypertables, or declarative partitions made by the server. */
    partitioning: 'hypertable' | 'declarative';
    /**
     * Plain PostgreSQL: how far the server has materialized the rollups (reads add the newer
     * samples from the raw rows). Null on TimescaleDB, whose aggregates are real-time.
     */
    rollups: {
      /** ISO-8601: the samples before it are in the 1-minute, hourly and area rollups. */
      upTo: string;
      /** Late samples stored and not yet recomputed into the rollups, one entry per device and write. */
      lateWaiting: number;
      /** The last refresh round failed (the error is logged); the status is degraded. */
      failing: boolean;
    } | null;
    /**
     * TimescaleDB: the storage's background jobs (aggregate refresh, compression, retention)
     * whose last scheduled run failed; any makes the status degraded. Null on plain PostgreSQL.
     */
    failingJobs: {
      id: number;
      /** e.g. "policy_refresh_continuous_aggregate" */
      job: string;
      /** The table or continuous aggregate it works on. */
      relation: string;
      /** ISO-8601: when the failed run started. */
      failedAt: string | null;
      /** The error of its last failed run. */
      error: string | null;
    }[] | null;
  };
  /** Messages handled since start, and dead letters by reason; null without the ingest role. */
  ingest: {
    messages: number;
    /** Messages that stored something (all of it, or the valid part) or changed a status. */
    accepted: number;
    /** Messages of which nothing could be used. */
    refused: number;
    samples: number;
    events: number;
    /** Dead letters written, by reason (a partly valid message may write several). */
    rejected: Partial<Record<DeadLetterReason, number>>;
    /** Times the server stopped acknowledging device messages because the spool was full. */
    pauses: number;
  } | null;
  /** Accepted messages on their way to the database; null without the ingest role. */
  spool: {
    /** Bytes in the spool not yet written to the database. */
    spoolBytes: number;
    spoolMaxBytes: number;
    spoolSegments: number;
    /** Messages waiting in memory for the next write. */
    queued: number;
    /** Writing from the spool (after a database outage, an overflow of memory, or a restart). */
    replaying: boolean;
    databaseWritable: boolean;
    lastError: string | null;
    /** Messages whose rows the database refused for good; each is logged. */
    refused: number;
    /** The spool is full: device messages are not acknowledged (the brokers hold the devices back). */
    paused: boolean;
    /** Messages held unacknowledged until the spool has room. */
    waiting: number;
  } | null;
  /** null in a process without the ingest role. */
  mqtt: {
    mode: 'embedded' | 'external';
    connected: boolean;
    port: number | null;
    wsPort: number | null;
    refused: MqttRefusalCounts;
  } | null;
  roles: string[];
}

/** GET /api/console-config: what the console needs before it draws anything. */
export interface ConsoleConfigDto {
  tileUrl: string;
  tileAttribution: string;
  /** Initial map view: [lat, lng] and zoom. */
  center: [number, number];
  zoom: number;
}

/** Every 4xx/5xx body. */
export interface ApiErrorBody {
  statusCode: number;
  error: string;
  message: string;
  issues?: { path: string; message: string }[];
}
