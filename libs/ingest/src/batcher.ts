export interface BatcherOptions<T> {
  /** Flush as soon as this many items wait. */
  maxBatch: number;
  /** Flush what waits at least this often. */
  flushMs: number;
  /** Past this many waiting items (database away), the oldest are dropped and counted. */
  maxQueued: number;
  write: (items: T[]) => Promise<void>;
  log: (line: string) => void;
}

/**
 * Connection trouble, server shutdown, overload, deadlock: worth retrying. A data or syntax error
 * (SQLSTATE classes 22, 23, 42, ...) would fail the same way forever.
 */
export function isTransient(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code)) return true;
  return ['08', '40', '53', '57', '58'].includes(code.slice(0, 2));
}

/**
 * Collects items and writes them in batches, one write in flight at a time. A write that failed
 * for a passing reason is retried with back-off, keeping order.
 */
export class Batcher<T> {
  private queue: T[] = [];
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<void> | null = null;
  private retryAt = 0;
  private failures = 0;
  dropped = 0;

  constructor(private readonly options: BatcherOptions<T>) {}

  start(): void {
    this.timer = setInterval(() => this.kick(), this.options.flushMs);
    this.timer.unref();
  }

  add(items: readonly T[]): void {
    for (const item of items) this.queue.push(item);
    const excess = this.queue.length - this.options.maxQueued;
    if (excess > 0) {
      this.queue.splice(0, excess);
      this.dropped += excess;
      this.options.log(`write queue full: dropped ${excess} oldest items (${this.dropped} in all)`);
    }
    if (this.queue.length >= this.options.maxBatch) this.kick();
  }

  get pending(): number {
    return this.queue.length;
  }

  /** Writes everything still waiting; used on shutdown. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.retryAt = 0;
    await this.inFlight;
    while (this.queue.length > 0) {
      const before = this.queue.length;
      await this.flushOnce();
      if (this.queue.length >= before) break;
    }
  }

  private kick(): void {
    if (this.inFlight || this.queue.length === 0 || Date.now() < this.retryAt) return;
    this.inFlight = this.flushOnce().finally(() => {
      this.inFlight = null;
      if (this.queue.length >= this.options.maxBatch) this.kick();
    });
  }

  private async flushOnce(): Promise<void> {
    const batch = this.queue.splice(0, this.options.maxBatch);
    try {
      await this.options.write(batch);
      this.failures = 0;
    } catch (err) {
      if (!isTransient(err)) {
        this.dropped += batch.length;
        this.options.log(`write of ${batch.length} items refused by the database, dropped: ${(err as Error).message}`);
        return;
      }
      this.queue.unshift(...batch);
      this.failures += 1;
      const backoff = Math.min(10_000, 250 * 2 ** Math.min(this.failures, 6));
      this.retryAt = Date.now() + backoff;
      this.options.log(`write of ${batch.length} items failed (${(err as Error).message}); retrying in ${backoff} ms`);
    }
  }
}
