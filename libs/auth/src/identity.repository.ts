import { Injectable } from '@nestjs/common';
import type { AuditEntryDto, ListAuditQuery, ManagedUserDto, Role, TeamDto } from '@ioc/contracts';
import { Database } from '@ioc/database';

export interface UserRecord extends ManagedUserDto {
  passwordHash: string;
}

interface UserRow {
  id: number;
  username: string;
  display_name: string;
  role: Role;
  team_id: number | null;
  email: string | null;
  password_hash: string;
  disabled: boolean;
  created_at: Date;
}

/**
 * The session's refresh token is `$1`: the current one, or the one the last rotation replaced while
 * its grace lasts and its successor is unused (cleared once retried or once the successor is used).
 */
const PRESENTED_TOKEN_GOOD = `(refresh_token_hash = $1 OR sibling_token_hash = $1
  OR (previous_token_hash = $1 AND previous_token_until > now()))`;

const USER_COLUMNS =
  'id, username, display_name, role, team_id, email, password_hash, disabled, created_at';

const toUser = (r: UserRow): UserRecord => ({
  id: r.id,
  username: r.username,
  displayName: r.display_name,
  role: r.role,
  teamId: r.team_id,
  email: r.email,
  disabled: r.disabled,
  createdAt: r.created_at.toISOString(),
  passwordHash: r.password_hash,
});

export interface NewUser {
  username: string;
  displayName: string;
  role: Role;
  teamId: number | null;
  email?: string | null;
  passwordHash: string;
}

export type UserChanges = Partial<Pick<UserRecord, 'displayName' | 'role' | 'teamId' | 'email' | 'disabled' | 'passwordHash'>>;

export interface SessionRow {
  id: string;
  user_id: number;
  expires_at: Date;
  revoked_at: Date | null;
}

/** A session revoked because one of the refresh tokens it had replaced was presented again. */
export interface ReusedSession {
  id: string;
  userId: number;
  username: string;
}

export interface LoginThrottlePolicy {
  maxFailures: number;
  firstLockSeconds: number;
  lockMinutes: number;
}

/** Where a (username, address) pair stands once an attempt was counted, or refused without counting. */
export interface LoginClaim {
  /** False: the pair is locked and the attempt was refused without being counted. */
  allowed: boolean;
  failures: number;
  lockedUntil: Date | null;
}

/** The failures a pair will have once this attempt is counted: forgotten ones start again at one. */
const NEXT_FAILURES = 'CASE WHEN t.forget_after <= now() THEN 1 ELSE t.failures + 1 END';
/** From the `$3`-th failure on, a lock of `$4` seconds that doubles with each further failure, up to `$5` minutes. */
const lockAfter = (failures: string) =>
  `CASE WHEN ${failures} >= $3
        THEN now() + LEAST(make_interval(secs => $4 * power(2, LEAST(${failures} - $3, 20))), make_interval(mins => $5))
   END`;
const forgetAfter = (failures: string) => `COALESCE(${lockAfter(failures)}, now()) + make_interval(mins => $5)`;

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
      `INSERT INTO users (username, display_name, role, team_id, password_hash, email)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (username) DO NOTHING
       RETURNING ${USER_COLUMNS}`,
      [u.username, u.displayName, u.role, u.teamId, u.passwordHash, u.email ?? null],
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
              email = CASE WHEN $8::boolean THEN $9 ELSE email END,
              updated_at = now()
        WHERE id = $1
       RETURNING ${USER_COLUMNS}`,
      [
        id,
        c.displayName ?? null,
        c.role ?? null,
        c.teamId !== undefined,
        c.teamId ?? null,
        c.disabled ?? null,
        c.passwordHash ?? null,
        c.email !== undefined,
        c.email ?? null,
      ],
    );
    return rows[0] ? toUser(rows[0]) : null;
  }

  /**
   * Counts a login attempt against its (username, address) pair before the password is checked, so
   * parallel attempts cannot outrun the count; a success clears it again (`clearLoginFailures`).
   * The attempt that reaches the limit locks the pair; while locked, attempts are refused uncounted.
   */
  async claimLoginAttempt(username: string, ip: string, policy: LoginThrottlePolicy): Promise<LoginClaim> {
    const { rows } = await this.db.pool.query<{ allowed: boolean; failures: number; locked_until: Date | null }>(
      `WITH claimed AS (
         INSERT INTO login_throttle AS t (username, ip, failures, locked_until, forget_after)
         VALUES ($1, $2, 1, ${lockAfter('1')}, ${forgetAfter('1')})
         ON CONFLICT (username, ip) DO UPDATE
            SET failures = ${NEXT_FAILURES},
                locked_until = ${lockAfter(NEXT_FAILURES)},
                forget_after = ${forgetAfter(NEXT_FAILURES)}
          WHERE t.locked_until IS NULL OR t.locked_until <= now()
         RETURNING true AS allowed, failures, locked_until
       )
       SELECT allowed, failures, locked_until FROM claimed
       UNION ALL
       SELECT false, failures, locked_until FROM login_throttle
        WHERE username = $1 AND ip = $2 AND NOT EXISTS (SELECT 1 FROM claimed)`,
      [username, ip, policy.maxFailures, policy.firstLockSeconds, policy.lockMinutes],
    );
    const row = rows[0];
    // A row inserted by a concurrent attempt after this statement's snapshot: refused, counted there.
    if (!row) return { allowed: false, failures: policy.maxFailures, lockedUntil: null };
    return { allowed: row.allowed, failures: row.failures, lockedUntil: row.locked_until };
  }

  /** Forgets the failures of a pair after a right password, and every pair whose failures have lapsed. */
  async clearLoginFailures(username: string, ip: string): Promise<void> {
    await this.db.pool.query('DELETE FROM login_throttle WHERE (username = $1 AND ip = $2) OR forget_after <= now()', [
      username,
      ip,
    ]);
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
    // The replaced tokens of the user's ended sessions can no longer be refreshed with: forget them.
    await this.db.pool.query(
      `DELETE FROM session_retired_tokens r USING sessions s
        WHERE r.session_id = s.id AND s.user_id = $1 AND (s.revoked_at IS NOT NULL OR s.expires_at <= now())`,
      [s.userId],
    );
    await this.db.pool.query(
      `INSERT INTO sessions (id, user_id, refresh_token_hash, expires_at, ip, user_agent)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [s.id, s.userId, s.tokenHash, s.expiresAt, s.ip, s.userAgent],
    );
  }

  /**
   * Swaps the session's refresh token for a new one. The presented token may be:
   * - the current one, or the unused sibling a retry left (below): it is replaced and stays good
   *   for a retry within its grace; the other of the two is retired;
   * - the replaced one, within its grace, retried once because its answer was lost: the current
   *   token, still unused, becomes the sibling, as the client may hold it after all (a reload that
   *   raced its own refresh).
   * Replaced tokens are kept as retired: presenting one again is reuse (`revokeSessionOfRetiredToken`).
   * Returns the session, or null when the token is none of these, or the session revoked or expired.
   */
  async rotateSession(oldHash: string, newHash: string, expiresAt: Date, graceSeconds: number): Promise<SessionRow | null> {
    const { rows } = await this.db.pool.query<SessionRow>(
      // The locked row is read as a concurrent rotation left it: its tokens, not the snapshot's, are swapped out.
      `WITH presented AS (
         SELECT id, refresh_token_hash AS current_hash, sibling_token_hash AS sibling_hash,
                refresh_token_hash = $1 OR sibling_token_hash = $1 AS live
           FROM sessions
          WHERE ${PRESENTED_TOKEN_GOOD}
            AND revoked_at IS NULL AND expires_at > now()
            FOR UPDATE
       ), retired AS (
         INSERT INTO session_retired_tokens (token_hash, session_id)
         SELECT token, id FROM presented, unnest(ARRAY[current_hash, sibling_hash]) AS token
          WHERE live AND token IS NOT NULL
       )
       UPDATE sessions s
          SET previous_token_hash = CASE WHEN p.live THEN $1 END,
              previous_token_until = CASE WHEN p.live THEN now() + make_interval(secs => $4) END,
              sibling_token_hash = CASE WHEN p.live THEN NULL ELSE p.current_hash END,
              refresh_token_hash = $2, refreshed_at = now(), expires_at = $3
         FROM presented p
        WHERE s.id = p.id
       RETURNING s.id, s.user_id, s.expires_at, s.revoked_at`,
      [oldHash, newHash, expiresAt, graceSeconds],
    );
    return rows[0] ?? null;
  }

  /** Revokes the live session that once replaced this refresh token, if any (see `rotateSession`). */
  async revokeSessionOfRetiredToken(tokenHash: string): Promise<ReusedSession | null> {
    const { rows } = await this.db.pool.query<{ id: string; user_id: number; username: string }>(
      `UPDATE sessions s SET revoked_at = now()
         FROM session_retired_tokens r, users u
        WHERE r.token_hash = $1 AND s.id = r.session_id AND u.id = s.user_id
          AND s.revoked_at IS NULL AND s.expires_at > now()
       RETURNING s.id, s.user_id, u.username`,
      [tokenHash],
    );
    return rows[0] ? { id: rows[0].id, userId: rows[0].user_id, username: rows[0].username } : null;
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
