import { Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { Periodic } from '@ioc/common';
import { nextAttemptAt, type RetrySettings } from './retry-schedule';
import type { ClaimedItem, OutboxQueue } from './outbox-table';

/** How an attempt went; never thrown. */
export type SendResult =
  | { ok: true; statusCode: number | null }
  /** statusCode null: no answer (refused, timed out, stopped). */
  | { ok: false; statusCode: number | null; error: string; retryAfterMs: number | null };

export interface OutboxWorkerSettings {
  /** What is sent, for the log: "webhook", "email". */
  noun: string;
  /** Whether this process sends at all. */
  runs: boolean;
  /** Attempts under way at once on this node. */
  concurrency: number;
  /** Longest attempt: a claimed row is leased for this and a grace. */
  timeoutMs: number;
  retry: RetrySettings;
  /** Days delivered and dead rows stay in the log; 0 keeps them. */
  logDays: number;
}

/** How often the outbox is looked at: how late, at most, a committed change starts on its way. */
const POLL_MS = 250;
/** A claimed row is taken over by another node this long after its attempt's timeout, should this node die. */
const LEASE_GRACE_MS = 30_000;
const PRUNE_EVERY_MS = 3_600_000;

interface InFlight {
  key: number | null;
  done: Promise<void>;
}

/**
 * Sends one outbox table: every POLL_MS it claims due rows for its free slots and makes one
 * attempt of each concurrently; a failure is due again after the retry schedule's wait, until the
 * window closes and it is dead with its last error. Channels say how to send (`send`) and, where
 * a receiver must get one request at a time, what it is (`keyOf`). Runs apart from the ingest and
 * rule paths: nothing there waits for it. A restart resumes from the table.
 */
export abstract class OutboxWorker<D extends ClaimedItem> implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger: Logger;
  private readonly poller = new Periodic(() => this.round());
  private readonly pruner = new Periodic(() => this.prune());
  private readonly inFlight = new Map<number, InFlight>();
  private readonly stopping = new AbortController();
  private lastProblem: string | null = null;

  protected constructor(
    name: string,
    private readonly queue: OutboxQueue<D>,
    private readonly settings: OutboxWorkerSettings,
  ) {
    this.logger = new Logger(name);
  }

  /** One attempt; resolves with how it went, never rejects. `stop` aborts it (the server stopping). */
  protected abstract send(item: D, stop: AbortSignal): Promise<SendResult>;

  /** Rows of one key are sent one at a time on a node (webhooks: per subscription); null: no such limit. */
  protected keyOf(_item: D): number | null {
    return null;
  }

  onApplicationBootstrap(): void {
    if (!this.settings.runs) return;
    this.poller.start(POLL_MS);
    if (this.settings.logDays > 0) this.pruner.start(PRUNE_EVERY_MS);
    void this.poller.runOnce();
  }

  /** No new attempt; those under way are cut short and left due at once for the next start. */
  async onModuleDestroy(): Promise<void> {
    await this.poller.stop();
    await this.pruner.stop();
    this.stopping.abort();
    await Promise.all([...this.inFlight.values()].map((f) => f.done));
    await this.stopped();
  }

  /** Releases what the channel holds (connections), once no attempt is under way. */
  protected async stopped(): Promise<void> {}

  private async round(): Promise<void> {
    const free = this.settings.concurrency - this.inFlight.size;
    if (free <= 0 || this.stopping.signal.aborted) return;
    const busy = [...new Set([...this.inFlight.values()].flatMap((f) => (f.key === null ? [] : [f.key])))];
    let claimed: D[];
    try {
      claimed = await this.queue.claim(free, busy, this.settings.timeoutMs + LEASE_GRACE_MS);
      this.lastProblem = null;
    } catch (err) {
      this.report(`${this.settings.noun} deliveries not claimed: ${(err as Error).message}`);
      return;
    }
    for (const item of claimed) this.start(item);
  }

  private start(item: D): void {
    const done = this.attempt(item).finally(() => {
      this.inFlight.delete(item.id);
      // A freed slot (and the next row of that queue) need not wait for the next tick.
      if (!this.stopping.signal.aborted) void this.poller.runOnce();
    });
    this.inFlight.set(item.id, { key: this.keyOf(item), done });
  }

  private async attempt(item: D): Promise<void> {
    const result = await this.send(item, this.stopping.signal);
    try {
      if (result.ok) {
        await this.queue.recordAttempt(item, { delivered: true, statusCode: result.statusCode });
      } else if (this.stopping.signal.aborted) {
        await this.queue.release(item, result.error);
      } else {
        const next = nextAttemptAt(item.attempts, item.createdAt.getTime(), Date.now(), this.settings.retry, result.retryAfterMs);
        await this.queue.recordAttempt(item, {
          delivered: false,
          statusCode: result.statusCode,
          error: result.error,
          nextAttemptAt: next === null ? null : new Date(next),
        });
      }
    } catch (err) {
      // The lease runs out and the attempt is made again: at least once, never lost.
      this.report(`${this.settings.noun} delivery ${item.id} not recorded: ${(err as Error).message}`);
    }
  }

  private async prune(): Promise<void> {
    try {
      const removed = await this.queue.prune(this.settings.logDays);
      if (removed > 0) this.logger.log(`${removed} ${this.settings.noun} deliveries older than ${this.settings.logDays} days removed from the log`);
    } catch (err) {
      this.report(`${this.settings.noun} log not pruned: ${(err as Error).message}`);
    }
  }

  /** A database that is down would say the same four times a second: once is enough. */
  private report(problem: string): void {
    if (problem === this.lastProblem) return;
    this.lastProblem = problem;
    this.logger.warn(problem);
  }
}
