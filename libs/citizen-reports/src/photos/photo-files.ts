import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { PhotoType } from '@ioc/contracts';
import { APP_CONFIG, type AppConfig } from '@ioc/config';
import { ErrorCode, IocError, storableText } from '@ioc/common';
import { PhotoRejected, processPhoto, type PhotoLimits, type ProcessedPhoto } from './photo-processor';
import { PHOTO_STORE, type PhotoStore } from './photo-store';
import { EXTENSIONS } from './photo-type';
import type { UploadedPhoto } from './photo-upload.interceptor';

/** A re-encoded photo in the store, not yet named by any row. */
export interface KeptPhoto extends Omit<ProcessedPhoto, 'data'> {
  storageKey: string;
  bytes: number;
}

/**
 * From uploaded files to stored photos: each re-encoded (one at a time in a process, so that
 * photos never take more than one of libuv's worker threads from the spool's file writes and
 * logins' hashing), then put in the store under a key made here.
 */
@Injectable()
export class PhotoFiles {
  private readonly logger = new Logger(PhotoFiles.name);
  private readonly limits: PhotoLimits;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    @Inject(PHOTO_STORE) private readonly store: PhotoStore,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.limits = { maxBytes: config.PHOTO_MAX_BYTES, maxSidePx: config.PHOTO_MAX_SIDE_PX };
  }

  /** Re-encodes every file first, so that one bad photo refuses them all, named; then stores them. */
  async keep(files: readonly UploadedPhoto[], field: string): Promise<KeptPhoto[]> {
    const processed: ProcessedPhoto[] = [];
    for (const [i, file] of files.entries()) {
      try {
        processed.push(await this.oneAtATime(() => processPhoto(file.buffer, this.limits)));
      } catch (err) {
        if (!(err instanceof PhotoRejected)) throw err;
        const name = `${field}[${i}] ${JSON.stringify(storableText(file.originalname, 100))}`;
        throw new IocError(err.tooLarge ? ErrorCode.TooLarge : ErrorCode.Invalid, `${name}: ${err.message}`, [{ path: `${field}.${i}`, message: err.message }]);
      }
    }
    const kept: KeptPhoto[] = [];
    try {
      for (const { data, ...photo } of processed) {
        const storageKey = newKey(photo.contentType);
        await this.store.put(storageKey, data);
        kept.push({ ...photo, storageKey, bytes: data.length });
      }
    } catch (err) {
      await this.discard(kept);
      throw err;
    }
    return kept;
  }

  /** Removes photos whose rows were never written (the request failed after they were stored). */
  async discard(photos: readonly KeptPhoto[]): Promise<void> {
    for (const photo of photos) {
      await this.store.delete(photo.storageKey).catch((err: Error) => this.logger.error(`photo ${photo.storageKey} not removed: ${err.message}`));
    }
  }

  read(storageKey: string): Promise<Buffer | null> {
    return this.store.get(storageKey);
  }

  private oneAtATime<T>(work: () => Promise<T>): Promise<T> {
    const result = this.tail.then(work);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

/** A month's folder and a random name. */
function newKey(type: PhotoType): string {
  return `${new Date().toISOString().slice(0, 7)}/${randomUUID()}.${EXTENSIONS[type]}`;
}
