import { randomBytes } from 'node:crypto';
import { TRACKING_CODE_ALPHABET, TRACKING_CODE_LENGTH } from '@ioc/contracts';

/**
 * A new tracking code: 10 symbols of 32, each from 5 bits of one random byte (32 divides 256, so
 * no symbol is likelier than another): 50 bits, beyond guessing at any rate the API allows.
 */
export function newTrackingCode(random: (size: number) => Uint8Array = randomBytes): string {
  return Array.from(random(TRACKING_CODE_LENGTH), (b) => TRACKING_CODE_ALPHABET[b & 31]).join('');
}
