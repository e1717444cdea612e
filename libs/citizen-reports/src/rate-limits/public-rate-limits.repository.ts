import { Injectable } from '@nestjs/common';
import type { Queryable } from '@ioc/alerting';

/** What is counted, per sender. */
export type RateScope = 'report_address' | 'report_phone' | 'rating_address';

export interface RateLimit {
  limit: number;
  windowS: number;
}

/** null: allowed; otherwise the seconds until the oldest counted request leaves the window. */
export type RateVerdict = { retryAfterS: number } | null;

/**
 * Sliding windows of requests per sender in PostgreSQL, so that every node and a restarted one
 * count the same requests. The statements take the transaction of the caller.
 */
@Injectable()
export class PublicRateLimitsRepository {
  /** Whether one more request would pass, without counting it. */
  async check(client: Queryable, scope: RateScope, key: Buffer, rule: RateLimit): Promise<RateVerdict> {
    // The limit-th newest request in the window: while there is one, the window is full.
    const { rows } = await client.query<{ wait_s: number }>(
      `SELECT ceil(extract(epoch FROM at + make_interval(secs => $3) - now()))::int AS wait_s
         FROM public_rate_events
        WHERE scope = $1 AND key = $2 AND at > now() - make_interval(secs => $3)
        ORDER BY at DESC OFFSET $4 - 1 LIMIT 1`,
      [scope, key, rule.windowS, rule.limit],
    );
    return rows.length === 0 ? null : { retryAfterS: Math.max(1, rows[0].wait_s) };
  }

  /**
   * Counts a request if the window has room; inside a transaction, where a lock per sender makes
   * concurrent requests of one sender (on any node) count one after the other.
   */
  async take(client: Queryable, scope: RateScope, key: Buffer, rule: RateLimit): Promise<RateVerdict> {
    await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`${scope}:${key.toString('hex')}`]);
    const verdict = await this.check(client, scope, key, rule);
    if (verdict) return verdict;
    await client.query('INSERT INTO public_rate_events (scope, key) VALUES ($1, $2)', [scope, key]);
    // Whatever has left every window of this scope is of no more use.
    await client.query('DELETE FROM public_rate_events WHERE scope = $1 AND at <= now() - make_interval(secs => $2)', [scope, rule.windowS]);
    return null;
  }
}
