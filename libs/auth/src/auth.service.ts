import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import type { LoginInput, Role, SessionDto, UserDto } from '@ioc/contracts';
import { APP_CONFIG, type AppConfig } from '@ioc/config';
import { ErrorCode, EventBus, IocError, randomSecret, sha256Hex } from '@ioc/common';
import { IdentityRepository, type UserRecord } from './identity.repository';
import type { Principal } from './principal';
import { hashPassword, verifyPassword } from './secrets';

interface AccessClaims {
  sub: string;
  sid: string;
  usr: string;
  role: Role;
  team: number | null;
  exp: number;
}

export interface ClientInfo {
  ip: string | null;
  userAgent: string | null;
}

const WRONG_CREDENTIALS = 'wrong username or password';

export function toUserDto(u: UserRecord): UserDto {
  return {
    id: u.id,
    username: u.username,
    displayName: u.displayName,
    role: u.role,
    teamId: u.teamId,
    disabled: u.disabled,
    createdAt: u.createdAt,
  };
}

/**
 * Sessions for people: short-lived signed access tokens, and single-use refresh tokens stored
 * hashed. A revoked session is known to every check at once (kept in memory, fed by the bus).
 */
@Injectable()
export class AuthService implements OnModuleInit {
  private readonly logger = new Logger(AuthService.name);
  private readonly revoked = new Set<string>();
  /** Compared against when the username is unknown, so both paths cost one argon2 verify. */
  private decoyHash = '';

  constructor(
    private readonly repository: IdentityRepository,
    private readonly jwt: JwtService,
    private readonly bus: EventBus,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    this.decoyHash = await hashPassword(randomSecret());
    for (const id of await this.repository.recentlyRevokedSessions(this.config.ACCESS_TOKEN_TTL_S)) this.revoked.add(id);
    this.bus.on('session.revoked', (id) => this.forget(id));
  }

  async login(input: LoginInput, client: ClientInfo): Promise<SessionDto> {
    const user = await this.repository.findUserByName(input.username);
    if (!user) {
      await verifyPassword(this.decoyHash, input.password);
      throw new IocError(ErrorCode.Unauthenticated, WRONG_CREDENTIALS);
    }
    if (user.lockedUntil && user.lockedUntil > new Date()) throw this.locked(user.lockedUntil);
    if (!(await verifyPassword(user.passwordHash, input.password))) {
      const lockedUntil = await this.repository.recordFailedLogin(
        user.id,
        this.config.LOGIN_MAX_FAILURES,
        this.config.LOGIN_LOCK_MINUTES,
      );
      if (lockedUntil) throw this.locked(lockedUntil);
      throw new IocError(ErrorCode.Unauthenticated, WRONG_CREDENTIALS);
    }
    if (user.disabled) throw new IocError(ErrorCode.Unauthenticated, 'this account is disabled');
    await this.repository.recordSuccessfulLogin(user.id);
    const refreshToken = randomSecret();
    const sessionId = randomUUID();
    await this.repository.insertSession({
      id: sessionId,
      userId: user.id,
      tokenHash: sha256Hex(refreshToken),
      expiresAt: this.refreshExpiry(),
      ip: client.ip,
      userAgent: client.userAgent?.slice(0, 300) ?? null,
    });
    return this.session(user, sessionId, refreshToken);
  }

  async refresh(refreshToken: string): Promise<SessionDto> {
    const next = randomSecret();
    const session = await this.repository.rotateSession(
      sha256Hex(refreshToken),
      sha256Hex(next),
      this.refreshExpiry(),
      this.config.REFRESH_TOKEN_GRACE_S,
    );
    if (!session) throw new IocError(ErrorCode.Unauthenticated, 'session expired or revoked: log in again');
    const user = await this.repository.findUserById(session.user_id);
    if (!user || user.disabled) {
      await this.revokeAllOf(session.user_id);
      throw new IocError(ErrorCode.Unauthenticated, 'this account is disabled');
    }
    return this.session(user, session.id, next);
  }

  async logout(refreshToken: string): Promise<void> {
    const id = await this.repository.revokeSessionByToken(sha256Hex(refreshToken));
    if (id) this.bus.emit('session.revoked', id);
  }

  async revokeAllOf(userId: number): Promise<void> {
    for (const id of await this.repository.revokeSessionsOfUser(userId)) this.bus.emit('session.revoked', id);
  }

  /** Checks an access token; throws 401 when it is missing, forged, expired or its session revoked. */
  verify(token: string | undefined): Principal {
    if (!token) throw new IocError(ErrorCode.Unauthenticated, 'log in first: no access token');
    let claims: AccessClaims;
    try {
      claims = this.jwt.verify<AccessClaims>(token, { algorithms: ['HS256'] });
    } catch (err) {
      const expired = (err as Error).name === 'TokenExpiredError';
      throw new IocError(ErrorCode.Unauthenticated, expired ? 'access token expired: refresh it' : 'invalid access token');
    }
    if (this.revoked.has(claims.sid)) throw new IocError(ErrorCode.Unauthenticated, 'session revoked: log in again');
    return {
      userId: Number(claims.sub),
      username: claims.usr,
      role: claims.role,
      teamId: claims.team,
      sessionId: claims.sid,
      expiresAt: claims.exp * 1000,
    };
  }

  private forget(sessionId: string): void {
    this.revoked.add(sessionId);
    // After an access token's lifetime the revocation no longer needs remembering.
    setTimeout(() => this.revoked.delete(sessionId), this.config.ACCESS_TOKEN_TTL_S * 1000 + 60_000).unref();
  }

  private session(user: UserRecord, sessionId: string, refreshToken: string): SessionDto {
    const exp = Math.floor(Date.now() / 1000) + this.config.ACCESS_TOKEN_TTL_S;
    const claims: AccessClaims = { sub: String(user.id), sid: sessionId, usr: user.username, role: user.role, team: user.teamId, exp };
    return {
      accessToken: this.jwt.sign(claims, { algorithm: 'HS256' }),
      accessTokenExpiresAt: new Date(exp * 1000).toISOString(),
      refreshToken,
      user: toUserDto(user),
    };
  }

  private refreshExpiry(): Date {
    return new Date(Date.now() + this.config.REFRESH_TOKEN_TTL_S * 1000);
  }

  private locked(until: Date): IocError {
    this.logger.warn(`an account is locked until ${until.toISOString()} after repeated failed logins`);
    return new IocError(
      ErrorCode.Locked,
      `account locked after ${this.config.LOGIN_MAX_FAILURES} failed logins; try again after ${until.toISOString()}`,
    );
  }
}
