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
    partitionIntervalMs: config.STORAGE_PARTITION_INTERVAL,
    partitionsAhead: config.STORAGE_PARTITIONS_AHEAD,
    retentionDays: config.STORAGE_RETENTION_DAYS,
    compressAfterDays: config.STORAGE_COMPRESS_AFTER_DAYS,
    lateWindowMs: config.INGEST_MAX_AGE_S * 1000,
    maintenanceMs: config.STORAGE_MAINTENANCE_S * 1000,
    rollupRefreshMs: config.STORAGE_ROLLUP_REFRESH_MS,
    rollupSettleMs: config.STORAGE_ROLLUP_SETTLE_S * 1000,
  };
}

/** A PostgreSQL interval literal for a number of milliseconds, e.g. "86400000 milliseconds". */
export const interval = (ms: number) => `${Math.round(ms)} milliseconds`;
