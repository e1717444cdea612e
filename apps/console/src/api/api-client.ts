import {
  INCIDENT_PHOTO_FIELD,
  type AlertDto,
  type ApiErrorBody,
  type AreaDto,
  type ConsoleConfigDto,
  type DeviceDto,
  type IncidentAction,
  type IncidentActionInput,
  type IncidentDetailDto,
  type IncidentDto,
  type IncidentPageDto,
  type IncidentPhotoDto,
  type MergeIncident,
  type PhotoPhase,
  type RateReport,
  type RejectIncident,
  type ReportReceiptDto,
  type ReportTrackingDto,
  type TeamDto,
} from '@ioc/contracts';
import type { Fetch } from '../auth/auth-session';
import { consoleAuth } from '../auth/console-auth';
import { postForm, type UploadAnswer } from './form-upload';

export class ApiRequestError extends Error {
  constructor(
    readonly path: string,
    /** 0: no answer came (offline, the server down). */
    readonly status: number,
    message: string,
    /** The fields the server named, if any. */
    readonly issues: readonly { path: string; message: string }[] = [],
  ) {
    super(message);
    this.name = 'ApiRequestError';
  }
}

const withSession: Fetch = (path, init) => consoleAuth.fetch(path, init);
/** Public routes: no token; a request that got no answer fails with status 0. */
const withoutSession: Fetch = (path, init) =>
  fetch(path, init).catch((error: unknown) => {
    throw new ApiRequestError(path, 0, error instanceof Error ? error.message : String(error));
  });

async function getJson<T>(path: string, send: Fetch = withSession): Promise<T> {
  return answer<T>(path, await send(path, { headers: { accept: 'application/json' } }));
}

async function postJson<T>(path: string, body: unknown, send: Fetch = withSession): Promise<T> {
  const init = { method: 'POST', headers: { accept: 'application/json', 'content-type': 'application/json' }, body: JSON.stringify(body) };
  return answer<T>(path, await send(path, init));
}

/** The body of a successful upload, or the error its answer says. */
function uploaded<T>(path: string, { status, body }: UploadAnswer): T {
  if (status >= 200 && status < 300) return body as T;
  const refusal = body as Partial<ApiErrorBody> | null;
  const message = refusal?.message;
  throw new ApiRequestError(path, status, typeof message === 'string' ? message : `HTTP ${status}`, Array.isArray(refusal?.issues) ? refusal.issues : []);
}

/** A multipart upload with the session's token, sent once more with a renewed token after a 401. */
async function postFormWithSession(path: string, form: FormData, onProgress?: (fraction: number) => void): Promise<UploadAnswer> {
  const token = await consoleAuth.accessToken();
  const first = await postForm(path, form, { token, onProgress });
  if (first.status !== 401) return first;
  return postForm(path, form, { token: await consoleAuth.renew(token), onProgress });
}

async function answer<T>(path: string, response: Response): Promise<T> {
  if (!response.ok) {
    const body = (await response.json().catch(() => null)) as Partial<ApiErrorBody> | null;
    throw new ApiRequestError(path, response.status, body?.message ?? response.statusText, body?.issues);
  }
  return (await response.json()) as T;
}

/** The citizens' pages: no login. */
export const reportsApi = {
  consoleConfig: () => getJson<ConsoleConfigDto>('/api/console-config', withoutSession),
  submit: async (form: FormData, onProgress?: (fraction: number) => void): Promise<ReportReceiptDto> =>
    uploaded<ReportReceiptDto>('/api/reports', await postForm('/api/reports', form, { onProgress })),
  track: (code: string) => getJson<ReportTrackingDto>(`/api/reports/${encodeURIComponent(code)}`, withoutSession),
  rate: (code: string, body: RateReport) => postJson<ReportTrackingDto>(`/api/reports/${encodeURIComponent(code)}/rating`, body, withoutSession),
};

export const api = {
  consoleConfig: () => getJson<ConsoleConfigDto>('/api/console-config', withoutSession),
  devices: () => getJson<DeviceDto[]>('/api/devices'),
  openAlerts: () => getJson<AlertDto[]>('/api/alerts?state=open'),
  areas: () => getJson<AreaDto[]>('/api/areas'),
  teams: () => getJson<TeamDto[]>('/api/teams'),
  incidentAction: (id: number, action: IncidentAction, body: IncidentActionInput) =>
    postJson<IncidentDetailDto>(`/api/incidents/${id}/${action}`, body),
  rejectIncident: (id: number, body: RejectIncident) => postJson<IncidentDetailDto>(`/api/incidents/${id}/reject`, body),
  mergeIncident: (id: number, body: MergeIncident) => postJson<IncidentDetailDto>(`/api/incidents/${id}/merge`, body),
  incidentPhotos: (id: number) => getJson<IncidentPhotoDto[]>(`/api/incidents/${id}/photos`),
  /** A photo's image, fetched with the session: photos are never public. */
  photoBlob: async (url: string): Promise<Blob> => {
    const response = await withSession(url, { headers: { accept: 'image/*' } });
    if (!response.ok) throw new ApiRequestError(url, response.status, response.statusText);
    return response.blob();
  },
  addIncidentPhoto: async (id: number, phase: PhotoPhase, photo: File, onProgress?: (fraction: number) => void): Promise<IncidentPhotoDto> => {
    const path = `/api/incidents/${id}/photos`;
    const form = new FormData();
    form.append('phase', phase);
    form.append(INCIDENT_PHOTO_FIELD, photo, photo.name);
    return uploaded<IncidentPhotoDto>(path, await postFormWithSession(path, form, onProgress));
  },
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
