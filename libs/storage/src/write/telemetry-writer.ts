import { Inject, Injectable, Logger } from '@nestjs/common';
import { join } from 'node:path';
import type { HealthDto } from '@ioc/contracts';
import { APP_CONFIG, type AppConfig } from '@ioc/config';
import { DurableWriter } from './durable-writer';
import { Spool } from './spool';
import { TelemetryRepository } from './telemetry.repository';
import type { WriteBatch } from './write-batch';

export type WriterHealth = Omit<NonNullable<HealthDto['spool']>, 'paused' | 'waiting'>;

/**
 * The write path as ingest sees it: what is accepted is durable in the spool at once, then stored
 * in batches. Opens the spool (one process per directory), so only ingest processes have one.
 */
@Injectable()
export class TelemetryWriter {
  private readonly logger = new Logger('Storage');
  private readonly spool: Spool;
  private readonly writer: DurableWriter;
  private onCommit: () => void = () => undefined;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    telemetry: TelemetryRepository,
  ) {
    const log = (line: string) => this.logger.warn(line);
    this.spool = Spool.open({
      dir: config.SPOOL_DIR ?? join(config.DATA_DIR, 'spool'),
      maxBytes: config.SPOOL_MAX_BYTES,
      segmentBytes: config.SPOOL_SEGMENT_BYTES,
      syncMs: config.SPOOL_SYNC_MS,
      log,
    });
    this.writer = new DurableWriter({
      spool: this.spool,
      maxBatch: config.INGEST_BATCH_SIZE,
      flushMs: config.INGEST_FLUSH_MS,
      maxQueued: config.INGEST_MAX_QUEUED,
      newestEveryMs: config.INGEST_NEWEST_EVERY_MS,
      write: (batch, newest) => telemetry.write(batch, newest),
      onCommit: () => this.onCommit(),
      log,
    });
  }

  /**
   * Stores what a previous run left in the spool (resolved once it is in the database), then
   * writes what is accepted. `onCommit`: after each committed write, when the spool may have room again.
   */
  async start(onCommit: () => void): Promise<void> {
    this.onCommit = onCommit;
    await this.writer.replayBacklog();
    this.writer.start();
  }

  /** Makes one message's rows durable; throws when the spool's disk refuses them. */
  accept(batch: WriteBatch, receivedAt: number): void {
    this.writer.accept(batch, receivedAt);
  }

  /** The spool holds as much as it may: accept nothing until a commit makes room. */
  get full(): boolean {
    return this.writer.full;
  }

  health(): WriterHealth {
    return { ...this.writer.state(), spoolMaxBytes: this.config.SPOOL_MAX_BYTES };
  }

  /** Writes what waits within the shutdown grace (the rest stays in the spool) and releases the spool. */
  async stop(): Promise<void> {
    await this.writer.stop(this.config.SHUTDOWN_WRITE_GRACE_MS);
    this.spool.close();
  }
}
