import { TRACKING_CODE_ALPHABET, trackingCodeSchema } from '@ioc/contracts';
import { newTrackingCode } from './tracking-code';

describe('tracking codes', () => {
  it('uses 32 symbols without look-alikes', () => {
    expect(TRACKING_CODE_ALPHABET).toHaveLength(32);
    expect(new Set(TRACKING_CODE_ALPHABET).size).toBe(32);
    for (const lookAlike of 'ILOU') expect(TRACKING_CODE_ALPHABET).not.toContain(lookAlike);
  });

  it('is 10 symbols of the alphabet, each symbol as likely as any other', () => {
    const seen = new Map<string, number>();
    for (let i = 0; i < 3200; i++) {
      const code = newTrackingCode();
      expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{10}$/);
      for (const c of code) seen.set(c, (seen.get(c) ?? 0) + 1);
    }
    expect(seen.size).toBe(32);
    // 1000 of each expected: a fair draw stays well within 20 %.
    for (const count of seen.values()) expect(Math.abs(count - 1000)).toBeLessThan(200);
  });

  it('takes five bits of each random byte', () => {
    expect(newTrackingCode(() => Uint8Array.from([0, 1, 31, 32, 33, 63, 255, 224, 10, 17]))).toBe('01Z01ZZ0AH');
  });

  it('reads a code as people type it', () => {
    expect(trackingCodeSchema.parse('abcde-fghjk')).toBe('ABCDEFGHJK');
    expect(trackingCodeSchema.parse(' 7k2m 9p4q ox ')).toBe('7K2M9P4Q0X');
    expect(trackingCodeSchema.parse('il00000000')).toBe('1100000000');
    for (const bad of ['', 'ABCDEFGHJ', 'ABCDEFGHJKM', 'ABCDEFGHJU', 'ABC/EFGHJK', 'x'.repeat(41)]) {
      expect(trackingCodeSchema.safeParse(bad).success).toBe(false);
    }
  });
});
