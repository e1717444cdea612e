import { z } from 'zod';

export interface SimulatorConfig {
  /** Base URL of the ioc server, without a trailing slash. */
  serverUrl: string;
  /** Broker to use instead of the one the server reports in /api/health. */
  mqttUrl: string | undefined;
  intervalMs: number;
  /** Simulate at most this many devices of the fleet. */
  deviceLimit: number | undefined;
  seed: number;
  /** Who the simulator logs in as to register the fleet. */
  username: string;
  password: string;
}

// docker-compose and shells pass unset variables as empty strings.
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === '' ? undefined : value), schema.optional());

const envSchema = z.object({
  SERVER_URL: optional(z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' })),
  // The server's own PORT: `npm run demo` passes one environment to both processes.
  PORT: optional(z.coerce.number().int().min(1, 'the fleet needs a fixed port: set SERVER_URL').max(65535)),
  MQTT_URL: optional(
    z.url({ protocol: /^(mqtts?|wss?)$/, error: 'expected an mqtt://, mqtts://, ws:// or wss:// URL' }),
  ),
  SIM_INTERVAL_MS: optional(z.coerce.number().int().min(100).max(3_600_000)),
  SIM_DEVICES: optional(z.coerce.number().int().min(1)),
  SIM_SEED: optional(z.coerce.number().int().min(0).max(0xffff_ffff)),
  SIM_USERNAME: optional(z.string().min(1)),
  SIM_PASSWORD: optional(z.string().min(1)),
});

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Reads the simulator's options once; the message of a ConfigError names every bad variable. */
export function loadConfig(env: Record<string, string | undefined>): SimulatorConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`invalid environment: ${problems.join('; ')}`);
  }
  const vars = parsed.data;
  return {
    serverUrl: (vars.SERVER_URL ?? `http://localhost:${vars.PORT ?? 3000}`).replace(/\/+$/, ''),
    mqttUrl: vars.MQTT_URL,
    intervalMs: vars.SIM_INTERVAL_MS ?? 5000,
    deviceLimit: vars.SIM_DEVICES,
    seed: vars.SIM_SEED ?? 1,
    // The demo administrator that `npm run demo` seeds (README).
    username: vars.SIM_USERNAME ?? 'admin',
    password: vars.SIM_PASSWORD ?? 'admin-demo-2026',
  };
}
