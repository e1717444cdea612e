import { createHmac } from 'node:crypto';
import { WEBHOOK_HEADERS } from '@ioc/contracts';

/** `v1=` and the hex HMAC-SHA256, keyed with the secret's UTF-8 bytes, of `<timestamp>.<body>`. */
export function signature(secret: string, timestampS: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestampS}.${body}`).digest('hex')}`;
}

/** The timestamp and signature headers of a body sent at `nowMs`. */
export function signedHeaders(secret: string, body: string, nowMs: number): Record<string, string> {
  const timestampS = Math.floor(nowMs / 1000);
  return { [WEBHOOK_HEADERS.timestamp]: String(timestampS), [WEBHOOK_HEADERS.signature]: signature(secret, timestampS, body) };
}
