import type { AppConfig } from '@ioc/config';

/** What the storage engines need from the configuration. */
export interface StorageSettings {
  partitionIntervalMs: number;
  partitionsAhead: number;
  /** 0: keep forever. */
  retentionDays: number;
  compressAfterDays: number;
  /** How late a sample may arrive (INGEST_MAX_AGE_S): rollups must still take it in. */
  lateWindowMs: number;
  maintenanceMs: number;
  rollupRefreshMs: number;
  rollupSettleMs: number;
}

export function storageSettings(config: AppConfig): StorageSettings {
  return {
    partitionIntervalMs:
      config.STORAGE_PARTITION_INTERVAL === 'auto'
        ? autoPartitionIntervalMs(config.STORAGE_SAMPLES_PER_S, config.STORAGE_DATABASE_MEMORY_MB)
        : config.STORAGE_PARTITION_INTERVAL,
    partitionsAhead: config.STORAGE_PARTITIONS_AHEAD,
    retentionDays: config.STORAGE_RETENTION_DAYS,
    compressAfterDays: config.STORAGE_COMPRESS_AFTER_DAYS,
    lateWindowMs: config.INGEST_MAX_AGE_S * 1000,
    maintenanceMs: config.STORAGE_MAINTENANCE_S * 1000,
    rollupRefreshMs: config.STORAGE_ROLLUP_REFRESH_MS,
    rollupSettleMs: config.STORAGE_ROLLUP_SETTLE_S * 1000,
  };
}

const HOUR = 3_600_000;
/** A raw sample with its share of the primary key and the time index (99.8 measured on TimescaleDB 2.28). */
const BYTES_PER_SAMPLE = 100;
/** The partition being written and the one before it, which late samples and the rollups still read. */
const RECENT_PARTITIONS = 2;
/** Divisors of a day or whole days, so partitions start on the same hours every day. */
const SPANS_H = [1, 2, 3, 4, 6, 8, 12, 24, 48, 72, 96, 120, 144, 168];

/**
 * TimescaleDB's guidance: the recent chunks and their indexes fit in about a quarter of the
 * database's memory. The longest span (1 hour to 7 days) whose two recent partitions fit there at
 * the expected rate.
 */
export function autoPartitionIntervalMs(samplesPerS: number, memoryMb: number): number {
  const budgetBytes = (memoryMb * 1024 * 1024) / 4;
  const fitsMs = (budgetBytes / (BYTES_PER_SAMPLE * RECENT_PARTITIONS * samplesPerS)) * 1000;
  const span = SPANS_H.filter((h) => h * HOUR <= fitsMs).at(-1) ?? SPANS_H[0];
  return span * HOUR;
}

/** A PostgreSQL interval literal for a number of milliseconds, e.g. "86400000 milliseconds". */
export const interval = (ms: number) => `${Math.round(ms)} milliseconds`;
