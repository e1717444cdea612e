import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import type { LoginInput, Role, SessionDto, UserDto } from '@ioc/contracts';
import { APP_CONFIG, type AppConfig } from '@ioc/config';
import { ErrorCode, EventBus, IocError, randomSecret, sha256Hex } from '@ioc/common';
import { IdentityRepository, type AuditRecord, type LoginClaim, type ReusedSession, type UserRecord } from './identity.repository';
import type { Principal } from './principal';
import { checkPassword, hashPassword } from './secrets';

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
const SESSION_GONE = 'session expired or revoked: log in again';
/** The throttle's key when the address is unknown (never with express, which always has the socket's). */
const NO_ADDRESS = 'unknown';

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
  /** Checked against when the username is unknown, so both paths cost the same argon2 verifies. */
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

  /**
   * Failures are counted per (username, client address), whether the username exists or not: a
   * locked pair is refused before any lookup or hash, and an allowed attempt costs the same argon2
   * verifies for a real user as for an unknown one, so neither the answer nor its timing tells them apart.
   */
  async login(input: LoginInput, client: ClientInfo): Promise<SessionDto> {
    const username = input.username;
    const ip = client.ip ?? NO_ADDRESS;
    const claim = await this.repository.claimLoginAttempt(username, ip, {
      maxFailures: this.config.LOGIN_MAX_FAILURES,
      firstLockSeconds: this.config.LOGIN_LOCK_FIRST_S,
      lockMinutes: this.config.LOGIN_LOCK_MINUTES,
    });
    if (!claim.allowed) throw this.locked(claim);
    const user = await this.repository.findUserByName(username);
    const check = await checkPassword(user?.passwordHash ?? this.decoyHash, input.password);
    if (!user || !check.ok) {
      this.logger.warn(`failed login for ${JSON.stringify(username)} from ${ip} (${claim.failures} of ${this.config.LOGIN_MAX_FAILURES})`);
      if (!claim.lockedUntil) throw new IocError(ErrorCode.Unauthenticated, WRONG_CREDENTIALS);
      this.logger.warn(`logins for ${JSON.stringify(username)} from ${ip} refused until ${claim.lockedUntil.toISOString()}`);
      await this.audit({
        actorId: null,
        actorName: null,
        action: 'login locked',
        targetType: 'auth',
        targetId: username,
        ip: client.ip,
        status: 429,
        details: { username, failures: claim.failures, lockedUntil: claim.lockedUntil.toISOString() },
      });
      throw this.locked(claim);
    }
    await this.repository.clearLoginFailures(username, ip);
    if (user.disabled) throw new IocError(ErrorCode.Unauthenticated, 'this account is disabled');
    // Hashed before passwords were normalized: stored again in NFC, so the next login needs one verify.
    if (check.rehash) await this.repository.updateUser(user.id, { passwordHash: await hashPassword(input.password) });
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

  /**
   * A replaced refresh token is good once more, for a retry of a lost answer, while its grace lasts
   * and its successor is unused. Any other use of a replaced token means someone else holds a copy:
   * the whole session ends, its sockets close, and the audit log says so.
   */
  async refresh(refreshToken: string, client: ClientInfo): Promise<SessionDto> {
    const presented = sha256Hex(refreshToken);
    const next = randomSecret();
    const session = await this.repository.rotateSession(presented, sha256Hex(next), this.refreshExpiry(), this.config.REFRESH_TOKEN_GRACE_S);
    if (!session) {
      const reused = await this.repository.revokeSessionOfRetiredToken(presented);
      if (reused) await this.reuseDetected(reused, client);
      throw new IocError(ErrorCode.Unauthenticated, SESSION_GONE);
    }
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
    // The library accepts a token without `exp` as never expiring; this server issues none.
    if (typeof claims.exp !== 'number') throw new IocError(ErrorCode.Unauthenticated, 'invalid access token');
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

  private locked(claim: LoginClaim): IocError {
    const after = claim.lockedUntil ? `; try again after ${claim.lockedUntil.toISOString()}` : '';
    return new IocError(ErrorCode.Locked, `account locked from this address after ${claim.failures} failed logins${after}`);
  }

  private async reuseDetected(session: ReusedSession, client: ClientInfo): Promise<void> {
    this.bus.emit('session.revoked', session.id);
    this.logger.warn(
      `a replaced refresh token of ${JSON.stringify(session.username)} was used again from ${client.ip ?? NO_ADDRESS}: session ${session.id} revoked`,
    );
    await this.audit({
      actorId: null,
      actorName: null,
      action: 'refresh token reuse',
      targetType: 'users',
      targetId: String(session.userId),
      ip: client.ip,
      status: 401,
      details: { username: session.username, sessionId: session.id },
    });
  }

  /** An entry of the service's own (the request's entry is the audit middleware's); a failure to store it does not change the answer. */
  private async audit(entry: AuditRecord): Promise<void> {
    await this.repository.insertAudit(entry).catch((err: Error) => this.logger.error(`audit entry not saved: ${err.message}`));
  }
}
