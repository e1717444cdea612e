import { Periodic } from '@ioc/common';
import { comparePositions, type Spool, type SpoolPosition } from './spool';
import {
  batchSize,
  decodeBatch,
  emptyBatch,
  encodeBatch,
  mergeInto,
  NewestTracker,
  type Newest,
  type WriteBatch,
} from './write-batch';

export interface DurableWriterOptions {
  spool: Spool;
  /** Rows that make a database write start without waiting for the timer. */
  maxBatch: number;
  /** Write what waits at least this often. */
  flushMs: number;
  /** Messages held in memory for the next writes; past it the writer reads them back from the spool. */
  maxQueued: number;
  /**
   * The newest values and last-seen times go with a write at most this often, and with every
   * write that holds more than samples. The spool is committed only by such a write.
   */
  newestEveryMs: number;
  /** Stores the batch and, when given, the newest values, in one transaction. */
  write: (batch: WriteBatch, newest: Newest | null) => Promise<void>;
  /** Called after each committed write: the spool has room again, perhaps. */
  onCommit: () => void;
  log: (line: string) => void;
}

export interface WriterState {
  spoolBytes: number;
  spoolSegments: number;
  /** Messages waiting in memory. */
  queued: number;
  /** Catching up from the spool (after a database outage, an overflow, or a restart). */
  replaying: boolean;
  databaseWritable: boolean;
  lastError: string | null;
  /** Messages whose rows the database refused for good (not a passing trouble); logged each. */
  refused: number;
}

/** Bytes of records read back from the spool per write. */
const REPLAY_READ_BYTES = 1 << 20;
/**
 * A write takes what waits, up to this many batches: when the database falls behind, fewer and
 * larger writes catch up faster than many small ones (each write costs a round trip and a
 * statement's fixed work).
 */
const CATCH_UP_BATCHES = 10;

/**
 * Connection trouble, server shutdown, overload, deadlock: worth retrying. A data or syntax error
 * (SQLSTATE classes 22, 23, 42, ...) would fail the same way forever.
 */
export function isTransient(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code)) return true;
  return ['08', '40', '53', '57', '58'].includes(code.slice(0, 2));
}

interface Queued {
  batch: WriteBatch;
  end: SpoolPosition;
}

/**
 * Every accepted message is appended to the spool before it is acknowledged, then written to the
 * database in batches. Memory is only the fast path: after any failed write, or when more waits
 * than memory may hold, the writer drops what it holds and reads the spool from the last committed
 * point, in order, until it has caught up. One write in flight at a time.
 *
 * Most writes store samples alone; the newest value of each (device, metric) and each device's
 * last-seen time are updates of hot rows, so they are gathered and stored about once a
 * `newestEveryMs`. The spool is committed only with them: after a crash, the replay from the
 * committed point stores again the samples they describe (a no-op) and gathers them anew.
 */
export class DurableWriter {
  private queue: Queued[] = [];
  private queueHead = 0;
  private queuedRows = 0;
  private replaying: boolean;
  private readFrom: SpoolPosition;
  private inFlight: Promise<void> | null = null;
  private inFlightEnd: SpoolPosition | null = null;
  private readonly flushes = new Periodic(() => this.kick());
  private retryAt = 0;
  private failures = 0;
  private lastError: string | null = null;
  private refused = 0;
  private stopping = false;
  private readonly newest = new NewestTracker();
  private newestWrittenAt = 0;
  /** End of what was written after the committed point, while its newest values wait. */
  private writtenEnd: SpoolPosition | null = null;

  constructor(private readonly options: DurableWriterOptions) {
    this.replaying = options.spool.backlogBytes > 0;
    this.readFrom = options.spool.committedPosition();
  }

  start(): void {
    this.flushes.start(this.options.flushMs);
  }

  /** Makes one message's rows durable; throws when the spool's disk refuses them. */
  accept(batch: WriteBatch, receivedAt: number): void {
    const end = this.options.spool.append(encodeBatch(batch, receivedAt));
    if (this.replaying) return;
    if (this.queue.length - this.queueHead >= this.options.maxQueued) {
      this.options.log(`more than ${this.options.maxQueued} messages wait for the database; reading them back from the spool`);
      this.replayFrom(this.inFlightEnd ?? this.writtenEnd ?? this.options.spool.committedPosition());
      return;
    }
    this.queue.push({ batch, end });
    this.queuedRows += batchSize(batch);
    if (this.queuedRows >= this.options.maxBatch) this.kick();
  }

  get full(): boolean {
    return this.options.spool.full;
  }

  state(): WriterState {
    return {
      spoolBytes: this.options.spool.backlogBytes,
      spoolSegments: this.options.spool.segmentCount,
      queued: this.queue.length - this.queueHead,
      replaying: this.replaying,
      databaseWritable: this.failures === 0,
      lastError: this.lastError,
      refused: this.refused,
    };
  }

  /** Writes what a previous run left in the spool; resolves once it is all in the database. */
  async replayBacklog(): Promise<void> {
    if (!this.replaying) return;
    const bytes = this.options.spool.backlogBytes;
    this.options.log(`replaying ${bytes} bytes left in the spool by the previous run`);
    while (this.replaying && !this.stopping) {
      if (Date.now() < this.retryAt) await sleep(this.retryAt - Date.now());
      await this.flushOnce();
    }
    if (!this.replaying) this.options.log('spool replayed');
  }

  /** Writes what waits, giving up (it stays in the spool) once `graceMs` have passed. */
  async stop(graceMs: number): Promise<void> {
    await this.flushes.stop();
    const deadline = Date.now() + graceMs;
    await this.inFlight;
    this.retryAt = 0;
    while ((this.replaying || this.queue.length > this.queueHead || this.writtenEnd) && Date.now() < deadline) {
      await this.flushOnce();
      if (this.failures > 0) await sleep(Math.min(250, Math.max(0, deadline - Date.now())));
    }
    this.stopping = true;
    const left = this.options.spool.backlogBytes;
    if (left > 0) this.options.log(`${left} bytes stay in the spool; they are written at the next start`);
  }

  private kick(): void {
    if (this.inFlight || Date.now() < this.retryAt) return;
    const newestWaits = this.writtenEnd !== null && this.newestDue();
    if (!this.replaying && this.queue.length === this.queueHead && !newestWaits) return;
    this.inFlight = this.flushOnce().finally(() => {
      this.inFlight = null;
      this.inFlightEnd = null;
      if (this.replaying || this.queuedRows >= this.options.maxBatch) this.kick();
    });
  }

  private async flushOnce(): Promise<void> {
    if (this.replaying) {
      const { records, next } = this.options.spool.read(this.readFrom, REPLAY_READ_BYTES);
      if (records.length === 0) {
        // Nothing was appended past what has been read and written: memory takes over again.
        if (await this.writeAndCommit([], next, true)) {
          this.replaying = false;
          this.options.log('caught up with the spool');
        }
        return;
      }
      this.readFrom = next;
      await this.writeAndCommit(records.flatMap((r) => this.decode(r)), next);
      return;
    }
    const taken: WriteBatch[] = [];
    let rows = 0;
    let end: SpoolPosition | null = null;
    while (this.queueHead < this.queue.length && rows < this.options.maxBatch * CATCH_UP_BATCHES) {
      const item = this.queue[this.queueHead++];
      taken.push(item.batch);
      rows += batchSize(item.batch);
      end = item.end;
    }
    this.queuedRows -= rows;
    this.compactQueue();
    if (!end) {
      // Nothing new (idle, or stopping): store the newest values of what was written.
      if (this.writtenEnd) await this.writeAndCommit([], this.writtenEnd, true);
      return;
    }
    this.inFlightEnd = end;
    await this.writeAndCommit(taken, end);
  }

  /** False when the write failed: the spool keeps it, and the writer replays from the committed point. */
  private async writeAndCommit(batches: WriteBatch[], end: SpoolPosition, carryNewest = false): Promise<boolean> {
    const merged = emptyBatch();
    for (const b of batches) mergeInto(merged, b);
    this.newest.add(merged.samples);
    const commit =
      carryNewest ||
      // A dead letter has no key, so a replay would store it again; events and transitions, far
      // rarer than samples, commit at once with it rather than be told apart.
      merged.samples.length < batchSize(merged) ||
      this.newestDue();
    const newest = commit && !this.newest.empty ? this.newest.snapshot() : null;
    try {
      if (batchSize(merged) > 0 || newest) await this.options.write(merged, newest);
    } catch (err) {
      if (isTransient(err)) return this.failed(err as Error, batchSize(merged));
      // One bad row must not hold back the others: write the messages one by one.
      try {
        for (const batch of batches) await this.writeAlone(batch, null);
        if (newest) await this.writeAlone(emptyBatch(), newest);
      } catch (retry) {
        return this.failed(retry as Error, batchSize(merged));
      }
    }
    if (this.failures > 0) this.options.log('the database takes writes again');
    this.failures = 0;
    this.lastError = null;
    if (!commit) {
      this.writtenEnd = end;
      return true;
    }
    this.newest.clear();
    this.newestWrittenAt = Date.now();
    this.writtenEnd = null;
    if (comparePositions(end, this.options.spool.committedPosition()) > 0) this.options.spool.commit(end);
    this.options.onCommit();
    return true;
  }

  private newestDue(): boolean {
    return Date.now() - this.newestWrittenAt >= this.options.newestEveryMs;
  }

  private async writeAlone(batch: WriteBatch, newest: Newest | null): Promise<void> {
    try {
      await this.options.write(batch, newest);
    } catch (err) {
      if (isTransient(err)) throw err;
      this.refused += 1;
      this.options.log(`rows of one message refused by the database, skipped: ${(err as Error).message}`);
    }
  }

  private failed(err: Error, rows: number): false {
    this.failures += 1;
    this.lastError = err.message;
    const backoff = Math.min(10_000, 250 * 2 ** Math.min(this.failures, 6));
    this.retryAt = Date.now() + backoff;
    this.options.log(`write of ${rows} rows failed (${err.message}); the spool keeps them, retrying in ${backoff} ms`);
    this.writtenEnd = null;
    this.replayFrom(this.options.spool.committedPosition());
    return false;
  }

  private replayFrom(position: SpoolPosition): void {
    this.replaying = true;
    this.readFrom = position;
    this.queue = [];
    this.queueHead = 0;
    this.queuedRows = 0;
  }

  private decode(body: Buffer): WriteBatch[] {
    try {
      return [decodeBatch(body)];
    } catch (err) {
      this.options.log(`unreadable spool record skipped: ${(err as Error).message}`);
      return [];
    }
  }

  private compactQueue(): void {
    if (this.queueHead === this.queue.length) {
      this.queue = [];
      this.queueHead = 0;
    } else if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.queueHead);
      this.queueHead = 0;
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
