import { Injectable } from '@nestjs/common';
import type { AuditEntryDto, ListAuditQuery, Role, TeamDto, UserDto } from '@ioc/contracts';
import { Database } from '@ioc/database';

export interface UserRecord extends UserDto {
  passwordHash: string;
  failedLogins: number;
  lockedUntil: Date | null;
}

interface UserRow {
  id: number;
  username: string;
  display_name: string;
  role: Role;
  team_id: number | null;
  password_hash: string;
  disabled: boolean;
  failed_logins: number;
  locked_until: Date | null;
  created_at: Date;
}

/** The session's refresh token is `$1`: the current one, or the one the last rotation replaced, within its grace. */
const PRESENTED_TOKEN_GOOD = `(refresh_token_hash = $1 OR (previous_token_hash = $1 AND previous_token_until > now()))`;

const USER_COLUMNS =
  'id, username, display_name, role, team_id, password_hash, disabled, failed_logins, locked_until, created_at';

const toUser = (r: UserRow): UserRecord => ({
  id: r.id,
  username: r.username,
  displayName: r.display_name,
  role: r.role,
  teamId: r.team_id,
  disabled: r.disabled,
  createdAt: r.created_at.toISOString(),
  passwordHash: r.password_hash,
  failedLogins: r.failed_logins,
  lockedUntil: r.locked_until,
});

export interface NewUser {
  username: string;
  displayName: string;
  role: Role;
  teamId: number | null;
  passwordHash: string;
}

export type UserChanges = Partial<Pick<UserRecord, 'displayName' | 'role' | 'teamId' | 'disabled' | 'passwordHash'>>;

export interface SessionRow {
  id: string;
  user_id: number;
  expires_at: Date;
  revoked_at: Date | null;
}

export interface AuditRecord {
  actorId: number | null;
  actorName: string | null;
  action: string;
  targetType: string;
  targetId: string | null;
  ip: string | null;
  status: number;
  details: Record<string, unknown> | null;
}

@Injectable()
export class IdentityRepository {
  constructor(private readonly db: Database) {}

  async countUsers(): Promise<number> {
    const { rows } = await this.db.pool.query<{ n: string }>('SELECT count(*) AS n FROM users');
    return Number(rows[0].n);
  }

  async findUsers(): Promise<UserRecord[]> {
    const { rows } = await this.db.pool.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users ORDER BY id`);
    return rows.map(toUser);
  }

  async findUserById(id: number): Promise<UserRecord | null> {
    const { rows } = await this.db.pool.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE id = $1`, [id]);
    return rows[0] ? toUser(rows[0]) : null;
  }

  async findUserByName(username: string): Promise<UserRecord | null> {
    const { rows } = await this.db.pool.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE username = $1`, [
      username,
    ]);
    return rows[0] ? toUser(rows[0]) : null;
  }

  /** Null when the username is taken. */
  async insertUser(u: NewUser): Promise<UserRecord | null> {
    const { rows } = await this.db.pool.query<UserRow>(
      `INSERT INTO users (username, display_name, role, team_id, password_hash)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (username) DO NOTHING
       RETURNING ${USER_COLUMNS}`,
      [u.username, u.displayName, u.role, u.teamId, u.passwordHash],
    );
    return rows[0] ? toUser(rows[0]) : null;
  }

  async updateUser(id: number, c: UserChanges): Promise<UserRecord | null> {
    const { rows } = await this.db.pool.query<UserRow>(
      `UPDATE users
          SET display_name = COALESCE($2, display_name),
              role = COALESCE($3, role),
              team_id = CASE WHEN $4::boolean THEN $5 ELSE team_id END,
              disabled = COALESCE($6, disabled),
              password_hash = COALESCE($7, password_hash),
              updated_at = now()
        WHERE id = $1
       RETURNING ${USER_COLUMNS}`,
      [id, c.displayName ?? null, c.role ?? null, c.teamId !== undefined, c.teamId ?? null, c.disabled ?? null, c.passwordHash ?? null],
    );
    return rows[0] ? toUser(rows[0]) : null;
  }

  /** Counts a failed login; locks the account once `maxFailures` is reached. Returns the lock end, if locked. */
  async recordFailedLogin(id: number, maxFailures: number, lockMinutes: number): Promise<Date | null> {
    const { rows } = await this.db.pool.query<{ locked_until: Date | null }>(
      `UPDATE users
          SET failed_logins = CASE WHEN failed_logins + 1 >= $2 THEN 0 ELSE failed_logins + 1 END,
              locked_until = CASE WHEN failed_logins + 1 >= $2 THEN now() + make_interval(mins => $3)
                                  ELSE locked_until END
        WHERE id = $1
       RETURNING locked_until`,
      [id, maxFailures, lockMinutes],
    );
    const until = rows[0]?.locked_until ?? null;
    return until && until > new Date() ? until : null;
  }

  async recordSuccessfulLogin(id: number): Promise<void> {
    await this.db.pool.query('UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1', [id]);
  }

  async findTeams(): Promise<TeamDto[]> {
    const { rows } = await this.db.pool.query<TeamDto>('SELECT id, name FROM teams ORDER BY id');
    return rows;
  }

  async insertTeam(name: string): Promise<TeamDto | null> {
    const { rows } = await this.db.pool.query<TeamDto>(
      'INSERT INTO teams (name) VALUES ($1) ON CONFLICT (name) DO NOTHING RETURNING id, name',
      [name],
    );
    return rows[0] ?? null;
  }

  async insertSession(s: { id: string; userId: number; tokenHash: string; expiresAt: Date; ip: string | null; userAgent: string | null }): Promise<void> {
    await this.db.pool.query(
      `INSERT INTO sessions (id, user_id, refresh_token_hash, expires_at, ip, user_agent)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [s.id, s.userId, s.tokenHash, s.expiresAt, s.ip, s.userAgent],
    );
  }

  /**
   * Swaps the session's refresh token for a new one when `oldHash` is the current one, or the one the
   * last rotation replaced and still within its grace. Reusing the replaced token leaves its grace as
   * it was: a retry does not lengthen it. Returns the session, or null when the token is unknown,
   * used, past its grace, revoked or expired.
   */
  async rotateSession(oldHash: string, newHash: string, expiresAt: Date, graceSeconds: number): Promise<SessionRow | null> {
    const { rows } = await this.db.pool.query<SessionRow>(
      `UPDATE sessions
          SET previous_token_hash = CASE WHEN refresh_token_hash = $1 THEN refresh_token_hash ELSE previous_token_hash END,
              previous_token_until = CASE WHEN refresh_token_hash = $1 THEN now() + make_interval(secs => $4)
                                          ELSE previous_token_until END,
              refresh_token_hash = $2, refreshed_at = now(), expires_at = $3
        WHERE ${PRESENTED_TOKEN_GOOD}
          AND revoked_at IS NULL AND expires_at > now()
       RETURNING id, user_id, expires_at, revoked_at`,
      [oldHash, newHash, expiresAt, graceSeconds],
    );
    return rows[0] ?? null;
  }

  /** Revokes the session this refresh token would refresh (see `rotateSession`); returns its id. */
  async revokeSessionByToken(tokenHash: string): Promise<string | null> {
    const { rows } = await this.db.pool.query<{ id: string }>(
      `UPDATE sessions SET revoked_at = now()
        WHERE ${PRESENTED_TOKEN_GOOD}
          AND revoked_at IS NULL
       RETURNING id`,
      [tokenHash],
    );
    return rows[0]?.id ?? null;
  }

  async revokeSessionsOfUser(userId: number): Promise<string[]> {
    const { rows } = await this.db.pool.query<{ id: string }>(
      `UPDATE sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL RETURNING id`,
      [userId],
    );
    return rows.map((r) => r.id);
  }

  /** Sessions revoked recently enough that access tokens issued for them may still be unexpired. */
  async recentlyRevokedSessions(withinSeconds: number): Promise<string[]> {
    const { rows } = await this.db.pool.query<{ id: string }>(
      `SELECT id FROM sessions WHERE revoked_at > now() - make_interval(secs => $1)`,
      [withinSeconds],
    );
    return rows.map((r) => r.id);
  }

  async insertAudit(a: AuditRecord): Promise<void> {
    await this.db.pool.query(
      `INSERT INTO audit_log (actor_id, actor_name, action, target_type, target_id, ip, status, details)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [a.actorId, a.actorName, a.action, a.targetType, a.targetId, a.ip, a.status, a.details],
    );
  }

  async findAudit(q: ListAuditQuery): Promise<AuditEntryDto[]> {
    const { rows } = await this.db.pool.query<{
      id: string;
      at: Date;
      actor_id: number | null;
      actor_name: string | null;
      action: string;
      target_type: string;
      target_id: string | null;
      ip: string | null;
      status: number;
      details: Record<string, unknown> | null;
    }>(
      `SELECT id, at, actor_id, actor_name, action, target_type, target_id, ip, status, details
         FROM audit_log
        WHERE ($1::text IS NULL OR actor_name = $1)
          AND ($2::text IS NULL OR target_type = $2)
          AND ($3::timestamptz IS NULL OR at >= $3)
        ORDER BY at DESC, id DESC
        LIMIT $4`,
      [q.actor ?? null, q.targetType ?? null, q.since ?? null, q.limit],
    );
    return rows.map((r) => ({
      id: Number(r.id),
      at: r.at.toISOString(),
      actor: r.actor_id !== null && r.actor_name !== null ? { id: r.actor_id, username: r.actor_name } : null,
      action: r.action,
      targetType: r.target_type,
      targetId: r.target_id,
      ip: r.ip,
      status: r.status,
      details: r.details,
    }));
  }
}
