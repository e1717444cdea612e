import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@ioc/config';

/**
 * What stands for a sender in rate limits and reports: a keyed hash (HMAC-SHA256) of their address
 * or phone number. An IPv4 address has 2^32 values, so a plain or publicly salted hash could be
 * reversed by trying them all; without the key it cannot.
 */
@Injectable()
export class SenderKeys {
  private readonly key: Buffer;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.key = Buffer.from(config.REPORT_SENDER_KEY ?? generatedKey(config.DATA_DIR), 'utf8');
  }

  ofAddress(address: string): Buffer {
    return this.hash('address', address);
  }

  /** One number however it was written: +84 and a leading 0 are the same prefix. */
  ofPhone(phone: string): Buffer {
    return this.hash('phone', phone.replace(/^\+84/, '0'));
  }

  private hash(kind: string, value: string): Buffer {
    return createHmac('sha256', this.key).update(`${kind}:${value}`).digest();
  }
}

/** A key made on the first start and kept in DATA_DIR, so restarts keep counting the same senders. */
function generatedKey(dataDir: string): string {
  const file = join(dataDir, 'report-sender.key');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32).toString('base64url');
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return key;
}
