import type {
  AlertDto,
  ApiErrorBody,
  AreaDto,
  ConsoleConfigDto,
  DeviceDto,
  IncidentAction,
  IncidentActionInput,
  IncidentDetailDto,
  IncidentDto,
  IncidentPageDto,
  TeamDto,
} from '@ioc/contracts';
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
  return answer<T>(path, await send(path, { headers: { accept: 'application/json' } }));
}

async function postJson<T>(path: string, body: unknown): Promise<T> {
  const init = { method: 'POST', headers: { accept: 'application/json', 'content-type': 'application/json' }, body: JSON.stringify(body) };
  return answer<T>(path, await withSession(path, init));
}

async function answer<T>(path: string, response: Response): Promise<T> {
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
  teams: () => getJson<TeamDto[]>('/api/teams'),
  incidentAction: (id: number, action: IncidentAction, body: IncidentActionInput) =>
    postJson<IncidentDetailDto>(`/api/incidents/${id}/${action}`, body),
  /** Every page of the list: the incidents still to handle, or (`updatedSince`) all that changed since. */
  incidents: async (updatedSince: string | null): Promise<IncidentDto[]> => {
    const query = new URLSearchParams({ limit: '500' });
    if (updatedSince === null) query.set('state', 'open,acknowledged,dispatched,resolved');
    else query.set('updatedSince', updatedSince);
    const incidents: IncidentDto[] = [];
    for (;;) {
      const page = await getJson<IncidentPageDto>(`/api/incidents?${query}`);
      incidents.push(...page.items);
      if (page.nextCursor === null) return incidents;
      query.set('cursor', page.nextCursor);
    }
  },
};
