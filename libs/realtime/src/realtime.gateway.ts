import { Inject, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { WebSocketGateway, WebSocketServer, type OnGatewayConnection, type OnGatewayInit } from '@nestjs/websockets';
import type { Server, Socket } from 'socket.io';
import {
  SOCKET_PATH,
  type ClientToServerEvents,
  type IncidentEventDto,
  type Role,
  type ServerToClientEvents,
  type SocketAuth,
} from '@ioc/contracts';
import { APP_CONFIG, type AppConfig } from '@ioc/config';
import { EventBus, Periodic } from '@ioc/common';
import { AuthService, READERS, type Principal } from '@ioc/auth';
import { NewestValues } from '@ioc/devices';

interface SocketData {
  principal: Principal;
  expiry: NodeJS.Timeout;
}
type ConsoleServer = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
type ConsoleSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

/** Every socket joins the room of its user's role; an event goes to the roles its REST route allows. */
const roleRoom = (role: Role) => `role:${role}`;
const roleRooms = (roles: readonly Role[]) => roles.map(roleRoom);
/** A field team: only the incidents dispatched to it. */
const teamRoom = (teamId: number) => `team:${teamId}`;

/** Field users see only their team's incidents (over REST too); the other readers see them all. */
const ALL_INCIDENTS = roleRooms(READERS.incidents.filter((role) => role !== 'field'));

/** The rooms a socket joins on connecting, which decide what it is sent. */
function roomsOf(principal: Pick<Principal, 'role' | 'teamId'>): string[] {
  const rooms = [roleRoom(principal.role)];
  if (principal.role === 'field' && principal.teamId !== null) rooms.push(teamRoom(principal.teamId));
  return rooms;
}

/**
 * Streams live telemetry (coalesced), device changes, device events, commands, alerts and
 * incidents to logged-in consoles over socket.io, each only to the sockets whose user may read
 * the same over REST (READERS). A socket lives no longer than its access token, nor past its
 * session's revocation.
 */
@WebSocketGateway({ path: SOCKET_PATH, serveClient: false })
export class RealtimeGateway implements OnGatewayInit, OnGatewayConnection, OnModuleInit, OnModuleDestroy {
  @WebSocketServer() private server!: ConsoleServer;
  private readonly logger = new Logger(RealtimeGateway.name);
  private readonly unsubscribers: (() => void)[] = [];
  private readonly flushes = new Periodic(() => this.flush());

  constructor(
    private readonly bus: EventBus,
    private readonly auth: AuthService,
    private readonly newest: NewestValues,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  afterInit(server: ConsoleServer): void {
    server.use((socket: ConsoleSocket, next) => {
      try {
        const principal = this.auth.verify((socket.handshake.auth as Partial<SocketAuth>)?.token);
        socket.data.principal = principal;
        socket.data.expiry = setTimeout(() => this.end(socket, 'expired'), Math.max(0, principal.expiresAt - Date.now()));
        socket.on('disconnect', () => clearTimeout(socket.data.expiry));
        next();
      } catch {
        next(new Error('unauthorized'));
      }
    });
  }

  handleConnection(socket: ConsoleSocket): void {
    void socket.join(roomsOf(socket.data.principal));
  }

  onModuleInit(): void {
    this.newest.trackChanges();
    this.unsubscribers.push(
      this.bus.on('device.status', (u) => this.to(READERS.devices).emit('device:status', u)),
      this.bus.on('device.health', (u) => this.to(READERS.devices).emit('device:health', u)),
      this.bus.on('event.accepted', (e) => this.to(READERS.deviceEvents).emit('device:event', e)),
      this.bus.on('device.upserted', (d) => this.to(READERS.devices).emit('device:upserted', d)),
      this.bus.on('device.removed', (id) => this.to(READERS.devices).emit('device:removed', { id })),
      this.bus.on('alert.opened', (a) => this.to(READERS.alerts).emit('alert:opened', a)),
      this.bus.on('alert.resolved', (a) => this.to(READERS.alerts).emit('alert:resolved', a)),
      this.bus.on('incident.opened', (e) => this.incident('incident:opened', e, null)),
      this.bus.on('incident.updated', (e, previousTeamId) => this.incident('incident:updated', e, previousTeamId)),
      this.bus.on('command.updated', (c) => this.to(READERS.commands).emit('command:updated', c)),
      this.bus.on('session.revoked', (sessionId) => this.endSession(sessionId)),
    );
    this.flushes.start(this.config.REALTIME_FLUSH_MS);
  }

  async onModuleDestroy(): Promise<void> {
    await this.flushes.stop();
    for (const off of this.unsubscribers) off();
  }

  private incident(name: 'incident:opened' | 'incident:updated', event: IncidentEventDto, previousTeamId: number | null): void {
    const { teamId, id } = event.incident;
    this.server.to(teamId === null ? ALL_INCIDENTS : [...ALL_INCIDENTS, teamRoom(teamId)]).emit(name, event);
    if (previousTeamId !== null && previousTeamId !== teamId) this.server.to(teamRoom(previousTeamId)).emit('incident:withdrawn', { id });
  }

  /** The sockets of the users in these roles. */
  private to(roles: readonly Role[]) {
    return this.server.to(roleRooms(roles));
  }

  private endSession(sessionId: string): void {
    for (const socket of this.server.sockets.sockets.values()) {
      if (socket.data.principal?.sessionId === sessionId) this.end(socket, 'revoked');
    }
  }

  private end(socket: ConsoleSocket, reason: 'expired' | 'revoked'): void {
    this.logger.debug(`closing the socket of ${socket.data.principal.username}: session ${reason}`);
    socket.emit('session:ended', { reason });
    socket.disconnect(true);
  }

  private flush(): void {
    const updates = this.newest.drainChanges();
    if (updates.length === 0 || !this.server) return;
    this.to(READERS.devices).emit('telemetry:batch', updates);
  }
}
