import { io, type Socket } from 'socket.io-client';
import {
  SOCKET_PATH,
  type AlertDto,
  type AlertRuleDefinitionInput,
  type ClientToServerEvents,
  type CreateDeviceInput,
  type IncidentDetailDto,
  type IncidentDto,
  type IncidentEventDto,
  type IncidentPageDto,
  type ProvisionedDeviceDto,
  type RuleDto,
  type ServerToClientEvents,
  type SessionDto,
  type SocketAuth,
} from '@ioc/contracts';

// The demo operator that IOC_DEMO_USERS=true seeds (README): the role on duty in the operations room.
export const OPERATOR = { username: 'canbotruc', password: 'canbotruc-demo-2026' };

const REQUEST_TIMEOUT_MS = 30_000;
/** The most GET /api/alerts answers at once. */
const ALERTS_LIMIT = 1000;
const INCIDENTS_PAGE = 500;

/** The REST API with one user's token. */
export class Api {
  constructor(
    readonly baseUrl: string,
    readonly token: string,
  ) {}

  static async login(baseUrl: string, user: { username: string; password: string }): Promise<Api> {
    const session = await new Api(baseUrl, '').request<SessionDto>('POST', '/api/auth/login', user);
    return new Api(baseUrl, session.accessToken);
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(this.token ? { authorization: `Bearer ${this.token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    }).catch((err: Error) => {
      throw new Error(`${method} ${path}: ${err.message}`);
    });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }

  /** Registers devices a few requests at a time; answers in the order given. */
  async createDevices(inputs: readonly CreateDeviceInput[], lanes = 16): Promise<ProvisionedDeviceDto[]> {
    const created: ProvisionedDeviceDto[] = new Array<ProvisionedDeviceDto>(inputs.length);
    let next = 0;
    const lane = async () => {
      while (next < inputs.length) {
        const i = next++;
        created[i] = await this.request<ProvisionedDeviceDto>('POST', '/api/devices', inputs[i]);
      }
    };
    await Promise.all(Array.from({ length: Math.min(lanes, inputs.length) }, lane));
    return created;
  }

  createRule(rule: AlertRuleDefinitionInput): Promise<RuleDto> {
    return this.request<RuleDto>('POST', '/api/rules', rule);
  }

  /** Every incident, newest first, page after page. */
  async incidents(): Promise<IncidentDto[]> {
    const all: IncidentDto[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `limit=${INCIDENTS_PAGE}${cursor ? `&cursor=${cursor}` : ''}`;
      const page: IncidentPageDto = await this.request<IncidentPageDto>('GET', `/api/incidents?${query}`);
      all.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor !== null);
    return all;
  }

  incident(id: number): Promise<IncidentDetailDto> {
    return this.request<IncidentDetailDto>('GET', `/api/incidents/${id}`);
  }

  /** The newest alerts, at most 1000: more than any scenario of the bench records. */
  alerts(): Promise<AlertDto[]> {
    return this.request<AlertDto[]>('GET', `/api/alerts?limit=${ALERTS_LIMIT}`);
  }
}

/** An event and when it reached the console (performance.now(), the bench's clock). */
export interface Seen<T> {
  at: number;
  payload: T;
}

type ConsoleSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** A console logged in over socket.io: records every alert and incident event as it arrives. */
export class ConsoleWatch {
  readonly alertsOpened: Seen<AlertDto>[] = [];
  readonly incidentsOpened: Seen<IncidentEventDto>[] = [];
  readonly incidentsUpdated: Seen<IncidentEventDto>[] = [];
  private readonly waiters = new Set<() => void>();
  private disconnected: string | null = null;

  private constructor(private readonly socket: ConsoleSocket) {
    const record =
      <T>(list: Seen<T>[]) =>
      (payload: T) => {
        list.push({ at: performance.now(), payload });
        for (const check of [...this.waiters]) check();
      };
    socket.on('alert:opened', record(this.alertsOpened));
    socket.on('incident:opened', record(this.incidentsOpened));
    socket.on('incident:updated', record(this.incidentsUpdated));
    socket.on('disconnect', (reason) => {
      this.disconnected = reason;
    });
  }

  static connect(api: Api): Promise<ConsoleWatch> {
    const socket: ConsoleSocket = io(api.baseUrl, {
      path: SOCKET_PATH,
      transports: ['websocket'],
      reconnection: false,
      auth: { token: api.token } satisfies SocketAuth,
    });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.close();
        reject(new Error('socket.io: no connection within 10 s'));
      }, 10_000);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(new ConsoleWatch(socket));
      });
      socket.once('connect_error', (err) => {
        clearTimeout(timer);
        socket.close();
        reject(new Error(`socket.io: ${err.message}`));
      });
    });
  }

  /** Resolves true once `done()` holds after some event, false if it still does not at the deadline. */
  until(done: () => boolean, timeoutMs: number): Promise<boolean> {
    if (done()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const finish = (ok: boolean) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(ok);
      };
      const check = () => {
        if (done()) finish(true);
      };
      const timer = setTimeout(() => finish(done()), Math.max(0, timeoutMs));
      this.waiters.add(check);
    });
  }

  /** Why the socket closed during the run, if it did. */
  get lostReason(): string | null {
    return this.disconnected;
  }

  close(): void {
    this.socket.close();
  }
}
