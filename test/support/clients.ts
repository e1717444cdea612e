import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import { io, type Socket } from 'socket.io-client';
import {
  SOCKET_PATH,
  type ClientToServerEvents,
  type CreateDeviceInput,
  type ProvisionedDeviceDto,
  type ServerToClientEvents,
  type SocketAuth,
} from '@ioc/contracts';

export type ConsoleSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export async function connectConsole(baseUrl: string, token: string): Promise<ConsoleSocket> {
  const socket: ConsoleSocket = io(baseUrl, {
    path: SOCKET_PATH,
    transports: ['websocket'],
    reconnection: false,
    auth: { token } satisfies SocketAuth,
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return socket;
}

export function connectDevice(mqttUrl: string, clientId: string, options: IClientOptions = {}): Promise<MqttClient> {
  return connectAsync(mqttUrl, { clientId, reconnectPeriod: 0, ...options });
}

/** Registers a device through the API as `adminToken` and connects it over MQTT with the credentials it was issued. */
export async function provisionDevice(
  server: { baseUrl: string; mqttUrl: string },
  adminToken: string,
  device: CreateDeviceInput,
): Promise<MqttClient> {
  const created = await api<ProvisionedDeviceDto>(server.baseUrl, 'POST', '/api/devices', device, adminToken);
  if (created.status !== 201) throw new Error(`device ${device.id} not registered: ${created.status} ${JSON.stringify(created.body)}`);
  const { username, password } = created.body.credentials;
  return connectDevice(server.mqttUrl, device.id, { username, password });
}

/** The next event of that name whose payload passes the check. */
export function nextEvent<E extends keyof ServerToClientEvents>(
  socket: ConsoleSocket,
  event: E,
  matches: (...args: Parameters<ServerToClientEvents[E]>) => boolean,
  timeoutMs = 10_000,
): Promise<Parameters<ServerToClientEvents[E]>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off(event, listener as never);
      reject(new Error(`no matching ${event} within ${timeoutMs} ms`));
    }, timeoutMs);
    const listener = (...args: Parameters<ServerToClientEvents[E]>) => {
      if (!matches(...args)) return;
      clearTimeout(timer);
      socket.off(event, listener as never);
      resolve(args);
    };
    socket.on(event, listener as never);
  });
}

/** Polls until the check returns a value other than undefined. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function api<T = unknown>(
  baseUrl: string,
  method: string,
  path: string,
  body?: unknown,
  token?: string,
): Promise<{ status: number; body: T }> {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}
