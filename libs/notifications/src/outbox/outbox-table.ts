import type { Database } from '@ioc/database';

/** The outbox tables: the same status, attempt and error columns in each (migrations 0022 and 0026). */
export type OutboxTableName = 'webhook_deliveries' | 'email_deliveries';

/** What every claimed row carries, whatever it is sent as. */
export interface ClaimedItem {
  id: number;
  /** Including the one under way. */
  attempts: number;
  createdAt: Date;
}

/** How an attempt ended: delivered, failed with a next attempt, or failed for good (next null). */
export type AttemptOutcome =
  | { delivered: true; statusCode: number | null }
  | { delivered: false; statusCode: number | null; error: string; nextAttemptAt: Date | null };

/** What a worker needs of its channel's repository. */
export interface OutboxQueue<D extends ClaimedItem> {
  /**
   * Takes up to `limit` due rows for one attempt each, none of a key in `busy`, and leases them:
   * each row's next attempt moves `leaseMs` ahead, so another node takes it only if this one dies.
   */
  claim(limit: number, busy: readonly number[], leaseMs: number): Promise<D[]>;
  recordAttempt(d: Pick<D, 'id' | 'attempts'>, outcome: AttemptOutcome): Promise<void>;
  release(d: Pick<D, 'id' | 'attempts'>, error: string): Promise<void>;
  prune(days: number): Promise<number>;
}

/** The longest error kept. */
const ERROR_MAX = 1000;

/**
 * The statements an outbox table shares whatever its channel: an attempt's result, an attempt
 * handed back, the log pruned. Claiming differs per channel and stays with its repository.
 */
export class OutboxTable<D extends ClaimedItem> implements Omit<OutboxQueue<D>, 'claim'> {
  constructor(
    private readonly db: Database,
    private readonly table: OutboxTableName,
  ) {}

  /**
   * Records an attempt this node claimed. Written only while the row is still that attempt's
   * (pending, same count), so an attempt whose lease ran out and was taken over writes nothing.
   */
  async recordAttempt(d: Pick<D, 'id' | 'attempts'>, outcome: AttemptOutcome): Promise<void> {
    if (outcome.delivered) {
      await this.db.pool.query(
        `UPDATE ${this.table} SET status = 'delivered', delivered_at = now(), last_status_code = $3, last_error = NULL
          WHERE id = $1 AND attempts = $2 AND status = 'pending'`,
        [d.id, d.attempts, outcome.statusCode],
      );
      return;
    }
    await this.db.pool.query(
      `UPDATE ${this.table}
          SET status = CASE WHEN $5::timestamptz IS NULL THEN 'dead' ELSE 'pending' END,
              next_attempt_at = COALESCE($5, next_attempt_at), last_status_code = $3, last_error = $4
        WHERE id = $1 AND attempts = $2 AND status = 'pending'`,
      [d.id, d.attempts, outcome.statusCode, outcome.error.slice(0, ERROR_MAX), outcome.nextAttemptAt],
    );
  }

  /** An attempt cut short by this node stopping: due again at once, for whichever node runs next. */
  async release(d: Pick<D, 'id' | 'attempts'>, error: string): Promise<void> {
    await this.db.pool.query(
      `UPDATE ${this.table} SET next_attempt_at = now(), last_status_code = NULL, last_error = $3
        WHERE id = $1 AND attempts = $2 AND status = 'pending'`,
      [d.id, d.attempts, error.slice(0, ERROR_MAX)],
    );
  }

  /** Delivered and dead rows older than `days` leave the log. */
  async prune(days: number): Promise<number> {
    const { rowCount } = await this.db.pool.query(
      `DELETE FROM ${this.table} WHERE status <> 'pending' AND created_at < now() - make_interval(days => $1)`,
      [days],
    );
    return rowCount ?? 0;
  }
}
