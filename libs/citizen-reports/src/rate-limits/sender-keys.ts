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
  /** Read or made at the first sender, so that a process that never takes a report writes no key file. */
  private key: Buffer | null = null;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  ofAddress(address: string): Buffer {
    return this.hash('address', address);
  }

  /** One number however it was written: +84 and a leading 0 are the same prefix. */
  ofPhone(phone: string): Buffer {
    return this.hash('phone', phone.replace(/^\+84/, '0'));
  }

  private hash(kind: string, value: string): Buffer {
    this.key ??= Buffer.from(this.config.REPORT_SENDER_KEY ?? generatedKey(this.config.DATA_DIR), 'utf8');
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
