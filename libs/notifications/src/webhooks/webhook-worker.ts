import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { WEBHOOK_HEADERS } from '@ioc/contracts';
import { Periodic } from '@ioc/common';
import { APP_CONFIG, type AppConfig } from '@ioc/config';
import { nextAttemptAt, type RetrySettings } from './retry-schedule';
import { requestBody } from './webhook-payloads';
import { send } from './webhook-sender';
import { signedHeaders } from './webhook-signature';
import { WebhooksRepository, type ClaimedDelivery } from './webhooks.repository';

/** How often the outbox is looked at: how late, at most, a committed change starts on its way. */
const POLL_MS = 250;
/** A claimed delivery is taken over by another node this long after its request's timeout, should this node die. */
const LEASE_GRACE_MS = 30_000;
const PRUNE_EVERY_MS = 3_600_000;

interface InFlight {
  subscriptionId: number;
  done: Promise<void>;
}

/**
 * Sends the outbox: every POLL_MS it claims due deliveries for its free slots (WEBHOOK_CONCURRENCY)
 * and sends them concurrently, at most one at a time per subscription on this node, so a receiver
 * that hangs holds one slot and its own queue, nothing else. Runs on nodes with the ingest role,
 * apart from the ingest path: nothing there waits for it. A restart resumes from the table.
 */
@Injectable()
export class WebhookWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(WebhookWorker.name);
  private readonly poller = new Periodic(() => this.round());
  private readonly pruner = new Periodic(() => this.prune());
  private readonly inFlight = new Map<number, InFlight>();
  private readonly stopping = new AbortController();
  private readonly retry: RetrySettings;
  private lastProblem: string | null = null;

  constructor(
    private readonly repository: WebhooksRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.retry = { baseMs: config.WEBHOOK_RETRY_BASE_MS, maxMs: config.WEBHOOK_RETRY_MAX_MS, retryForMs: config.WEBHOOK_RETRY_FOR_S * 1000 };
  }

  onApplicationBootstrap(): void {
    if (!this.config.IOC_ROLES.includes('ingest')) return;
    this.poller.start(POLL_MS);
    if (this.config.WEBHOOK_LOG_DAYS > 0) this.pruner.start(PRUNE_EVERY_MS);
    void this.poller.runOnce();
  }

  /** No new attempt; those under way are cut short and left due at once for the next start. */
  async onModuleDestroy(): Promise<void> {
    await this.poller.stop();
    await this.pruner.stop();
    this.stopping.abort();
    await Promise.all([...this.inFlight.values()].map((f) => f.done));
  }

  private async round(): Promise<void> {
    const free = this.config.WEBHOOK_CONCURRENCY - this.inFlight.size;
    if (free <= 0 || this.stopping.signal.aborted) return;
    const busy = [...new Set([...this.inFlight.values()].map((f) => f.subscriptionId))];
    let claimed: ClaimedDelivery[];
    try {
      claimed = await this.repository.claim(free, busy, this.config.WEBHOOK_TIMEOUT_MS + LEASE_GRACE_MS);
      this.lastProblem = null;
    } catch (err) {
      this.report(`webhook deliveries not claimed: ${(err as Error).message}`);
      return;
    }
    for (const delivery of claimed) this.start(delivery);
  }

  private start(delivery: ClaimedDelivery): void {
    const done = this.attempt(delivery).finally(() => {
      this.inFlight.delete(delivery.id);
      // A freed slot (and the next event of that incident) need not wait for the next tick.
      if (!this.stopping.signal.aborted) void this.poller.runOnce();
    });
    this.inFlight.set(delivery.id, { subscriptionId: delivery.subscriptionId, done });
  }

  private async attempt(d: ClaimedDelivery): Promise<void> {
    const body = requestBody(d.format, d.payload, d.routingKey);
    const headers = { ...signedHeaders(d.secret, body, Date.now()), [WEBHOOK_HEADERS.delivery]: String(d.id), [WEBHOOK_HEADERS.event]: d.event };
    const result = await send(d.url, body, headers, this.config.WEBHOOK_TIMEOUT_MS, this.stopping.signal);
    try {
      if (result.ok) {
        await this.repository.recordAttempt(d, { delivered: true, statusCode: result.statusCode });
      } else if (this.stopping.signal.aborted) {
        await this.repository.release(d, result.error);
      } else {
        const next = nextAttemptAt(d.attempts, d.createdAt.getTime(), Date.now(), this.retry, result.retryAfterMs);
        await this.repository.recordAttempt(d, {
          delivered: false,
          statusCode: result.statusCode,
          error: result.error,
          nextAttemptAt: next === null ? null : new Date(next),
        });
      }
    } catch (err) {
      // The lease runs out and the attempt is made again: at least once, never lost.
      this.report(`webhook delivery ${d.id} not recorded: ${(err as Error).message}`);
    }
  }

  private async prune(): Promise<void> {
    try {
      const removed = await this.repository.prune(this.config.WEBHOOK_LOG_DAYS);
      if (removed > 0) this.logger.log(`${removed} webhook deliveries older than ${this.config.WEBHOOK_LOG_DAYS} days removed from the log`);
    } catch (err) {
      this.report(`webhook log not pruned: ${(err as Error).message}`);
    }
  }

  /** A database that is down would say the same four times a second: once is enough. */
  private report(problem: string): void {
    if (problem === this.lastProblem) return;
    this.lastProblem = problem;
    this.logger.warn(problem);
  }
}
