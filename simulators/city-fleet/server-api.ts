import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import type { AlertRuleDefinitionInput, CreateDeviceInput, HealthDto, LoginInput, ReplaceDeviceInput } from '@ioc/contracts';
import type { Logger } from 'pino';

const REQUEST_TIMEOUT_MS = 10_000;

/** What the simulator needs of HealthDto; the rest may evolve without breaking it. */
const healthSchema = z.looseObject({
  mqtt: z.looseObject({ port: z.number().int().min(1).max(65_535).nullable() }).nullable(),
});
/** HealthDto['mqtt']: null when the server process has no ingest role. */
export type HealthMqtt = Pick<NonNullable<HealthDto['mqtt']>, 'port'> | null;

const ruleListSchema = z.array(z.looseObject({ name: z.string() }));
const sessionSchema = z.looseObject({ accessToken: z.string().min(1) });
const credentialsSchema = z.looseObject({ password: z.string().min(1) });

/** ApiErrorBody, read leniently: a server in development may still answer with NestJS defaults. */
const errorBodySchema = z.looseObject({
  message: z.union([z.string(), z.array(z.string())]),
  issues: z.array(z.looseObject({ path: z.string(), message: z.string() })).optional(),
});

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The part of the ioc REST API the simulator uses. */
export class ServerApi {
  private accessToken: string | undefined;

  constructor(readonly baseUrl: string) {}

  /** Seeding needs an administrator or supervisor; the session outlives the few seconds it takes. */
  async login(credentials: LoginInput, signal?: AbortSignal): Promise<void> {
    const session = sessionSchema.safeParse(await this.request('POST', '/api/auth/login', credentials, signal));
    if (!session.success) throw new Error(`POST /api/auth/login: unexpected body (${z.prettifyError(session.error)})`);
    this.accessToken = session.data.accessToken;
  }

  get healthUrl(): string {
    return `${this.baseUrl}/api/health`;
  }

  async health(signal?: AbortSignal): Promise<HealthMqtt> {
    const body = healthSchema.safeParse(await this.request('GET', '/api/health', undefined, signal));
    if (!body.success) throw new Error(`GET /api/health: unexpected body (${z.prettifyError(body.error)})`);
    const { mqtt } = body.data;
    return mqtt === null ? null : { port: mqtt.port };
  }

  /** Creates or replaces the device: seeding twice leaves the same fleet. */
  async putDevice(device: CreateDeviceInput, signal?: AbortSignal): Promise<void> {
    const { id, ...rest } = device;
    const body: ReplaceDeviceInput = rest;
    await this.request('PUT', `/api/devices/${encodeURIComponent(id)}`, body, signal);
  }

  /** A new MQTT secret for the device (the previous one stops working). */
  async issueCredentials(id: string, signal?: AbortSignal): Promise<string> {
    const body = credentialsSchema.safeParse(
      await this.request('POST', `/api/devices/${encodeURIComponent(id)}/credentials`, undefined, signal),
    );
    if (!body.success) throw new Error(`POST /api/devices/${id}/credentials: unexpected body (${z.prettifyError(body.error)})`);
    return body.data.password;
  }

  async ruleNames(signal?: AbortSignal): Promise<Set<string>> {
    const rules = ruleListSchema.safeParse(await this.request('GET', '/api/rules', undefined, signal));
    if (!rules.success) throw new Error(`GET /api/rules: expected a list of rules (${z.prettifyError(rules.error)})`);
    return new Set(rules.data.map((r) => r.name));
  }

  async createRule(rule: AlertRuleDefinitionInput, signal?: AbortSignal): Promise<void> {
    await this.request('POST', '/api/rules', rule, signal);
  }

  private async request(method: string, path: string, body: unknown, signal?: AbortSignal): Promise<unknown> {
    const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.accessToken) headers.authorization = `Bearer ${this.accessToken}`;
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
    const text = await response.text();
    if (!response.ok) {
      throw new ApiError(response.status, `${method} ${path} answered ${response.status}: ${serverMessage(text)}`);
    }
    if (text === '') return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new Error(`${method} ${path}: the answer is not JSON: ${text.slice(0, 200)}`);
    }
  }
}

function serverMessage(text: string): string {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return text.slice(0, 500) || '(empty body)';
  }
  const body = errorBodySchema.safeParse(json);
  if (!body.success) return text.slice(0, 500);
  const message = Array.isArray(body.data.message) ? body.data.message.join('; ') : body.data.message;
  const issues = body.data.issues?.map((i) => `${i.path || '(body)'}: ${i.message}`) ?? [];
  return issues.length > 0 ? `${message} (${issues.join('; ')})` : message;
}

/** A thrown value read by shape: errors from fetch may come from another realm than this module. */
const failureSchema = z.object({
  message: z.string(),
  cause: z.object({ code: z.string().optional(), message: z.string() }).optional(),
});

/** Why a request failed, in a few words (fetch hides the socket error in `cause`). */
export function describeFailure(error: unknown): string {
  const failure = failureSchema.safeParse(error);
  if (!failure.success) return String(error);
  const { message, cause } = failure.data;
  return cause?.code ?? cause?.message ?? message;
}

export interface WaitOptions {
  log: Logger;
  signal?: AbortSignal;
  deadlineMs?: number;
  firstDelayMs?: number;
  maxDelayMs?: number;
}

/** Polls GET /api/health until it answers 200, backing off; gives up after `deadlineMs`. */
export async function waitForHealth(api: ServerApi, options: WaitOptions): Promise<HealthMqtt> {
  const { log, signal, deadlineMs = 120_000, firstDelayMs = 500, maxDelayMs = 5_000 } = options;
  const giveUpAt = Date.now() + deadlineMs;
  let delay = firstDelayMs;
  for (;;) {
    let reason: string;
    try {
      return await api.health(signal);
    } catch (error) {
      if (signal?.aborted) throw error;
      reason = describeFailure(error);
    }
    const left = giveUpAt - Date.now();
    if (left <= 0) {
      throw new Error(`the server at ${api.baseUrl} is not ready after ${Math.round(deadlineMs / 1000)} s: ${reason}`);
    }
    const wait = Math.min(delay, left);
    log.info(`waiting for the server: ${api.healthUrl} (${reason}); retrying in ${(wait / 1000).toFixed(1)} s`);
    await sleep(wait, undefined, { signal });
    delay = Math.min(delay * 2, maxDelayMs);
  }
}

/** The embedded broker listens on the server's host, at the port /api/health reports. */
export function brokerUrlFromHealth(serverUrl: string, mqtt: HealthMqtt): string {
  if (mqtt === null) {
    throw new Error('the server reports no MQTT ingest (its roles exclude ingest): set MQTT_URL to the broker');
  }
  if (mqtt.port === null) {
    throw new Error('the server reports no MQTT port (it uses an external broker): set MQTT_URL to that broker');
  }
  return `mqtt://${new URL(serverUrl).hostname}:${mqtt.port}`;
}

/**
 * PUTs every device and issues it a fresh MQTT secret (returned by device id), then creates the
 * rules whose name the server does not know yet.
 */
export async function seed(
  api: ServerApi,
  devices: readonly CreateDeviceInput[],
  rules: readonly AlertRuleDefinitionInput[],
  log: Logger,
  signal?: AbortSignal,
): Promise<Map<string, string>> {
  const secrets = new Map<string, string>();
  for (const device of devices) {
    await api.putDevice(device, signal);
    secrets.set(device.id, await api.issueCredentials(device.id, signal));
  }
  log.info(`${devices.length} devices registered, each with a new MQTT secret`);
  const existing = await api.ruleNames(signal);
  const missing = rules.filter((r) => !existing.has(r.name));
  for (const rule of missing) await api.createRule(rule, signal);
  log.info(`${missing.length} demo rules created, ${rules.length - missing.length} already there`);
  return secrets;
}
