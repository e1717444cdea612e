import type { AlertDto, ApiErrorBody, AreaDto, ConsoleConfigDto, DeviceDto } from '@ioc/contracts';

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

async function getJson<T>(path: string): Promise<T> {
  const response = await fetch(path, { headers: { accept: 'application/json' } });
  if (!response.ok) {
    const body = (await response.json().catch(() => null)) as Partial<ApiErrorBody> | null;
    throw new ApiRequestError(path, response.status, body?.message ?? response.statusText);
  }
  return (await response.json()) as T;
}

export const api = {
  consoleConfig: () => getJson<ConsoleConfigDto>('/api/console-config'),
  devices: () => getJson<DeviceDto[]>('/api/devices'),
  openAlerts: () => getJson<AlertDto[]>('/api/alerts?state=open'),
  areas: () => getJson<AreaDto[]>('/api/areas'),
};
