import { createHmac, timingSafeEqual } from 'node:crypto';
import { WEBHOOK_HEADERS, WEBHOOK_SIGNATURE_TOLERANCE_S } from '@ioc/contracts';
import { signature, signedHeaders } from './webhook-signature';

const BODY = '{"event_action":"trigger"}';

/** What docs/webhooks.md tells a receiver to do. */
function receiverAccepts(secret: string, headers: Record<string, string>, rawBody: string, nowS: number): boolean {
  const timestamp = Number(headers[WEBHOOK_HEADERS.timestamp]);
  if (!Number.isInteger(timestamp) || Math.abs(nowS - timestamp) > WEBHOOK_SIGNATURE_TOLERANCE_S) return false;
  const expected = Buffer.from(`v1=${createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest('hex')}`);
  const given = Buffer.from(headers[WEBHOOK_HEADERS.signature] ?? '');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

describe('webhook signatures', () => {
  it('is HMAC-SHA256 of "<timestamp>.<body>" in hex, as openssl computes it', () => {
    // printf '1700000000.{"event_action":"trigger"}' | openssl dgst -sha256 -hmac whsec_test
    expect(signature('whsec_test', 1_700_000_000, BODY)).toBe('v1=97bd28501d21c7d8812e511d2213592d94c9c7409410871e5cfba44a1d1f2d65');
  });

  it('signs with the time of sending in whole seconds', () => {
    const headers = signedHeaders('whsec_test', BODY, 1_700_000_000_999);
    expect(headers).toEqual({
      [WEBHOOK_HEADERS.timestamp]: '1700000000',
      [WEBHOOK_HEADERS.signature]: 'v1=97bd28501d21c7d8812e511d2213592d94c9c7409410871e5cfba44a1d1f2d65',
    });
  });

  it('is accepted by a receiver holding the secret, within the tolerance', () => {
    const now = 1_700_000_000_000;
    const headers = signedHeaders('whsec_s3cret', BODY, now);
    expect(receiverAccepts('whsec_s3cret', headers, BODY, now / 1000 + 10)).toBe(true);
  });

  it('is refused with another secret, a changed body, a changed timestamp or an old one', () => {
    const now = 1_700_000_000_000;
    const headers = signedHeaders('whsec_s3cret', BODY, now);
    expect(receiverAccepts('whsec_other', headers, BODY, now / 1000)).toBe(false);
    expect(receiverAccepts('whsec_s3cret', headers, BODY.replace('trigger', 'resolve'), now / 1000)).toBe(false);
    expect(receiverAccepts('whsec_s3cret', { ...headers, [WEBHOOK_HEADERS.timestamp]: '1700000001' }, BODY, now / 1000)).toBe(false);
    expect(receiverAccepts('whsec_s3cret', headers, BODY, now / 1000 + WEBHOOK_SIGNATURE_TOLERANCE_S + 1)).toBe(false);
  });
});
