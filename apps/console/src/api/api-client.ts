import type { AlertDto, ApiErrorBody, AreaDto, ConsoleConfigDto, DeviceDto } from '@ioc/contracts';
import type { Fetch } from '../auth/auth-session';
import { consoleAuth } from '../auth/console-auth';

export class ApiRequestError extends Error {
  constructor(
    readonly path: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiRequestError';
  }
}

const withSession: Fetch = (path, init) => consoleAuth.fetch(path, init);
const withoutSession: Fetch = (path, init) => fetch(path, init);

async function getJson<T>(path: string, send: Fetch = withSession): Promise<T> {
  const response = await send(path, { headers: { accept: 'application/json' } });
  if (!response.ok) {
    const body = (await response.json().catch(() => null)) as Partial<ApiErrorBody> | null;
    throw new ApiRequestError(path, response.status, body?.message ?? response.statusText);
  }
  return (await response.json()) as T;
}

export const api = {
  consoleConfig: () => getJson<ConsoleConfigDto>('/api/console-config', withoutSession),
  devices: () => getJson<DeviceDto[]>('/api/devices'),
  openAlerts: () => getJson<AlertDto[]>('/api/alerts?state=open'),
  areas: () => getJson<AreaDto[]>('/api/areas'),
};
