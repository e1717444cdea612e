import { BadRequestException, Inject, Injectable, mixin, PayloadTooLargeException, type CallHandler, type ExecutionContext, type NestInterceptor, type Type } from '@nestjs/common';
import { FilesInterceptor } from '@nestjs/platform-express';
import type { Observable } from 'rxjs';
import { APP_CONFIG, type AppConfig } from '@ioc/config';
import { ErrorCode, IocError } from '@ioc/common';
import { formatBytes } from './photo-processor';

/** Text fields beside the photos: a handful, each at most this long (a description of 2000 characters is up to 8 kB of UTF-8). */
const MAX_FIELDS = 10;
const MAX_FIELD_BYTES = 16 * 1024;

/** A file as multer keeps it in memory. */
export interface UploadedPhoto {
  fieldname: string;
  originalname: string;
  size: number;
  buffer: Buffer;
}

/**
 * Reads a multipart body with up to `maxCount` photos in `field`, held in memory and bounded:
 * PHOTO_MAX_BYTES a file, a few small text fields, nothing else. A body past a bound is refused
 * as soon as the bound is crossed, naming it.
 */
export function PhotoUpload(field: string, maxCount: number): Type<NestInterceptor> {
  @Injectable()
  class PhotoUploadInterceptor implements NestInterceptor {
    private readonly multer: NestInterceptor;

    constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
      const Files = FilesInterceptor(field, maxCount, {
        limits: {
          files: maxCount,
          fileSize: config.PHOTO_MAX_BYTES,
          fields: MAX_FIELDS,
          fieldSize: MAX_FIELD_BYTES,
          fieldNameSize: 100,
          parts: maxCount + MAX_FIELDS,
          headerPairs: 100,
        },
      });
      this.multer = new Files();
    }

    async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
      try {
        return await this.multer.intercept(context, next);
      } catch (err) {
        throw uploadError(err, field, maxCount, this.config.PHOTO_MAX_BYTES);
      }
    }
  }
  return mixin(PhotoUploadInterceptor);
}

/**
 * multer's refusals (as @nestjs/platform-express words them) in words that name the field and
 * the bound; anything else passes unchanged.
 */
export function uploadError(err: unknown, field: string, maxCount: number, maxBytes: number): unknown {
  if (err instanceof PayloadTooLargeException) {
    return new IocError(ErrorCode.TooLarge, `${field}: each photo must be at most ${formatBytes(maxBytes)}`);
  }
  if (!(err instanceof BadRequestException)) return err;
  // "Too many files", "Unexpected file field - photo", "Field value too long - description", ...
  const [, said, name] = /^(.*?)(?: - (.+))?$/s.exec(err.message) ?? [];
  const many = maxCount === 1 ? 'one photo' : `at most ${maxCount} photos`;
  switch (said) {
    case 'Too many files':
      return new IocError(ErrorCode.Invalid, `${field}: ${many}`);
    case 'Unexpected field':
    case 'Unexpected file field':
      return new IocError(ErrorCode.Invalid, name === undefined || name === field ? `${field}: ${many}` : `${name}: no file is taken here; send ${many} as "${field}"`);
    case 'Too many fields':
    case 'Too many parts':
      return new IocError(ErrorCode.Invalid, `too many form fields: at most ${MAX_FIELDS} besides ${many}`);
    case 'Field value too long':
      return new IocError(ErrorCode.Invalid, `${name ?? 'a field'}: at most ${formatBytes(MAX_FIELD_BYTES)}`);
    default:
      return new IocError(ErrorCode.Invalid, `not a multipart form that can be read: ${err.message}`);
  }
}
